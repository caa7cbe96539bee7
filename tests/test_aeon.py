"""aeon's convolution transformers (MiniRocket, MultiRocket) as the model part of
a branch, behind skmg's views, on 2-D arrays (one series per row). Skips
without aeon (``pip install ".[timeseries]"``).

The data are GunPoint as aeon ships it, with its default split (50 training
and 150 test series of 150 time steps)."""

import pickle

import numpy as np
import pytest

pytest.importorskip("aeon")

from aeon.classification.feature_based import SummaryClassifier
from aeon.classification.interval_based import TimeSeriesForestClassifier
from aeon.datasets import load_gunpoint
from aeon.transformations.collection.convolution_based import MiniRocket, MultiRocket
from sklearn.base import clone
from sklearn.linear_model import RidgeClassifierCV
from sklearn.pipeline import Pipeline

from skmg import MultiGranularityClassifier
from skmg._estimates import TrainEstimateProvider
from skmg.granularity import Differences, Pooling
from skmg.inspection import granularity_report

X_TRAIN, Y_TRAIN = load_gunpoint(split="train", return_type="numpy2d")
X_TEST, Y_TEST = load_gunpoint(split="test", return_type="numpy2d")
ALPHAS = np.logspace(-3, 3, 10)
# Measured test accuracies of the four granularities below: fused, 1.0 with
# "average" and "cawpe", 0.993 with "auto" and "stacking"; each branch alone
# 1.0 (pool2: 0.993). The MultiRocket model below: 0.987.
MIN_ACCURACY = 0.97


def rocket_branch(view=None, transformer=None):
    """A view (none for the raw series), a transformer of aeon (MiniRocket by
    default), a ridge."""
    steps = [
        ("rocket", transformer or MiniRocket(random_state=0)),
        ("ridge", RidgeClassifierCV(alphas=ALPHAS)),
    ]
    return Pipeline(([("view", view)] if view is not None else []) + steps)


