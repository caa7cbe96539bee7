"""The fit plan on a dask cluster: the same model as with the local backend.

A ``LocalCluster`` of two single-threaded worker processes, on the loopback
interface only, runs the plan under ``joblib.parallel_config(backend="dask")``;
the fitted model must predict exactly as the one fitted with loky.
"""

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeRegressor

from skmg import (
    IntervalFeatures,
    MultiGranularityClassifier,
    MultiGranularityRegressor,
    Pooling,
)

distributed = pytest.importorskip("distributed")

N_JOBS = 2


@pytest.fixture(scope="module")
def dask_client():
    """A two-worker cluster on 127.0.0.1, closed after the module's tests."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _classification():
    return make_classification(
        n_samples=150, n_features=16, n_informative=6, n_classes=3, random_state=0
    )


def _regression():
    return make_regression(n_samples=150, n_features=16, noise=10.0, random_state=0)


def _classifier(**params):
    return MultiGranularityClassifier(
        [
            (
                "raw",
                HistGradientBoostingClassifier(
                    max_iter=15, early_stopping=False, random_state=0
                ),
            ),
            ("pooled", make_pipeline(Pooling(2), LogisticRegression(max_iter=500))),
            (
                "interval",
                make_pipeline(
                    IntervalFeatures(4),
                    ExtraTreesClassifier(n_estimators=20, random_state=0),
                ),
            ),
        ],
        cv=3,
        n_jobs=N_JOBS,
        **params,
    )


def _regressor():
    return MultiGranularityRegressor(
        [
            ("raw", DecisionTreeRegressor(max_depth=4, random_state=0)),
            ("pooled", make_pipeline(Pooling(2), Ridge())),
            ("interval", make_pipeline(IntervalFeatures(4), KNeighborsRegressor())),
        ],
        cv=3,
        n_jobs=N_JOBS,
    )


CASES = {
    "classifier": (_classifier, _classification),
    "classifier-average": (lambda: _classifier(fusion="average"), _classification),
    "regressor": (_regressor, _regression),
}


def _fit(make_model, X, y, backend):
    with joblib.parallel_config(backend=backend):
        return make_model().fit(X, y)


@pytest.mark.parametrize("case", list(CASES))
def test_dask_backend_gives_the_local_model(dask_client, case):
    """Under the dask backend the plan runs on the cluster's workers, and the
    model predicts exactly as the one fitted with loky."""
    make_model, make_data = CASES[case]
    X, y = make_data()
    local = _fit(make_model, X, y, "loky")
    with distributed.get_task_stream(dask_client) as stream:
        remote = _fit(make_model, X, y, "dask")
    assert len(stream.data) > 0  # the fits ran on the cluster

    assert_array_equal(remote.oof_predictions_, local.oof_predictions_)
    assert_array_equal(remote.predict(X), local.predict(X))
    if hasattr(local, "predict_proba"):
        assert_array_equal(remote.predict_proba(X), local.predict_proba(X))


@pytest.mark.parametrize("n_jobs", [1, N_JOBS])
def test_dask_plan_is_flat(dask_client, n_jobs):
    """A branch's own joblib calls stay inside its task: the cluster runs
    exactly the tasks of the plan (3 folds + the refit), also when the plan
    itself has a single worker.

    ``fusion="average"``: a stacking model's final estimator may make joblib
    calls of its own (LogisticRegression does in scikit-learn 1.6), which run
    in the caller, outside the plan, and rightly go to the cluster too.
    """
    X, y = _classification()
    model = MultiGranularityClassifier(
        [("trees", ExtraTreesClassifier(n_estimators=20, random_state=0))],
        fusion="average",
        cv=3,
        n_jobs=n_jobs,
    )
    with (
        joblib.parallel_config(backend="dask"),
        distributed.get_task_stream(dask_client) as stream,
    ):
        model.fit(X, y)
    keys = [str(task["key"]) for task in stream.data]
    assert len(keys) == 4
    assert all("_fit_task" in key for key in keys), keys


def _alignment_probe():
    """A classifier that records whether its training arrays were aligned.

    Defined in a function so that it is pickled by value for the workers.
    """

    def aligned(data):
        if hasattr(data, "columns"):  # a DataFrame: every column
            return all(data[c].to_numpy().flags.aligned for c in data.columns)
        return bool(np.asarray(data).flags.aligned)

    class AlignmentProbe(ClassifierMixin, BaseEstimator):
        def fit(self, X, y, sample_weight=None):
            self.aligned_ = aligned(X) and aligned(y)
            if sample_weight is not None:
                self.aligned_ = self.aligned_ and aligned(sample_weight)
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            n_classes = len(self.classes_)
            return np.full((len(X), n_classes), 1.0 / n_classes)

    return AlignmentProbe()


@pytest.mark.parametrize("container", ["array", "dataframe"])
def test_dask_branches_see_aligned_arrays(dask_client, container):
    """Every branch, the refit included, trains on aligned data: X (an array
    or a DataFrame), y and the sample weights."""
    X, y = _classification()
    if container == "dataframe":
        pd = pytest.importorskip("pandas")
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    model = MultiGranularityClassifier(
        [("probe", _alignment_probe())], fusion="average", cv=3, n_jobs=N_JOBS
    )
    with joblib.parallel_config(backend="dask"):
        model.fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(y)))
    assert model.named_estimators_["probe"].aligned_


def test_dask_scatters_the_data_once_per_fit(dask_client, monkeypatch):
    """X and y travel to the cluster once per fit, not once per task: every
    task of the plan refers to the same scattered data."""
    X, y = _classification()
    scattered = []
    scatter = dask_client.scatter

    def recording_scatter(data, *args, **kwargs):
        scattered.append(data)
        return scatter(data, *args, **kwargs)

    monkeypatch.setattr(dask_client, "scatter", recording_scatter)
    # 3 branches x (3 folds + refit): 12 tasks. Average fusion: a stacking
    # model's final estimator may scatter its own inputs (scikit-learn 1.6's
    # LogisticRegression makes a joblib call), outside the plan.
    model = _classifier(fusion="average")
    with joblib.parallel_config(backend="dask"):
        model.fit(X, y)
    shapes = [getattr(data, "shape", None) for data in scattered]
    assert shapes.count(X.shape) == 1
    assert shapes.count(y.shape) == 1  # y (label-encoded); folds are shorter
