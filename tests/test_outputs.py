"""The gate (skmg._outputs): every output of a branch, at fit and at predict,
and of a fusion strategy, is checked before it is fused."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from skmg import MultiGranularityClassifier
from skmg._outputs import PROBA, OutputError, branch_output, check_output
from skmg.fusion import BaseFusion

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
# 0/1/2 labels as 1/2/3: encoded labels differ from the user's
Y_SHIFTED = Y_IRIS + 1


class Faulty(ClassifierMixin, BaseEstimator):
    """GaussianNB whose outputs are spoiled in one way, at fit (on the fold's
    held-out rows) or only at predict (``when="predict"``)."""

    def __init__(self, fault="none", when="always"):
        self.fault = fault
        self.when = when

    def fit(self, X, y):
        self.model_ = GaussianNB().fit(X, y)
        self.classes_ = self.model_.classes_
        self.fitted_ = True
        return self

    def _spoil(self, proba):
        if self.when == "predict" and not getattr(self, "predicting_", False):
            return proba
        fault = self.fault
        if fault == "fewer_rows":
            return proba[:-1]
        if fault == "more_rows":
            return np.vstack([proba, proba[:1]])
        if fault == "more_columns":
            return np.hstack([proba, proba[:, :1]])
        if fault == "fewer_columns":
            return proba[:, :-1]
        if fault == "one_dimensional":
            return proba[:, 0]
        if fault == "negative":
            return proba - 0.5
        if fault == "strings":
            return np.full(proba.shape, "high", dtype=object)
        return proba

    def predict_proba(self, X):
        return self._spoil(self.model_.predict_proba(X))

    def predict(self, X):
        labels = self.model_.predict(X)
        if self.fault == "unknown_labels":
            return labels + 12
        return labels


BRANCH_FAULTS = {
    "fewer_rows": "have 29 rows for 30 samples",
    "more_rows": "have 31 rows for 30 samples",
    "more_columns": "have 4 columns; expected 3",
    "fewer_columns": "have 2 columns; expected 3",
    "one_dimensional": "have 1 columns; expected 3",
    "negative": "range from -0.5 to 0.5; expected probabilities within [0, 1]",
    "strings": "are not numeric",
}


@pytest.mark.parametrize("fault, message", BRANCH_FAULTS.items())
@pytest.mark.parametrize("fusion", ["stacking", "average"])
def test_a_wrong_branch_output_at_fit_names_the_branch_and_the_fold(
    fault, message, fusion
):
    """Rows, columns, dtype and range of every fold's output are checked; the
    error names the branch and the fold and says what came."""
    model = MultiGranularityClassifier(
        [("good", GaussianNB()), ("bad", Faulty(fault))], fusion=fusion, cv=5
    )
    expected = rf"branch 'bad' failed in fold 1/5: .*{re.escape(message)}"
    with pytest.raises(ValueError, match=expected):
        model.fit(X_IRIS, Y_SHIFTED)
    assert not hasattr(model, "estimators_")


@pytest.mark.parametrize("fault", ["fewer_rows", "negative", "more_columns"])
def test_a_wrong_branch_output_at_predict_names_the_branch(fault):
    """At predict, the same checks; the error says "in predict"."""
    model = MultiGranularityClassifier(
        [("good", GaussianNB()), ("bad", Faulty(fault, when="predict"))],
        fusion="average",
    ).fit(X_IRIS, Y_SHIFTED)
    model.estimators_[1].predicting_ = True
    with pytest.raises(ValueError, match="branch 'bad' failed in predict: its"):
        model.predict_proba(X_IRIS[:20])


def test_labels_outside_the_classes_are_refused():
    """A branch whose predict gives labels it was not fitted on is named."""
    model = MultiGranularityClassifier(
        [("good", GaussianNB()), ("bad", Faulty("unknown_labels"))],
        stack_method="predict",
    )
    with pytest.raises(
        ValueError,
        match=r"branch 'bad' failed in fold 1/5: its predict outputs hold labels "
        r"outside its classes: \[12\.0, 13\.0, 14\.0\]",
    ):
        model.fit(X_IRIS, Y_SHIFTED)


class Reversed(ClassifierMixin, BaseEstimator):
    """GaussianNB that lists its classes in reverse order, with probability
    columns in that order (consistent with its own ``classes_``)."""

    def fit(self, X, y):
        self.model_ = GaussianNB().fit(X, y)
        self.classes_ = self.model_.classes_[::-1]
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)[:, ::-1]

    def predict(self, X):
        return self.model_.predict(X)


@pytest.mark.parametrize("fusion", ["average", "cawpe", "stacking"])
def test_columns_are_aligned_by_the_branch_classes(fusion):
    """A branch listing its classes in another order is fused exactly as the
    same branch listing them in order, and scored the same."""
    ordered = MultiGranularityClassifier(
        [("nb", GaussianNB()), ("lr", LogisticRegression(max_iter=1000))], fusion=fusion
    ).fit(X_IRIS, Y_SHIFTED)
    reversed_ = MultiGranularityClassifier(
        [("nb", Reversed()), ("lr", LogisticRegression(max_iter=1000))], fusion=fusion
    ).fit(X_IRIS, Y_SHIFTED)
    assert_allclose(reversed_.oof_predictions_, ordered.oof_predictions_)
    assert reversed_.granularity_scores_ == ordered.granularity_scores_
    assert_allclose(reversed_.predict_proba(X_IRIS), ordered.predict_proba(X_IRIS))


def test_binary_decision_values_follow_the_branch_classes():
    """A binary branch listing its classes as [1, 0] has its decision value
    negated: it scores the second class of the problem."""

    class Flipped(LogisticRegression):
        def fit(self, X, y):
            super().fit(X, y)
            self.flipped_classes_ = self.classes_[::-1]
            return self

        def decision_function(self, X):
            return -super().decision_function(X)

    model = Flipped().fit(X_IRIS[:100], Y_IRIS[:100])
    model.classes_ = model.flipped_classes_
    block = branch_output(model, X_IRIS[:100], "decision_function", n_classes=2)
    expected = LogisticRegression(max_iter=1000).fit(X_IRIS[:100], Y_IRIS[:100])
    assert_allclose(block.ravel(), expected.decision_function(X_IRIS[:100]))


class FaultyFusion(BaseFusion):
    """Averages probabilities, then spoils its answer in one way."""

    def __init__(self, fault="none"):
        self.fault = fault

    def fit(self, outputs, y, sample_weight=None):
        self.fitted_ = True
        return self

    def predict_proba(self, outputs):
        proba = np.mean(list(outputs), axis=0)
        if self.fault == "fewer_rows":
            return proba[:-1]
        if self.fault == "twice_the_rows":
            return np.vstack([proba, proba])
        if self.fault == "nan":
            return np.full(proba.shape, np.nan)
        if self.fault == "missing_column":
            return proba[:, :-1]
        if self.fault == "negative":
            return proba - 1.0
        return proba


FUSION_FAULTS = {
    "fewer_rows": "rows for",
    "twice_the_rows": "rows for",
    "nan": "are not finite",
    "missing_column": "have 2 columns; expected 3",
    "negative": "expected probabilities within [0, 1]",
}


@pytest.mark.parametrize("fault, message", FUSION_FAULTS.items())
def test_a_wrong_strategy_output_names_the_strategy(fault, message):
    """A third-party strategy's outputs pass the gate too, at fit (its
    second-level cross-validation) and at predict."""
    good = MultiGranularityClassifier(
        [("nb", GaussianNB()), ("lr", LogisticRegression(max_iter=1000))],
        fusion=FaultyFusion(),
    ).fit(X_IRIS, Y_SHIFTED)
    assert_array_equal(good.predict(X_IRIS[:20]).shape, (20,))
    model = clone(good).set_params(fusion=FaultyFusion(fault))
    pattern = f"fusion FaultyFusion: .*{re.escape(message)}"
    with pytest.raises(ValueError, match=pattern):
        model.fit(X_IRIS, Y_SHIFTED)
    # the same strategy, spoiled after fit: predict refuses it
    good.fusion_.fault = fault
    with pytest.raises(ValueError, match=pattern):
        good.predict(X_IRIS[:20])
    with pytest.raises(ValueError, match=pattern):
        good.predict_proba(X_IRIS[:20])


@pytest.mark.parametrize(
    "output, method, n_columns, n_classes, message",
    [
        (np.ones((3, 2)), PROBA, 2, None, None),
        (np.ones((3, 2)) * 1.0000001, PROBA, 2, None, None),  # rounding
        (np.ones((3, 2)) * 1.01, PROBA, 2, None, "within"),
        (np.array([0.0, 1.0, 2.0]), "predict", 1, 3, None),
        (np.array([0.0, 1.5, 2.0]), "predict", 1, 3, "outside its classes"),
        (np.array([0.0, 1.0, 3.0]), "predict", 1, 3, "outside its classes"),
        (np.array([-1.0, 1.0, 2.0]), "predict", 1, 3, "outside its classes"),
        (np.ones((3, 2, 1)), PROBA, 2, None, "shape"),
        (np.array([1.0, np.inf, 2.0]), "predict", None, None, "not finite"),
    ],
)
def test_check_output(output, method, n_columns, n_classes, message):
    """The gate accepts what is right (a float32 model's rounding too) and
    says what is wrong."""
    if message is None:
        checked = check_output(output, method, 3, n_columns, n_classes)
        assert checked.shape == (3, n_columns or 1)
    else:
        with pytest.raises(OutputError, match=message):
            check_output(output, method, 3, n_columns, n_classes)
