"""ONNX export: the graph that skl2onnx builds after ``import skmg.onnx``
predicts what the fitted model predicts.

Every convertible fusion, for a classifier (binary, multiclass; integer,
string and {1, 2} labels) and a regressor, with skmg's views in the branches,
run in onnxruntime on float32 rows: identical labels, probabilities and
predictions within 1e-4 (relative 1e-5 for regression targets in the
hundreds). What does not convert raises an error naming what.
"""

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_digits
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier, RidgeCV
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

pytest.importorskip("skl2onnx")
rt = pytest.importorskip("onnxruntime")

from skl2onnx import to_onnx  # noqa: E402

import skmg.onnx  # noqa: E402
from skmg import (  # noqa: E402
    Differences,
    IntervalFeatures,
    MultiGranularityClassifier,
    MultiGranularityRegressor,
    Pooling,
)
from skmg.fusion import AutoFusion, AverageFusion  # noqa: E402

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_FIT, Y_FIT = X_DIGITS[:400], Y_DIGITS[:400]
X_TEST = X_DIGITS[1200:1500]
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)

CLASSIFIER_FUSIONS = ["stacking", "average", "weighted", "greedy", "cawpe", "auto"]
REGRESSOR_FUSIONS = ["stacking", "average", "weighted", "greedy", "auto"]
# Three granularities of the 8x8 digits: the pixels, a 4x4 pooled image, the
# statistics of every 4x4 patch; the last two through skmg's views.
LABELINGS = {
    "multiclass": lambda y: y,
    "binary": lambda y: y % 2,
    "strings": lambda y: np.array(["round", "straight", "mixed"])[y % 3],
    "one-two": lambda y: np.where(y < 5, 1, 2),
}


def _logistic():
    """A logistic regression that converges fast on these data."""
    return LogisticRegression(solver="newton-cg")


def _classifier_branches():
    return [
        ("pixels", make_pipeline(StandardScaler(), _logistic())),
        (
            "pooled",
            make_pipeline(
                Pooling(size=2, shape=(8, 8)), DecisionTreeClassifier(max_depth=6)
            ),
        ),
        (
            "patches",
            make_pipeline(
                IntervalFeatures(window=4, shape=(8, 8)),
                StandardScaler(),
                _logistic(),
            ),
        ),
    ]


def _decision_branches():
    """Branches without predict_proba: their decision values are fused."""
    return [
        ("ridge", make_pipeline(StandardScaler(), RidgeClassifier())),
        ("svc", LinearSVC(C=0.01)),
        ("pooled", make_pipeline(Pooling(size=2, shape=(8, 8)), RidgeClassifier())),
    ]


def _regressor_branches():
    return [
        ("linear", RidgeCV()),
        ("tree", DecisionTreeRegressor(max_depth=4, random_state=0)),
        ("changes", make_pipeline(Differences(), RidgeCV())),
        ("pooled", make_pipeline(Pooling(size=2), RidgeCV())),
    ]


@cache
def _fitted_classifier(
    fusion="stacking", labeling="multiclass", branches="proba", **params
):
    """A classifier fitted on the digits (cached: conversion leaves it as it
    is). ``branches``: "proba" (views in the branches) or "decision" (no
    predict_proba); the final estimator is a fast logistic regression."""
    make = _classifier_branches if branches == "proba" else _decision_branches
    model = MultiGranularityClassifier(
        make(), fusion=fusion, final_estimator=_logistic(), cv=3, **params
    )
    return model.fit(X_FIT, LABELINGS[labeling](Y_FIT))


def _session(model, X, options=None):
    onx = to_onnx(model, X[:1].astype(np.float32), options=options)
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session, onx


def _run(model, X, options=None):
    """The outputs of the converted ``model`` on ``X`` in float32."""
    session, _ = _session(model, X, options)
    return session.run(None, {session.get_inputs()[0].name: X.astype(np.float32)})


def _assert_same_classifier(model, X, options=None):
    """Labels equal to predict, probabilities within 1e-4 of predict_proba."""
    if options is None:
        options = {id(model): {"zipmap": False}}
    labels, proba = _run(model, X, options)[:2]
    assert_array_equal(labels, model.predict(X))
    if hasattr(model, "predict_proba"):
        assert_allclose(proba, model.predict_proba(X), atol=1e-4, rtol=0)
    return labels, proba


def _assert_same_regressor(model, X):
    """Predictions within a relative 1e-5 (float32) of predict, shape (n, 1)."""
    (prediction,) = _run(model, X)
    assert prediction.shape == (len(X), 1)
    assert_allclose(prediction[:, 0], model.predict(X), rtol=1e-5, atol=1e-4)


