"""Incremental training with partial_fit."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.fusion import WeightedFusion
from skmg.granularity import Pooling

X, Y = load_digits(return_X_y=True)
X_TRAIN, X_TEST, Y_TRAIN, Y_TEST = train_test_split(
    X, Y, test_size=0.3, stratify=Y, random_state=0
)
CLASSES = np.arange(10)


def _sgd(seed=0):
    return SGDClassifier(loss="log_loss", alpha=1e-3, random_state=seed)


def _granularities():
    """Two granularities of the digits, each learned by SGD."""
    return [
        ("pixels", make_pipeline(StandardScaler(), _sgd())),
        ("pooled", make_pipeline(Pooling(2, shape=(8, 8)), StandardScaler(), _sgd())),
    ]


def _noise(X):
    """Pure noise of the shape of X (deterministic per batch)."""
    seed = int(np.abs(X).sum()) % (2**32)
    return np.random.default_rng(seed).normal(size=X.shape)


def _stream(model, n_batches=10, passes=3):
    for _ in range(passes):
        for X_batch, y_batch in zip(
            np.array_split(X_TRAIN, n_batches), np.array_split(Y_TRAIN, n_batches)
        ):
            model.partial_fit(X_batch, y_batch, classes=CLASSES)
    return model


@pytest.mark.parametrize("fusion", ["average", "weighted"])
def test_streaming_matches_fit_on_all_data(fusion):
    """Ten batches, three passes, SGD branches at two granularities: within
    0.02 of the accuracy of fit on all the data with the same branches."""
    full = MultiGranularityClassifier(_granularities(), fusion=fusion, cv=3)
    full.fit(X_TRAIN, Y_TRAIN)
    streamed = _stream(MultiGranularityClassifier(_granularities(), fusion=fusion))
    assert abs(streamed.score(X_TEST, Y_TEST) - full.score(X_TEST, Y_TEST)) <= 0.02
    assert streamed.score(X_TEST, Y_TEST) > 0.9
    assert set(streamed.granularity_scores_) == {"pixels", "pooled"}
    assert 0.8 < streamed.granularity_scores_["pixels"] <= 1.0


def test_online_weights_move_to_the_better_branch():
    """With one branch of pure noise, the prequential online weights move
    towards the informative branch batch after batch."""
    model = MultiGranularityClassifier(
        [
            ("pixels", make_pipeline(StandardScaler(), _sgd())),
            ("noise", make_pipeline(FunctionTransformer(_noise), _sgd(1))),
        ],
        fusion=WeightedFusion(decay=0.9),
    )
    history = []
    for X_batch, y_batch in zip(
        np.array_split(X_TRAIN, 10), np.array_split(Y_TRAIN, 10)
    ):
        model.partial_fit(X_batch, y_batch, classes=CLASSES)
        history.append(model.fusion_.weights_[0])
    assert history[0] == 0.5  # nothing scored before the first batch is learned
    assert history[-1] > 0.99
    assert history[-1] > history[2] > history[0]
    assert model.fusion_.weights_.sum() == pytest.approx(1.0)


def test_fit_then_partial_fit_continues():
    """After fit, partial_fit updates the fitted branches in place and starts
    the online weights from the learned ones."""
    model = MultiGranularityClassifier(_granularities(), fusion="weighted", cv=3)
    model.fit(X_TRAIN[:600], Y_TRAIN[:600])
    fitted = model.named_estimators_["pixels"]
    coef = fitted[-1].coef_.copy()
    learned_weights = model.fusion_.weights_.copy()
    model.partial_fit(X_TRAIN[600:], Y_TRAIN[600:])
    assert model.named_estimators_["pixels"] is fitted
    assert not np.allclose(fitted[-1].coef_, coef)
    assert not np.allclose(model.fusion_.weights_, learned_weights)
    assert model.score(X_TEST, Y_TEST) > 0.9


def test_regressor_partial_fit():
    """The regressor learns incrementally too; predictions are the mean of the
    branches."""
    rng = np.random.RandomState(0)
    Xr = rng.normal(size=(400, 6))
    yr = Xr @ np.arange(6) + 0.1 * rng.normal(size=400)
    model = MultiGranularityRegressor(
        [
            ("a", make_pipeline(StandardScaler(), SGDRegressor(random_state=0))),
            ("b", SGDRegressor(random_state=1)),
        ],
        fusion="average",
    )
    for _ in range(5):
        for Xb, yb in zip(np.array_split(Xr, 8), np.array_split(yr, 8)):
            model.partial_fit(Xb, yb)
    expected = np.mean([e.predict(Xr) for e in model.estimators_], axis=0)
    assert_allclose(model.predict(Xr), expected)
    assert model.score(Xr, yr) > 0.95


def test_first_call_needs_classes():
    """A fresh classifier needs classes on the first call, as scikit-learn's."""
    model = MultiGranularityClassifier(_granularities(), fusion="average")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X_TRAIN[:50], Y_TRAIN[:50])


