"""Strategies that fit the branches in several passes: cascade and residual."""

import numbers

import numpy as np

from .._compat import Interval
from .._outputs import BranchOutputs
from ._averaging import _WeightedAverage
from ._base import REGRESSION, BaseFusion, Level, fused_predict
from ._scoring import score_response


class CascadeFusion(_WeightedAverage):
    """The gcForest cascade: levels of branches, the last one averaged.

    Level ``l`` fits every branch again on its view plus the out-of-fold
    outputs of level ``l - 1`` (a ``Pipeline`` branch's view transforms the
    original features; its model sees the view next to the previous outputs,
    as gcForest concatenates class vectors to the scanned features). Levels
    are added while the out-of-fold score of a level's average beats every
    earlier level by more than ``tol``, up to ``max_levels``; a level that
    does not is discarded. The prediction is the average of the last kept
    level.

    Parameters
    ----------
    max_levels : int, default=3
        Most levels.
    tol : float, default=1e-4
        Smallest gain of out-of-fold score to keep a new level.

    Attributes
    ----------
    level_scores_ : list of float
        Out-of-fold score (accuracy or R²) of the average of each level tried
        (the last one may have been discarded).
    weights_ : ndarray of shape (n_branches,)
        Equal weights of the last level's branches.

    References
    ----------
    Z.-H. Zhou and J. Feng, "Deep forest: towards an alternative to deep
    neural networks", IJCAI 2017.

    Examples
    --------
    >>> from skmg.fusion import CascadeFusion
    >>> CascadeFusion(tol=0.01).improves([0.80, 0.82])
    True
    """

    _parameter_constraints: dict = {
        "max_levels": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, None, None, closed="neither")],
    }

    def __init__(self, max_levels=3, tol=1e-4):
        self.max_levels = max_levels
        self.tol = tol

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

    def _score(self, outputs, y, sample_weight):
        average = _WeightedAverage().fit(outputs, y)
        response = {"predict": fused_predict(average, outputs)}
        return score_response(response, y, outputs, None, sample_weight)

    def next_level(self, levels, y, sample_weight=None, *, n_branches):
        """Every branch again, on its view and the last level's outputs.

        Asked while the levels improve by more than ``tol``, up to
        ``max_levels``.

        Parameters
        ----------
        levels : list of BranchOutputs
            The out-of-fold outputs of every level fitted so far.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.
        n_branches : int
            Number of branches.

        Returns
        -------
        level : Level or None
            What to fit next; None ends the fit.
        """
        self._validate_params()
        if not levels:
            self.level_scores_ = []
            return Level()
        self.level_scores_.append(self._score(levels[-1], y, sample_weight))
        if len(levels) > 1 and not self.improves(self.level_scores_):
            return None
        if len(levels) >= self.max_levels:
            return None
        return Level(augment=True)

    def used_levels(self, levels, y, sample_weight=None):
        """The levels up to the last one that improved.

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
            The number of levels kept.
        """
        scores = getattr(self, "level_scores_", [])
        if len(scores) > 1 and not self.improves(scores):
            return len(levels) - 1
        return len(levels)


