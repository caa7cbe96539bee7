"""The fit plan: progress reporting and the combination of fold outputs."""

import io
import os
import re
import threading
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

from skmg import MultiGranularityClassifier
from skmg._compat import SKLEARN_VERSION
from skmg._outputs import PREDICT, PROBA, aggregate
from skmg._plan import Task, _Progress

X, Y = make_classification(n_samples=90, n_features=5, random_state=0)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_verbose_reports_every_task_once_on_stderr(capsys, n_jobs):
    """verbose=1 names every branch and fold exactly once, on stderr; stdout
    stays empty."""
    MultiGranularityClassifier(
        [("nb", GaussianNB()), ("tree", DecisionTreeClassifier(random_state=0))],
        cv=3,
        verbose=1,
        n_jobs=n_jobs,
    ).fit(X, Y)
    out, err = capsys.readouterr()
    assert out == ""
    steps = re.findall(r"branch '(\w+)' (fold \d/3|refit)", err)
    expected = {
        (name, step)
        for name in ["nb", "tree"]
        for step in ["fold 1/3", "fold 2/3", "fold 3/3", "refit"]
    }
    assert sorted(steps) == sorted(expected)
    assert "[skmg] 8/8" in err


def test_verbose_zero_prints_nothing(capsys):
    """verbose=0 prints nothing at all."""
    MultiGranularityClassifier([("nb", GaussianNB())], cv=3).fit(X, Y)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_on_a_terminal():
    """On a terminal the progress is one line redrawn in place."""

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = _Progress(2, 3, stream=stream)
    progress.update(Task(0, "raw", 0), 0.5)
    progress.update(Task(0, "raw", None), 0.25)
    progress.close()
    text = stream.getvalue()
    assert text.count("\r") == 2
    assert "[##########..........] 1/2 branch 'raw' fold 1/3 0.50s" in text
    assert "[####################] 2/2 branch 'raw' refit 0.25s" in text
    assert text.endswith("\n")


def test_aggregate_means_overlapping_rows_and_marks_uncovered():
    """Continuous outputs of rows in several test folds are averaged; rows in
    none are NaN and not covered."""
    outputs = [np.array([[1.0], [2.0]]), np.array([[3.0], [5.0]])]
    rows = [np.array([0, 1]), np.array([1, 2])]
    combined, covered = aggregate(outputs, rows, 4, PROBA, None)
    assert_array_equal(covered, [True, True, True, False])
    assert_array_equal(combined[:3, 0], [1.0, 2.5, 5.0])
    assert np.isnan(combined[3, 0])


def test_aggregate_votes_on_labels():
    """Class labels are put to a majority vote; ties go to the smaller label."""
    outputs = [np.array([[2.0], [1.0]]), np.array([[2.0], [0.0]]), np.array([[1.0]])]
    rows = [np.array([0, 1]), np.array([0, 1]), np.array([0])]
    combined, covered = aggregate(outputs, rows, 2, PREDICT, 3)
    assert_array_equal(combined[:, 0], [2.0, 0.0])
    assert covered.all()


class _ThreadRecorder(GaussianNB):
    """GaussianNB that records the thread pools it may use during fit."""

    def fit(self, X, y, sample_weight=None):
        from joblib import effective_n_jobs
        from threadpoolctl import threadpool_info

        self.pool_threads_ = sorted({p["num_threads"] for p in threadpool_info()})
        self.inner_n_jobs_ = effective_n_jobs(None)
        return super().fit(X, y, sample_weight=sample_weight)


def test_thread_budget_keeps_total_threads_at_core_count(monkeypatch):
    """With n_jobs workers, each task's BLAS/OpenMP pools and default joblib
    n_jobs are limited to cpu_count // n_jobs; with one worker, no limit."""
    from skmg import _plan

    monkeypatch.setattr(_plan, "cpu_count", lambda: 8)
    assert _plan._inner_threads(1) is None
    assert _plan._inner_threads(2) == 4
    assert _plan._inner_threads(16) == 1
    model = MultiGranularityClassifier([("nb", _ThreadRecorder())], cv=3, n_jobs=2)
    model.fit(X, Y)
    fitted = model.named_estimators_["nb"]
    assert fitted.inner_n_jobs_ == 4  # set in the worker by the budget
    assert max(fitted.pool_threads_, default=4) <= 4
    model.set_params(n_jobs=1).fit(X, Y)
    assert model.named_estimators_["nb"].inner_n_jobs_ == 1


def _thread_settings(estimator):
    """Every thread parameter of an estimator and of its nested ones."""
    names = {"n_jobs", "nthread", "num_threads", "thread_count"}
    return {
        key: value
        for key, value in estimator.get_params(deep=True).items()
        if key.rsplit("__", 1)[-1] in names
    }


