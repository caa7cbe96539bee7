"""What a branch gives the fusion stage: output kinds, blocks and their averaging.

A leaf module: the scheduler (``_plan``), the fusion strategies, scanning and
inspection all import it, and it imports nothing of skmg.
"""

import numpy as np

# The kinds of output a branch can give the fusion stage: the name of the
# branch's method, except VALUE, the ``predict`` of a regressor branch in a
# classifier (a number, not a class label).
PROBA = "predict_proba"
DECISION = "decision_function"
PREDICT = "predict"
VALUE = "predict_value"
# The order in which ``stack_method="auto"`` tries them.
OUTPUT_ORDER = (PROBA, DECISION, PREDICT)


class BranchOutputs(list):
    """The output blocks of the branches, one 2-D float array per branch.

    A plain ``list`` of blocks that also says what each block is, so that a
    fusion strategy learns the output kinds and the number of classes from the
    data it is fitted on, never from its constructor. Strategies written for a
    plain list of blocks work unchanged.

    Parameters
    ----------
    blocks : list of ndarray of shape (n_samples, n_columns)
        The output of every branch.
    kinds : list of str, default=None
        The output method of every branch (``"predict_proba"``,
        ``"decision_function"`` or ``"predict"``); None means
        ``"predict"`` for every branch.
    n_classes : int or None, default=None
        The number of classes of a classification problem, None for
        regression. Class labels are encoded ``0 .. n_classes - 1``.
    names : list of str, default=None
        The branch names, for messages.
    features : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
        The original features that the meta-estimator passes through to the
        fusion stage (``passthrough``), if any.
    multilabel : bool, default=False
        Whether the target is a multilabel indicator matrix (``n_classes`` is
        then None and each block has one column per label: the probability
        of the label, its decision value or its predicted 0/1).
    classes : ndarray of shape (n_classes,), default=None
        The user's class labels behind the encoded labels
        ``0 .. n_classes - 1`` (the meta-estimator's ``classes_``), so that
        scorers see the labels the user gave; None means the encoded labels
        are the labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.fusion import BranchOutputs
    >>> outputs = BranchOutputs(
    ...     [np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.6, 0.4], [0.3, 0.7]])],
    ...     kinds=["predict_proba", "predict_proba"], n_classes=2, names=["a", "b"])
    >>> len(outputs), outputs.classification
    (2, True)
    >>> outputs.take([1])[0]
    array([[0.2, 0.8]])
    """

    def __init__(
        self,
        blocks,
        *,
        kinds=None,
        n_classes=None,
        names=None,
        features=None,
        multilabel=False,
        classes=None,
    ):
        super().__init__(blocks)
        self.multilabel = multilabel
        self.classes = classes
        self.kinds = [PREDICT] * len(self) if kinds is None else list(kinds)
        self.n_classes = n_classes
        self.names = (
            [f"branch {b}" for b in range(len(self))] if names is None else list(names)
        )
        self.features = features

    @classmethod
    def of(cls, outputs):
        """``outputs`` as a BranchOutputs (a plain list means regression)."""
        if isinstance(outputs, cls):
            return outputs
        return cls(list(outputs))

    @property
    def classification(self):
        """Whether the blocks are outputs of classifiers."""
        return self.n_classes is not None or self.multilabel

    @property
    def n_samples(self):
        """Number of rows of every block."""
        return self[0].shape[0] if len(self) else 0

    def take(self, rows):
        """The same outputs for some rows only.

        Parameters
        ----------
        rows : array-like of int or bool
            Row indices or a row mask.

        Returns
        -------
        outputs : BranchOutputs
            The blocks (and passed-through features) of those rows.
        """
        features = self.features
        if features is not None:
            features = features[rows]
        return self.with_blocks([block[rows] for block in self], features=features)

    def with_blocks(self, blocks, *, kinds=None, names=None, features=None):
        """Other blocks of the same problem (same classes).

        Parameters
        ----------
        blocks : list of ndarray of shape (n_samples, n_columns)
            The new blocks.
        kinds : list of str, default=None
            Their output kinds; None keeps these.
        names : list of str, default=None
            Their branch names; None keeps these.
        features : ndarray or sparse matrix, default=None
            The passed-through features of their rows, if any.

        Returns
        -------
        outputs : BranchOutputs
            The new outputs.
        """
        return type(self)(
            blocks,
            kinds=self.kinds if kinds is None else kinds,
            n_classes=self.n_classes,
            names=self.names if names is None else names,
            features=features,
            multilabel=self.multilabel,
            classes=self.classes,
        )


