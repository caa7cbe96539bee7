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
from sklearn.base import clone
from sklearn.utils.metaestimators import available_if

from ._plan import DECISION, PREDICT, PROBA

FUSIONS = ("stacking", "average")


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

    def __init__(self, final_estimator, methods, n_classes=None):
        self.final_estimator = final_estimator
        self.methods = methods
        self.n_classes = n_classes

    def features(self, outputs, passthrough=None):
        """The design matrix of the final estimator."""
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
        """Fit the final estimator on the outputs."""
        if sample_weight is not None:
            fit_params["sample_weight"] = sample_weight
        self.final_estimator_ = clone(self.final_estimator)
        self.final_estimator_.fit(self.features(outputs, passthrough), y, **fit_params)
        return self

    def predict(self, outputs, passthrough=None):
        """Predict with the final estimator."""
        return self.final_estimator_.predict(self.features(outputs, passthrough))

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, outputs, passthrough=None):
        """Class probabilities of the final estimator."""
        return self.final_estimator_.predict_proba(
            self.features(outputs, passthrough)
        )

    @available_if(_final_has("decision_function"))
    def decision_function(self, outputs, passthrough=None):
        """Decision values of the final estimator."""
        return self.final_estimator_.decision_function(
            self.features(outputs, passthrough)
        )


class AverageFusion:
    """The mean of the branch outputs: soft voting, or the mean prediction.

    Parameters
    ----------
    kind : {"predict_proba", "decision_function", "predict"}
        The output every branch gives. Probabilities and decision values are
        averaged; class labels (``"predict"`` of a classifier) are put to a
        majority vote, ties going to the first class.
    n_classes : int or None
        Number of classes (classification) or None (regression).
    """

    def __init__(self, kind, n_classes=None):
        self.kind = kind
        self.n_classes = n_classes

    def fit(self, outputs, y, sample_weight=None, passthrough=None, **fit_params):
        """Nothing is learned: the average has no parameters."""
        if passthrough is not None:
            raise ValueError(
                "passthrough=True gives the original features to the fusion stage, "
                "but fusion='average' does not learn from features; use "
                "fusion='stacking' or passthrough=False"
            )
        self.n_branches_ = len(outputs)
        return self

    def _mean(self, outputs):
        return np.mean(np.stack(outputs), axis=0)

    def predict(self, outputs, passthrough=None):
        """The averaged prediction (regression) or the winning class (encoded)."""
        if self.n_classes is None:
            mean = self._mean(outputs)
            return mean.ravel() if mean.shape[1] == 1 else mean
        if self.kind == PREDICT:
            votes = np.zeros((outputs[0].shape[0], self.n_classes))
            rows = np.arange(outputs[0].shape[0])
            for block in outputs:
                np.add.at(votes, (rows, block[:, 0].astype(np.intp)), 1)
            return votes.argmax(axis=1)
        scores = self._mean(outputs)
        if scores.shape[1] == 1:  # binary decision values
            return (scores[:, 0] > 0).astype(np.intp)
        return scores.argmax(axis=1)

    @available_if(_kind_is(PROBA))
    def predict_proba(self, outputs, passthrough=None):
        """The mean of the branch probabilities."""
        return self._mean(outputs)

    @available_if(_kind_is(DECISION))
    def decision_function(self, outputs, passthrough=None):
        """The mean of the branch decision values."""
        scores = self._mean(outputs)
        return scores.ravel() if scores.shape[1] == 1 else scores
