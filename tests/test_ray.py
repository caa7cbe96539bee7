"""The fit plan on ray's joblib backend: the same model as with loky.

ray is not among the test extras (it is a large install); the test runs
where it is installed and skips cleanly elsewhere.
"""

import joblib
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skmg import MultiGranularityClassifier, Pooling

ray = pytest.importorskip("ray")
ray_joblib = pytest.importorskip("ray.util.joblib")


@pytest.fixture(scope="module")
def ray_cluster():
    """A local ray instance of two CPUs, shut down after the module."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray_joblib.register_ray()
    yield
    ray.shutdown()


def _model():
    return MultiGranularityClassifier(
        [
            ("raw", LogisticRegression(max_iter=500)),
            (
                "pooled",
                make_pipeline(
                    Pooling(2), ExtraTreesClassifier(n_estimators=20, random_state=0)
                ),
            ),
            ("boosting", HistGradientBoostingClassifier(max_iter=20, random_state=0)),
        ],
        cv=3,
        n_jobs=2,
    )


def test_ray_backend_gives_the_local_model(ray_cluster):
    """Fitted under ray's joblib backend, the model predicts exactly as the
    one fitted with loky."""
    X, y = make_classification(
        n_samples=300, n_features=16, n_informative=6, n_classes=3, random_state=0
    )
    local = _model().fit(X, y)
    with joblib.parallel_config(backend="ray"):
        remote = _model().fit(X, y)
    assert_array_equal(remote.predict_proba(X), local.predict_proba(X))
    assert_array_equal(remote.oof_predictions_, local.oof_predictions_)