def test_unknown_labels_and_other_classes_are_refused():
    """Labels outside classes_, or a different classes argument, are refused."""
    model = MultiGranularityClassifier(_granularities(), fusion="average")
    model.partial_fit(X_TRAIN[:50], Y_TRAIN[:50] % 5, classes=np.arange(5))
    with pytest.raises(ValueError, match=r"labels that are not in classes_: \[5"):
        model.partial_fit(X_TRAIN[50:100], Y_TRAIN[50:100])
    with pytest.raises(ValueError, match="'classes' must be the classes of the first"):
        model.partial_fit(X_TRAIN[:50], Y_TRAIN[:50] % 5, classes=CLASSES)


def test_number_of_features_must_not_change_between_batches():
    """A batch with another number of features is refused."""
    model = MultiGranularityClassifier([("nb", GaussianNB())], fusion="average")
    model.partial_fit(X_TRAIN[:50], Y_TRAIN[:50], classes=CLASSES)
    with pytest.raises(ValueError, match="X has 63 features, but .* expecting 64"):
        model.partial_fit(X_TRAIN[50:100, :63], Y_TRAIN[50:100])


@pytest.mark.parametrize(
    "granularities, fusion, reason",
    [
        (
            [("nb", GaussianNB())],
            "stacking",
            "partial_fit needs a fusion that learns online",
        ),
        (
            [("tree", DecisionTreeClassifier())],
            "average",
            "branch 'tree' cannot learn incrementally: DecisionTreeClassifier has no",
        ),
        (
            [("binned", make_pipeline(KBinsDiscretizer(), GaussianNB()))],
            "average",
            "its step 'kbinsdiscretizer' .* learns from data and has no partial_fit",
        ),
        (
            [("last", make_pipeline(StandardScaler(), DecisionTreeClassifier()))],
            "weighted",
            "its final step 'decisiontreeclassifier' .* has no partial_fit",
        ),
    ],
)
def test_partial_fit_unavailable_with_the_reason(granularities, fusion, reason):
    """partial_fit is absent (hasattr is False) when a branch or the fusion
    cannot learn incrementally; the AttributeError's cause gives the reason."""
    model = MultiGranularityClassifier(granularities, fusion=fusion)
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError) as info:
        model.partial_fit(X_TRAIN[:50], Y_TRAIN[:50], classes=CLASSES)
    assert info.match("has no attribute 'partial_fit'")
    assert re.search(reason, str(info.value.__cause__))


def test_stateless_view_is_fitted_once():
    """A stateless view (Pooling) is fitted on the first batch and then only
    transforms; a scaler with partial_fit keeps learning."""
    model = MultiGranularityClassifier(
        [("pooled", make_pipeline(Pooling(2, shape=(8, 8)), StandardScaler(), _sgd()))],
        fusion="average",
    )
    model.partial_fit(X_TRAIN[:100], Y_TRAIN[:100], classes=CLASSES)
    model.partial_fit(X_TRAIN[100:300], Y_TRAIN[100:300])
    pooling, scaler, _ = model.named_estimators_["pooled"]
    assert pooling.n_features_in_ == 64
    assert scaler.n_samples_seen_ == 300