class NonFiniteOutputError(ValueError):
    """A branch gave NaN or infinite outputs: the fusion would silently
    propagate them (or a vote would turn them into the first class)."""


def check_finite_output(output, method):
    """Raise NonFiniteOutputError if a branch's output block is not finite."""
    finite = np.isfinite(output)
    if not finite.all():
        rows = int((~finite.reshape(len(output), -1).all(axis=1)).sum())
        raise NonFiniteOutputError(
            f"its {method} outputs are not finite: {rows} of {len(output)} rows "
            "hold NaN or infinity"
        )
    return output


def branch_output(estimator, X, method, n_classes):
    """Return the output of a fitted branch as a 2-D float array.

    For classifiers, ``n_classes`` is the number of classes of the whole
    problem; the columns of probabilities are aligned with the encoded labels
    ``0 .. n_classes - 1`` even when a fold's training rows lack a class.
    Raises :class:`NonFiniteOutputError` if the output holds NaN or infinity.
    """
    return check_finite_output(_branch_output(estimator, X, method, n_classes), method)


def _branch_output(estimator, X, method, n_classes):
    output = getattr(estimator, PREDICT if method == VALUE else method)(X)
    if isinstance(output, list):  # multilabel probabilities: one array per label
        return positive_columns(output, estimator)
    if n_classes is None or method in (PREDICT, VALUE):
        output = np.asarray(output, dtype=np.float64)
        return output.reshape(-1, 1) if output.ndim == 1 else output

    seen = getattr(estimator, "classes_", np.arange(n_classes))
    seen = np.asarray(seen)
    if method == PROBA:
        return align_proba(np.asarray(output, dtype=np.float64), seen, n_classes)

    # decision_function: scores of missing classes have no meaningful value.
    if len(seen) != n_classes:
        raise ValueError(
            f"the training rows hold {len(seen)} of the {n_classes} classes, so "
            "decision_function outputs cannot be aligned with the other folds; "
            "use a stratified cv or stack_method='predict_proba'"
        )
    output = np.asarray(output, dtype=np.float64)
    return output.reshape(-1, 1) if output.ndim == 1 else output


def positive_columns(probas, estimator):
    """The probability that each label is present, from the list of
    per-label probability arrays of a multilabel classifier: the column of
    class 1 (0 where a label's training rows held no positive)."""
    classes = getattr(estimator, "classes_", None)
    columns = []
    for k, proba in enumerate(probas):
        proba = np.asarray(proba, dtype=np.float64)
        seen = np.asarray(classes[k]) if isinstance(classes, list) else None
        if seen is None:
            columns.append(proba[:, -1])
            continue
        positive = np.flatnonzero(seen == 1)
        columns.append(proba[:, positive[0]] if len(positive) else np.zeros(len(proba)))
    return np.column_stack(columns)


def align_proba(proba, seen, n_classes):
    """Probability columns of the classes ``seen`` placed among all classes."""
    if proba.shape[1] == n_classes:
        return proba
    full = np.zeros((proba.shape[0], n_classes))
    full[:, np.asarray(seen).astype(np.intp)] = proba
    return full


