"""The fusion protocol: ``BaseFusion``, the ``Level`` a multi-pass strategy asks
for, and the second-level cross-validation of a fusion step."""

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, clone, is_regressor
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.validation import _check_sample_weight

from .._outputs import (
    DECISION,
    OUTPUT_ORDER,
    PREDICT,
    PROBA,
    VALUE,
    BranchOutputs,
    fused_output,
    labels_from_output,
)
from ._scoring import score_response

CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass
class Level:
    """One pass over the branches that a multi-pass strategy asks for.

    Parameters
    ----------
    branches : list of int, default=None
        Positions of the branches to fit in this level (among the non-dropped
        branches); None means all.
    target : ndarray, default=None
        What the branches learn; None means ``y``. Rows are the rows of the
        out-of-fold outputs the strategy was given.
    augment : bool, default=False
        Whether every branch sees, besides the original features, the
        out-of-fold outputs of the previous level (as in a gcForest cascade):
        a ``Pipeline`` branch transforms the original features with its view
        and gives its model the view next to the previous outputs.
    """

    branches: list | None = None
    target: np.ndarray | None = None
    augment: bool = False


class BaseFusion(BaseEstimator):
    """Base class of the fusion strategies.

    A fusion strategy turns the outputs of the branches into one prediction.
    It is a scikit-learn estimator built with its own hyperparameters only;
    what it learns from the data (the output kinds, the classes) comes at
    ``fit``, in the :class:`BranchOutputs` it receives.

    **Single pass** (most strategies). Implement

    - ``fit(outputs, y, sample_weight=None)``: learn from the out-of-fold
      outputs, a list of per-branch 2-D blocks (a :class:`BranchOutputs`),
      and the target of the same rows (encoded labels ``0 .. n_classes - 1``
      for a classifier);
    - ``predict_proba(outputs)`` for classification (the meta-estimator
      derives ``predict`` from it, or from ``decision_function``, when the
      strategy has no ``predict`` of its own), or ``predict(outputs)`` for
      regression.

    **What a strategy needs** is declared here and asked by the
    meta-estimator, never looked up by name:

    - ``accepted_outputs``: the output kinds of a classifier's branches it can
      combine, preferred first (default: probabilities); ``"predict_value"``
      among them means it also takes regressor branches, whose predictions
      are numbers, not class labels (stacking does);
    - ``same_output``: whether every branch must give the same kind;
    - ``accepts_features``: whether it learns from the original features too
      (``passthrough``), found in ``outputs.features``;
    - ``multilabel``: whether it combines the outputs of a multilabel problem
      (``outputs.multilabel``; one column per label in every block);
    - ``partial_fit(outputs, y, sample_weight=None)``, if defined, is the
      online update used by the meta-estimator's ``partial_fit``: ``outputs``
      are the branches' outputs on a batch *before* they learn it (zero rows
      on the very first batch).

    **Several passes** (cascade, residual): the meta-estimator fits a
    :class:`Level`, hands its out-of-fold outputs to :meth:`next_level`, and
    fits the level it asks for next until it asks for none. The strategy then
    says which levels to keep (:meth:`used_levels`) and what it combines
    (:meth:`level_outputs`); it never fits a branch itself.
    """

    accepted_outputs = (PROBA,)
    same_output = True
    accepts_features = False
    multilabel = False
    _parameter_constraints: dict = {}
    # The problems the strategy handles (read by AutoFusion and resolve_outputs).
    _tasks = (CLASSIFICATION, REGRESSION)

    def resolve_outputs(self, names, estimators, stack_method="auto", classifier=True):
        """The output method every branch gives this strategy.

        Parameters
        ----------
        names : list of str
            The branch names, for messages.
        estimators : list of estimator
            The (unfitted) branches.
        stack_method : {"auto", "predict_proba", "decision_function", \
"predict"}, default="auto"
            The output asked for; ``"auto"`` takes the first of
            ``accepted_outputs`` that the branches have.
        classifier : bool, default=True
            Whether the problem is classification.

        Returns
        -------
        methods : list of str
            One output method per branch.
        """
        task = CLASSIFICATION if classifier else REGRESSION
        if task not in self._tasks:
            raise ValueError(
                f"{type(self).__name__} handles {' and '.join(self._tasks)} only; "
                f"this is a {task} problem."
            )
        if not classifier:
            for name, est in zip(names, estimators):
                if not hasattr(est, PREDICT):
                    raise ValueError(
                        f"branch {name!r} ({type(est).__name__}) does not "
                        "implement predict."
                    )
            return [PREDICT] * len(estimators)
        accepted = tuple(self.accepted_outputs)
        if stack_method != "auto" and stack_method not in accepted:
            raise ValueError(
                f"{type(self).__name__} combines {' or '.join(accepted)}; "
                f"stack_method={stack_method!r} gives none. Use "
                f"stack_method='auto' or {accepted[0]!r}."
            )
        candidates = accepted if stack_method == "auto" else (stack_method,)
        regressors = [n for n, e in zip(names, estimators) if is_regressor(e)]
        if regressors:
            if VALUE not in accepted or stack_method not in ("auto", PREDICT):
                raise ValueError(
                    f"branch(es) {regressors} are regressors, whose predictions "
                    f"are a feature for a final estimator only; "
                    f"{type(self).__name__} combines class outputs. Use "
                    "fusion='stacking' (with stack_method='auto' or 'predict'), "
                    "or classifier branches."
                )
        if self.same_output:
            for method in candidates:
                if all(hasattr(est, method) for est in estimators):
                    return [method] * len(estimators)
            lacking = [
                n for n, e in zip(names, estimators) if not hasattr(e, candidates[0])
            ]
            raise ValueError(
                f"{type(self).__name__} needs the same output from every branch, "
                f"but the underlying estimator(s) {lacking} do not implement the "
                f"method {' or '.join(candidates)} (stack_method={stack_method!r})."
            )
        methods = []
        for name, est in zip(names, estimators):
            if is_regressor(est):
                methods.append(VALUE)
                continue
            found = [m for m in candidates if hasattr(est, m)]
            if not found:
                raise ValueError(
                    f"Underlying estimator {name!r} ({type(est).__name__}) does "
                    f"not implement the method {' or '.join(candidates)}, "
                    f"required by stack_method={stack_method!r}."
                )
            methods.append(found[0])
        return methods

    def next_level(self, levels, y, sample_weight=None, *, n_branches):
        """The next level of branches to fit, or None when done.

        Called with no level first, then after every level. The default is
        a single pass: every branch once.

        Parameters
        ----------
        levels : list of BranchOutputs
            The out-of-fold outputs of every level fitted so far.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.
        n_branches : int
            Number of (non-dropped) branches.

        Returns
        -------
        level : Level or None
            What to fit next; None ends the fit.
        """
        return Level() if not levels else None

    def used_levels(self, levels, y, sample_weight=None):
        """How many of the fitted levels the fused model keeps (the first ones).

        Parameters
        ----------
        levels : list of BranchOutputs
            The out-of-fold outputs of every level fitted.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.

        Returns
        -------
        n_levels : int
            The number of levels kept (all by default).
        """
        return len(levels)

    def level_outputs(self, levels):
        """What the strategy combines, given the outputs of the kept levels.

        Parameters
        ----------
        levels : list of BranchOutputs
            The outputs of every kept level.

        Returns
        -------
        outputs : BranchOutputs
            The outputs of the last level (default).
        """
        return levels[-1]

    def granularity_outputs(self, outputs):
        """What each granularity predicts on its own, for its score.

        Parameters
        ----------
        outputs : BranchOutputs
            Every branch's block, from the first level it was fitted in.

        Returns
        -------
        outputs : BranchOutputs
            The blocks themselves (default).
        """
        return outputs

    def _responds(self, method, kinds):
        """Before fit: would the strategy give ``method`` for these kinds?"""
        return hasattr(self, method)

    def _accepts(self, outputs):
        """Whether the strategy can combine these outputs (AutoFusion)."""
        task = CLASSIFICATION if outputs.classification else REGRESSION
        if task not in self._tasks:
            return False
        if not outputs.classification:
            return True
        if self.same_output and len(set(outputs.kinds)) > 1:
            return False
        return all(kind in self.accepted_outputs for kind in outputs.kinds)


