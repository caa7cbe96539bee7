"""Results depend on the data and the seeds, not on how the fit plan runs.

With a fixed ``random_state`` in every branch, the predictions are
bit-identical across ``n_jobs``, across joblib backends and across repeated
fits; the order of ``granularities`` does not change an average; a parallel
fit leaves the thread pools of the process as it found them.
"""

import threading

import joblib
import numpy as np
import pytest
import threadpoolctl
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import ExtraTreesClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import ThreadpoolController, threadpool_info, threadpool_limits

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.granularity import (
    IntervalFeatures,
    Pooling,
    ScanningClassifier,
    ScanningRegressor,
)

X_CLF, Y_CLF = make_classification(
    n_samples=90, n_features=12, n_informative=6, n_classes=3, random_state=0
)
X_REG, Y_REG = make_regression(n_samples=90, n_features=12, noise=5.0, random_state=0)

CLASSIFIER_FUSIONS = ["stacking", "average", "weighted", "cascade", "auto"]
REGRESSOR_FUSIONS = ["stacking", "weighted", "residual"]
BACKENDS = [("loky", 1), ("loky", 2), ("threading", 2)]


def _classifier_branches():
    """Branches with every source of randomness seeded."""
    return [
        ("forest", ExtraTreesClassifier(n_estimators=8, random_state=0)),
        (
            "interval",
            make_pipeline(
                IntervalFeatures(window=4),
                StandardScaler(),
                LogisticRegression(max_iter=500),
            ),
        ),
        (
            "scan",
            ScanningClassifier(
                DecisionTreeClassifier(max_depth=4, random_state=0),
                window=4,
                stride=2,
                max_windows=3,
                random_state=0,
            ),
        ),
    ]


def _regressor_branches():
    return [
        ("forest", RandomForestRegressor(n_estimators=8, random_state=0)),
        ("pooled", make_pipeline(Pooling(size=3), Ridge())),
        (
            "scan",
            ScanningRegressor(
                DecisionTreeRegressor(max_depth=4, random_state=0),
                window=4,
                stride=2,
                max_windows=3,
                random_state=0,
            ),
        ),
    ]


def _fit_predict(model, X, y, backend, n_jobs):
    """Fit under a joblib backend; return the outputs of every method."""
    with joblib.parallel_config(backend=backend):
        model.set_params(n_jobs=n_jobs).fit(X, y)
    outputs = {"predict": model.predict(X), "oof": model.oof_predictions_}
    if hasattr(model, "predict_proba"):
        outputs["predict_proba"] = model.predict_proba(X)
    return outputs


def _assert_outputs_identical(reference, outputs):
    assert reference.keys() == outputs.keys()
    for method, expected in reference.items():
        assert_array_equal(outputs[method], expected, err_msg=method)


@pytest.mark.parametrize("fusion", CLASSIFIER_FUSIONS)
def test_classifier_identical_across_n_jobs_backends_and_refits(fusion):
    """The classifier gives bit-identical outputs with n_jobs=1 and 2, with
    the loky and threading backends, and when fitted twice."""
    model = MultiGranularityClassifier(_classifier_branches(), fusion=fusion, cv=3)
    reference = _fit_predict(model, X_CLF, Y_CLF, "loky", 1)
    for backend, n_jobs in BACKENDS:
        outputs = _fit_predict(model, X_CLF, Y_CLF, backend, n_jobs)
        _assert_outputs_identical(reference, outputs)


@pytest.mark.parametrize("fusion", REGRESSOR_FUSIONS)
def test_regressor_identical_across_n_jobs_backends_and_refits(fusion):
    """The regressor gives bit-identical outputs with n_jobs=1 and 2, with the
    loky and threading backends, and when fitted twice."""
    model = MultiGranularityRegressor(_regressor_branches(), fusion=fusion, cv=3)
    reference = _fit_predict(model, X_REG, Y_REG, "loky", 1)
    for backend, n_jobs in BACKENDS:
        outputs = _fit_predict(model, X_REG, Y_REG, backend, n_jobs)
        _assert_outputs_identical(reference, outputs)


def test_refit_false_identical_across_n_jobs():
    """The fold models of refit=False are the same whichever way they ran."""
    model = MultiGranularityClassifier(
        _classifier_branches(), fusion="average", cv=3, refit=False
    )
    reference = _fit_predict(model, X_CLF, Y_CLF, "loky", 1)
    _assert_outputs_identical(
        reference, _fit_predict(model, X_CLF, Y_CLF, "threading", 2)
    )
    _assert_outputs_identical(reference, _fit_predict(model, X_CLF, Y_CLF, "loky", 2))


def test_scanning_fit_transform_identical_across_n_jobs():
    """The cross-fitted outputs of multi-grained scanning do not depend on
    n_jobs nor on the backend."""
    scanner = ScanningClassifier(
        ExtraTreesClassifier(n_estimators=5, random_state=0),
        window=4,
        stride=2,
        max_windows=3,
        random_state=0,
    )
    reference = scanner.set_params(n_jobs=1).fit_transform(X_CLF, Y_CLF)
    for backend, n_jobs in BACKENDS:
        with joblib.parallel_config(backend=backend):
            outputs = scanner.set_params(n_jobs=n_jobs).fit_transform(X_CLF, Y_CLF)
        assert_array_equal(outputs, reference)


