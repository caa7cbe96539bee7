"""Stacked generalisation: a final estimator learns from the branch outputs."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.utils.metaestimators import available_if

from .._outputs import (
    OUTPUT_ORDER,
    VALUE,
    BranchOutputs,
    align_proba,
    design_blocks,
    positive_columns,
)
from ._base import BaseFusion


def _final_has(method):
    def check(self):
        final = getattr(self, "final_estimator_", None)
        if final is None:
            final = self.final_estimator
        return final is None or hasattr(final, method)

    return check


class StackingFusion(BaseFusion):
    """Stacked generalisation: a final estimator learns from the branch outputs.

    The final estimator is fitted on the out-of-fold outputs of the branches
    side by side, as :class:`~sklearn.ensemble.StackingClassifier` does. For a
    binary problem, the first probability column of each branch is dropped:
    it is one minus the second. Branches may give different kinds of output;
    in a classifier, a regressor branch's predictions are a feature too.

    Parameters
    ----------
    final_estimator : estimator, default=None
        Cloned and fitted on the outputs. None means
        :class:`~sklearn.linear_model.LogisticRegression` for classification
        and :class:`~sklearn.linear_model.RidgeCV` for regression (the
        meta-estimators fill it with their own ``final_estimator``).

    Attributes
    ----------
    final_estimator_ : estimator
        The fitted final estimator.

    See Also
    --------
    sklearn.ensemble.StackingClassifier : Stacking of estimators on one input.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.fusion import BranchOutputs, StackingFusion
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 100)
    >>> good = np.c_[1 - y, y] * 0.8 + 0.1
    >>> noise = rng.dirichlet([1, 1], 100)
    >>> outputs = BranchOutputs([good, noise], kinds=["predict_proba"] * 2,
    ...                         n_classes=2)
    >>> fusion = StackingFusion().fit(outputs, y)
    >>> fusion.features(outputs).shape
    (100, 2)
    >>> float((fusion.predict(outputs) == y).mean())
    1.0
    """

    accepted_outputs = (*OUTPUT_ORDER, VALUE)
    same_output = False
    accepts_features = True
    multilabel = True

    def __init__(self, final_estimator=None):
        self.final_estimator = final_estimator

    def features(self, outputs):
        """The design matrix of the final estimator.

        Parameters
        ----------
        outputs : BranchOutputs
            The output block of every branch, and the passed-through
            features in ``outputs.features``, if any.

        Returns
        -------
        X_meta : ndarray or sparse matrix of shape (n_samples, n_meta_features)
            The blocks side by side (for binary probabilities, the second
            column only), then the passed-through features.
        """
        outputs = BranchOutputs.of(outputs)
        blocks = design_blocks(outputs)
        features = outputs.features
        if features is not None:
            if sp.issparse(features):
                return sp.hstack(blocks + [features], format="csr")
            blocks.append(features)
        return np.hstack(blocks)

    def fit(self, outputs, y, sample_weight=None, **fit_params):
        """Fit the final estimator on the outputs.

        Parameters
        ----------
        outputs : BranchOutputs
            The out-of-fold output block of every branch.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target of the same rows (encoded labels for classifiers).
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.
        **fit_params : dict
            Other metadata for the final estimator.

        Returns
        -------
        self : object
            The fitted strategy.
        """
        outputs = BranchOutputs.of(outputs)
        if sample_weight is not None:
            fit_params["sample_weight"] = sample_weight
        final = self.final_estimator
        if final is None:
            final = LogisticRegression() if outputs.classification else RidgeCV()
        if outputs.n_classes is not None and not is_classifier(final):
            # its predictions would be cut to class labels: refuse, as
            # scikit-learn's stacking does
            raise ValueError(
                "the final estimator of a classifier's stacking must be a "
                f"classifier; got {type(final).__name__}."
            )
        self.n_classes_ = outputs.n_classes
        self.final_estimator_ = clone(final)
        self.final_estimator_.fit(self.features(outputs), y, **fit_params)
        return self

    def predict(self, outputs, **predict_params):
        """Predict with the final estimator.

        Parameters
        ----------
        outputs : BranchOutputs
            The output block of every branch.
        **predict_params : dict
            Passed to the final estimator's ``predict`` (``return_std``...).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (encoded class labels for classifiers).
        """
        return self.final_estimator_.predict(self.features(outputs), **predict_params)

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, outputs):
        """Class probabilities of the final estimator.

        Parameters
        ----------
        outputs : BranchOutputs
            The output block of every branch.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, one column per class of the problem (a class
            the final estimator never saw gets probability 0); for a
            multilabel target, the probability of each label.
        """
        proba = self.final_estimator_.predict_proba(self.features(outputs))
        if isinstance(proba, list):  # multilabel: one array per label
            return positive_columns(proba, self.final_estimator_)
        seen = getattr(self.final_estimator_, "classes_", None)
        if self.n_classes_ is None or seen is None or np.ndim(seen) != 1:
            return proba  # multilabel or a final estimator without classes_
        return align_proba(np.asarray(proba), seen, self.n_classes_)

    def _decision_describes_every_class(self):
        """Decision values exist for the problem's classes: the final
        estimator has them and (once fitted) saw every class (its values
        for a class it never saw would be made up)."""
        if not _final_has("decision_function")(self):
            return False
        seen = getattr(getattr(self, "final_estimator_", None), "classes_", None)
        n_classes = getattr(self, "n_classes_", None)
        if seen is None or n_classes is None or np.ndim(seen) != 1:
            return True
        return len(seen) == n_classes

    @available_if(_decision_describes_every_class)
    def decision_function(self, outputs):
        """Decision values of the final estimator.

        Parameters
        ----------
        outputs : BranchOutputs
            The output block of every branch.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values.
        """
        return self.final_estimator_.decision_function(self.features(outputs))