def fused_predict(fusion, outputs):
    """Predictions of a fitted fusion strategy.

    Its own ``predict`` if it has one; otherwise (a classifier's strategy
    with ``predict_proba`` or ``decision_function`` only) the class of the
    highest probability or decision value, as the meta-estimators derive
    ``predict``.

    Parameters
    ----------
    fusion : BaseFusion
        A fitted strategy.
    outputs : BranchOutputs
        The output block of every branch.

    Returns
    -------
    y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Predictions (encoded class labels for classifiers).
    """
    outputs = BranchOutputs.of(outputs)
    if hasattr(fusion, "predict"):
        return fused_output(fusion, PREDICT, outputs)
    if hasattr(fusion, "predict_proba"):
        return fused_output(fusion, PROBA, outputs).argmax(axis=1)
    scores = fused_output(fusion, DECISION, outputs)
    if scores.ndim == 1:
        return (scores > 0).astype(np.intp)
    return labels_from_output(scores, "decision_function")


def check_fusion_sample_weight(sample_weight, y):
    """``sample_weight`` of a fusion step as a float array (None stays None):
    one finite, non-negative weight per row of ``y``, not all zero.

    Raises
    ------
    ValueError
        Naming ``sample_weight``, if the weights are not such: a strategy
        normalises them, and weights summing to zero would give NaN weights
        or a ``ZeroDivisionError``.
    """
    if sample_weight is None or len(y) == 0:
        return sample_weight
    try:
        checked = _check_sample_weight(
            sample_weight, np.empty((len(y), 0)), ensure_non_negative=True
        )
    except ValueError as exc:
        raise ValueError(f"'sample_weight' of the fusion step: {exc}") from exc
    if not checked.sum() > 0:  # scikit-learn < 1.7 lets a zero sum through
        raise ValueError(
            "'sample_weight' of the fusion step: the weights sum to zero; at "
            "least one row needs a positive weight."
        )
    return checked


