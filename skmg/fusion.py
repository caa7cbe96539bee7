"""Fusion strategies: how the outputs of the granularities become one prediction.

Every strategy is a small object with the same protocol:

- ``fit(outputs, y, sample_weight=None, passthrough=None, **fit_params)``
  learns from the out-of-fold outputs, where ``outputs`` is the list of
  per-branch blocks (2-D float arrays: probabilities, decision values, class
  labels or regression predictions), ``y`` the (encoded) target of the same
  rows and ``passthrough`` the original features when the meta-estimator
  passes them through;
- ``predict(outputs, passthrough=None)``, and ``predict_proba`` /
  ``decision_function`` where the strategy can produce them.

A strategy combines outputs; it never fits a branch. The meta-estimators
(:class:`~skmg.MultiGranularityClassifier`,
:class:`~skmg.MultiGranularityRegressor`) resolve the ``fusion`` parameter
into a fitted strategy, ``fusion_``, in ``fit``.
"""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if

from ._plan import DECISION, PREDICT, PROBA

FUSIONS = ("stacking", "average", "weighted", "greedy", "cascade", "residual", "auto")

# The candidates of fusion="auto", simplest first: ties go to the simpler.
AUTO_CANDIDATES = ("average", "weighted", "stacking")

_EPS = 1e-12


def _final_has(method):
    def check(self):
        return hasattr(self.final_estimator_, method)

    return check


def _kind_is(*kinds):
    def check(self):
        return self.kind in kinds

    return check


class StackingFusion:
    """Stacked generalisation: a final estimator learns from the branch outputs.

    Parameters
    ----------
    final_estimator : estimator
        Cloned and fitted on the (out-of-fold) outputs.
    methods : list of str
        Output method of each branch.
    n_classes : int or None
        Number of classes (classification) or None (regression). For binary
        problems the first probability column of each branch is dropped: it is
        one minus the second.
    """

    name = "stacking"

    def __init__(self, final_estimator, methods, n_classes=None):
        self.final_estimator = final_estimator
        self.methods = methods
        self.n_classes = n_classes

    def features(self, outputs, passthrough=None):
        """The design matrix of the final estimator.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.

        Returns
        -------
        X_meta : ndarray or sparse matrix of shape (n_samples, n_meta_features)
            The blocks side by side (for binary probabilities, the second
            column only), then the passthrough features.
        """
        blocks = [
            block[:, 1:] if method == PROBA and self.n_classes == 2 else block
            for block, method in zip(outputs, self.methods)
        ]
        if passthrough is not None:
            if sp.issparse(passthrough):
                return sp.hstack(blocks + [passthrough], format="csr")
            blocks.append(passthrough)
        return np.hstack(blocks)

    def fit(self, outputs, y, sample_weight=None, passthrough=None, **fit_params):
        """Fit the final estimator on the outputs.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows (encoded labels for classifiers).
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.
        **fit_params : dict
            Other metadata for the final estimator of stacking.

        Returns
        -------
        self : object
            The fitted strategy.
        """
        if sample_weight is not None:
            fit_params["sample_weight"] = sample_weight
        self.final_estimator_ = clone(self.final_estimator)
        self.final_estimator_.fit(self.features(outputs, passthrough), y, **fit_params)
        return self

    def predict(self, outputs, passthrough=None):
        """Predict with the final estimator.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (encoded class labels for classifiers).
        """
        return self.final_estimator_.predict(self.features(outputs, passthrough))

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, outputs, passthrough=None):
        """Class probabilities of the final estimator.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities.
        """
        return self.final_estimator_.predict_proba(self.features(outputs, passthrough))

    @available_if(_final_has("decision_function"))
    def decision_function(self, outputs, passthrough=None):
        """Decision values of the final estimator.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values.
        """
        return self.final_estimator_.decision_function(
            self.features(outputs, passthrough)
        )