def test_to_onnx_converts_a_fitted_classifier():
    """The issue: to_onnx(fitted, X[:1]) converts a fitted skmg model (it
    raised MissingShapeCalculator before), outputs named as a scikit-learn
    classifier's."""
    model = _fitted_classifier()
    _, onx = _session(model, X_TEST, {id(model): {"zipmap": False}})
    assert [output.name for output in onx.graph.output] == ["label", "probabilities"]
    _assert_same_classifier(model, X_TEST)


@pytest.mark.parametrize(
    "fusion, labeling",
    [
        *[(f, lab) for f in CLASSIFIER_FUSIONS for lab in ("multiclass", "binary")],
        *[(f, lab) for f in ("stacking", "average") for lab in ("strings", "one-two")],
    ],
)
def test_classifier_fusions(fusion, labeling):
    """Each single-pass fusion, over probabilities, binary and multiclass,
    with views in the branches; string and {1, 2} labels through both ways
    of finding the label (stacking's final estimator, an argmax)."""
    model = _fitted_classifier(fusion, labeling)
    labels, proba = _assert_same_classifier(model, X_TEST)
    assert proba.shape == (len(X_TEST), len(model.classes_))
    assert set(labels) <= set(model.classes_)


@pytest.mark.parametrize("passthrough", [True, [0, 9, 63], "names"])
@pytest.mark.parametrize("labeling", ["multiclass", "binary"])
def test_stacking_passthrough(passthrough, labeling):
    """Stacking with the features passed through: all of them, some by
    position, some by name (a model fitted on a DataFrame)."""
    X_fit = X_FIT
    if passthrough == "names":
        pd = pytest.importorskip("pandas")
        X_fit = pd.DataFrame(X_FIT, columns=[f"px{j}" for j in range(64)])
        passthrough = ["px0", "px9", "px63"]
    model = MultiGranularityClassifier(
        _classifier_branches(),
        passthrough=passthrough,
        final_estimator=_logistic(),
        cv=3,
    ).fit(X_fit, LABELINGS[labeling](Y_FIT))
    labels, proba = _run(model, X_TEST, {id(model): {"zipmap": False}})
    X_check = X_TEST
    if not isinstance(X_fit, np.ndarray):
        X_check = pd.DataFrame(X_TEST, columns=X_fit.columns)
    assert_array_equal(labels, model.predict(X_check))
    assert_allclose(proba, model.predict_proba(X_check), atol=1e-4, rtol=0)


@pytest.mark.parametrize("labeling", ["multiclass", "binary"])
@pytest.mark.parametrize("fusion", CLASSIFIER_FUSIONS)
def test_decision_values(fusion, labeling):
    """Branches with decision values only: stacking takes them as they are
    (one column for a binary problem), the averaging fusions through each
    branch's fitted temperature (softmax, binary: sigmoid)."""
    model = _fitted_classifier(fusion, labeling, branches="decision")
    assert set(model.stack_method_) == {"decision_function"}
    _assert_same_classifier(model, X_TEST)


@pytest.mark.parametrize("labeling", ["multiclass", "binary"])
@pytest.mark.parametrize("fusion", ["stacking", "average"])
def test_predicted_labels(fusion, labeling):
    """stack_method='predict': the branch labels are a feature (stacking) or
    put to a weighted vote (average), whose shares are the second output."""
    model = _fitted_classifier(fusion, labeling, stack_method="predict")
    labels, scores = _assert_same_classifier(model, X_TEST)
    if fusion == "average":
        assert_allclose(scores.sum(axis=1), 1, atol=1e-6)


@pytest.mark.parametrize(
    "fusion, stack_method",
    [
        ("stacking", "auto"),
        ("stacking", "predict"),
        ("average", "predict"),
        ("weighted", "auto"),
    ],
)
def test_refit_false(fusion, stack_method):
    """refit=False: the fold models of every branch are averaged (their
    labels put to a vote, ties to the smaller label), as in predict."""
    model = _fitted_classifier(fusion, stack_method=stack_method, refit=False)
    assert isinstance(model.estimators_[0], list)
    _assert_same_classifier(model, X_TEST)


def test_regressor_branch_in_a_classifier():
    """A regressor branch's predictions are a feature of the stacking."""
    model = MultiGranularityClassifier(
        [("value", Ridge()), *_classifier_branches()[1:]],
        final_estimator=_logistic(),
        cv=3,
    ).fit(X_FIT, Y_FIT)
    assert model.stack_method_[0] == "predict_value"
    _assert_same_classifier(model, X_TEST)


def test_final_estimator_without_predict_proba():
    """A final estimator without predict_proba: the labels are its own, the
    second output its decision values."""
    model = MultiGranularityClassifier(
        _classifier_branches(), final_estimator=RidgeClassifier(), cv=3
    ).fit(X_FIT, Y_FIT)
    labels, scores = _assert_same_classifier(model, X_TEST)
    assert_allclose(scores, model.decision_function(X_TEST), atol=1e-4, rtol=0)


