"""The base of the meta-estimators (skmg._base, with skmg._params and
skmg._validation): errors worded as scikit-learn's stacking words them, and
fit parameters routed once and split by one rule."""

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler, scale
from sklearn.svm import SVC, LinearSVC, LinearSVR

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg._params import sample_weight_params, split_branch_params

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = scale(X_IRIS)
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB = scale(X_DIAB)


class NoWeightClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose fit takes no sample_weight (as in scikit-learn's
    tests of its stacking)."""

    def fit(self, X, y):
        self.clf_ = LogisticRegression().fit(X, y)
        self.classes_ = self.clf_.classes_
        return self

    def predict(self, X):
        return self.clf_.predict(X)

    def predict_proba(self, X):
        return self.clf_.predict_proba(X)


class NoWeightRegressor(RegressorMixin, BaseEstimator):
    """A regressor whose fit takes no sample_weight."""

    def fit(self, X, y):
        self.reg_ = LinearRegression().fit(X, y)
        return self

    def predict(self, X):
        return self.reg_.predict(X)


# The cases of scikit-learn's test_stacking_classifier_error and
# test_stacking_regressor_error, with skmg's parameter names.
CLASSIFIER_ERRORS = [
    ({"granularities": []}, ValueError, "Invalid 'granularities' attribute,"),
    (
        {
            "granularities": [("lr", LogisticRegression()), ("svm", SVC())],
            "stack_method": "predict_proba",
        },
        ValueError,
        "does not implement the method predict_proba",
    ),
    (
        {
            "granularities": [
                ("lr", LogisticRegression()),
                ("cor", NoWeightClassifier()),
            ]
        },
        TypeError,
        "does not support sample weight",
    ),
    (
        {
            "granularities": [("lr", LogisticRegression()), ("cor", LinearSVC())],
            "final_estimator": NoWeightClassifier(),
        },
        TypeError,
        "does not support sample weight",
    ),
]

REGRESSOR_ERRORS = [
    ({"granularities": []}, ValueError, "Invalid 'granularities' attribute,"),
    (
        {"granularities": [("lr", LinearRegression()), ("cor", NoWeightRegressor())]},
        TypeError,
        "does not support sample weight",
    ),
    (
        {
            "granularities": [("lr", LinearRegression()), ("cor", LinearSVR())],
            "final_estimator": NoWeightRegressor(),
        },
        TypeError,
        "does not support sample weight",
    ),
]


@pytest.mark.parametrize("params, error, message", CLASSIFIER_ERRORS)
def test_classifier_errors_are_worded_as_scikit_learn_stacking(params, error, message):
    """The errors of scikit-learn's stacking tests, with its words, raised
    before any branch is fitted."""
    model = MultiGranularityClassifier([("lr", LogisticRegression())], cv=3).set_params(
        **params
    )
    with pytest.raises(error, match=message):
        model.fit(X_IRIS, Y_IRIS, sample_weight=np.ones(len(Y_IRIS)))
    assert not hasattr(model, "estimators_")


@pytest.mark.parametrize("params, error, message", REGRESSOR_ERRORS)
def test_regressor_errors_are_worded_as_scikit_learn_stacking(params, error, message):
    """The regressor's cases likewise."""
    model = MultiGranularityRegressor([("lr", LinearRegression())], cv=3).set_params(
        **params
    )
    with pytest.raises(error, match=message):
        model.fit(X_DIAB, Y_DIAB, sample_weight=np.ones(len(Y_DIAB)))


def test_sample_weight_params_give_the_weights_to_every_step_that_takes_them():
    """Without routing, a Pipeline branch gets step__sample_weight for each
    step whose fit takes it; a branch that cannot take them is named."""
    weights = np.ones(3)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    assert sorted(sample_weight_params("b", pipe, weights)) == [
        "logisticregression__sample_weight",
        "standardscaler__sample_weight",
    ]
    assert sample_weight_params("b", LogisticRegression(), weights) == {
        "sample_weight": weights
    }
    with pytest.raises(TypeError, match="branch 'b' does not support sample weight"):
        sample_weight_params("b", NoWeightClassifier(), weights)


def test_split_branch_params_splits_view_from_model_in_both_routing_modes():
    """One rule: step__ keys without routing; with routing, the view steps get
    what they request and the model its routed share."""
    weights = np.arange(4.0)
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    view, model = split_branch_params(
        pipe, {"scale__sample_weight": weights, "model__sample_weight": weights}
    )
    assert list(view) == ["scale__sample_weight"] and list(model) == ["sample_weight"]
    assert split_branch_params(LogisticRegression(), {"sample_weight": weights}) == (
        {},
        {"sample_weight": weights},
    )
    with sklearn.config_context(enable_metadata_routing=True):
        for scaler_requests in (True, False):
            pipe = Pipeline(
                [
                    (
                        "scale",
                        StandardScaler().set_fit_request(sample_weight=scaler_requests),
                    ),
                    ("model", LogisticRegression().set_fit_request(sample_weight=True)),
                ]
            )
            view, model = split_branch_params(pipe, {"sample_weight": weights})
            assert list(view) == (["sample_weight"] if scaler_requests else [])
            assert_array_equal(model["sample_weight"], weights)