class ResidualFusion(BaseFusion):
    """Coarse to fine: each branch fits the residual of the previous ones.

    Branch ``b`` (in the order given) is fitted on ``y`` minus the sum of the
    scaled out-of-fold predictions of branches ``1 .. b - 1``; the prediction
    is ``sum_b learning_rate_b * prediction_b``. Regression only.

    Parameters
    ----------
    learning_rate : float or array-like of shape (n_branches,), default=1.0
        Scale of each stage: one positive value for every stage, or one per
        branch (a schedule).

    Attributes
    ----------
    weights_ : ndarray of shape (n_branches,)
        The learning rate of each stage (they need not sum to one).

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.fusion import BranchOutputs, ResidualFusion
    >>> stages = BranchOutputs([np.array([[2.0]]), np.array([[1.0]])])
    >>> ResidualFusion(learning_rate=[1.0, 0.5]).fit(stages, np.array([2.5])).predict(
    ...     stages)
    array([2.5])
    """

    _tasks = (REGRESSION,)
    _parameter_constraints: dict = {
        "learning_rate": [
            Interval(numbers.Real, 0, None, closed="neither"),
            "array-like",
        ],
    }

    def __init__(self, learning_rate=1.0):
        self.learning_rate = learning_rate

    def resolve_outputs(self, names, estimators, stack_method="auto", classifier=True):
        """Predictions of every branch (regression only).

        Parameters
        ----------
        names : list of str
            The branch names, for messages.
        estimators : list of estimator
            The (unfitted) branches.
        stack_method : str, default="auto"
            Not used.
        classifier : bool, default=True
            Whether the problem is classification (refused).

        Returns
        -------
        methods : list of str
            ``"predict"`` for every branch.
        """
        if classifier:
            raise ValueError(
                "ResidualFusion (fusion='residual') fits each branch on the residual "
                "of the previous ones, which needs a numeric target: use "
                "MultiGranularityRegressor, or another fusion for classification."
            )
        return super().resolve_outputs(names, estimators, stack_method, classifier)

    def _rates(self, n_stages):
        self._validate_params()
        rates = np.asarray(self.learning_rate, dtype=np.float64)
        if rates.ndim == 0:
            return np.full(n_stages, float(rates))
        if (
            rates.shape != (n_stages,)
            or not np.isfinite(rates).all()
            or (rates <= 0).any()
        ):
            raise ValueError(
                f"'learning_rate' must be a positive float or one finite, positive "
                f"value per branch ({n_stages}); got {self.learning_rate!r}."
            )
        return rates

    def _sum(self, outputs, rates):
        return np.tensordot(rates[: len(outputs)], np.stack(outputs), axes=1)

    def next_level(self, levels, y, sample_weight=None, *, n_branches):
        """The next branch, fitted on what the earlier ones left.

        Parameters
        ----------
        levels : list of BranchOutputs
            The out-of-fold predictions of the stages fitted so far.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.
        n_branches : int
            Number of branches (stages).

        Returns
        -------
        level : Level or None
            What to fit next; None ends the fit.
        """
        rates = self._rates(n_branches)
        if len(levels) == n_branches:
            return None
        if not levels:
            return Level(branches=[0])
        fitted = self._sum(self.level_outputs(levels), rates)
        target = y - (fitted.ravel() if y.ndim == 1 else fitted)
        return Level(branches=[len(levels)], target=target)

    def level_outputs(self, levels):
        """The predictions of every stage, in order.

        Parameters
        ----------
        levels : list of BranchOutputs
            One stage per level.

        Returns
        -------
        outputs : BranchOutputs
            The blocks of every level side by side.
        """
        blocks = [block for level in levels for block in level]
        names = [name for level in levels for name in level.names]
        kinds = [kind for level in levels for kind in level.kinds]
        return levels[0].with_blocks(blocks, kinds=kinds, names=names)

    def granularity_outputs(self, outputs):
        """What the model predicts with the stages up to each granularity.

        Parameters
        ----------
        outputs : BranchOutputs
            The predictions of every stage.

        Returns
        -------
        outputs : BranchOutputs
            Block ``b``: the scaled sum of stages ``1 .. b``.
        """
        outputs = BranchOutputs.of(outputs)
        rates = self._rates(len(outputs))
        sums = [self._sum(outputs[: b + 1], rates) for b in range(len(outputs))]
        return outputs.with_blocks(sums)

    def fit(self, outputs, y, sample_weight=None):
        """Set ``weights_`` to the learning rates: the stages are fitted.

        Parameters
        ----------
        outputs : BranchOutputs
            The out-of-fold predictions of every stage.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows.
        sample_weight : ndarray of shape (n_samples,), default=None
            Not used.

        Returns
        -------
        self : object
            The fitted strategy.
        """
        self.weights_ = self._rates(len(outputs))
        return self

    def predict(self, outputs):
        """The sum of the scaled stage predictions.

        Parameters
        ----------
        outputs : BranchOutputs
            The predictions of every stage.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions.
        """
        total = self._sum(outputs, self.weights_)
        return total.ravel() if total.shape[1] == 1 else total