class AverageFusion:
    """The (weighted) mean of the branch outputs: soft voting or mean prediction.

    Parameters
    ----------
    kind : {"predict_proba", "decision_function", "predict"}
        The output every branch gives. Probabilities, decision values and
        regression predictions are averaged; class labels (``"predict"`` of a
        classifier) are put to a (weighted) majority vote, ties going to the
        first class.
    n_classes : int or None
        Number of classes (classification) or None (regression).
    weights : array-like of shape (n_branches,), default=None
        Fixed non-negative weights, normalised to sum to one; None means equal
        weights.

    Attributes
    ----------
    weights_ : ndarray of shape (n_branches,)
        The weights of the branches, summing to one.
    """

    def __init__(self, kind, n_classes=None, weights=None):
        self.kind = kind
        self.n_classes = n_classes
        self.weights = weights

    def fit(self, outputs, y, sample_weight=None, passthrough=None, **fit_params):
        """Set ``weights_``: fixed or equal, learned in subclasses.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows (encoded labels for classifiers).
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.
        **fit_params : dict
            Other metadata for the final estimator of stacking.

        Returns
        -------
        self : object
            The fitted strategy.
        """
        self.weights_ = self._learn_weights(outputs, y, sample_weight)
        return self

    name = "average"

    def _learn_weights(self, outputs, y, sample_weight):
        if self.weights is None:
            return np.full(len(outputs), 1 / len(outputs))
        weights = np.asarray(self.weights, dtype=np.float64)
        if (
            weights.shape != (len(outputs),)
            or (weights < 0).any()
            or weights.sum() == 0
        ):
            raise ValueError(
                f"'weights' must hold one non-negative weight per branch "
                f"({len(outputs)}), not all zero; got {self.weights!r}."
            )
        return weights / weights.sum()

    def _mean(self, outputs):
        return np.tensordot(self.weights_, np.stack(outputs), axes=1)

    def predict(self, outputs, passthrough=None):
        """The averaged prediction (regression) or the winning class.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (encoded class labels for classifiers).
        """
        if self.n_classes is None:
            mean = self._mean(outputs)
            return mean.ravel() if mean.shape[1] == 1 else mean
        if self.kind == PREDICT:
            n_samples = outputs[0].shape[0]
            votes = np.zeros((n_samples, self.n_classes))
            rows = np.arange(n_samples)
            for weight, block in zip(self.weights_, outputs):
                np.add.at(votes, (rows, block[:, 0].astype(np.intp)), weight)
            return votes.argmax(axis=1)
        scores = self._mean(outputs)
        if scores.shape[1] == 1:  # binary decision values
            return (scores[:, 0] > 0).astype(np.intp)
        return scores.argmax(axis=1)

    @available_if(_kind_is(PROBA))
    def predict_proba(self, outputs, passthrough=None):
        """The (weighted) mean of the branch probabilities.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities.
        """
        return self._mean(outputs)

    @available_if(_kind_is(DECISION))
    def decision_function(self, outputs, passthrough=None):
        """The (weighted) mean of the branch decision values.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values.
        """
        scores = self._mean(outputs)
        return scores.ravel() if scores.shape[1] == 1 else scores


def _loss_terms(outputs, y, n_classes):
    """What the losses of a weighted average need, per branch.

    Classification (probabilities): the probability each branch gives the true
    class of every row, shape (n_branches, n_samples). Regression: the
    predictions, shape (n_branches, n_samples, n_outputs), and ``y`` as 2-D.
    """
    if n_classes is None:
        return np.stack(outputs), y.reshape(len(y), -1)
    rows = np.arange(len(y))
    return np.stack([block[rows, y] for block in outputs]), None


def _weighted_loss(weights, terms, y2d, sample_weight):
    """Log-loss (classification) or squared error (regression) of the
    weighted average, and its gradient in the weights."""
    sw = sample_weight / sample_weight.sum()
    if y2d is None:
        p = np.clip(weights @ terms, _EPS, None)
        return -sw @ np.log(p), -(terms / p) @ sw
    residual = np.tensordot(weights, terms, axes=1) - y2d
    loss = sw @ (residual**2).mean(axis=1)
    grad = 2 * np.einsum("bnd,nd,n->b", terms, residual, sw) / y2d.shape[1]
    return loss, grad


