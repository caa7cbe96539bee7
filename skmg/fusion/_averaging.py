"""Weighted averages of the branch outputs: fixed, learned, greedy and CAWPE."""

import numbers

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit
from sklearn.metrics import accuracy_score
from sklearn.utils.metaestimators import available_if

from .._compat import Interval
from .._outputs import (
    DECISION,
    OUTPUT_ORDER,
    PREDICT,
    PROBA,
    BranchOutputs,
    labels_from_output,
)
from ._base import CLASSIFICATION, BaseFusion, check_fusion_sample_weight

_EPS = 1e-12


def _kind_is(*kinds):
    def check(self):
        return getattr(self, "kind_", kinds[0]) in kinds

    return check


def _decision_to_proba(decision, temperature):
    """Probabilities from decision values: a softmax of ``decision /
    temperature`` (binary, one column: a sigmoid)."""
    scaled = decision / temperature
    if scaled.shape[1] == 1:
        positive = expit(scaled[:, 0])
        return np.column_stack([1 - positive, positive])
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(decision, y, sample_weight=None):
    """The temperature of a branch's decision values: the ``T > 0`` that
    minimises the log-loss of ``softmax(decision / T)`` on the out-of-fold
    rows (bounded search over ``log T`` in [-12, 12])."""
    rows = np.arange(len(y))

    def loss(log_t):
        proba = _decision_to_proba(decision, np.exp(log_t))
        return np.average(
            -np.log(np.clip(proba[rows, y], _EPS, None)), weights=sample_weight
        )

    result = minimize_scalar(loss, bounds=(-12.0, 12.0), method="bounded")
    return float(np.exp(result.x))


class _WeightedAverage(BaseFusion):
    """The weighted mean of the branch outputs; subclasses say how the
    weights are found (``_learn_weights``)."""

    accepted_outputs = OUTPUT_ORDER

    def fit(self, outputs, y, sample_weight=None):
        """Learn the weights of the branches from their outputs.

        Parameters
        ----------
        outputs : BranchOutputs
            The out-of-fold output block of every branch.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows (encoded labels for classifiers).
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.

        Returns
        -------
        self : object
            The fitted strategy.
        """
        self._validate_params()
        outputs = self._start(outputs)
        self.__dict__.pop("cumulative_loss_", None)  # online state of partial_fit
        sw = check_fusion_sample_weight(sample_weight, y)
        if self.kind_ == DECISION:
            self.temperatures_ = np.array(
                [fit_temperature(block, y, sw) for block in outputs]
            )
        self.weights_ = self._learn_weights(self._probabilities(outputs), y, sw)
        return self

    def _probabilities(self, outputs):
        """Decision values as probabilities (softmax with each branch's
        temperature); other outputs as they are."""
        outputs = BranchOutputs.of(outputs)
        if getattr(self, "kind_", None) != DECISION:
            return outputs
        temperatures = getattr(self, "temperatures_", np.ones(len(outputs)))
        probas = [_decision_to_proba(b, t) for b, t in zip(outputs, temperatures)]
        return outputs.with_blocks(probas, kinds=[PROBA] * len(probas))

    def _start(self, outputs):
        """Record what the outputs are; check that this strategy combines them."""
        outputs = BranchOutputs.of(outputs)
        if len(set(outputs.kinds)) > 1:
            raise ValueError(
                f"{type(self).__name__} averages outputs of one kind; got "
                f"{sorted(set(outputs.kinds))}."
            )
        if outputs.classification and outputs.kinds[0] not in self.accepted_outputs:
            raise ValueError(
                f"{type(self).__name__} combines {' or '.join(self.accepted_outputs)}"
                f"; got {outputs.kinds[0]}."
            )
        self.kind_ = outputs.kinds[0]
        self.n_classes_ = outputs.n_classes
        return outputs

    def _learn_weights(self, outputs, y, sample_weight):
        return np.full(len(outputs), 1 / len(outputs))

    def _mean(self, outputs):
        outputs = self._probabilities(outputs)
        return np.tensordot(self.weights_, np.stack(outputs), axes=1)

    def predict(self, outputs):
        """The averaged prediction (regression) or the winning class.

        Parameters
        ----------
        outputs : BranchOutputs
            The output block of every branch.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (encoded class labels for classifiers): class labels
            are put to a (weighted) majority vote, ties going to the first
            class.
        """
        if self.n_classes_ is None:
            mean = self._mean(outputs)
            return mean.ravel() if mean.shape[1] == 1 else mean
        if self.kind_ == PREDICT:
            n_samples = outputs[0].shape[0]
            votes = np.zeros((n_samples, self.n_classes_))
            rows = np.arange(n_samples)
            for weight, block in zip(self.weights_, outputs):
                np.add.at(votes, (rows, block[:, 0].astype(np.intp)), weight)
            return votes.argmax(axis=1)
        return labels_from_output(self._mean(outputs), PROBA)

    @available_if(_kind_is(PROBA, DECISION))
    def predict_proba(self, outputs):
        """The weighted mean of the branch probabilities.

        Decision values are first made probabilities: a softmax of the values
        divided by the branch's fitted temperature (``temperatures_``).

        Parameters
        ----------
        outputs : BranchOutputs
            The output block of every branch.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities.
        """
        # a mean of probabilities may exceed 1 by a rounding error, which
        # scikit-learn's log-loss refuses
        return np.clip(self._mean(outputs), 0.0, 1.0)

    def _responds(self, method, kinds):
        if method == PROBA:
            return kinds[0] in (PROBA, DECISION)
        return method != DECISION