def second_level_folds(y, classification, n_splits=5):
    """Shuffled folds of the out-of-fold rows (stratified when every class
    has ``n_splits`` rows), seeded so that every strategy sees the same."""
    if classification and y.ndim == 1 and np.bincount(y).min() >= n_splits:
        splitter = StratifiedKFold(n_splits, shuffle=True, random_state=0)
    else:
        splitter = KFold(min(n_splits, len(y)), shuffle=True, random_state=0)
    return list(splitter.split(np.zeros((len(y), 1)), y))


def cross_val_fuse(fusion, outputs, y, sample_weight=None, folds=None, **fit_params):
    """Out-of-fold predictions of a fusion step, refitted fold by fold.

    A second-level cross-validation: the strategy is fitted on the
    out-of-fold outputs of some rows and predicts the others. No branch is
    refitted. A fold is left out when its training rows lack a class of
    ``y`` or (with weights) have no weight: its rows get no prediction.

    Parameters
    ----------
    fusion : BaseFusion
        An unfitted strategy (cloned for every fold).
    outputs : BranchOutputs
        The out-of-fold outputs of the branches.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The target of the same rows.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the rows.
    folds : list of (train, test), default=None
        The folds; None means five shuffled folds (stratified for a
        classifier when every class has five rows), seeded.
    **fit_params : dict
        Passed to every fit.

    Returns
    -------
    response : dict of str to ndarray
        ``"predict"``: the predicted (encoded) labels or targets, as floats;
        for a classifier also ``"predict_proba"`` and ``"decision_function"``
        when the strategy gives them. NaN in the rows of left-out folds.
    covered : ndarray of bool of shape (n_samples,)
        The rows that got a prediction.
    """
    outputs = BranchOutputs.of(outputs)
    classification = outputs.classification
    if folds is None:
        folds = second_level_folds(y, classification)
    n_classes = len(np.unique(y)) if classification and y.ndim == 1 else None
    response = {}
    covered = np.zeros(len(y), dtype=bool)
    for train, test in folds:
        if n_classes is not None and len(np.unique(y[train])) < n_classes:
            continue  # a class missing from the training part: not comparable
        if sample_weight is not None and not (
            sample_weight[train].sum() > 0 and sample_weight[test].sum() > 0
        ):
            continue  # no weighted row to learn or score the strategy on
        sw_train = None if sample_weight is None else sample_weight[train]
        fitted = clone(fusion).fit(
            outputs.take(train), y[train], sample_weight=sw_train, **fit_params
        )
        for method, values in fused_response(fitted, outputs.take(test)).items():
            if method not in response:
                response[method] = np.full((len(y), *values.shape[1:]), np.nan)
            response[method][test] = values
        covered[test] = True
    return response, covered


def fused_response(fusion, outputs):
    """What a fitted strategy answers for some outputs: its predictions and,
    for a classifier, its probabilities and decision values if it has them."""
    response = {PREDICT: np.asarray(fused_predict(fusion, outputs), dtype=float)}
    if outputs.classification:
        for method in (PROBA, DECISION):
            if hasattr(fusion, method):
                response[method] = fused_output(fusion, method, outputs)
    return response


def cross_val_fuse_score(
    fusion, outputs, y, sample_weight=None, folds=None, scoring=None, **fit_params
):
    """The score of a fusion step's second-level out-of-fold predictions
    (with ``scoring``, default accuracy or R²), and those predictions.

    Returns
    -------
    score : float
        NaN when no fold could be used.
    response : dict of str to ndarray
        See :func:`cross_val_fuse`.
    """
    outputs = BranchOutputs.of(outputs)
    if len(y) < 2:  # nothing to hold out
        return np.nan, {}
    response, covered = cross_val_fuse(
        fusion, outputs, y, sample_weight, folds, **fit_params
    )
    if not covered.any():
        return np.nan, response
    sw = None if sample_weight is None else sample_weight[covered]
    rows = {method: values[covered] for method, values in response.items()}
    if outputs.classification:
        rows[PREDICT] = rows[PREDICT].astype(np.intp)
    return score_response(rows, y[covered], outputs, scoring, sw), response


__all__ = [
    "OUTPUT_ORDER",
    "BaseFusion",
    "Level",
    "cross_val_fuse",
    "cross_val_fuse_score",
    "fused_predict",
]