class WeightedFusion(AverageFusion):
    """A weighted average whose weights are learned on the out-of-fold outputs.

    The weights are non-negative and sum to one; they minimise the log-loss of
    the averaged probabilities (classification) or the squared error of the
    averaged prediction (regression), found with SLSQP
    (:func:`scipy.optimize.minimize`). A branch that adds nothing gets a
    weight near zero.

    Parameters
    ----------
    kind : {"predict_proba", "decision_function", "predict"}
        The output every branch gives.
    n_classes : int or None, default=None
        Number of classes (classification) or None (regression).
    weights : None
        Not used: the weights are learned.

    Attributes
    ----------
    weights_ : ndarray of shape (n_branches,)
        The learned weights, non-negative, summing to one.
    """

    name = "weighted"

    def _learn_weights(self, outputs, y, sample_weight):
        n_branches = len(outputs)
        terms, y2d = _loss_terms(outputs, y, self.n_classes)
        sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        result = minimize(
            _weighted_loss,
            np.full(n_branches, 1 / n_branches),
            args=(terms, y2d, sw),
            jac=True,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * n_branches,
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
            options={"maxiter": 200, "ftol": 1e-10},
        )
        weights = np.clip(result.x, 0.0, None)
        return weights / weights.sum()


class GreedyFusion(AverageFusion):
    """Ensemble selection (Caruana et al., 2004) on the out-of-fold outputs.

    Starting from an empty ensemble, each of ``n_rounds`` rounds adds (with
    replacement) the branch whose addition gives the lowest loss of the
    ensemble average: log-loss for probabilities, squared error for regression.
    A branch's weight is the share of rounds that picked it; ties go to the
    first branch.

    Parameters
    ----------
    kind : {"predict_proba", "decision_function", "predict"}
        The output every branch gives.
    n_classes : int or None, default=None
        Number of classes (classification) or None (regression).
    n_rounds : int, default=50
        Number of selection rounds; the weights are multiples of
        ``1 / n_rounds``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_branches,)
        The share of rounds that picked each branch.
    """

    name = "greedy"

    def __init__(self, kind, n_classes=None, n_rounds=50):
        super().__init__(kind, n_classes)
        self.n_rounds = n_rounds

    def _learn_weights(self, outputs, y, sample_weight):
        terms, y2d = _loss_terms(outputs, y, self.n_classes)
        sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        n_branches = len(outputs)
        counts = np.zeros(n_branches)
        for round_ in range(self.n_rounds):
            losses = []
            for b in range(n_branches):
                trial = counts.copy()
                trial[b] += 1
                losses.append(_weighted_loss(trial / (round_ + 1), terms, y2d, sw)[0])
            counts[int(np.argmin(losses))] += 1
        return counts / counts.sum()


class CascadeFusion(AverageFusion):
    """The gcForest cascade: the average of the outputs of the last level.

    The meta-estimator runs the levels (level ``l`` fits every branch on its
    view plus the out-of-fold outputs of level ``l - 1``); this strategy gives
    each level its extra input and says when to stop: while the out-of-fold
    score of a level's average beats the previous level by more than ``tol``,
    up to ``max_levels`` levels.

    Parameters
    ----------
    kind : {"predict_proba", "decision_function", "predict"}
        The output every branch gives.
    n_classes : int or None, default=None
        Number of classes (classification) or None (regression).
    max_levels : int, default=3
        Most levels.
    tol : float, default=1e-4
        Smallest gain of out-of-fold score to keep a new level.

    Attributes
    ----------
    level_scores_ : list of float
        Out-of-fold score of the average of each level tried (the last one
        may have been rejected).
    weights_ : ndarray of shape (n_branches,)
        Equal weights of the last level's branches.
    """

    name = "cascade"

    def __init__(self, kind, n_classes=None, max_levels=3, tol=1e-4):
        super().__init__(kind, n_classes)
        self.max_levels = max_levels
        self.tol = tol

    @staticmethod
    def level_input(X, outputs):
        """The input of the next level: the features and the level's outputs.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
            The original features.
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.

        Returns
        -------
        X_next : ndarray or sparse matrix of shape (n_samples, n_features + n_out)
            The features followed by the outputs.
        """
        if sp.issparse(X):
            return sp.hstack([X, *outputs], format="csr")
        return np.hstack([X, *outputs])

    def improves(self, level_scores):
        """Whether the last level beats every earlier one by more than ``tol``.

        Parameters
        ----------
        level_scores : list of float
            Out-of-fold score of every level so far, the new one last.

        Returns
        -------
        improves : bool
            True if the new level is worth keeping.
        """
        return level_scores[-1] > max(level_scores[:-1]) + self.tol