def test_prefit_branches():
    """cv='prefit': the branches as given, fitted on the original labels."""
    y = LABELINGS["strings"](Y_DIGITS)
    branches = [
        (name, estimator.fit(X_FIT, y[:400]))
        for name, estimator in _classifier_branches()
    ]
    model = MultiGranularityClassifier(
        branches, final_estimator=_logistic(), cv="prefit"
    )
    model.fit(X_DIGITS[400:800], y[400:800])
    _assert_same_classifier(model, X_TEST)


def test_partial_fit_model():
    """A model learned batch by batch (online weights) converts too."""
    branches = [
        ("pixels", GaussianNB()),
        ("pooled", make_pipeline(Pooling(size=2, shape=(8, 8)), GaussianNB())),
    ]
    model = MultiGranularityClassifier(branches, fusion="weighted")
    for start in range(0, 400, 100):
        rows = slice(start, start + 100)
        model.partial_fit(X_FIT[rows], Y_FIT[rows], classes=np.arange(10))
    _assert_same_classifier(model, X_TEST)


@pytest.mark.parametrize(
    "options",
    [None, {"zipmap": False}, "by-id", "columns", "nocl", "output_class_labels"],
)
def test_classifier_options(options):
    """skl2onnx's classifier options: ZipMap by default (a list of dicts of
    class to probability), zipmap=False given by id or for the model,
    zipmap='columns', nocl (positions in classes_) and output_class_labels."""
    model = _fitted_classifier("stacking", "strings")
    expected_labels = model.predict(X_TEST)
    expected_proba = model.predict_proba(X_TEST)
    by_id = {
        "by-id": {"zipmap": False},
        "columns": {"zipmap": "columns"},
        "nocl": {"zipmap": False, "nocl": True},
        "output_class_labels": {"zipmap": False, "output_class_labels": True},
    }
    if isinstance(options, str):
        options = {id(model): by_id[options]}
    outputs = _run(model, X_TEST, options)
    labels = outputs[0]
    if options is None:
        assert_array_equal(labels, expected_labels)
        proba = np.array([[row[c] for c in model.classes_] for row in outputs[1]])
    elif options.get(id(model), {}).get("zipmap") == "columns":
        assert_array_equal(labels, expected_labels)
        proba = np.column_stack(outputs[1:])
    elif options.get(id(model), {}).get("nocl"):
        assert_array_equal(labels, np.searchsorted(model.classes_, expected_labels))
        proba = outputs[1]
    else:
        assert_array_equal(labels, expected_labels)
        proba = outputs[1]
        if options.get(id(model), {}).get("output_class_labels"):
            assert_array_equal(outputs[2], model.classes_)
    assert_allclose(proba, expected_proba, atol=1e-4, rtol=0)


def test_double_input():
    """A float64 input gives a float64 graph, within 1e-9 of predict_proba."""
    model = _fitted_classifier("weighted")
    onx = to_onnx(model, X_TEST[:1], options={id(model): {"zipmap": False}})
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {session.get_inputs()[0].name: X_TEST})
    assert proba.dtype == np.float64
    assert_array_equal(labels, model.predict(X_TEST))
    assert_allclose(proba, model.predict_proba(X_TEST), atol=1e-9, rtol=0)


@pytest.mark.parametrize("refit", [True, False])
@pytest.mark.parametrize("fusion", REGRESSOR_FUSIONS)
def test_regressor_fusions(fusion, refit):
    """Each single-pass fusion of a regressor (stacking with the features
    passed through), refitted or averaging its fold models."""
    model = MultiGranularityRegressor(
        _regressor_branches(),
        fusion=fusion,
        refit=refit,
        passthrough=fusion == "stacking",
    ).fit(X_DIAB[:300], Y_DIAB[:300])
    _assert_same_regressor(model, X_DIAB[300:])


VIEWS = [
    Pooling(size=2, shape=(8, 8)),
    Pooling(size=3, stride=2, func="max"),
    Pooling(size=3, func="max", shape=(8, 8)),
    IntervalFeatures(window=4, shape=(8, 8)),
    IntervalFeatures(window=1, statistics=("mean", "std", "slope")),
    IntervalFeatures(
        window=5, stride=3, statistics=("mean", "std", "slope", "min", "max", "median")
    ),
    IntervalFeatures(window=4, statistics=("median", "slope"), shape=(8, 8)),
    IntervalFeatures(window=3, statistics=("median",), shape=(8, 8)),
    Differences(),
    Differences(order=3),
    Differences(order=2, shape=(8, 8)),
]


