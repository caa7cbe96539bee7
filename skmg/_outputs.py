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


class OutputError(ValueError):
    """An output that the fusion stage cannot take as it is: wrong number of
    rows or columns, not numeric, not finite, probabilities outside [0, 1] or
    labels outside the classes. Raised by the gate (:func:`check_output`)
    rather than fused silently or failing later in a numpy error."""


class NonFiniteOutputError(OutputError):
    """A branch gave NaN or infinite outputs: the fusion would silently
    propagate them (or a vote would turn them into the first class)."""


# How far a probability may stray from [0, 1] (rounding of a float32 model).
PROBA_TOLERANCE = 1e-6


def check_output(output, method, n_rows, n_columns, n_classes=None):
    """The gate: return ``output`` as a 2-D float array, or raise.

    Every output a branch or a fusion strategy gives the meta-estimator
    passes here: the number of rows (one per sample), of columns, a numeric
    dtype, finite values, probabilities within [0, 1] and class labels
    within ``0 .. n_classes - 1``. The message says what came against what
    was expected; the caller puts who gave it in front.

    Parameters
    ----------
    output : array-like
        The raw output.
    method : str
        The method that gave it (an output kind).
    n_rows : int
        The number of samples asked for.
    n_columns : int or None
        The number of columns expected (a 1-D output is one column); None
        accepts any.
    n_classes : int or None, default=None
        For class labels (``predict`` of a classifier), the number of classes.

    Returns
    -------
    output : ndarray of shape (n_rows, n_columns)
    """
    name = "predict" if method == VALUE else method
    try:
        values = np.asarray(output, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        kind = getattr(np.asarray(output, dtype=object), "dtype", None)
        raise OutputError(
            f"its {name} outputs are not numeric ({type(exc).__name__}: {exc}); "
            f"expected numbers, got an array of dtype {kind}"
        ) from exc
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    if values.ndim != 2:
        raise OutputError(
            f"its {name} outputs have shape {values.shape}; expected "
            f"({n_rows},) or ({n_rows}, n_columns)"
        )
    if values.shape[0] != n_rows:
        raise OutputError(
            f"its {name} outputs have {values.shape[0]} rows for {n_rows} "
            "samples; expected one row per sample"
        )
    if n_columns is not None and values.shape[1] != n_columns:
        raise OutputError(
            f"its {name} outputs have {values.shape[1]} columns; expected {n_columns}"
        )
    finite = np.isfinite(values)
    if not finite.all():
        rows = int((~finite.all(axis=1)).sum())
        raise NonFiniteOutputError(
            f"its {name} outputs are not finite: {rows} of {n_rows} rows "
            "hold NaN or infinity"
        )
    if method == PROBA and values.size:
        low, high = values.min(), values.max()
        if low < -PROBA_TOLERANCE or high > 1 + PROBA_TOLERANCE:
            raise OutputError(
                f"its predict_proba outputs range from {low:.6g} to {high:.6g}; "
                "expected probabilities within [0, 1]"
            )
    if method == PREDICT and n_classes is not None and values.size:
        wrong = (values != np.rint(values)) | (values < 0) | (values >= n_classes)
        if wrong.any():
            bad = np.unique(values[wrong])[:5].tolist()
            raise OutputError(
                f"its predict outputs hold labels outside its classes: {bad}; "
                f"expected labels of the {n_classes} classes"
            )
    return values


def branch_output(estimator, X, method, n_classes, n_targets=None):
    """Return the output of a fitted branch as a 2-D float array, through
    the gate (:func:`check_output`).

    For classifiers, ``n_classes`` is the number of classes of the whole
    problem; the columns of probabilities and decision values are placed by
    the branch's ``classes_`` (encoded labels) among ``0 .. n_classes - 1``,
    whatever order the branch lists them in, and also when a fold's training
    rows lack a class. ``n_targets`` is the number of columns of a
    regressor's predictions (None: any). Raises :class:`OutputError`.
    """
    n_rows = _n_rows(X)
    output = getattr(estimator, PREDICT if method == VALUE else method)(X)
    if isinstance(output, list) and n_classes is None and method == PROBA:
        # multilabel probabilities: one array per label
        output = positive_columns(output, estimator, n_rows)
        return check_output(output, method, n_rows, n_targets)
    if method == VALUE:  # a regressor's prediction, one number per row
        return check_output(output, method, n_rows, 1)
    if n_classes is None:
        return check_output(output, method, n_rows, n_targets)
    if method == PREDICT:
        return check_output(output, method, n_rows, 1, n_classes)
    seen = _seen_classes(estimator, n_classes)
    if method == DECISION:
        if len(seen) != n_classes:
            raise OutputError(
                f"the training rows hold {len(seen)} of the {n_classes} classes, "
                "so decision_function outputs cannot be aligned with the other "
                "folds; use a stratified cv or stack_method='predict_proba'"
            )
        width = 1 if n_classes == 2 else n_classes
        output = check_output(output, method, n_rows, width)
        if n_classes == 2:  # the decision value of the second of its classes
            return output if seen[1] == 1 else -output
        return align_proba(output, seen, n_classes)
    output = check_output(output, method, n_rows, len(seen))
    return align_proba(output, seen, n_classes)


def _n_rows(X):
    """The number of rows of ``X`` (an array, a DataFrame, a list, or any
    array-like)."""
    if hasattr(X, "shape"):
        return X.shape[0]
    if hasattr(X, "__len__"):
        return len(X)
    return np.asarray(X).shape[0]


def _seen_classes(estimator, n_classes):
    """The encoded classes a fitted branch lists in ``classes_`` (all of
    them, in order, if it lists none), checked against the problem's."""
    seen = getattr(estimator, "classes_", None)
    if seen is None:
        return np.arange(n_classes)
    seen = np.asarray(seen)
    valid = (
        seen.ndim == 1
        and len(np.unique(seen)) == len(seen)
        and np.isin(seen, np.arange(n_classes)).all()
    )
    if not valid:
        raise OutputError(
            f"its classes_ {seen.tolist()!r} are not distinct labels of the "
            f"{n_classes} classes it was fitted on"
        )
    return seen.astype(np.intp)


def positive_columns(probas, estimator, n_rows=None):
    """The probability that each label is present, from the list of
    per-label probability arrays of a multilabel classifier: the column of
    class 1 (0 where a label's training rows held no positive)."""
    classes = getattr(estimator, "classes_", None)
    columns = []
    for k, proba in enumerate(probas):
        proba = np.asarray(proba, dtype=np.float64)
        if proba.ndim != 2 or (n_rows is not None and proba.shape[0] != n_rows):
            raise OutputError(
                f"its predict_proba outputs for label {k} have shape "
                f"{proba.shape}; expected ({n_rows}, n_classes of the label)"
            )
        seen = np.asarray(classes[k]) if isinstance(classes, list) else None
        if seen is None:
            columns.append(proba[:, -1])
            continue
        positive = np.flatnonzero(seen == 1)
        columns.append(proba[:, positive[0]] if len(positive) else np.zeros(len(proba)))
    return np.column_stack(columns)


def align_proba(proba, seen, n_classes):
    """Columns of the classes ``seen`` (in the order listed) placed at
    their positions among all classes (zero for the others)."""
    seen = np.asarray(seen).astype(np.intp)
    if proba.shape[1] == n_classes and np.array_equal(seen, np.arange(n_classes)):
        return proba
    full = np.zeros((proba.shape[0], n_classes))
    full[:, seen] = proba
    return full


def fused_output(strategy, method, outputs, **params):
    """What a fitted fusion strategy's ``method`` gives for ``outputs``,
    through the gate: one row per sample, a column per class for
    probabilities (and multiclass decision values), labels within the
    classes, finite values. The error names the strategy.

    ``params`` (a final estimator's ``predict`` parameters, such as
    ``return_std``) make the answer the final estimator's own: it is
    returned as it is.
    """
    values = getattr(strategy, method)(outputs, **params)
    if params:
        return values
    n_classes = outputs.n_classes
    if n_classes is None:  # regression, multilabel: columns as the target's
        width = None
    elif method == DECISION:
        width = 1 if n_classes == 2 else n_classes
    else:
        width = 1 if method == PREDICT else n_classes
    try:
        check_output(values, method, outputs.n_samples, width, n_classes)
    except OutputError as exc:
        raise type(exc)(f"fusion {type(strategy).__name__}: {exc}") from exc
    return np.asarray(values)


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


def fitted_output(branch, X, method, n_classes, n_targets=None):
    """The output of one fitted branch: a refitted model, or with
    ``refit=False`` the list of its fold models, whose outputs are averaged."""
    if not isinstance(branch, list):
        return branch_output(branch, X, method, n_classes, n_targets)
    outputs = [
        branch_output(model, X, method, n_classes, n_targets) for model in branch
    ]
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