class AverageFusion(_WeightedAverage):
    """The (weighted) mean of the branch outputs: soft voting or mean prediction.

    Probabilities and regression predictions are averaged; class labels
    (``"predict"`` of a classifier) are put to a weighted majority vote, ties
    going to the first class. Decision values (branches without
    ``predict_proba``, such as ``RidgeClassifierCV``) are first made
    probabilities: ``softmax(d_b / T_b)`` (binary: ``sigmoid(d_b / T_b)``),
    with one temperature ``T_b`` per branch fitted on the out-of-fold values
    by log-loss (``temperatures_``); so do the other averaging strategies.

    Parameters
    ----------
    weights : array-like of shape (n_branches,) or dict of str to float, \
default=None
        Fixed non-negative weights, normalised to sum to one: one per branch
        in order, or by branch name (a name of no fitted branch, such as a
        dropped one, is ignored). None means equal weights.

    Attributes
    ----------
    weights_ : ndarray of shape (n_branches,)
        The weights of the branches, summing to one.
    temperatures_ : ndarray of shape (n_branches,)
        With decision values only: each branch's fitted temperature.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.fusion import AverageFusion, BranchOutputs
    >>> outputs = BranchOutputs(
    ...     [np.array([[0.8, 0.2]]), np.array([[0.2, 0.8]])],
    ...     kinds=["predict_proba"] * 2, n_classes=2, names=["fine", "coarse"])
    >>> AverageFusion(weights={"fine": 3, "coarse": 1}).fit(
    ...     outputs, np.array([0])).predict_proba(outputs)
    array([[0.65, 0.35]])
    """

    _parameter_constraints: dict = {"weights": [None, "array-like", dict]}

    def __init__(self, weights=None):
        self.weights = weights

    def _learn_weights(self, outputs, y, sample_weight):
        if self.weights is None:
            return np.full(len(outputs), 1 / len(outputs))
        given = self.weights
        if isinstance(given, dict):
            missing = [name for name in outputs.names if name not in given]
            if missing:
                raise ValueError(
                    f"'weights' gives no weight to the branch(es) {missing}."
                )
            given = [given[name] for name in outputs.names]
        weights = np.asarray(given, dtype=np.float64)
        if (
            weights.shape != (len(outputs),)
            or not np.isfinite(weights).all()
            or (weights < 0).any()
            or not weights.any()
        ):
            raise ValueError(
                f"'weights' must hold one finite, non-negative weight per branch "
                f"({len(outputs)}), not all zero; got {self.weights!r}."
            )
        weights = weights / weights.max()  # a sum of huge weights overflows
        return weights / weights.sum()

    def partial_fit(self, outputs, y, sample_weight=None):
        """Online update: fixed weights need no learning; set them once.

        Parameters
        ----------
        outputs : BranchOutputs
            The branch outputs on a batch before the branches learn it.
        y : ndarray of shape (n_samples,)
            The target of the batch.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the batch's rows.

        Returns
        -------
        self : object
            The updated strategy.
        """
        if not hasattr(self, "weights_"):
            self._validate_params()
            outputs = self._start(outputs)
            sample_weight = check_fusion_sample_weight(sample_weight, y)
            self.weights_ = self._learn_weights(outputs, y, sample_weight)
        return self