def granularities():
    return [
        ("raw", rocket_branch()),
        ("diff", rocket_branch(Differences())),
        ("pool2", rocket_branch(Pooling(2))),
        ("pool4", rocket_branch(Pooling(4))),
    ]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One cache of (branch, fold) fits for the module: the fusions share them."""
    return str(tmp_path_factory.mktemp("aeon_branches"))


@pytest.fixture(scope="module")
def cawpe_model(cache):
    return MultiGranularityClassifier(
        granularities(), fusion="cawpe", memory=cache
    ).fit(X_TRAIN, Y_TRAIN)


@pytest.mark.parametrize("fusion", ["average", "cawpe", "auto", "stacking"])
def test_fused_minirocket_branches_classify_gunpoint(fusion, cache):
    """Every fusion of the four MiniRocket branches scores at least
    MIN_ACCURACY on the test split, and so does each branch alone."""
    model = MultiGranularityClassifier(
        granularities(), fusion=fusion, memory=cache
    ).fit(X_TRAIN, Y_TRAIN)
    assert model.score(X_TEST, Y_TEST) >= MIN_ACCURACY
    report = granularity_report(model, X_TEST, Y_TEST)
    assert np.all(np.asarray(report["test_score"]) >= MIN_ACCURACY)


def test_minirocket_sees_the_length_of_its_view(cawpe_model):
    """Behind a view, MiniRocket is fitted on the view's series: 150 steps
    raw, 149 differences, 75 and 37 pooled means."""
    lengths = {
        name: branch.named_steps["rocket"].metadata_["n_timepoints"]
        for name, branch in cawpe_model.named_estimators_.items()
    }
    assert lengths == {"raw": 150, "diff": 149, "pool2": 75, "pool4": 37}


def test_decision_only_branches_are_fused(cawpe_model):
    """RidgeClassifierCV has no predict_proba: the fusion gets decision values
    and makes them probabilities with one fitted temperature per branch."""
    assert cawpe_model.stack_method_ == ["decision_function"] * 4
    assert cawpe_model.fusion_.temperatures_.shape == (4,)
    assert np.all(cawpe_model.fusion_.temperatures_ > 0)
    proba = cawpe_model.predict_proba(X_TEST)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        cawpe_model.classes_[proba.argmax(axis=1)], cawpe_model.predict(X_TEST)
    )


def test_pickle_round_trip(cawpe_model):
    """A pickled model predicts as the original."""
    restored = pickle.loads(pickle.dumps(cawpe_model))
    np.testing.assert_array_equal(
        restored.predict_proba(X_TEST), cawpe_model.predict_proba(X_TEST)
    )


def test_clone_refitted_in_parallel_gives_the_same_model(cawpe_model):
    """A clone fitted anew (no cache) by two loky workers (n_jobs=2) gives the
    out-of-fold outputs and the predictions of the sequential fit: every
    MiniRocket is seeded. MiniRocket keeps its own n_jobs=1 (its default,
    not a thread budget skmg sets)."""
    parallel = clone(cawpe_model).set_params(memory=None, n_jobs=2)
    parallel.fit(X_TRAIN, Y_TRAIN)
    for branch in parallel.named_estimators_.values():
        assert branch.named_steps["rocket"].n_jobs == 1
    np.testing.assert_allclose(parallel.oof_predictions_, cawpe_model.oof_predictions_)
    np.testing.assert_allclose(
        parallel.predict_proba(X_TEST), cawpe_model.predict_proba(X_TEST)
    )


def test_multirocket_branch():
    """MultiRocket works as the model of a branch behind a view too."""
    multirocket = MultiRocket(n_kernels=1000, random_state=0)
    model = MultiGranularityClassifier(
        [
            ("raw", rocket_branch(transformer=multirocket)),
            ("diff", rocket_branch(Differences(), transformer=clone(multirocket))),
        ],
        fusion="average",
        cv=3,
    ).fit(X_TRAIN, Y_TRAIN)
    assert model.score(X_TEST, Y_TEST) >= MIN_ACCURACY


def test_view_too_short_for_the_kernels_names_the_branch():
    """MiniRocket's kernels span 9 time steps: a view that leaves fewer (150
    steps pooled by 20 leave 7) fails the fit, and the error names the
    branch."""
    model = MultiGranularityClassifier(
        [("raw", rocket_branch()), ("pool20", rocket_branch(Pooling(20)))], cv=3
    )
    with pytest.raises(ValueError, match="branch 'pool20'.*n_timepoints must be >= 9"):
        model.fit(X_TRAIN, Y_TRAIN)


# -- oof_method="auto": aeon's own train estimates -----------------------------


def _forest():
    return TimeSeriesForestClassifier(n_estimators=20, random_state=0)


def test_aeon_train_estimates_replace_the_folds():
    """With oof_method="auto", an aeon classifier with its own train estimate
    (TimeSeriesForest: out-of-bag) is fitted once and its
    ``fit_predict_proba`` is the branch's out-of-fold block, behind a view
    too; MiniRocket + RidgeClassifierCV gives the ridge's leave-one-out
    values; a classifier without one (SummaryClassifier) is cross-validated.
    The fitted models predict exactly as the classifiers fitted alone."""
    branches = [
        ("raw", _forest()),
        ("pool2", Pipeline([("view", Pooling(2)), ("forest", _forest())])),
        ("rocket", rocket_branch()),
        ("summary", SummaryClassifier(random_state=0)),
    ]
    # stacking: each branch gives its own output (the ridge decision values)
    model = MultiGranularityClassifier(branches, fusion="stacking", oof_method="auto")
    model.fit(X_TRAIN, Y_TRAIN)
    assert model.record_.methods[:2] == ["predict_proba", "predict_proba"]
    assert model.oof_methods_ == {
        "raw": "train_estimate",
        "pool2": "train_estimate",
        "rocket": "loo",
        "summary": "cv",
    }
    pooled = Pooling(2).fit_transform(X_TRAIN)
    raw_estimate = _forest().fit_predict_proba(X_TRAIN, Y_TRAIN)
    pool_estimate = _forest().fit_predict_proba(pooled, Y_TRAIN)
    # binary probabilities: one column per branch, the second class's
    np.testing.assert_array_equal(model.oof_predictions_[:, 0], raw_estimate[:, 1])
    np.testing.assert_array_equal(model.oof_predictions_[:, 1], pool_estimate[:, 1])
    alone = _forest().fit(X_TRAIN, Y_TRAIN)
    np.testing.assert_array_equal(
        model.named_estimators_["raw"].predict_proba(X_TEST),
        alone.predict_proba(X_TEST),
    )
    assert model.score(X_TEST, Y_TEST) >= MIN_ACCURACY


def test_aeon_train_estimate_takes_no_fit_parameters():
    """``fit_predict_proba`` takes none: the provider says so, naming them."""
    provider = TrainEstimateProvider()
    assert provider.matches(_forest(), "predict_proba")
    assert not provider.matches(_forest(), "decision_function")
    assert not provider.matches(SummaryClassifier(), "predict_proba")
    with pytest.raises(TypeError, match=r"takes no fit parameters; got \['weight'\]"):
        provider.fit_estimate(_forest(), "predict_proba", 2, X_TRAIN, Y_TRAIN, weight=1)
