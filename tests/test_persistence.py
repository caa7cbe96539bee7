"""Fitted models survive pickle, joblib and skops with identical predictions.

Every fusion strategy, with and without refit, with views and multi-grained
scanning inside the branches. For skops, the fitted state should hold only
NumPy arrays, plain Python values, scikit-learn estimators and skmg's own
types, so that a user trusts exactly ``SKMG_TRUSTED_TYPES``.
"""

import pickle
from functools import cache

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.fusion import CascadeFusion
from skmg.granularity import (
    IntervalFeatures,
    Pooling,
    ScanningClassifier,
    ScanningRegressor,
)

# The skmg types whose instances a fitted skmg model may hold: what a user
# passes as ``trusted`` to ``skops.io.load`` (after checking the file with
# ``skops.io.get_untrusted_types``).
SKMG_TRUSTED_TYPES = [
    "skmg._estimators.MultiGranularityClassifier",
    "skmg._estimators.MultiGranularityRegressor",
    "skmg._levels.LevelBranch",
    "skmg._levels.PrefitBranch",
    "skmg._record.FitRecord",
    "skmg._record.FittedLevel",
    "skmg.fusion._auto.AutoFusion",
    "skmg.fusion._averaging.AverageFusion",
    "skmg.fusion._averaging.CAWPEFusion",
    "skmg.fusion._averaging.GreedyFusion",
    "skmg.fusion._averaging.WeightedFusion",
    "skmg.fusion._multipass.CascadeFusion",
    "skmg.fusion._multipass.ResidualFusion",
    "skmg.fusion._stacking.StackingFusion",
    "skmg.granularity._scanning.ScanningClassifier",
    "skmg.granularity._scanning.ScanningRegressor",
    "skmg.granularity._scanning._WindowGrid",
    "skmg.granularity._views.IntervalFeatures",
    "skmg.granularity._views.Pooling",
]

X_CLF, Y_CLF = make_classification(
    n_samples=60, n_features=8, n_informative=4, n_classes=3, random_state=0
)
Y_CLF = np.array(["low", "mid", "high"])[Y_CLF]
X_REG, Y_REG = make_regression(n_samples=60, n_features=8, noise=1.0, random_state=0)

FUSIONS = ["stacking", "average", "weighted", "greedy", "cascade", "auto"]
CLASSIFIER_FUSIONS = FUSIONS + ["cawpe"]
REGRESSOR_FUSIONS = FUSIONS + ["residual"]
MODELS = [
    *[
        ("classifier", fusion, refit)
        for fusion in CLASSIFIER_FUSIONS
        for refit in (True, False)
    ],
    *[
        ("regressor", fusion, refit)
        for fusion in REGRESSOR_FUSIONS
        for refit in (True, False)
    ],
    ("prefit-classifier", "stacking", None),
    ("scanning-classifier", None, None),
    ("scanning-regressor", None, None),
    ("interval", None, None),
]
MODEL_IDS = [
    "-".join(str(part) for part in model if part is not None) for model in MODELS
]


def _classifier_branches():
    """Views and scanning inside the branches; no decision trees, whose
    ``Tree`` skops itself does not trust (see the last test)."""
    return [
        ("nb", GaussianNB()),
        (
            "interval",
            make_pipeline(IntervalFeatures(window=4), StandardScaler(), GaussianNB()),
        ),
        ("pooled", make_pipeline(Pooling(size=2), GaussianNB())),
        ("scan", ScanningClassifier(GaussianNB(), window=4, stride=2)),
    ]


def _regressor_branches():
    return [
        ("ridge", Ridge()),
        ("interval", make_pipeline(IntervalFeatures(window=4), Ridge())),
        ("scan", ScanningRegressor(Ridge(), window=4, stride=2)),
    ]


def _fusion(fusion):
    # a negative tol keeps the second level, so the fitted model holds
    # LevelBranch objects
    return CascadeFusion(max_levels=2, tol=-1.0) if fusion == "cascade" else fusion


@cache
def _fitted(kind, fusion, refit):
    """The fitted model and the data it predicts (fitted once per module)."""
    if kind == "classifier":
        model = MultiGranularityClassifier(
            _classifier_branches(),
            fusion=_fusion(fusion),
            refit=refit,
            cv=3,
        )
        return model.fit(X_CLF, Y_CLF), X_CLF
    if kind == "regressor":
        model = MultiGranularityRegressor(
            _regressor_branches(),
            fusion=_fusion(fusion),
            refit=refit,
            cv=3,
        )
        return model.fit(X_REG, Y_REG), X_REG
    if kind == "prefit-classifier":
        fitted = [
            (name, clone(est).fit(X_CLF, Y_CLF)) for name, est in _classifier_branches()
        ]
        model = MultiGranularityClassifier(fitted, fusion=fusion, cv="prefit")
        return model.fit(X_CLF, Y_CLF), X_CLF
    if kind == "scanning-classifier":
        model = ScanningClassifier(GaussianNB(), window=2, shape=(2, 4))
        return model.fit(X_CLF, Y_CLF), X_CLF
    if kind == "scanning-regressor":
        model = ScanningRegressor(Ridge(), window=3, max_windows=2, random_state=0)
        return model.fit(X_REG, Y_REG), X_REG
    return IntervalFeatures(window=2, shape=(2, 4)).fit(X_REG), X_REG