@pytest.mark.skipif(
    SKLEARN_VERSION < (1, 8),
    reason="LogisticRegression's n_jobs is deprecated from scikit-learn 1.8 on; "
    "before, it has an effect and the budget sets it",
)
def test_budget_leaves_a_deprecated_thread_parameter_alone():
    """n_jobs of scikit-learn's LogisticRegression has no effect since 1.8
    and warns when set: under n_jobs=2 the budget leaves it at None (alone
    and in a Pipeline), no warning about it reaches the user, and n_jobs of
    a forest next to it still gets the budget."""
    from joblib import parallel_config
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmg._plan import _inner_threads, with_thread_budget

    model = MultiGranularityClassifier(
        [
            ("linear", LogisticRegression()),
            ("scaled", make_pipeline(StandardScaler(), LogisticRegression())),
            ("forest", RandomForestClassifier(n_estimators=5, random_state=0)),
        ],
        cv=3,
        n_jobs=2,
    )
    # threads of this process: their warnings are recorded here
    with (
        parallel_config(backend="threading"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        model.fit(X, Y)
    assert [str(w.message) for w in caught if "n_jobs" in str(w.message)] == []
    budget = _inner_threads(2)
    assert model.named_estimators_["linear"].n_jobs is None
    assert _thread_settings(model.named_estimators_["scaled"]) == {
        "logisticregression__n_jobs": None
    }
    assert model.named_estimators_["forest"].n_jobs == budget
    assert with_thread_budget(LogisticRegression(), 3).n_jobs is None
    assert with_thread_budget(RandomForestClassifier(), 3).n_jobs == 3


def test_budget_keeps_the_lightgbm_and_xgboost_thread_aliases():
    """A thread setting given under another name of the library
    (LightGBM's num_threads or nthread, XGBoost's nthread) is the user's:
    the budget does not set n_jobs next to it, and LightGBM fits with it."""
    lightgbm = pytest.importorskip("lightgbm")
    xgboost = pytest.importorskip("xgboost")
    from skmg._plan import with_thread_budget

    for alias in ["num_threads", "nthread"]:
        booster = with_thread_budget(lightgbm.LGBMClassifier(**{alias: 2}), 1)
        assert _thread_settings(booster) == {"n_jobs": None, alias: 2}
    assert _thread_settings(with_thread_budget(lightgbm.LGBMClassifier(), 1)) == {
        "n_jobs": 1
    }
    assert _thread_settings(
        with_thread_budget(xgboost.XGBClassifier(nthread=2), 1)
    ) == {"n_jobs": None, "nthread": 2}
    model = MultiGranularityClassifier(
        [("gbm", lightgbm.LGBMClassifier(n_estimators=5, nthread=2, verbose=-1))],
        cv=3,
        n_jobs=2,
    ).fit(X, Y)
    assert model.named_estimators_["gbm"].booster_.params["num_threads"] == 2


def test_budget_keeps_an_explicit_catboost_thread_count():
    """CatBoost's explicit thread_count (a count: CatBoost forgets -1, its
    default) is kept; an unset one gets the budget, in a Pipeline too."""
    catboost = pytest.importorskip("catboost")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmg._plan import with_thread_budget

    explicit = catboost.CatBoostRegressor(thread_count=os.cpu_count())
    assert _thread_settings(with_thread_budget(explicit, 1)) == {
        "thread_count": os.cpu_count()
    }
    pipeline = make_pipeline(StandardScaler(), catboost.CatBoostRegressor())
    assert _thread_settings(with_thread_budget(pipeline, 1)) == {
        "catboostregressor__thread_count": 1
    }
    assert (
        "thread_count" not in catboost.CatBoostRegressor(thread_count=-1).get_params()
    )


class _Locked(GaussianNB):
    """GaussianNB whose fitted model holds a lock, which cannot be pickled."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight=sample_weight)
        self.lock_ = threading.Lock()
        return self


@pytest.mark.parametrize(
    "refit, task", [(True, "the refit on all rows"), (False, r"fold \d/3")]
)
def test_a_fitted_model_that_cannot_leave_its_worker_names_its_task(refit, task):
    """Under n_jobs=2 (worker processes) a fitted model that cannot be
    pickled back is reported with its branch and task, not as a bare
    "cannot pickle '_thread.lock'"; in the caller's process it fits."""
    branches = [("nb", GaussianNB()), ("locked", _Locked())]
    model = MultiGranularityClassifier(branches, cv=3, refit=refit, n_jobs=2)
    message = (
        rf"branch 'locked' failed in {task} \(its fitted model cannot be pickled "
        r"to leave the worker process\): cannot pickle '_thread.lock' object"
    )
    with pytest.raises(TypeError, match=message):
        model.fit(X, Y)
    assert hasattr(model.set_params(n_jobs=1).fit(X, Y), "fusion_")
