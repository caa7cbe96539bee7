"""Scoring outputs already computed: a branch's out-of-fold block or the
fused model's second-level out-of-fold predictions, with any scikit-learn
scorer."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, get_scorer, r2_score
from sklearn.utils.metaestimators import available_if

from .._outputs import (
    DECISION,
    PREDICT,
    PROBA,
    labels_from_output,
    multilabel_from_output,
)


def _has(method):
    def check(self):
        return method in self.response

    return check


class _Precomputed(BaseEstimator):
    """What a scorer calls, answered from outputs computed already: ``X`` is
    the row positions of the outputs to return."""

    def __init__(self, response):
        self.response = response

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X):
        return self.response[PREDICT][X]

    @available_if(_has(PROBA))
    def predict_proba(self, X):
        return self.response[PROBA][X]

    @available_if(_has(DECISION))
    def decision_function(self, X):
        return self.response[DECISION][X]


class _PrecomputedClassifier(ClassifierMixin, _Precomputed):
    def __init__(self, response, classes):
        super().__init__(response)
        self.classes = classes

    @property
    def classes_(self):
        return self.classes


class _PrecomputedRegressor(RegressorMixin, _Precomputed):
    pass


def block_response(block, kind, outputs):
    """What one branch's output block answers to a scorer: its predictions
    (encoded labels, a 0/1 matrix for a multilabel target, or targets) and,
    for a classifier, its probabilities or decision values."""
    if outputs.multilabel:
        return {PREDICT: multilabel_from_output(block, kind), kind: block}
    if not outputs.classification:
        return {PREDICT: block.ravel() if block.shape[1] == 1 else block}
    response = {PREDICT: labels_from_output(block, kind, outputs.n_classes)}
    if kind == PROBA:
        response[PROBA] = block
    elif kind == DECISION:
        response[DECISION] = block.ravel() if block.shape[1] == 1 else block
    return response


def score_response(response, y, outputs, scoring=None, sample_weight=None):
    """Score outputs computed already.

    Parameters
    ----------
    response : dict
        ``"predict"`` (encoded labels or targets) and, for a classifier,
        ``"predict_proba"`` and ``"decision_function"`` where available, one
        row per row of ``y``.
    y : ndarray
        The (encoded) target.
    outputs : BranchOutputs
        Says what the problem is (classes, multilabel). Where it holds the
        user's ``classes``, the scorer sees the user's labels: ``y`` and the
        predictions decoded, and ``classes_`` of the scored estimator are the
        user's classes, so that a scorer's ``pos_label`` means what it means
        for the user's own estimator.
    scoring : str or callable, default=None
        A scikit-learn scorer name or callable ``scorer(estimator, X, y)``;
        None means accuracy (classifier) or R² (regressor).
    sample_weight : ndarray, default=None
        Weights of the rows.

    Returns
    -------
    score : float
        Higher is better, as for every scikit-learn scorer.
    """
    if scoring is None:
        y_pred = np.asarray(response[PREDICT])
        if outputs.classification:
            return float(accuracy_score(y, y_pred, sample_weight=sample_weight))
        if y.ndim == 1 and y_pred.ndim == 2:
            y_pred = y_pred.ravel()
        return float(r2_score(y, y_pred, sample_weight=sample_weight))
    scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring
    if outputs.classification:
        classes = _user_classes(response, outputs)
        if not outputs.multilabel:  # the scorer sees the user's labels
            y = classes[np.asarray(y, dtype=np.intp)]
            response = {
                **response,
                PREDICT: classes[np.asarray(response[PREDICT], dtype=np.intp)],
            }
        estimator = _PrecomputedClassifier(response, classes)
    else:
        estimator = _PrecomputedRegressor(response)
    rows = np.arange(len(y))
    params = {} if sample_weight is None else {"sample_weight": sample_weight}
    try:
        return float(scorer(estimator, rows, y, **params))
    except AttributeError as exc:
        if type(estimator).__name__ not in str(exc):
            raise
        # the scorer asked for an output that was not computed
        needs = getattr(scorer, "_response_method", None)
        needs = " or ".join([needs] if isinstance(needs, str) else needs or [])
        given = [method for method in (PROBA, DECISION) if method in response]
        kinds = sorted(set(outputs.kinds))
        raise ValueError(
            f"scoring={scoring!r} scores {needs or 'an output'} of the model, "
            f"but the outputs scored give "
            f"{' and '.join(given) if given else 'predicted labels only'} "
            f"(stack_method={kinds[0] if len(kinds) == 1 else kinds!r}); use a "
            "scoring of labels (such as 'accuracy' or 'f1'), or a stack_method "
            "whose outputs the scoring takes."
        ) from None


def _user_classes(response, outputs):
    """The class labels a scorer sees: the user's (``outputs.classes``) when
    known, else the encoded labels ``0 .. n_classes - 1``."""
    n_classes = len(response[PROBA][0]) if PROBA in response else outputs.n_classes
    if n_classes is None:
        n_classes = 2
    classes = getattr(outputs, "classes", None)
    if classes is not None and len(classes) == n_classes:
        return np.asarray(classes)
    return np.arange(n_classes)
