"""AutoFusion: the best of several strategies by a second-level cross-validation."""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._compat import HasMethods, Interval
from .._outputs import OUTPUT_ORDER, BranchOutputs
from ._base import (
    BaseFusion,
    check_fusion_sample_weight,
    cross_val_fuse_score,
    second_level_folds,
)
from ._registry import STRATEGIES, resolve, shortcut_of


def _best_has(method):
    def check(self):
        best = getattr(self, "best_fusion_", None)
        return best is None or hasattr(best, method)

    return check


class AutoFusion(BaseFusion):
    """The best of several fusion strategies, chosen on the out-of-fold outputs.

    Every candidate is scored by a cross-validation of the fusion step alone
    (five shuffled folds of the out-of-fold outputs, stratified for a
    classifier; accuracy or R²): no branch is refitted, so the choice costs
    only fusion fits. The best candidate (the first of equal ones: list the
    simplest first) is then fitted on all the outputs. Candidates that cannot
    combine the outputs (weights learned from probabilities when the branches
    give none, CAWPE for a regressor) are left out.

    Parameters
    ----------
    candidates : list of str, BaseFusion or estimator, \
default=("average", "weighted", "cawpe", "stacking")
        The strategies to choose from: shortcuts of ``fusion``, strategies,
        or estimators (stacking with the estimator as final estimator), as
        ``fusion`` takes them.
    final_estimator : estimator, default=None
        The final estimator of a stacking candidate whose own is None (the
        meta-estimators fill it with their ``final_estimator``).
    cv : int, default=5
        Number of folds of the second-level cross-validation.
    scoring : str or callable, default=None
        How candidates are compared: a scikit-learn scorer name or callable
        (higher is better), applied in the user's labels when the outputs
        hold them (``BranchOutputs.classes``); None means accuracy or R² (the
        meta-estimators fill it with their own ``scoring``).

    Attributes
    ----------
    scores_ : dict of str to float
        The cross-validated score of every candidate tried, by name.
    best_name_ : str
        The name of the chosen candidate.
    best_fusion_ : BaseFusion
        The chosen candidate, fitted on all the outputs.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.fusion import AutoFusion, BranchOutputs
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 200)
    >>> good = np.eye(2)[y] * 0.6 + 0.2
    >>> noise = rng.dirichlet([1, 1], 200)
    >>> outputs = BranchOutputs([good, noise], kinds=["predict_proba"] * 2,
    ...                         n_classes=2)
    >>> auto = AutoFusion(candidates=["average", "weighted"]).fit(outputs, y)
    >>> auto.best_name_, {k: round(v, 3) for k, v in auto.scores_.items()}
    ('weighted', {'average': 0.87, 'weighted': 1.0})
    """

    accepted_outputs = OUTPUT_ORDER

    _parameter_constraints: dict = {
        "candidates": ["array-like"],
        "final_estimator": [None, HasMethods("fit")],
        "cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "scoring": [None, str, callable],
    }

    def __init__(
        self,
        candidates=("average", "weighted", "cawpe", "stacking"),
        final_estimator=None,
        cv=5,
        scoring=None,
    ):
        self.candidates = candidates
        self.final_estimator = final_estimator
        self.cv = cv
        self.scoring = scoring

    def _candidates(self):
        """The candidates by name, unfitted, stacking ones given the final
        estimator."""
        if len(self.candidates) == 0:
            raise ValueError("'candidates' must name at least one strategy.")
        named = {}
        for candidate in self.candidates:
            if isinstance(candidate, AutoFusion):
                raise ValueError("'candidates' cannot hold AutoFusion itself.")
            if isinstance(candidate, str) and candidate not in STRATEGIES:
                single_pass = sorted(
                    name
                    for name, cls in STRATEGIES.items()
                    if cls.next_level is BaseFusion.next_level
                )
                raise ValueError(
                    f"'candidates' holds {candidate!r}, which is not a strategy; "
                    f"use one of {single_pass}, a BaseFusion or an estimator."
                )
            if not isinstance(candidate, str) and not hasattr(candidate, "fit"):
                raise TypeError(
                    f"'candidates' must hold strategy names, BaseFusion strategies "
                    f"or estimators; got {candidate!r} "
                    f"({type(candidate).__name__})."
                )
            strategy = resolve(candidate, STRATEGIES)
            if type(strategy).next_level is not BaseFusion.next_level:
                raise ValueError(
                    f"'candidates' cannot hold {type(strategy).__name__}: it fits "
                    "the branches in several passes, which a choice on the "
                    "out-of-fold outputs cannot compare."
                )
            params = strategy.get_params(deep=False)
            if "final_estimator" in params and params["final_estimator"] is None:
                strategy.set_params(final_estimator=self.final_estimator)
            name = candidate if isinstance(candidate, str) else shortcut_of(strategy)
            if name in named:
                raise ValueError(f"'candidates' holds {name!r} twice.")
            named[name] = strategy
        return named

    def fit(self, outputs, y, sample_weight=None, **fit_params):
        """Score every candidate, fit the best on all outputs.

        Parameters
        ----------
        outputs : BranchOutputs
            The out-of-fold output block of every branch.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows (encoded labels for classifiers).
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.
        **fit_params : dict
            Metadata for the final estimator of stacking candidates.

        Returns
        -------
        self : object
            The fitted strategy.
        """
        self._validate_params()
        outputs = BranchOutputs.of(outputs)
        sample_weight = check_fusion_sample_weight(sample_weight, y)
        candidates = {
            name: strategy
            for name, strategy in self._candidates().items()
            if strategy._accepts(outputs)
        }
        if not candidates:
            raise ValueError(
                f"no candidate of AutoFusion combines {sorted(set(outputs.kinds))}; "
                f"candidates={list(self.candidates)!r}."
            )
        folds = second_level_folds(y, outputs.classification, self.cv)
        self.scores_ = {}
        for name, strategy in candidates.items():
            params = fit_params if "final_estimator" in strategy.get_params() else {}
            score, _ = cross_val_fuse_score(
                strategy, outputs, y, sample_weight, folds, self.scoring, **params
            )
            self.scores_[name] = -np.inf if np.isnan(score) else score
        self.best_name_ = max(self.scores_, key=self.scores_.get)  # first of ties
        best = clone(candidates[self.best_name_])
        params = fit_params if "final_estimator" in best.get_params() else {}
        self.best_fusion_ = best.fit(outputs, y, sample_weight=sample_weight, **params)
        return self

    @available_if(_best_has("predict"))
    def predict(self, outputs, **predict_params):
        """Predictions of the chosen strategy.

        Parameters
        ----------
        outputs : BranchOutputs
            The output block of every branch.
        **predict_params : dict
            Passed to the chosen strategy's ``predict``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (encoded class labels for classifiers).
        """
        check_is_fitted(self, "best_fusion_")
        return self.best_fusion_.predict(outputs, **predict_params)

    @available_if(_best_has("predict_proba"))
    def predict_proba(self, outputs):
        """Class probabilities of the chosen strategy.

        Parameters
        ----------
        outputs : BranchOutputs
            The output block of every branch.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities.
        """
        check_is_fitted(self, "best_fusion_")
        return self.best_fusion_.predict_proba(outputs)

    @available_if(_best_has("decision_function"))
    def decision_function(self, outputs):
        """Decision values of the chosen strategy.

        Parameters
        ----------
        outputs : BranchOutputs
            The output block of every branch.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values.
        """
        check_is_fitted(self, "best_fusion_")
        return self.best_fusion_.decision_function(outputs)

    @property
    def weights_(self):
        """The branch weights of the chosen strategy, if it has them."""
        check_is_fitted(self, "best_fusion_")
        return self.best_fusion_.weights_

    def _responds(self, method, kinds):
        return method == kinds[0] or method == "predict"
