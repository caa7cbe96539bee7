"""Tests of the window views: IntervalFeatures and Pooling."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from scipy import sparse
from sklearn.utils.estimator_checks import check_param_validation

from skmg._compat import InvalidParameterError
from skmg.granularity._views import Differences, IntervalFeatures, Pooling

RNG = np.random.RandomState(0)
X_SERIES = RNG.normal(size=(5, 13))
X_IMAGES = RNG.normal(size=(4, 6 * 7))
IMAGE_SHAPE = (6, 7)
ALL_STATISTICS = ("mean", "std", "slope", "min", "max", "median")


def _reference_series(X, window, stride, statistics):
    """IntervalFeatures on series, one window at a time."""
    rows = []
    for x in X:
        row = []
        for start in range(0, X.shape[1] - window + 1, stride):
            values = x[start : start + window]
            for statistic in statistics:
                if statistic == "slope":
                    row.append(
                        np.polyfit(np.arange(window), values, 1)[0] if window > 1 else 0
                    )
                else:
                    row.append(getattr(np, statistic)(values))
        rows.append(row)
    return np.array(rows)


def _reference_images(X, shape, window, stride, statistics):
    """IntervalFeatures on images, one patch at a time."""
    height, width = shape
    grid_rows, grid_cols = np.meshgrid(
        np.arange(window), np.arange(window), indexing="ij"
    )
    design = np.column_stack(
        [np.ones(window * window), grid_rows.ravel(), grid_cols.ravel()]
    )
    rows = []
    for x in X:
        image = x.reshape(shape)
        row = []
        for top in range(0, height - window + 1, stride):
            for left in range(0, width - window + 1, stride):
                patch = image[top : top + window, left : left + window]
                for statistic in statistics:
                    if statistic == "slope":
                        coef = np.linalg.lstsq(design, patch.ravel(), rcond=None)[0]
                        row += [coef[1], coef[2]] if window > 1 else [0, 0]
                    else:
                        row.append(getattr(np, statistic)(patch))
        rows.append(row)
    return np.array(rows)


def _reference_pooling(X, size, stride, func, shape=None):
    """Pooling, one window at a time."""
    pool = getattr(np, func)
    if shape is None:
        return np.array(
            [
                [
                    pool(x[start : start + size])
                    for start in range(0, X.shape[1] - size + 1, stride)
                ]
                for x in X
            ]
        )
    height, width = shape
    return np.array(
        [
            [
                pool(x.reshape(shape)[top : top + size, left : left + size])
                for top in range(0, height - size + 1, stride)
                for left in range(0, width - size + 1, stride)
            ]
            for x in X
        ]
    )


@pytest.mark.parametrize(
    "window, stride", [(1, None), (2, 1), (3, 2), (4, None), (5, 3), (7, 7), (13, 1)]
)
@pytest.mark.parametrize("statistics", [ALL_STATISTICS, ("slope", "mean")])
def test_interval_features_series_match_reference(window, stride, statistics):
    """Each statistic of each window equals a direct NumPy computation."""
    view = IntervalFeatures(window, stride=stride, statistics=statistics)
    expected_stride = max(1, window // 2) if stride is None else stride
    expected = _reference_series(X_SERIES, window, expected_stride, statistics)
    np.testing.assert_allclose(view.fit_transform(X_SERIES), expected, atol=1e-12)


@pytest.mark.parametrize("window, stride", [(1, 1), (2, None), (2, 1), (3, 2), (6, 4)])
@pytest.mark.parametrize("statistics", [ALL_STATISTICS, ("max", "slope")])
def test_interval_features_images_match_reference(window, stride, statistics):
    """Each statistic of each patch, and the plane fit, equal NumPy's."""
    view = IntervalFeatures(
        window, stride=stride, statistics=statistics, shape=IMAGE_SHAPE
    )
    expected_stride = max(1, window // 2) if stride is None else stride
    expected = _reference_images(
        X_IMAGES, IMAGE_SHAPE, window, expected_stride, statistics
    )
    np.testing.assert_allclose(view.fit_transform(X_IMAGES), expected, atol=1e-12)


def test_interval_features_hand_computed():
    """A small series whose statistics are easy to check by hand."""
    X = np.array([[0.0, 1.0, 2.0, 3.0, 2.0, 1.0]])
    view = IntervalFeatures(window=4, stride=2, statistics=ALL_STATISTICS)
    expected = [
        [1.5, np.sqrt(1.25), 1.0, 0.0, 3.0, 1.5],
        [2.0, np.sqrt(0.5), -0.4, 1.0, 3.0, 2.0],
    ]
    np.testing.assert_allclose(view.fit_transform(X), np.ravel(expected)[None])


def test_interval_features_plane_slopes():
    """A patch ``a + b * row + c * col`` has slopes exactly ``b`` and ``c``."""
    rows, cols = np.meshgrid(np.arange(4), np.arange(5), indexing="ij")
    image = 1.0 + 2.0 * rows - 0.5 * cols
    view = IntervalFeatures(3, stride=1, statistics=("slope",), shape=(4, 5))
    np.testing.assert_allclose(
        view.fit_transform(image.reshape(1, -1)), np.tile([2.0, -0.5], 6)[None]
    )


@pytest.mark.parametrize(
    "size, stride", [(1, None), (2, None), (3, 1), (4, 3), (13, 2)]
)
@pytest.mark.parametrize("func", ["mean", "max"])
def test_pooling_series_matches_reference(size, stride, func):
    """Pooling a series equals pooling window by window."""
    expected = _reference_pooling(X_SERIES, size, stride or size, func)
    pooling = Pooling(size, stride=stride, func=func)
    np.testing.assert_allclose(pooling.fit_transform(X_SERIES), expected)


@pytest.mark.parametrize("size, stride", [(1, None), (2, None), (3, 1), (2, 3), (6, 1)])
@pytest.mark.parametrize("func", ["mean", "max"])
def test_pooling_images_matches_reference(size, stride, func):
    """Pooling an image equals pooling patch by patch, row-major."""
    expected = _reference_pooling(X_IMAGES, size, stride or size, func, IMAGE_SHAPE)
    pooling = Pooling(size, stride=stride, func=func, shape=IMAGE_SHAPE)
    np.testing.assert_allclose(pooling.fit_transform(X_IMAGES), expected)


@pytest.mark.parametrize(
    "params, X, expected",
    [
        ({"size": 2}, [[1, 3, 2, 8, 5, 5, 0]], [[2, 5, 5]]),
        ({"size": 2, "func": "max"}, [[1, 3, 2, 8, 5, 5, 0]], [[3, 8, 5]]),
        ({"size": 3, "stride": 2}, [[1, 3, 2, 8, 5, 5, 0]], [[2, 5, 10 / 3]]),
        ({"size": 2, "shape": (4, 4)}, np.arange(16)[None], [[2.5, 4.5, 10.5, 12.5]]),
        (
            {"size": 2, "shape": (4, 4), "func": "max"},
            np.arange(16)[None],
            [[5, 7, 13, 15]],
        ),
        ({"size": 2, "stride": 1, "shape": (3, 3)}, np.arange(9)[None], [[2, 3, 5, 6]]),
        ({"size": 3, "shape": (3, 4), "func": "max"}, np.arange(12)[None], [[10]]),
    ],
)
def test_pooling_hand_computed(params, X, expected):
    """Pooled values computed by hand, series and images."""
    np.testing.assert_allclose(Pooling(**params).fit_transform(X), expected)


@pytest.mark.parametrize(
    "n_features, window, stride, starts",
    [
        (10, 4, None, [0, 2, 4, 6]),
        (10, 4, 3, [0, 3, 6]),
        (10, 4, 4, [0, 4]),  # the tail 8..9 is not covered
        (10, 10, None, [0]),
        (10, 1, None, list(range(10))),
        (10, 3, None, list(range(8))),  # default stride max(1, 3 // 2) = 1
        (10, 5, 100, [0]),
    ],
)
def test_window_starts_series(n_features, window, stride, starts):
    """Windows start at 0, stride, ... while they fit, in that order."""
    X = np.zeros((2, n_features))
    view = IntervalFeatures(window, stride=stride).fit(X)
    np.testing.assert_array_equal(view.window_starts_, starts)
    assert view.n_windows_ == len(starts)
    assert view.grid_shape_ == (len(starts),)
    assert view.image_shape_ is None
    pooling = Pooling(window, stride=stride).fit(X)
    assert pooling.stride_ == (window if stride is None else stride)


def test_window_starts_images():
    """Patches are ordered row-major over their grid."""
    view = IntervalFeatures(3, stride=2, shape=(5, 8)).fit(np.zeros((1, 40)))
    assert view.image_shape_ == (5, 8)
    assert view.grid_shape_ == (2, 3)
    assert view.n_windows_ == 6
    np.testing.assert_array_equal(
        view.window_starts_, [[0, 0], [0, 2], [0, 4], [2, 0], [2, 2], [2, 4]]
    )


def test_window_order_series():
    """Column blocks follow the window starts: position major, statistic minor."""
    X = np.arange(8.0)[None]
    view = IntervalFeatures(2, stride=3, statistics=("min", "max"))
    np.testing.assert_array_equal(view.fit_transform(X), [[0, 1, 3, 4, 6, 7]])


@pytest.mark.parametrize(
    "view, X, names",
    [
        (
            IntervalFeatures(4, stride=3, statistics=("mean", "slope")),
            np.zeros((1, 10)),
            [
                "w4_s0_mean",
                "w4_s0_slope",
                "w4_s3_mean",
                "w4_s3_slope",
                "w4_s6_mean",
                "w4_s6_slope",
            ],
        ),
        (
            IntervalFeatures(16, statistics=("std",)),
            np.zeros((1, 48)),
            ["w16_s0_std", "w16_s8_std", "w16_s16_std", "w16_s24_std", "w16_s32_std"],
        ),
        (
            IntervalFeatures(2, statistics=("slope", "median"), shape=(2, 4)),
            np.zeros((1, 8)),
            [
                "w2_r0_c0_slope_row",
                "w2_r0_c0_slope_col",
                "w2_r0_c0_median",
                "w2_r0_c1_slope_row",
                "w2_r0_c1_slope_col",
                "w2_r0_c1_median",
                "w2_r0_c2_slope_row",
                "w2_r0_c2_slope_col",
                "w2_r0_c2_median",
            ],
        ),
        (
            Pooling(3, func="max"),
            np.zeros((1, 10)),
            ["pool3_max_s0", "pool3_max_s3", "pool3_max_s6"],
        ),
        (
            Pooling(2, shape=(4, 4)),
            np.zeros((1, 16)),
            [
                "pool2_mean_r0_c0",
                "pool2_mean_r0_c2",
                "pool2_mean_r2_c0",
                "pool2_mean_r2_c2",
            ],
        ),
    ],
)
def test_feature_names_out(view, X, names):
    """Names say the window, its position and the statistic, in column order."""
    names_out = view.fit(X).get_feature_names_out()
    assert names_out.dtype == object
    assert list(names_out) == names
    assert view.transform(X).shape[1] == len(names)


@pytest.mark.parametrize(
    "view",
    [
        IntervalFeatures(3, statistics=("mean", "slope")),
        IntervalFeatures(2, shape=(2, 6)),
        Pooling(4, func="max"),
        Pooling(2, shape=(3, 4)),
    ],
)
def test_set_output_pandas(view):
    """With pandas output, columns are the feature names, values unchanged."""
    X = pd.DataFrame(RNG.normal(size=(3, 12)), columns=[f"t{i}" for i in range(12)])
    expected = view.fit_transform(X.to_numpy())
    view.set_output(transform="pandas")
    X_view = view.fit_transform(X)
    assert isinstance(X_view, pd.DataFrame)
    assert list(X_view.columns) == list(view.get_feature_names_out())
    np.testing.assert_array_equal(X_view.to_numpy(), expected)
    np.testing.assert_array_equal(view.feature_names_in_, X.columns)
    with pytest.raises(ValueError, match="input_features is not equal"):
        view.get_feature_names_out(["a"] * 12)


def test_dtype():
    """float32 stays float32; other inputs become float64."""
    X = X_SERIES.astype(np.float32)
    for view in [IntervalFeatures(4, statistics=ALL_STATISTICS), Pooling(3)]:
        X_view = view.fit_transform(X)
        assert X_view.dtype == np.float32
        np.testing.assert_allclose(
            X_view, view.fit_transform(X.astype(np.float64)), rtol=1e-5, atol=1e-5
        )
        assert view.fit_transform(np.arange(12).reshape(2, 6)).dtype == np.float64


@pytest.mark.parametrize(
    "view, X",
    [
        (IntervalFeatures(4, statistics=ALL_STATISTICS), X_SERIES),
        (IntervalFeatures(3, statistics=ALL_STATISTICS, shape=IMAGE_SHAPE), X_IMAGES),
        (Pooling(2, func="max"), X_SERIES.astype(np.float32)),
        (Pooling(2, shape=IMAGE_SHAPE), np.asfortranarray(X_IMAGES)),
    ],
)
def test_input_not_modified(view, X):
    """fit and transform leave their input untouched."""
    X_before = X.copy()
    view.fit(X).transform(X)
    np.testing.assert_array_equal(X, X_before)


X_SIX = np.zeros((2, 6))
X_SIXTEEN = np.zeros((2, 16))


def _constraint(view, parameter):
    """Start of the message of scikit-learn's validation of one parameter."""
    return rf"The '{parameter}' parameter of {view.__name__} must be .* Got .* instead"


@pytest.mark.parametrize(
    "view, X, error, match",
    [
        (
            IntervalFeatures(7),
            X_SIX,
            ValueError,
            "window=7 is longer than the series: X has n_features=6",
        ),
        (Pooling(7), X_SIX, ValueError, "size=7 is longer than the series"),
        (
            IntervalFeatures(5, shape=(4, 4)),
            X_SIXTEEN,
            ValueError,
            r"window=5 does not fit in the image: shape=\(4, 4\)",
        ),
        (
            Pooling(3, shape=(2, 8)),
            X_SIXTEEN,
            ValueError,
            r"size=3 does not fit in the image: shape=\(2, 8\)",
        ),
        (
            IntervalFeatures(2, shape=(3, 5)),
            X_SIXTEEN,
            ValueError,
            r"shape=\(3, 5\) has 15 pixels, but X has n_features=16",
        ),
        (Pooling(2, shape=(16,)), X_SIXTEEN, ValueError, "shape must be a pair"),
        (Pooling(2, shape=(4, 4, 1)), X_SIXTEEN, ValueError, "shape must be a pair"),
        (Pooling(2, shape=(4.0, 4)), X_SIXTEEN, ValueError, "shape must be a pair"),
        (Pooling(2, shape=(-4, -4)), X_SIXTEEN, ValueError, "shape must be a pair"),
        (
            Pooling(2, shape="4x4"),
            X_SIXTEEN,
            InvalidParameterError,
            _constraint(Pooling, "shape"),
        ),
        (
            IntervalFeatures(0),
            X_SIX,
            InvalidParameterError,
            _constraint(IntervalFeatures, "window"),
        ),
        (
            IntervalFeatures(-2),
            X_SIX,
            InvalidParameterError,
            _constraint(IntervalFeatures, "window"),
        ),
        (
            IntervalFeatures(2.0),
            X_SIX,
            InvalidParameterError,
            _constraint(IntervalFeatures, "window"),
        ),
        (
            IntervalFeatures(2, stride=0),
            X_SIX,
            InvalidParameterError,
            _constraint(IntervalFeatures, "stride"),
        ),
        (
            IntervalFeatures(2, stride=1.5),
            X_SIX,
            InvalidParameterError,
            _constraint(IntervalFeatures, "stride"),
        ),
        (Pooling(0), X_SIX, InvalidParameterError, _constraint(Pooling, "size")),
        (Pooling(1.5), X_SIX, InvalidParameterError, _constraint(Pooling, "size")),
        (
            Pooling(2, stride=-1),
            X_SIX,
            InvalidParameterError,
            _constraint(Pooling, "stride"),
        ),
        (
            Pooling(2, func="min"),
            X_SIX,
            InvalidParameterError,
            _constraint(Pooling, "func"),
        ),
        (
            IntervalFeatures(2, statistics=("mean", "kurtosis")),
            X_SIX,
            ValueError,
            r"statistics contains unknown names \['kurtosis'\]; the allowed values "
            r"are \('mean', 'std', 'slope', 'min', 'max', 'median'\)",
        ),
        (
            IntervalFeatures(2, statistics=()),
            X_SIX,
            ValueError,
            "statistics must name at least one",
        ),
        (
            IntervalFeatures(2, statistics=["mean", "mean"]),
            X_SIX,
            ValueError,
            "statistics contains duplicates",
        ),
        (
            IntervalFeatures(2, statistics="mean"),
            X_SIX,
            InvalidParameterError,
            _constraint(IntervalFeatures, "statistics"),
        ),
        (
            IntervalFeatures(2),
            np.array([[0.0, np.nan, 1.0]]),
            ValueError,
            "NaN",
        ),
        (Pooling(2), sparse.csr_matrix(X_SIX), TypeError, "Sparse data"),
    ],
)
def test_errors(view, X, error, match):
    """Invalid parameters and inputs raise errors that name the problem."""
    with pytest.raises(error, match=match):
        view.fit(X)


@pytest.mark.parametrize(
    "view",
    [IntervalFeatures(2), Pooling(2)],
    ids=["IntervalFeatures", "Pooling"],
)
def test_parameter_constraints(view):
    """Every parameter has a constraint, checked by fit and fit_transform."""
    check_param_validation(type(view).__name__, view)


@pytest.mark.parametrize("view", [IntervalFeatures(2), Pooling(2, shape=(2, 3))])
def test_transform_checks_n_features(view):
    """transform rejects a number of features other than fit's."""
    view.fit(X_SIX)
    with pytest.raises(ValueError, match="X has 5 features, but .* is expecting 6"):
        view.transform(np.zeros((2, 5)))


# -- Differences -------------------------------------------------------------


@pytest.mark.parametrize("order", [1, 2, 3])
def test_differences_equal_numpy_diff_on_series(order):
    """Each row's order-k difference is numpy.diff of the row."""
    view = Differences(order=order)
    assert_array_equal(view.fit_transform(X_SERIES), np.diff(X_SERIES, n=order, axis=1))
    assert len(view.get_feature_names_out()) == X_SERIES.shape[1] - order
    assert view.get_feature_names_out()[0] == f"diff{order}_s0"


@pytest.mark.parametrize("order", [1, 2])
def test_differences_of_image_rows_equal_numpy_diff(order):
    """With shape=(h, w), every image row is differenced along its width."""
    images = np.arange(2 * 12, dtype=float).reshape(2, 12) ** 2
    view = Differences(order=order, shape=(3, 4))
    expected = np.diff(images.reshape(2, 3, 4), n=order, axis=2).reshape(2, -1)
    assert_array_equal(view.fit_transform(images), expected)
    names = view.get_feature_names_out()
    assert list(names[: 4 - order]) == [
        f"diff{order}_r0_c{c}" for c in range(4 - order)
    ]
    assert len(names) == 3 * (4 - order)


def test_differences_keep_float32_and_refuse_too_high_an_order():
    """float32 stays float32; an order that leaves nothing is refused naming
    the parameter; a bad shape names its pixels."""
    assert Differences().fit_transform(X_SERIES.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="order=8 leaves nothing of the series"):
        Differences(order=8).fit(X_SERIES[:, :8])
    with pytest.raises(ValueError, match="order=4 leaves nothing of the image rows"):
        Differences(order=4, shape=(2, 4)).fit(X_SERIES[:, :8])
    with pytest.raises(ValueError, match="has 9 pixels"):
        Differences(shape=(3, 3)).fit(X_SERIES[:, :8])
    with pytest.raises(InvalidParameterError, match="'order' parameter"):
        Differences(order=0).fit(X_SERIES)
