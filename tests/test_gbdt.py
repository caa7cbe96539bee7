"""Gradient-boosting branches (LightGBM, XGBoost, CatBoost): the thread
budget of a parallel fit reaches them. Skips the libraries not installed
(``pip install ".[gbdt]"``)."""

import numpy as np
import pytest
from joblib import cpu_count
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmg import MultiGranularityClassifier

X, Y = make_classification(n_samples=200, n_features=8, random_state=0)
BUDGET = max(1, cpu_count() // 2)


def _lightgbm():
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=5, verbose=-1)


def _xgboost():
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(n_estimators=5)


def _catboost():
    catboost = pytest.importorskip("catboost")
    return catboost.CatBoostClassifier(
        iterations=5, verbose=0, allow_writing_files=False
    )


def _thread_parameter(model):
    if type(model).__module__.startswith("catboost"):
        return model.get_params().get("thread_count")
    return model.n_jobs


@pytest.mark.parametrize("make", [_lightgbm, _xgboost, _catboost])
def test_thread_budget_reaches_the_boosting_library(make):
    """With n_jobs=2, a boosting branch whose thread parameter is left at its
    default fits with cpu_count // 2 threads, on the task's clone only; in a
    Pipeline too. Sequentially (n_jobs=1) the library keeps its default."""
    booster = make()
    model = MultiGranularityClassifier(
        [("booster", booster), ("scaled", make_pipeline(StandardScaler(), make()))],
        cv=3,
        n_jobs=2,
    ).fit(X, Y)
    assert _thread_parameter(model.named_estimators_["booster"]) == BUDGET
    assert _thread_parameter(model.named_estimators_["scaled"][-1]) == BUDGET
    assert _thread_parameter(booster) is None  # the user's estimator is untouched
    sequential = MultiGranularityClassifier([("booster", make())], cv=3).fit(X, Y)
    assert _thread_parameter(sequential.named_estimators_["booster"]) is None


def test_explicit_thread_settings_are_kept():
    """n_jobs=-1 given by the user is theirs: the budget leaves it alone, and
    it leaves n_jobs=None of a scikit-learn forest at the budget."""
    model = MultiGranularityClassifier(
        [
            ("mine", RandomForestClassifier(n_estimators=5, n_jobs=-1, random_state=0)),
            ("default", RandomForestClassifier(n_estimators=5, random_state=0)),
        ],
        cv=3,
        n_jobs=2,
    ).fit(X, Y)
    assert model.named_estimators_["mine"].n_jobs == -1
    assert model.named_estimators_["default"].n_jobs == BUDGET
    assert np.isfinite(model.fusion_score_)