class LevelBranch(BaseEstimator):
    """A branch of cascade level 2 and later: its view, plus earlier outputs.

    The input holds the original features (the first ``n_features`` columns)
    followed by the out-of-fold outputs of the previous level. A ``Pipeline``
    branch transforms the original features with its view (every step but the
    last) and gives the model the view's output next to the previous outputs,
    as gcForest concatenates class vectors to the scanned features; any other
    branch gets all columns.

    Parameters
    ----------
    estimator : estimator
        The branch, as given in ``granularities``.
    n_features : int
        Number of original feature columns at the front of the input.
    """

    def __init__(self, estimator, n_features):
        self.estimator = estimator
        self.n_features = n_features

    def _split(self, X):
        return X[:, : self.n_features], X[:, self.n_features :]

    def _model_input(self, X, fit=False, y=None, params=None):
        original, previous = self._split(X)
        if self.view_ is None:
            return X
        if fit:
            view = self.view_.fit_transform(original, y, **params)
        else:
            view = self.view_.transform(original)
        if sp.issparse(view):
            return sp.hstack([view, previous], format="csr")
        return np.hstack([view, previous])

    def fit(self, X, y, **fit_params):
        """Fit the view on the original features, the model on both.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features + n_out)
            The original features followed by the previous level's outputs.
        y : ndarray of shape (n_samples,)
            The target.
        **fit_params : dict
            Fit parameters; ``step__param`` keys of a ``Pipeline`` branch go
            to that step.

        Returns
        -------
        self : object
            The fitted branch.
        """
        estimator = clone(self.estimator)
        if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
            last = estimator.steps[-1][0] + "__"
            model_params = {
                k[len(last) :]: v for k, v in fit_params.items() if k.startswith(last)
            }
            view_params = {
                k: v for k, v in fit_params.items() if not k.startswith(last)
            }
            self.view_, self.model_ = estimator[:-1], estimator[-1]
            Z = self._model_input(X, fit=True, y=y, params=view_params)
            self.model_.fit(Z, y, **model_params)
        else:
            self.view_, self.model_ = None, estimator.fit(X, y, **fit_params)
        if hasattr(self.model_, "classes_"):
            self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        """Predict with the model on the view and the previous outputs.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features + n_out)
            The original features followed by the previous level's outputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The model's predictions.
        """
        return self.model_.predict(self._model_input(X))

    def predict_proba(self, X):
        """Probabilities of the model.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features + n_out)
            The original features followed by the previous level's outputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The model's class probabilities.
        """
        return self.model_.predict_proba(self._model_input(X))

    def decision_function(self, X):
        """Decision values of the model.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features + n_out)
            The original features followed by the previous level's outputs.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The model's decision values.
        """
        return self.model_.decision_function(self._model_input(X))


