"""Properties that hold for every small data set hypothesis can draw.

The data sets vary in size, number of features and classes, label type
(integers or strings) and sample weights (with zeros). Each property test
runs ``MAX_EXAMPLES`` examples.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.fusion import AverageFusion
from skmg.granularity import Pooling

MAX_EXAMPLES = 25
SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None)
N_SPLITS = 3
FUSIONS = ["stacking", "average", "weighted", "greedy", "cascade", "auto"]

labels = st.one_of(
    st.lists(st.integers(-50, 50), min_size=4, max_size=4, unique=True),
    st.lists(st.text(max_size=3), min_size=4, max_size=4, unique=True),
)


@st.composite
def classification_data(draw):
    """``X, y, sample_weight``: at least ``N_SPLITS`` rows of every class, at
    most one of them with a zero weight, so that every training fold of a
    stratified split holds a weighted row of every class."""
    n_classes = draw(st.integers(2, 4))
    classes = draw(labels)[:n_classes]
    per_class = draw(
        st.lists(st.integers(N_SPLITS, 7), min_size=n_classes, max_size=n_classes)
    )
    n_features = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.RandomState(seed)
    codes = rng.permutation(np.repeat(np.arange(n_classes), per_class))
    y = np.array(classes, dtype=object)[codes]
    if all(isinstance(c, int) for c in classes):
        y = y.astype(int)
    else:
        y = y.astype(str)
    # class-dependent means, so that the branches learn something
    X = rng.normal(size=(len(y), n_features)) + codes[:, None]
    weights = np.array(
        draw(
            st.lists(
                st.sampled_from([0.5, 1.0, 2.0, 3.0]),
                min_size=len(y),
                max_size=len(y),
            )
        )
    )
    for code in range(n_classes):
        if draw(st.booleans()):
            weights[np.flatnonzero(codes == code)[0]] = 0.0
    return X, y, weights


def _branches():
    return [
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("pooled", make_pipeline(Pooling(size=2), GaussianNB())),
    ]


@SETTINGS
@given(data=classification_data(), fusion=st.sampled_from(FUSIONS))
def test_labels_are_classes_and_probabilities_sum_to_one(data, fusion):
    """Predicted labels are in ``classes_`` (the sorted labels of y, of their
    type); probabilities are in [0, 1] and every row sums to one; for the
    averaging fusions the label is the most probable class. Also on rows
    not seen in fit."""
    X, y, sample_weight = data
    # known bug, see test_auto_fusion_with_a_zero_weight_selection_fold
    model = MultiGranularityClassifier(_branches(), fusion=fusion, cv=N_SPLITS)
    model.fit(X, y, sample_weight=sample_weight)
    assert_array_equal(model.classes_, np.unique(y))
    X_new = np.vstack([X, np.random.RandomState(0).normal(size=(7, X.shape[1]))])
    predictions = model.predict(X_new)
    assert predictions.dtype == y.dtype
    assert np.isin(predictions, model.classes_).all()
    proba = model.predict_proba(X_new)
    assert proba.shape == (len(X_new), len(model.classes_))
    # Up to 1e-6, as in scikit-learn's own checks: a branch's probabilities
    # may miss 1 by more than the machine precision (GaussianNB on the
    # near-constant outputs of a cascade level has log-likelihoods of 1e9).
    assert ((proba >= 0) & (proba <= 1 + 1e-6)).all()
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    if fusion in ("average", "weighted", "greedy", "cascade"):
        assert_array_equal(predictions, model.classes_[proba.argmax(axis=1)])


def test_auto_fusion_with_a_zero_weight_selection_fold():
    """fusion="auto" accepts zero sample weights even when the cross-validation
    that chooses the fusion has a test fold of zero-weight rows only (here a
    fold of one row): that fold cannot score a candidate and is left out."""
    X = np.random.RandomState(0).normal(size=(6, 2))
    y = np.array([1, 0, 0, 1, 0, 1])
    sample_weight = np.array([0.0, 0.5, 0.5, 0.5, 0.5, 0.5])
    model = MultiGranularityClassifier(_branches(), fusion="auto", cv=N_SPLITS)
    model.fit(X, y, sample_weight=sample_weight)
    scores = model.fusion_.scores_
    assert set(scores) == {"average", "weighted", "cawpe", "stacking"}
    assert np.isfinite(list(scores.values())).all()


@st.composite
def weighted_data_with_folds(draw):
    """A data set with some zero weights and a fold label for every row; the
    rows to keep when the zero-weight ones are removed."""
    X, y, weights = draw(classification_data())
    folds = np.array(
        draw(st.lists(st.integers(0, N_SPLITS - 1), min_size=len(y), max_size=len(y)))
    )
    kept = weights > 0
    # Every fold tests a weighted row, so every fold trains on weighted rows
    # too, with or without the zero-weight ones.
    folds[np.flatnonzero(kept)[:N_SPLITS]] = np.arange(N_SPLITS)
    return X, y, weights, folds, kept


def _splits(folds):
    """(train, test) of every fold label: a row is tested in its fold only."""
    return [
        (np.flatnonzero(folds != k), np.flatnonzero(folds == k))
        for k in np.unique(folds)
    ]


def _drop_rows_with(models, X, y, weights, folds, kept):
    full, reduced = models
    full.set_params(cv=_splits(folds))
    reduced.set_params(cv=_splits(folds[kept]))
    full.fit(X, y, sample_weight=weights)
    reduced.fit(X[kept], y[kept], sample_weight=weights[kept])
    return full, reduced


@SETTINGS
@given(data=weighted_data_with_folds())
def test_zero_weight_equals_removing_the_row_classifier(data):
    """With the average fusion, and branches whose fit ignores zero-weight
    rows exactly (decision trees skip them), giving a row a zero weight is
    the same as removing it, the folds being the same for the other rows:
    same out-of-fold outputs and identical probabilities."""
    X, y, weights, folds, kept = data

    def model():
        return MultiGranularityClassifier(
            [
                ("deep", DecisionTreeClassifier(random_state=0)),
                ("shallow", DecisionTreeClassifier(max_depth=2, random_state=0)),
                (
                    "pooled",
                    make_pipeline(
                        Pooling(size=2),
                        DecisionTreeClassifier(max_depth=3, random_state=0),
                    ),
                ),
            ],
            fusion="average",
        )

    full, reduced = _drop_rows_with((model(), model()), X, y, weights, folds, kept)
    assert_array_equal(full.classes_, reduced.classes_)
    assert_array_equal(full.oof_predictions_[kept], reduced.oof_predictions_)
    assert_array_equal(full.predict_proba(X), reduced.predict_proba(X))
    assert full.granularity_scores_ == pytest.approx(reduced.granularity_scores_)


@SETTINGS
@given(data=weighted_data_with_folds())
def test_zero_weight_equals_removing_the_row_regressor(data):
    """The same for the mean prediction of the regressor."""
    X, _, weights, folds, kept = data
    target = X[:, 0] - 2 * X[:, -1]

    def model():
        return MultiGranularityRegressor(
            [
                ("deep", DecisionTreeRegressor(random_state=0)),
                ("shallow", DecisionTreeRegressor(max_depth=2, random_state=0)),
            ],
            fusion="average",
        )

    full, reduced = _drop_rows_with((model(), model()), X, target, weights, folds, kept)
    assert_array_equal(full.oof_predictions_[kept], reduced.oof_predictions_)
    assert_array_equal(full.predict(X), reduced.predict(X))


@SETTINGS
@given(
    data=classification_data(),
    fusion=st.sampled_from(FUSIONS),
    dropped=st.integers(0, 2),
    weights=st.lists(st.sampled_from([1, 2, 5]), min_size=3, max_size=3),
)
def test_dropped_branch_equals_never_having_it(data, fusion, dropped, weights):
    """``set_params(name="drop")`` gives the model that never had the branch:
    same branches, out-of-fold outputs, scores and predictions, bit for bit
    (for "average", weights by branch name: the dropped one's is ignored)."""
    X, y, sample_weight = data
    branches = _branches()
    name = branches[dropped][0]
    if fusion == "average":
        fusion = AverageFusion(weights=dict(zip([n for n, _ in branches], weights)))
    with_drop = MultiGranularityClassifier(
        branches, fusion=fusion, cv=N_SPLITS
    ).set_params(**{name: "drop"})
    without = MultiGranularityClassifier(
        branches[:dropped] + branches[dropped + 1 :], fusion=fusion, cv=N_SPLITS
    )
    with_drop.fit(X, y, sample_weight=sample_weight)
    without.fit(X, y, sample_weight=sample_weight)
    assert list(with_drop.named_estimators_) == list(without.named_estimators_)
    assert name not in with_drop.named_estimators_
    assert with_drop.granularity_scores_ == without.granularity_scores_
    assert_array_equal(with_drop.oof_predictions_, without.oof_predictions_)
    assert_array_equal(
        with_drop.get_feature_names_out(), without.get_feature_names_out()
    )
    assert_array_equal(with_drop.predict_proba(X), without.predict_proba(X))
    assert_array_equal(with_drop.predict(X), without.predict(X))
