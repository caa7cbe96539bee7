"""Predictions of every fusion, pinned: the values a fit gave before the core
of the fit was rewritten as one record, kept bit for bit.

The values live in ``golden_predictions.json`` beside this file, one entry
per scikit-learn version they were recorded with (its solvers may differ in
the last bits from one version to the next). ``python tests/test_golden.py``
records the entry of the installed version; do that only when a change of
the numbers is intended, and say so in the commit.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skmg import MultiGranularityClassifier, MultiGranularityRegressor

GOLDEN = Path(__file__).with_name("golden_predictions.json")
VERSION = ".".join(sklearn.__version__.split(".")[:2])


def _classification(name):
    """Training and test rows of a bundled dataset; the labels of the binary
    set are strings, so that decoding is pinned too."""
    if name == "iris":
        X, y = load_iris(return_X_y=True)
    else:
        X, y = load_breast_cancer(return_X_y=True)
        X, y = X[:, :8], np.where(y == 1, "benign", "malignant")
    rng = np.random.RandomState(0)
    order = rng.permutation(len(y))
    test, train = order[:40], order[40:]
    return X[train], y[train], X[test]


def _regression():
    X, y = load_diabetes(return_X_y=True)
    return X[:300], y[:300], X[300:340]


def _classifier_branches():
    return [
        ("linear", make_pipeline(StandardScaler(), LogisticRegression())),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(7))),
    ]


def _regressor_branches():
    return [
        ("ridge", Ridge(alpha=1.0)),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(9))),
    ]


CLASSIFIER_CASES = {
    "stacking": {},
    "stacking-passthrough": {"passthrough": True},
    "stacking-norefit": {"refit": False},
    "stacking-predict": {"stack_method": "predict"},
    "average": {"fusion": "average"},
    "weighted": {"fusion": "weighted"},
    "greedy": {"fusion": "greedy"},
    "cawpe": {"fusion": "cawpe"},
    "cascade": {"fusion": "cascade"},
    "auto": {"fusion": "auto"},
}

REGRESSOR_CASES = {
    "stacking": {},
    "stacking-norefit": {"refit": False},
    "average": {"fusion": "average"},
    "weighted": {"fusion": "weighted"},
    "greedy": {"fusion": "greedy"},
    "cascade": {"fusion": "cascade"},
    "residual": {"fusion": "residual"},
    "auto": {"fusion": "auto"},
}


def _values(model, X_test):
    """What is pinned of a fitted model: its predictions and probabilities
    (or decision values), its out-of-fold outputs and scores."""
    values = {
        "predict": np.asarray(model.predict(X_test)).tolist(),
        # the out-of-fold outputs of every training row, as a digest of their bytes
        "oof_predictions": hashlib.sha256(
            np.ascontiguousarray(model.oof_predictions_, dtype=np.float64).tobytes()
        ).hexdigest(),
        "granularity_scores": model.granularity_scores_,
        "fusion_score": float(model.fusion_score_),
    }
    if hasattr(model, "predict_proba"):
        values["predict_proba"] = model.predict_proba(X_test).tolist()
    elif hasattr(model, "decision_function"):
        values["decision_function"] = model.decision_function(X_test).tolist()
    return values


def _cases():
    for dataset in ("iris", "breast_cancer"):
        for case in CLASSIFIER_CASES:
            yield f"{dataset}/{case}"
    for case in REGRESSOR_CASES:
        yield f"diabetes/{case}"


def _compute(key):
    dataset, case = key.split("/")
    if dataset == "diabetes":
        X, y, X_test = _regression()
        model = MultiGranularityRegressor(
            _regressor_branches(), cv=3, **REGRESSOR_CASES[case]
        )
    else:
        X, y, X_test = _classification(dataset)
        model = MultiGranularityClassifier(
            _classifier_branches(), cv=3, **CLASSIFIER_CASES[case]
        )
    return _values(model.fit(X, y), X_test)


def _recorded():
    if not GOLDEN.exists():
        return {}
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("key", list(_cases()))
def test_predictions_are_bit_identical_to_the_recorded_ones(key):
    """Every fusion on three datasets gives, bit for bit, the predictions,
    probabilities, out-of-fold outputs and scores recorded for this
    scikit-learn version."""
    recorded = _recorded().get(VERSION)
    if recorded is None:
        pytest.skip(f"no golden values recorded for scikit-learn {VERSION}")
    expected = recorded[key]
    got = json.loads(json.dumps(_compute(key)))  # the same float round trip
    assert got == expected


if __name__ == "__main__":
    golden = _recorded()
    golden[VERSION] = {key: _compute(key) for key in _cases()}
    GOLDEN.write_text(json.dumps(golden, indent=0, sort_keys=True) + "\n")
    print(f"recorded {len(golden[VERSION])} cases for scikit-learn {VERSION}")