def _loss_terms(outputs, y):
    """What the losses of a weighted average need, per branch.

    Classification (probabilities): the probability each branch gives the true
    class of every row, shape (n_branches, n_samples). Regression: the
    predictions, shape (n_branches, n_samples, n_outputs), and ``y`` as 2-D.
    """
    if not outputs.classification:
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


def _branch_losses(outputs, y, sample_weight):
    """Each branch's own loss: log-loss of its probabilities, squared error
    of its predictions."""
    terms, y2d = _loss_terms(outputs, y)
    if y2d is None:
        per_row = -np.log(np.clip(terms, _EPS, None))
    else:
        per_row = ((terms - y2d) ** 2).mean(axis=2)
    return np.average(per_row, axis=1, weights=sample_weight)


class WeightedFusion(_WeightedAverage):
    """A weighted average whose weights are learned on the out-of-fold outputs.

    The weights are non-negative and sum to one; they minimise the log-loss of
    the averaged probabilities (classification) or the squared error of the
    averaged prediction (regression), found with SLSQP
    (:func:`scipy.optimize.minimize`). A branch that adds nothing gets a
    weight near zero.

    In ``partial_fit`` the weights follow the branches online (Hedge): each
    batch is first scored by every branch, the losses are discounted by
    ``decay`` and summed, and the weights are the softmax of minus those sums.

    Parameters
    ----------
    decay : float in [0, 1], default=0.9
        Memory of the online weights: 0 keeps only the last batch, 1 never
        forgets.

    Attributes
    ----------
    weights_ : ndarray of shape (n_branches,)
        The learned weights, non-negative, summing to one.
    cumulative_loss_ : ndarray of shape (n_branches,)
        After ``partial_fit``: the discounted sum of each branch's losses.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.fusion import BranchOutputs, WeightedFusion
    >>> y = np.array([1.0, 2.0, 3.0, 4.0])
    >>> outputs = BranchOutputs([y[:, None], np.zeros((4, 1))])
    >>> WeightedFusion().fit(outputs, y).weights_.round(3)
    array([1., 0.])
    """

    accepted_outputs = (PROBA, DECISION)

    _parameter_constraints: dict = {
        "decay": [Interval(numbers.Real, 0, 1, closed="both")],
    }

    def __init__(self, decay=0.9):
        self.decay = decay

    def _learn_weights(self, outputs, y, sample_weight):
        n_branches = len(outputs)
        terms, y2d = _loss_terms(outputs, y)
        sw = np.ones(len(y)) if sample_weight is None else sample_weight
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

    def partial_fit(self, outputs, y, sample_weight=None):
        """Online update of the weights (Hedge) from one batch.

        Parameters
        ----------
        outputs : BranchOutputs
            The branch outputs on a batch before the branches learn it (zero
            rows: nothing to learn from yet).
        y : ndarray of shape (n_samples,)
            The target of the batch.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the batch's rows.

        Returns
        -------
        self : object
            The updated strategy.
        """
        self._validate_params()
        outputs = BranchOutputs.of(outputs)
        if not hasattr(self, "weights_"):
            self._start(outputs)
            self.weights_ = np.full(len(outputs), 1 / len(outputs))
        if not hasattr(self, "cumulative_loss_"):
            # weights_ == softmax(-cumulative_loss_): a fitted model's
            # learned weights are the starting point.
            self.cumulative_loss_ = -np.log(np.clip(self.weights_, 1e-300, None))
        if outputs.n_samples == 0:
            return self
        sample_weight = check_fusion_sample_weight(sample_weight, y)
        losses = _branch_losses(self._probabilities(outputs), y, sample_weight)
        self.cumulative_loss_ = self.decay * self.cumulative_loss_ + losses
        shifted = np.exp(-(self.cumulative_loss_ - self.cumulative_loss_.min()))
        self.weights_ = shifted / shifted.sum()
        return self


