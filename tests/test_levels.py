"""The levels of a fit (skmg._levels): every level's branches get their fit
parameters by the same rule as the first level's, with or without metadata
routing."""

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmg import MultiGranularityClassifier
from skmg._levels import LevelBranch
from skmg.fusion import CascadeFusion

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
WEIGHTS = np.random.RandomState(0).uniform(0.5, 2.0, len(Y_IRIS))

SEEN = []  # (level, rows, weights) of every fit of a Recorder


class Recorder(LogisticRegression):
    """LogisticRegression that records the weights each fit receives and the
    width of its input (the original 4 features, or more in level 2)."""

    def fit(self, X, y, sample_weight=None):
        SEEN.append((X.shape[1], len(X), sample_weight))
        return super().fit(X, y, sample_weight=sample_weight)


class RecordingScaler(StandardScaler):
    """StandardScaler that records the weights each fit receives."""

    def fit(self, X, y=None, sample_weight=None):
        SEEN.append(("scaler", len(X), sample_weight))
        return super().fit(X, y, sample_weight=sample_weight)


def _pipeline(routing, scaler_requests):
    scaler, model = RecordingScaler(), Recorder(max_iter=1000)
    if routing:
        scaler.set_fit_request(sample_weight=scaler_requests)
        model.set_fit_request(sample_weight=True)
    return Pipeline([("scale", scaler), ("model", model)])


@pytest.mark.parametrize(
    "routing, scaler_requests", [(False, True), (True, True), (True, False)]
)
def test_a_cascade_level_gives_the_weights_as_the_first_level(routing, scaler_requests):
    """Level 2 of a cascade over Pipeline(scaler, model) fits the model (and
    the scaler, when it takes them) with the rows' weights, in both routing
    modes; nothing is fitted without the weights it asked for."""
    SEEN.clear()
    with sklearn.config_context(enable_metadata_routing=routing):
        nb = (
            GaussianNB().set_fit_request(sample_weight=True)
            if routing
            else GaussianNB()
        )
        model = MultiGranularityClassifier(
            [("nb", nb), ("scaled", _pipeline(routing, scaler_requests))],
            fusion=CascadeFusion(max_levels=2, tol=-1.0),
            cv=3,
        )
        model.fit(X_IRIS, Y_IRIS, sample_weight=WEIGHTS)
    assert len(model.record_.levels) == 2
    assert isinstance(model.levels_[1][1], LevelBranch)
    level_2 = [seen for seen in SEEN if seen[0] not in ("scaler", 4)]
    assert len(level_2) == 4  # three folds and the refit
    for who, rows, weights in SEEN:
        if who == "scaler" and not scaler_requests:
            assert weights is None
            continue
        assert weights is not None and len(weights) == rows, (who, rows)
        if rows == len(Y_IRIS):  # a refit, of level 1 or 2
            assert_array_equal(weights, WEIGHTS)


def test_level_branch_fits_view_and_model_with_their_own_parameters():
    """LevelBranch splits step__param keys between its view and its model."""
    SEEN.clear()
    pipe = _pipeline(False, True)
    X = np.hstack([X_IRIS, np.zeros((len(X_IRIS), 3))])
    LevelBranch(pipe, n_features=4).fit(
        X, Y_IRIS, scale__sample_weight=WEIGHTS, model__sample_weight=WEIGHTS
    )
    (scaler_width, _, scaler_weights), (model_width, _, model_weights) = SEEN
    assert scaler_width == "scaler" and model_width == 4 + 3
    assert_array_equal(scaler_weights, WEIGHTS)
    assert_array_equal(model_weights, WEIGHTS)


def test_a_strategy_asking_for_no_level_is_refused():
    """A strategy whose next_level asks for nothing at first is named."""
    from skmg.fusion import AverageFusion

    class Idle(AverageFusion):
        def next_level(self, levels, y, sample_weight=None, *, n_branches):
            return None

    model = MultiGranularityClassifier([("nb", GaussianNB())], fusion=Idle())
    with pytest.raises(ValueError, match="Idle.next_level asked for no level"):
        model.fit(X_IRIS, Y_IRIS)
    assert not hasattr(model, "record_")


_VIEW_FITS = []  # one entry per fit of a _CountingScaler (clones included)


class _CountingScaler(StandardScaler):
    """A scaler that counts its fits."""

    def fit(self, X, y=None, sample_weight=None):
        _VIEW_FITS.append(len(X))
        return super().fit(X, y, sample_weight)


def test_a_pipeline_memory_caches_the_view_of_a_later_level(tmp_path):
    """A later level fits a Pipeline branch's view as the Pipeline would:
    with its ``memory``, a second fit reads every view step from the cache,
    the last one included (the view is a Pipeline ending in "passthrough")."""
    _VIEW_FITS.clear()
    counts = []
    for _ in range(2):
        branch = Pipeline(
            [("scale", _CountingScaler()), ("model", LogisticRegression())],
            memory=str(tmp_path),
        )
        model = MultiGranularityClassifier(
            [("lr", branch)], fusion=CascadeFusion(max_levels=2, tol=-1.0), cv=3
        ).fit(X_IRIS, Y_IRIS)
        counts.append(len(_VIEW_FITS))
    assert len(model.record_.levels) == 2
    assert counts == [2 * (3 + 1)] * 2  # two levels of 3 folds and a refit, once
