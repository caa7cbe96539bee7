"""Tests of make_granularities."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from skmg.granularity._grid import make_granularities
from skmg.granularity._views import IntervalFeatures, Pooling

MODEL = LogisticRegression(C=0.5, max_iter=200)


def test_names_and_params_single_key():
    """One branch per value, in the given order, named key + value."""
    view = IntervalFeatures(8, statistics=("mean",))
    granularities = make_granularities(view, MODEL, window=[16, 8, 32])
    assert [name for name, _ in granularities] == ["window16", "window8", "window32"]
    for (_, branch), window in zip(granularities, [16, 8, 32], strict=True):
        assert branch.named_steps["view"].get_params() == {
            "window": window,
            "stride": None,
            "statistics": ("mean",),
            "shape": None,
        }


def test_names_and_params_product():
    """Several keys: itertools.product in key order and value order."""
    granularities = make_granularities(
        Pooling(2), MODEL, size=[8, 16], stride=[4, 2], func=["max"]
    )
    expected = [
        ("size8_stride4_funcmax", 8, 4),
        ("size8_stride2_funcmax", 8, 2),
        ("size16_stride4_funcmax", 16, 4),
        ("size16_stride2_funcmax", 16, 2),
    ]
    assert len(granularities) == len(expected)
    for (name, branch), (expected_name, size, stride) in zip(
        granularities, expected, strict=True
    ):
        assert name == expected_name
        params = branch.named_steps["view"].get_params()
        assert (params["size"], params["stride"], params["func"]) == (
            size,
            stride,
            "max",
        )


def test_pipeline_structure():
    """Each branch is Pipeline([view, model]) of fresh clones."""
    view = IntervalFeatures(8)
    granularities = make_granularities(view, MODEL, window=[4, 8])
    models = []
    for _, branch in granularities:
        assert isinstance(branch, Pipeline)
        assert [step for step, _ in branch.steps] == ["view", "model"]
        assert isinstance(branch.named_steps["view"], IntervalFeatures)
        assert branch.named_steps["view"] is not view
        model = branch.named_steps["model"]
        assert model is not MODEL
        assert model.get_params() == MODEL.get_params()
        models.append(model)
    assert models[0] is not models[1]
    # The inputs are left as they were.
    assert view.get_params()["window"] == 8


def test_without_estimator():
    """Without a model, each branch is a clone of the estimator with the combo."""
    view = Pooling(2)
    granularities = make_granularities(view, size=[2, 4])
    assert [name for name, _ in granularities] == ["size2", "size4"]
    for (_, branch), size in zip(granularities, [2, 4], strict=True):
        assert isinstance(branch, Pooling)
        assert branch is not view
        assert branch.size == size
    assert view.size == 2


def test_nested_keys():
    """Nested ``step__param`` keys set sub-estimators; names have no ``__``."""
    pipeline = Pipeline([("view", Pooling(2)), ("model", MODEL)])
    granularities = make_granularities(pipeline, view__size=[2, 4], model__C=[0.1])
    assert [name for name, _ in granularities] == [
        "view_size2_model_C0.1",
        "view_size4_model_C0.1",
    ]
    for (_, branch), size in zip(granularities, [2, 4], strict=True):
        assert branch.named_steps["view"].size == size
        assert branch.named_steps["model"].C == 0.1
    assert pipeline.named_steps["view"].size == 2


@pytest.mark.parametrize(
    "grid, names",
    [
        ({"shape": [(8, 8), (4, 16)]}, ["shape8_8", "shape4_16"]),
        ({"stride": [None, 2]}, ["strideNone", "stride2"]),
        ({"window": [np.int64(8), 2.5]}, ["window8", "window2.5"]),
        (
            {"statistics": [("mean",), ["mean", "std"]]},
            ["statisticsmean", "statisticsmean_std"],
        ),
    ],
)
def test_value_formatting(grid, names):
    """Values are written with str, or with a sanitised repr."""
    granularities = make_granularities(IntervalFeatures(8), **grid)
    assert [name for name, _ in granularities] == names


def test_names_are_valid_for_sklearn():
    """A str value containing ``__`` does not make a nested-looking name."""
    granularities = make_granularities(
        Pipeline([("view", Pooling(2)), ("model", MODEL)]),
        model__solver=["lbfgs", "new__cg"],
    )
    names = [name for name, _ in granularities]
    assert names == ["model_solverlbfgs", "model_solvernew_cg"]


def test_branches_can_be_cloned_and_fitted():
    """The branches are ordinary estimators: cloneable and fittable."""
    X = np.random.RandomState(0).normal(size=(20, 12))
    y = np.arange(20) % 2
    granularities = make_granularities(IntervalFeatures(4), MODEL, window=[3, 6])
    for name, branch in granularities:
        fitted = clone(branch).fit(X, y)
        window = int(name.removeprefix("window"))
        np.testing.assert_allclose(
            fitted[:-1].transform(X), IntervalFeatures(window).fit_transform(X)
        )
        np.testing.assert_array_equal(fitted.predict(X), branch.fit(X, y).predict(X))


@pytest.mark.parametrize(
    "estimator, grid, match",
    [
        (MODEL, {}, "at least one grid parameter"),
        (None, {}, "at least one grid parameter"),
        (MODEL, {"window": 8}, "'window' must be a non-empty list or tuple"),
        (MODEL, {"window": []}, "'window' must be a non-empty list or tuple"),
        (MODEL, {"window": "8"}, "'window' must be a non-empty list or tuple"),
        (MODEL, {"window": [8], "foo": [1]}, "grid parameter 'foo' cannot be set"),
        (None, {"view__window": [8]}, "grid parameter 'view__window' cannot be set"),
        (MODEL, {"window": [8, 8]}, r"the same branch names \['window8'\]"),
        (MODEL, {"stride": [2, "2"]}, r"the same branch names \['stride2'\]"),
    ],
)
def test_errors(estimator, grid, match):
    """Bad grids raise a ValueError that names the problem."""
    with pytest.raises(ValueError, match=match):
        make_granularities(IntervalFeatures(8), estimator, **grid)