class GreedyFusion(_WeightedAverage):
    """Ensemble selection (Caruana et al., 2004) on the out-of-fold outputs.

    Starting from an empty ensemble, each of ``n_rounds`` rounds adds (with
    replacement) the branch whose addition gives the lowest loss of the
    ensemble average: log-loss for probabilities, squared error for regression.
    A branch's weight is the share of rounds that picked it; ties go to the
    first branch.

    Parameters
    ----------
    n_rounds : int, default=50
        Number of selection rounds; the weights are multiples of
        ``1 / n_rounds``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_branches,)
        The share of rounds that picked each branch.

    References
    ----------
    R. Caruana, A. Niculescu-Mizil, G. Crew and A. Ksikes, "Ensemble
    selection from libraries of models", ICML 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.fusion import BranchOutputs, GreedyFusion
    >>> y = np.array([1.0, 1.0])
    >>> outputs = BranchOutputs([np.full((2, 1), 0.6), np.full((2, 1), 1.5)])
    >>> GreedyFusion(n_rounds=5).fit(outputs, y).weights_
    array([0.6, 0.4])
    """

    accepted_outputs = (PROBA, DECISION)

    _parameter_constraints: dict = {
        "n_rounds": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, n_rounds=50):
        self.n_rounds = n_rounds

    def _learn_weights(self, outputs, y, sample_weight):
        terms, y2d = _loss_terms(outputs, y)
        sw = np.ones(len(y)) if sample_weight is None else sample_weight
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


class CAWPEFusion(_WeightedAverage):
    """Cross-validation accuracy weighted probabilistic ensemble (CAWPE).

    The probabilities of the branches are averaged with weights proportional
    to each branch's out-of-fold accuracy raised to the power ``alpha``
    (Large, Lines and Bagnall, 2019), the weighting of the HIVE-COTE family
    of time-series classifiers. ``alpha`` amplifies the differences between
    branches: 0 is the plain average, large values approach picking the best
    branch.

    Parameters
    ----------
    alpha : float, default=4
        Exponent of the accuracies.

    Attributes
    ----------
    accuracies_ : ndarray of shape (n_branches,)
        The out-of-fold accuracy of each branch (weighted by
        ``sample_weight``).
    weights_ : ndarray of shape (n_branches,)
        ``accuracies_ ** alpha``, normalised to sum to one.

    References
    ----------
    J. Large, J. Lines and A. Bagnall, "A probabilistic classifier ensemble
    weighting scheme based on cross-validated accuracy estimates", Data Mining
    and Knowledge Discovery 33, 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.fusion import BranchOutputs, CAWPEFusion
    >>> y = np.array([0, 1, 1, 0])
    >>> right = np.eye(2)[y] * 0.8 + 0.1
    >>> half = np.eye(2)[[0, 1, 0, 1]] * 0.8 + 0.1
    >>> fusion = CAWPEFusion(alpha=2).fit(
    ...     BranchOutputs([right, half], kinds=["predict_proba"] * 2, n_classes=2), y)
    >>> fusion.accuracies_, fusion.weights_
    (array([1. , 0.5]), array([0.8, 0.2]))
    """

    accepted_outputs = (PROBA, DECISION)
    _tasks = (CLASSIFICATION,)

    _parameter_constraints: dict = {
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(self, alpha=4):
        self.alpha = alpha

    def _learn_weights(self, outputs, y, sample_weight):
        if not outputs.classification:
            raise ValueError(
                "CAWPEFusion weighs branches by their out-of-fold accuracy, so it "
                "needs a classifier's outputs; for regression use 'weighted'."
            )
        self.accuracies_ = np.array(
            [
                accuracy_score(
                    y, labels_from_output(block, kind), sample_weight=sample_weight
                )
                for block, kind in zip(outputs, outputs.kinds)
            ]
        )
        # accuracies ** alpha in log space: a large alpha would make every
        # power underflow to zero, and the weights equal instead of all on
        # the best branches.
        if self.alpha == 0:  # 0 ** 0 is 1: the plain average
            return np.full(len(outputs), 1 / len(outputs))
        with np.errstate(divide="ignore"):
            log_powered = self.alpha * np.log(self.accuracies_)
        if not np.isfinite(log_powered.max()):  # every branch wrong everywhere
            return np.full(len(outputs), 1 / len(outputs))
        powered = np.exp(log_powered - log_powered.max())
        return powered / powered.sum()