class ResidualFusion:
    """Coarse to fine: each branch fits the residual of the previous ones.

    Branch ``b`` (in the order given) is fitted on ``y`` minus the sum of the
    scaled out-of-fold predictions of branches ``1 .. b - 1``; the prediction
    is ``sum_b learning_rate_b * prediction_b``. Regression only.

    Parameters
    ----------
    learning_rates : ndarray of shape (n_branches,)
        The scale of each stage.

    Attributes
    ----------
    weights_ : ndarray of shape (n_branches,)
        The learning rate of each stage (they need not sum to one).
    """

    name = "residual"

    def __init__(self, learning_rates):
        self.learning_rates = learning_rates

    def target(self, y, outputs):
        """The target of the next stage, given the out-of-fold outputs so far.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target.
        outputs : list of ndarray of shape (n_samples, n_columns)
            Out-of-fold predictions of the stages fitted so far.

        Returns
        -------
        residual : ndarray of the shape of ``y``
            ``y`` minus the scaled sum of those predictions.
        """
        if not outputs:
            return y
        fitted = self._sum(outputs)
        return y - (fitted.ravel() if y.ndim == 1 else fitted)

    def _sum(self, outputs):
        rates = self.learning_rates[: len(outputs)]
        return np.tensordot(rates, np.stack(outputs), axes=1)

    def fit(self, outputs, y, sample_weight=None, passthrough=None, **fit_params):
        """Set ``weights_`` to the learning rates: the stages are fitted.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows (encoded labels for classifiers).
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.
        **fit_params : dict
            Other metadata for the final estimator of stacking.

        Returns
        -------
        self : object
            The fitted strategy.
        """
        self.weights_ = np.asarray(self.learning_rates, dtype=np.float64)
        return self

    def predict(self, outputs, passthrough=None):
        """The sum of the scaled stage predictions.

        Parameters
        ----------
        outputs : list of ndarray of shape (n_samples, n_columns)
            The output block of every branch.
        passthrough : ndarray or sparse matrix of shape (n_samples, n_features), \
default=None
            Original features given to the fusion stage, if any.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (encoded class labels for classifiers).
        """
        total = self._sum(outputs)
        return total.ravel() if total.shape[1] == 1 else total


def select_fusion(candidates, outputs, y, sample_weight, score, classifier):
    """Choose a fusion strategy by cross-validation on the outputs alone.

    Each candidate is fitted on four fifths of the out-of-fold outputs and
    scored on the rest (five folds, shuffled with a fixed seed, stratified for
    classifiers when every class has five rows). No branch is refitted: this
    second-level cross-validation costs only fusion fits.

    Parameters
    ----------
    candidates : dict of str to strategy
        Unfitted strategies by name, simplest first; ties go to the first.
    outputs : list of ndarray of shape (n_samples, n_columns)
        The out-of-fold output block of every branch.
    y : ndarray of shape (n_samples,)
        The target of the same rows.
    sample_weight : ndarray of shape (n_samples,) or None
        Weights of the rows.
    score : callable
        ``score(strategy, outputs, y, sample_weight) -> float``, higher is
        better.
    classifier : bool
        Whether the target is a class label (stratified folds).

    Returns
    -------
    name : str
        The chosen candidate.
    scores : dict of str to float
        The mean cross-validated score of every candidate.
    """
    n_splits = 5
    if classifier and np.bincount(y).min() >= n_splits:
        splitter = StratifiedKFold(n_splits, shuffle=True, random_state=0)
    else:
        splitter = KFold(min(n_splits, len(y)), shuffle=True, random_state=0)
    folds = list(splitter.split(np.zeros((len(y), 1)), y))
    scores = {}
    for name, strategy in candidates.items():
        fold_scores = []
        for train, test in folds:
            if classifier and len(np.unique(y[train])) < len(np.unique(y)):
                continue  # a class missing from the training part: not comparable
            if sample_weight is not None and not (
                sample_weight[train].sum() > 0 and sample_weight[test].sum() > 0
            ):
                continue  # no weighted row to learn or score the candidate on
            sw_train = None if sample_weight is None else sample_weight[train]
            sw_test = None if sample_weight is None else sample_weight[test]
            fitted = clone_strategy(strategy).fit(
                [block[train] for block in outputs], y[train], sample_weight=sw_train
            )
            fold_scores.append(
                score(fitted, [block[test] for block in outputs], y[test], sw_test)
            )
        scores[name] = float(np.mean(fold_scores)) if fold_scores else -np.inf
    best = max(scores, key=lambda name: scores[name])  # first of the ties
    return best, scores


def clone_strategy(strategy):
    """An unfitted copy of a strategy (its final estimator cloned).

    Parameters
    ----------
    strategy : object
        A fusion strategy, fitted or not.

    Returns
    -------
    strategy : object
        A new strategy with the same parameters.
    """
    params = dict(vars(strategy))
    params = {k: v for k, v in params.items() if not k.endswith("_")}
    if "final_estimator" in params:
        params["final_estimator"] = clone(params["final_estimator"])
    return type(strategy)(**params)