def aggregate(outputs, rows, n_samples, method, n_classes):
    """Combine outputs that several models gave for (possibly) the same rows.

    Continuous outputs are averaged; class labels (``predict`` of a
    classifier) are put to a majority vote, ties going to the smaller label.
    Used for the out-of-fold outputs (a row may be in several test folds, as
    with repeated splitters) and for the fold models of ``refit=False``.

    Returns
    -------
    combined : ndarray of shape (n_samples, n_columns)
        NaN in rows that no model predicted.
    covered : ndarray of bool of shape (n_samples,)
    """
    counts = np.zeros(n_samples)
    for idx in rows:
        np.add.at(counts, idx, 1)
    covered = counts > 0

    if n_classes is not None and method == PREDICT:
        votes = np.zeros((n_samples, n_classes))
        for output, idx in zip(outputs, rows):
            np.add.at(votes, (idx, output[:, 0].astype(np.intp)), 1)
        combined = votes.argmax(axis=1).astype(np.float64).reshape(-1, 1)
    else:
        combined = np.zeros((n_samples, outputs[0].shape[1]))
        for output, idx in zip(outputs, rows):
            np.add.at(combined, idx, output)
        combined[covered] /= counts[covered, None]
    combined[~covered] = np.nan
    return combined, covered


def fitted_output(branch, X, method, n_classes):
    """The output of one fitted branch: a refitted model, or with
    ``refit=False`` the list of its fold models, whose outputs are averaged."""
    if not isinstance(branch, list):
        return branch_output(branch, X, method, n_classes)
    outputs = [branch_output(model, X, method, n_classes) for model in branch]
    n_samples = outputs[0].shape[0]
    rows = [np.arange(n_samples)] * len(outputs)
    return aggregate(outputs, rows, n_samples, method, n_classes)[0]


def design_blocks(outputs):
    """The blocks as columns of a design matrix, as scikit-learn's stacking
    builds it: for a binary problem, a probability block keeps its second
    column only (the first is one minus it)."""
    return [
        block[:, 1:] if kind == PROBA and outputs.n_classes == 2 else block
        for block, kind in zip(outputs, outputs.kinds)
    ]


def output_width(method, n_classes, n_targets=1):
    """Number of columns of a branch's block: one per class for probabilities
    (and for multiclass decision values), one for labels and for binary
    decision values, one per target for a regressor."""
    if n_classes is None or method == VALUE:
        return n_targets
    if method == PROBA or (method == DECISION and n_classes > 2):
        return n_classes
    return 1


def multilabel_from_output(block, method):
    """The 0/1 label matrix of a multilabel output block."""
    if method == PROBA:
        return (block > 0.5).astype(np.intp)
    if method == DECISION:
        return (block > 0).astype(np.intp)
    return np.rint(block).astype(np.intp)


def labels_from_output(block, method, n_classes=None):
    """Encoded class labels from a branch output block (the predicted value
    of a regressor branch, ``VALUE``, rounded to the nearest class)."""
    if method == PREDICT:
        return block[:, 0].astype(np.intp)
    if method == VALUE:
        top = np.inf if n_classes is None else n_classes - 1
        return np.clip(np.rint(block[:, 0]), 0, top).astype(np.intp)
    if block.shape[1] == 1:  # binary decision values
        return (block[:, 0] > 0).astype(np.intp)
    return block.argmax(axis=1)


def output_names(name, method, width, classes=None):
    """Column names of one branch's block: ``{branch}_{output}[_{class}]``
    (one column: ``{branch}_{output}``, as a binary probability block in a
    design matrix)."""
    if classes is None:  # regression
        if width == 1:
            return [f"{name}_predict"]
        return [f"{name}_predict{j}" for j in range(width)]
    if method in (PREDICT, VALUE):
        if width == 1:
            return [f"{name}_predict"]
        return [f"{name}_predict_{c}" for c in classes]
    kind = "proba" if method == PROBA else "decision"
    if width == 1:
        return [f"{name}_{kind}"]
    return [f"{name}_{kind}_{c}" for c in classes]