@pytest.mark.parametrize("view", VIEWS, ids=repr)
def test_views(view):
    """Each view alone: the same columns as transform (float32, 1e-5)."""
    view.fit(X_FIT)
    (transformed,) = _run(view, X_TEST)
    expected = view.transform(X_TEST.astype(np.float32))
    assert transformed.shape == expected.shape
    assert_allclose(transformed, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "estimator, fusion, name",
    [
        (MultiGranularityClassifier, "cascade", "'cascade' (CascadeFusion)"),
        (MultiGranularityRegressor, "cascade", "'cascade' (CascadeFusion)"),
        (MultiGranularityRegressor, "residual", "'residual' (ResidualFusion)"),
    ],
)
def test_multipass_fusions_raise(estimator, fusion, name):
    """A multi-pass fusion raises NotImplementedError naming it."""
    if estimator is MultiGranularityClassifier:
        model = estimator(_classifier_branches(), fusion=fusion, cv=3)
        model.fit(X_FIT, Y_FIT)
        X = X_TEST
    else:
        model = estimator(_regressor_branches(), fusion=fusion)
        model.fit(X_DIAB, Y_DIAB)
        X = X_DIAB
    with pytest.raises(NotImplementedError, match=re.escape(f"fusion {name}")):
        to_onnx(model, X[:1].astype(np.float32))


def test_auto_converts_its_choice():
    """'auto' converts as the strategy it chose."""
    model = MultiGranularityClassifier(
        _classifier_branches(), fusion=AutoFusion(candidates=["greedy"]), cv=3
    ).fit(X_FIT, Y_FIT)
    assert model.fusion_.best_name_ == "greedy"
    _assert_same_classifier(model, X_TEST)


class _OwnAverage(AverageFusion):
    """A strategy of one's own (it may change how the outputs are combined)."""


@pytest.mark.parametrize(
    "fusion, message",
    [
        (_OwnAverage(), "fusion '_OwnAverage' (_OwnAverage) is not convertible"),
        (
            AutoFusion(candidates=[_OwnAverage()]),
            "fusion 'auto' chose '_OwnAverage' (_OwnAverage)",
        ),
    ],
)
def test_strategy_of_your_own_raises(fusion, message):
    """A strategy of one's own, even a subclass of a convertible one, and
    'auto' choosing it, raise NotImplementedError naming it."""
    model = MultiGranularityClassifier(_classifier_branches(), fusion=fusion, cv=3)
    model.fit(X_FIT, Y_FIT)
    with pytest.raises(NotImplementedError, match=re.escape(message)):
        to_onnx(model, X_TEST[:1].astype(np.float32))


def test_unsupported_targets_and_branches_raise():
    """Multilabel and multi-output targets, and a branch skl2onnx cannot
    convert, raise NotImplementedError saying what."""
    Y = np.column_stack([Y_FIT % 2, Y_FIT < 5]).astype(int)
    multilabel = MultiGranularityClassifier(
        [("a", DecisionTreeClassifier()), ("b", DecisionTreeClassifier())],
        final_estimator=DecisionTreeClassifier(),
        cv=3,
    ).fit(X_FIT, Y)
    with pytest.raises(NotImplementedError, match="multilabel"):
        to_onnx(multilabel, X_TEST[:1].astype(np.float32))

    multioutput = MultiGranularityRegressor([("a", RidgeCV()), ("b", Ridge())])
    multioutput.fit(X_DIAB, np.column_stack([Y_DIAB, Y_DIAB]))
    with pytest.raises(NotImplementedError, match="multi-output"):
        to_onnx(multioutput, X_DIAB[:1].astype(np.float32))

    class Unknown(LogisticRegression):
        pass

    unknown = MultiGranularityClassifier(
        [("known", _logistic()), ("odd", Unknown(solver="newton-cg"))],
        cv=3,
    ).fit(X_FIT, Y_FIT)
    with pytest.raises(NotImplementedError, match="branch 'odd'.*Unknown"):
        to_onnx(unknown, X_TEST[:1].astype(np.float32))


def test_register_is_idempotent():
    """register() again (after the import did) leaves a working converter."""
    skmg.onnx.register()
    skmg.onnx.register()
    model = MultiGranularityRegressor(_regressor_branches(), fusion="average")
    _assert_same_regressor(model.fit(X_DIAB[:300], Y_DIAB[:300]), X_DIAB[300:])


def test_import_skmg_does_not_import_skl2onnx():
    """import skmg leaves skl2onnx unimported; import skmg.onnx without
    skl2onnx raises an ImportError that says how to install it."""
    code = (
        "import sys, skmg\n"
        "assert 'skl2onnx' not in sys.modules, 'skl2onnx imported'\n"
        "sys.modules['skl2onnx'] = None\n"
        "try:\n"
        "    import skmg.onnx\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert "pip install 'skmg[onnx]'" in result.stdout