def _outputs(model, X):
    """Every output method the model has."""
    methods = ["predict", "predict_proba", "decision_function", "transform"]
    return {m: getattr(model, m)(X) for m in methods if hasattr(model, m)}


def _assert_same_outputs(loaded, model, X):
    assert type(loaded) is type(model)
    expected = _outputs(model, X)
    actual = _outputs(loaded, X)
    assert actual.keys() == expected.keys()
    for method in expected:
        assert_array_equal(actual[method], expected[method], err_msg=method)


def test_every_fusion_is_persisted():
    """Both values of refit and every fusion of both estimators are in the
    list of models."""
    assert {(kind, fusion) for kind, fusion, _ in MODELS} >= {
        *(("classifier", fusion) for fusion in CLASSIFIER_FUSIONS),
        *(("regressor", fusion) for fusion in REGRESSOR_FUSIONS),
    }


@pytest.mark.parametrize("kind, fusion, refit", MODELS, ids=MODEL_IDS)
def test_pickle_round_trip(kind, fusion, refit):
    """A pickled and unpickled model predicts exactly as the original."""
    model, X = _fitted(kind, fusion, refit)
    _assert_same_outputs(pickle.loads(pickle.dumps(model)), model, X)


@pytest.mark.parametrize("kind, fusion, refit", MODELS, ids=MODEL_IDS)
def test_joblib_round_trip(kind, fusion, refit, tmp_path):
    """``joblib.dump``/``joblib.load`` keep the predictions exactly."""
    model, X = _fitted(kind, fusion, refit)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    _assert_same_outputs(joblib.load(path), model, X)


@pytest.fixture(scope="module")
def skops_io():
    return pytest.importorskip("skops.io")


@pytest.fixture(scope="module")
def skops_file(skops_io, tmp_path_factory):
    """``skops_file(kind, fusion, refit)``: the path of the fitted model
    dumped by ``skops.io.dump`` (dumped once per module)."""
    folder = tmp_path_factory.mktemp("skops")
    paths = {}

    def dump(*model_args):
        if model_args not in paths:
            model, _ = _fitted(*model_args)
            name = "-".join(str(part) for part in model_args)
            paths[model_args] = folder / f"{name}.skops"
            skops_io.dump(model, paths[model_args])
        return paths[model_args]

    return dump


@pytest.mark.parametrize("kind, fusion, refit", MODELS, ids=MODEL_IDS)
def test_skops_round_trip(kind, fusion, refit, skops_io, skops_file):
    """A model loaded by skops, trusting what skops lists, predicts exactly as
    the original."""
    model, X = _fitted(kind, fusion, refit)
    path = skops_file(kind, fusion, refit)
    untrusted = skops_io.get_untrusted_types(file=path)
    _assert_same_outputs(skops_io.load(path, trusted=untrusted), model, X)


@pytest.mark.parametrize("kind, fusion, refit", MODELS[:-3], ids=MODEL_IDS[:-3])
def test_skops_needs_to_trust_only_skmg_types(
    kind, fusion, refit, skops_io, skops_file
):
    """skops lists only skmg types as untrusted, all of them in
    ``SKMG_TRUSTED_TYPES``, and loads the model trusting that list."""
    model, X = _fitted(kind, fusion, refit)
    path = skops_file(kind, fusion, refit)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert [name for name in untrusted if not name.startswith("skmg.")] == []
    assert set(untrusted) <= set(SKMG_TRUSTED_TYPES)
    loaded = skops_io.load(path, trusted=SKMG_TRUSTED_TYPES)
    _assert_same_outputs(loaded, model, X)


@pytest.mark.parametrize(
    "kind", ["scanning-classifier", "scanning-regressor", "interval"]
)
def test_skops_standalone_granularity_needs_only_skmg_types(kind, skops_io, skops_file):
    """Views and scanning estimators on their own load trusting
    ``SKMG_TRUSTED_TYPES``."""
    model, X = _fitted(kind, None, None)
    path = skops_file(kind, None, None)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert untrusted and set(untrusted) <= set(SKMG_TRUSTED_TYPES)
    _assert_same_outputs(skops_io.load(path, trusted=SKMG_TRUSTED_TYPES), model, X)


def test_trusted_types_are_all_needed(skops_io, skops_file):
    """``SKMG_TRUSTED_TYPES`` is exactly the skmg types the models hold: no
    entry is stale."""
    seen = set()
    for model_args in MODELS:
        untrusted = skops_io.get_untrusted_types(file=skops_file(*model_args))
        seen |= {name for name in untrusted if name.startswith("skmg.")}
    assert seen == set(SKMG_TRUSTED_TYPES)


def test_skops_types_beyond_skmg_come_from_the_branches(skops_io):
    """With decision-tree branches skops also lists the trees' ``Tree``: it
    does so for a fitted tree on its own, so that type comes from the branch,
    not from skmg."""
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    model = MultiGranularityClassifier(
        [("tree", tree), ("nb", GaussianNB())], cv=3
    ).fit(X_CLF, Y_CLF)
    untrusted = skops_io.get_untrusted_types(data=skops_io.dumps(model))
    from_branch = skops_io.get_untrusted_types(
        data=skops_io.dumps(tree.fit(X_CLF, Y_CLF))
    )
    beyond_skmg = {name for name in untrusted if not name.startswith("skmg.")}
    assert beyond_skmg == set(from_branch)