def _thread_pools():
    """The size of every BLAS and OpenMP thread pool of this process."""
    return sorted((pool["filepath"], pool["num_threads"]) for pool in threadpool_info())


def _resize_thread_pools(limits):
    """Resize the thread pools for good, leaving no thread in control of
    them (threadpoolctl lets one thread at a time resize OpenBLAS's
    process-wide pool: the first to try, until its limits are undone)."""
    ThreadpoolController().limit(limits=limits)  # not undone: a lasting resize
    release = getattr(
        threadpoolctl.OpenBLASController, "clear_controlling_thread", None
    )
    if release is not None:
        release()


# Two tasks of the plan meet here, so that they overlap.
_RENDEZVOUS = threading.Barrier(2, timeout=10)


class _Rendezvous(ClassifierMixin, BaseEstimator):
    """Waits in fit until another task is in fit too."""

    def fit(self, X, y):
        _RENDEZVOUS.wait()
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))


def _first_in_first_out(monkeypatch):
    """Make overlapping ``threadpool_limits`` blocks run in one order a
    scheduler may choose: each reads the limits after the previous one set
    them, and they are left in the order they were entered."""
    enter, leave = threadpool_limits.__init__, threadpool_limits.__exit__
    lock, turn, entered = threading.Lock(), threading.Condition(), []

    def ordered_enter(self, *args, **kwargs):
        with lock:
            enter(self, *args, **kwargs)
            with turn:
                entered.append(self)

    def ordered_leave(self, *exc_info):
        with turn:
            turn.wait_for(lambda: entered[0] is self, timeout=10)
            leave(self, *exc_info)
            entered.remove(self)
            turn.notify_all()

    monkeypatch.setattr(threadpool_limits, "__init__", ordered_enter)
    monkeypatch.setattr(threadpool_limits, "__exit__", ordered_leave)


def test_parallel_fit_in_threads_leaves_thread_pools_as_they_were(monkeypatch):
    """After a fit with n_jobs=2 on the threading backend, the BLAS and OpenMP
    thread pools of the process have the sizes they had before, however the
    tasks interleave."""
    model = MultiGranularityClassifier(
        [("meet", _Rendezvous())], fusion="average", cv=3, n_jobs=2
    )
    _RENDEZVOUS.reset()
    original = {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}
    # Start from pools of a size the plan's thread budget is not.
    _resize_thread_pools(max(1, joblib.cpu_count() // 2) + 1)
    try:
        before = _thread_pools()
        _first_in_first_out(monkeypatch)
        with joblib.parallel_config(backend="threading"):
            model.fit(X_CLF, Y_CLF)  # 3 folds and the refit: two pairs of tasks
        after = _thread_pools()
    finally:
        _resize_thread_pools(original)
    assert after == before


def _shuffled(branches, seed):
    order = np.random.RandomState(seed).permutation(len(branches))
    return [branches[i] for i in order]


def _averaging_branches():
    return [
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("linear", make_pipeline(StandardScaler(), LogisticRegression())),
        ("pooled", make_pipeline(Pooling(size=3), GaussianNB())),
    ]


@pytest.mark.parametrize("fusion", ["average", "weighted"])
@pytest.mark.parametrize("seed", [1, 2])
def test_order_of_granularities_does_not_change_an_average(fusion, seed):
    """Shuffling the branches leaves the predictions of "average" and
    "weighted" unchanged (up to the rounding of a sum in another order, and
    of the optimiser of "weighted"), and each branch keeps its weight."""
    branches = _averaging_branches()
    model = MultiGranularityClassifier(branches, fusion=fusion, cv=3).fit(X_CLF, Y_CLF)
    shuffled = MultiGranularityClassifier(
        _shuffled(branches, seed), fusion=fusion, cv=3
    ).fit(X_CLF, Y_CLF)
    atol = 1e-12 if fusion == "average" else 1e-5
    assert_allclose(
        shuffled.predict_proba(X_CLF), model.predict_proba(X_CLF), atol=atol
    )
    assert_array_equal(shuffled.predict(X_CLF), model.predict(X_CLF))
    weights = dict(zip(model.named_estimators_, model.fusion_.weights_))
    shuffled_weights = dict(zip(shuffled.named_estimators_, shuffled.fusion_.weights_))
    for name, weight in weights.items():
        assert shuffled_weights[name] == pytest.approx(weight, abs=atol)


@pytest.mark.parametrize("fusion", ["average", "weighted"])
def test_order_of_granularities_does_not_change_a_regression_average(fusion):
    """The same for the regressor's mean prediction."""
    branches = [
        ("shallow", DecisionTreeRegressor(max_depth=2, random_state=0)),
        ("deep", DecisionTreeRegressor(max_depth=5, random_state=0)),
        ("linear", Ridge()),
    ]
    model = MultiGranularityRegressor(branches, fusion=fusion, cv=3)
    shuffled = MultiGranularityRegressor(branches[::-1], fusion=fusion, cv=3)
    assert_allclose(
        shuffled.fit(X_REG, Y_REG).predict(X_REG),
        model.fit(X_REG, Y_REG).predict(X_REG),
        rtol=1e-6,
        atol=1e-6 * np.abs(Y_REG).max(),
    )
