"""Tests for multi-grained scanning (skmg.granularity._scanning)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_digits
from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, Perceptron, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import check_param_validation

from skmg._compat import InvalidParameterError
from skmg.granularity import _scanning
from skmg.granularity._scanning import ScanningClassifier, ScanningRegressor

RNG = np.random.RandomState(0)
X_SERIES = RNG.normal(size=(60, 12))
Y_SERIES = np.repeat([0, 1, 2], 20)
# A class-dependent local pattern, at a random place in each series.
for _i, _start in enumerate(RNG.randint(0, 8, size=60)):
    X_SERIES[_i, _start : _start + 4] += 2.0 * Y_SERIES[_i]
Y_REGRESSION = X_SERIES.max(axis=1)

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Classifier stub recording what it is fitted on and the size of each call.

    Its class probabilities are a fixed smooth function of the window, so that
    different windows give different outputs.
    """

    def fit(self, X, y, sample_weight=None):
        self.X_ = np.array(X)
        self.y_ = np.array(y)
        self.sample_weight_ = None if sample_weight is None else np.array(sample_weight)
        self.classes_ = np.unique(y)
        self.predict_rows_ = []
        return self

    def predict_proba(self, X):
        self.predict_rows_.append(X.shape[0])
        logits = np.outer(X.sum(axis=1), np.arange(len(self.classes_)))
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)


class LabelOnlyClassifier(ClassifierMixin, BaseEstimator):
    """Classifier stub with neither predict_proba nor decision_function."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[(X.mean(axis=1) > 0).astype(int)]


def _windows_by_hand(X, window, stride=1, shape=None):
    """Windows of each sample with explicit loops: (n_samples, n_windows, size)."""
    samples = []
    for row in X:
        if shape is None:
            starts = range(0, len(row) - window + 1, stride)
            samples.append([row[s : s + window] for s in starts])
        else:
            image = row.reshape(shape)
            samples.append(
                [
                    image[r : r + window, c : c + window].ravel()
                    for r in range(0, shape[0] - window + 1, stride)
                    for c in range(0, shape[1] - window + 1, stride)
                ]
            )
    return np.array(samples)


def test_windows_1d_order_labels_and_weights():
    """1-D windows come sample by sample, in order, with labels and weights."""
    X = np.arange(12.0).reshape(2, 6)
    clf = ScanningClassifier(RecordingClassifier(), window=3, stride=2)
    clf.fit(X, ["b", "a"], sample_weight=[1.0, 3.0])

    assert clf.n_windows_ == 2
    assert_array_equal(clf.estimator_.X_, [[0, 1, 2], [2, 3, 4], [6, 7, 8], [8, 9, 10]])
    assert_array_equal(clf.classes_, ["a", "b"])
    assert_array_equal(clf.estimator_.y_, [1, 1, 0, 0])
    assert_array_equal(clf.estimator_.sample_weight_, [1, 1, 3, 3])
    assert_array_equal(
        clf.get_feature_names_out(),
        ["scan3_s0_a", "scan3_s0_b", "scan3_s2_a", "scan3_s2_b"],
    )


def test_windows_2d_order():
    """2-D windows are square patches in row-major order of their corners."""
    X = np.arange(32.0).reshape(2, 16)
    clf = ScanningClassifier(RecordingClassifier(), window=2, stride=2, shape=(4, 4))
    clf.fit(X, [0, 1])

    assert clf.n_windows_ == 4
    assert_array_equal(
        clf.estimator_.X_[:4],
        [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]],
    )
    assert_array_equal(clf.estimator_.X_[4:], clf.estimator_.X_[:4] + 16)
    assert_array_equal(clf.estimator_.y_, [0, 0, 0, 0, 1, 1, 1, 1])
    assert_array_equal(
        clf.get_feature_names_out()[::2],
        ["scan2_r0_c0_0", "scan2_r0_c2_0", "scan2_r2_c0_0", "scan2_r2_c2_0"],
    )


@pytest.mark.parametrize(
    "params, n_features, n_windows",
    [
        (dict(window=3), 12, 10),
        (dict(window=3, stride=4), 12, 3),
        (dict(window=12), 12, 1),
        (dict(window=3, shape=(4, 5)), 20, 6),
        (dict(window=2, stride=2, shape=(5, 4)), 20, 4),
        (dict(window=3, stride=1, shape=(3, 4)), 12, 2),
    ],
)
def test_window_count_and_content(params, n_features, n_windows):
    """The windows passed to the estimator are exactly those found by hand."""
    X = np.random.RandomState(1).normal(size=(5, n_features))
    clf = ScanningClassifier(RecordingClassifier(), **params).fit(X, [0, 1, 0, 1, 0])

    expected = _windows_by_hand(
        X, params["window"], params.get("stride", 1), params.get("shape")
    )
    assert clf.n_windows_ == n_windows == expected.shape[1]
    assert_array_equal(clf.estimator_.X_, expected.reshape(5 * n_windows, -1))
    assert len(clf.get_feature_names_out()) == n_windows * 2


def test_max_windows_bounds_the_instances():
    """max_windows keeps exactly that many distinct windows of each sample."""
    X = np.random.RandomState(2).normal(size=(10, 20))
    y = np.arange(10) % 2
    clf = ScanningClassifier(
        RecordingClassifier(), window=5, max_windows=4, random_state=0
    ).fit(X, y)

    all_windows = _windows_by_hand(X, 5)
    kept = clf.estimator_.X_.reshape(10, 4, 5)
    assert clf.estimator_.X_.shape == (10 * 4, 5)
    assert_array_equal(clf.estimator_.y_, np.repeat(y, 4))
    for windows, sample_windows in zip(kept, all_windows, strict=True):
        starts = [np.flatnonzero((sample_windows == w).all(axis=1)) for w in windows]
        starts = np.concatenate(starts)
        assert len(starts) == 4
        assert np.all(np.diff(starts) > 0)  # distinct, in window order

    again = clone(clf).fit(X, y)
    assert_array_equal(again.estimator_.X_, clf.estimator_.X_)
    other = clone(clf).set_params(random_state=1).fit(X, y)
    assert not np.array_equal(other.estimator_.X_, clf.estimator_.X_)

    # Prediction always uses every window.
    clf.predict_proba(X)
    assert sum(clf.estimator_.predict_rows_) == 10 * 16

    # A bound above the number of windows keeps them all.
    everything = clone(clf).set_params(max_windows=100).fit(X, y)
    assert_array_equal(everything.estimator_.X_, all_windows.reshape(-1, 5))


def test_predict_proba_is_mean_of_window_probabilities():
    """predict_proba, predict and decision_function average window outputs."""
    clf = ScanningClassifier(LogisticRegression(), window=4, stride=3)
    clf.fit(X_SERIES, Y_SERIES)
    windows = _windows_by_hand(X_SERIES, 4, 3)

    proba = np.array([clf.estimator_.predict_proba(w).mean(axis=0) for w in windows])
    decision = np.array(
        [clf.estimator_.decision_function(w).mean(axis=0) for w in windows]
    )
    assert_allclose(clf.predict_proba(X_SERIES), proba)
    assert_allclose(clf.decision_function(X_SERIES), decision)
    assert_array_equal(clf.predict(X_SERIES), clf.classes_[proba.argmax(axis=1)])
    assert_allclose(clf.predict_proba(X_SERIES).sum(axis=1), 1.0)


def test_binary_decision_function_and_fallbacks():
    """Binary decision values are 1-D; predict falls back on them, then on votes."""
    X, y = X_SERIES[20:], Y_SERIES[20:]
    windows = _windows_by_hand(X, 4)

    clf = ScanningClassifier(Perceptron(random_state=0), window=4).fit(X, y)
    decision = np.array([clf.estimator_.decision_function(w).mean() for w in windows])
    assert not hasattr(clf, "predict_proba")
    assert_allclose(clf.decision_function(X), decision)
    assert_array_equal(clf.predict(X), np.where(decision > 0, 2, 1))

    voter = ScanningClassifier(LabelOnlyClassifier(), window=4).fit(X, y)
    votes = np.array([(w.mean(axis=1) > 0).mean() for w in windows])
    assert_array_equal(voter.predict(X), np.where(votes > 0.5, 2, 1))
    assert not hasattr(
        ScanningClassifier(DecisionTreeClassifier(), window=4), "decision_function"
    )


def test_regressor_predict_and_transform():
    """The regressor averages window predictions; transform lists them."""
    reg = ScanningRegressor(Ridge(), window=5, stride=2).fit(X_SERIES, Y_REGRESSION)
    windows = _windows_by_hand(X_SERIES, 5, 2)
    window_predictions = np.array([reg.estimator_.predict(w) for w in windows])

    assert_allclose(reg.predict(X_SERIES), window_predictions.mean(axis=1))
    assert_allclose(reg.transform(X_SERIES), window_predictions)
    assert_array_equal(
        reg.get_feature_names_out(), ["scan5_s0", "scan5_s2", "scan5_s4", "scan5_s6"]
    )


def test_transform_is_window_major():
    """transform gives each window's class probabilities, window after window."""
    clf = ScanningClassifier(LogisticRegression(), window=6, stride=3)
    clf.fit(X_SERIES, Y_SERIES)
    windows = _windows_by_hand(X_SERIES, 6, 3)

    expected = np.array([clf.estimator_.predict_proba(w).ravel() for w in windows])
    assert_allclose(clf.transform(X_SERIES), expected)
    names = clf.get_feature_names_out()
    assert names[4] == "scan6_s3_1"
    assert len(names) == clf.transform(X_SERIES).shape[1] == clf.n_windows_ * 3


def test_fit_transform_never_uses_a_samples_own_label():
    """Cross-fitted outputs of a sample do not depend on its own label.

    A 1-nearest-neighbour model fitted on a sample's own windows finds each of them
    at distance 0 and returns the sample's label; `fit().transform()` therefore
    recalls every label of random noise. Out-of-fold outputs of the samples of a
    fold stay the same when the labels of that fold are flipped.
    """
    rng = np.random.RandomState(3)
    X = rng.normal(size=(30, 12))
    y = rng.permutation(np.arange(30) % 2)
    cv = KFold(3)
    scan = ScanningClassifier(KNeighborsClassifier(n_neighbors=1), window=4, cv=cv)

    in_sample = scan.fit(X, y).transform(X).reshape(30, -1, 2)
    assert_array_equal(in_sample, np.eye(2)[y][:, np.newaxis, :].repeat(9, axis=1))
    crossed = scan.fit_transform(X, y)
    assert not np.allclose(crossed, in_sample.reshape(30, -1))

    _, first_fold = next(cv.split(X))
    flipped = y.copy()
    flipped[first_fold] = 1 - flipped[first_fold]
    crossed_flipped = clone(scan).fit_transform(X, flipped)
    assert_array_equal(crossed_flipped[first_fold], crossed[first_fold])
    assert not np.array_equal(
        scan.fit(X, flipped).transform(X[first_fold]),
        in_sample[first_fold].reshape(10, -1),
    )


def test_fit_transform_equals_manual_cross_fitting():
    """fit_transform returns the fold models' outputs and keeps the full model."""
    scan = ScanningClassifier(LogisticRegression(), window=4, stride=2)
    crossed = scan.fit_transform(X_SERIES, Y_SERIES)

    expected = np.empty_like(crossed)
    for train, test in StratifiedKFold(3).split(X_SERIES, Y_SERIES):
        fold = clone(scan).fit(X_SERIES[train], Y_SERIES[train])
        expected[test] = fold.transform(X_SERIES[test])
    assert_allclose(crossed, expected)

    full = clone(scan).fit(X_SERIES, Y_SERIES)
    assert_allclose(scan.transform(X_SERIES), full.transform(X_SERIES))
    assert not np.allclose(crossed, full.transform(X_SERIES))


def test_fit_transform_aligns_classes_missing_from_a_fold():
    """A class absent from a fold's training samples gets probability 0 there."""
    y = np.array([0, 1] * 9 + [2, 2])
    X = X_SERIES[: len(y)]
    folds = [(np.arange(10, 20), np.arange(10)), (np.arange(10), np.arange(10, 20))]
    scan = ScanningClassifier(LogisticRegression(), window=4, stride=4, cv=folds)
    crossed = scan.fit_transform(X, y).reshape(20, 3, 3)

    assert_array_equal(crossed[10:, :, 2], 0.0)
    assert np.all(crossed[:10, :, 2] > 0.0)
    assert_allclose(crossed.sum(axis=2), 1.0)


def test_fit_transform_n_jobs():
    """Running the fold fits on two workers gives the same outputs as on one."""
    scan = ScanningClassifier(
        DecisionTreeClassifier(random_state=0), window=4, max_windows=5, random_state=0
    )
    serial = scan.fit_transform(X_SERIES, Y_SERIES)
    parallel = clone(scan).set_params(n_jobs=2).fit_transform(X_SERIES, Y_SERIES)
    assert_array_equal(serial, parallel)
    # The full model of fit_transform is the one fit builds (same window draw).
    full = clone(scan).fit(X_SERIES, Y_SERIES)
    assert_array_equal(scan.transform(X_SERIES), full.transform(X_SERIES))


def test_batched_prediction_equals_unbatched(monkeypatch):
    """Predicting one sample at a time gives the same outputs as in one batch."""
    clf = ScanningClassifier(RecordingClassifier(), window=4).fit(X_SERIES, Y_SERIES)
    reg = ScanningRegressor(Ridge(), window=4).fit(X_SERIES, Y_REGRESSION)
    outputs = [clf.predict_proba(X_SERIES), clf.transform(X_SERIES)]
    outputs += [reg.predict(X_SERIES), reg.transform(X_SERIES)]
    assert clf.estimator_.predict_rows_ == [60 * 9, 60 * 9]

    monkeypatch.setattr(_scanning, "_BATCH_BYTES", 1)
    clf.estimator_.predict_rows_ = []
    batched = [clf.predict_proba(X_SERIES), clf.transform(X_SERIES)]
    batched += [reg.predict(X_SERIES), reg.transform(X_SERIES)]
    assert clf.estimator_.predict_rows_ == [9] * 120
    for expected, result in zip(outputs, batched, strict=True):
        # Matrix products may round differently for another number of rows.
        assert_allclose(result, expected, rtol=1e-12)


def _constraint(estimator, parameter, expected):
    """Message of scikit-learn's parameter validation for one parameter."""
    return rf"The '{parameter}' parameter of {estimator.__name__} must be {expected}"


class FitOnly(BaseEstimator):
    """Estimator stub with fit only."""

    def fit(self, X, y):
        return self


@pytest.mark.parametrize(
    "estimator, params, error, message",
    [
        # types and ranges: scikit-learn's parameter validation
        (
            ScanningClassifier,
            dict(window=0),
            InvalidParameterError,
            _constraint(ScanningClassifier, "window", r"an int in the range \[1, inf\)")
            + ". Got 0 instead.",
        ),
        (
            ScanningClassifier,
            dict(window=2.5),
            InvalidParameterError,
            _constraint(ScanningClassifier, "window", "an int"),
        ),
        (
            ScanningRegressor,
            dict(window=None),
            InvalidParameterError,
            _constraint(ScanningRegressor, "window", "an int"),
        ),
        (
            ScanningClassifier,
            dict(window=2, stride=0),
            InvalidParameterError,
            _constraint(
                ScanningClassifier, "stride", r"an int in the range \[1, inf\)"
            ),
        ),
        (
            ScanningRegressor,
            dict(window=2, stride=1.5),
            InvalidParameterError,
            _constraint(ScanningRegressor, "stride", "an int"),
        ),
        (
            ScanningClassifier,
            dict(window=2, max_windows=0),
            InvalidParameterError,
            _constraint(ScanningClassifier, "max_windows", "an int in the range"),
        ),
        (
            ScanningClassifier,
            dict(window=2, max_windows="all"),
            InvalidParameterError,
            _constraint(ScanningClassifier, "max_windows", "an int .* or None"),
        ),
        (
            ScanningClassifier,
            dict(window=2, shape=12),
            InvalidParameterError,
            _constraint(ScanningClassifier, "shape", ".*'tuple'.*'list'.* or None"),
        ),
        (
            ScanningClassifier,
            dict(window=2, cv=1),
            InvalidParameterError,
            _constraint(ScanningClassifier, "cv", r"an int in the range \[2, inf\)"),
        ),
        (
            ScanningRegressor,
            dict(window=2, cv="five"),
            InvalidParameterError,
            _constraint(ScanningRegressor, "cv", ".*Got 'five' instead"),
        ),
        (
            ScanningClassifier,
            dict(window=2, random_state="seed"),
            InvalidParameterError,
            _constraint(ScanningClassifier, "random_state", ".*RandomState"),
        ),
        (
            ScanningClassifier,
            dict(window=2, n_jobs=1.5),
            InvalidParameterError,
            _constraint(ScanningClassifier, "n_jobs", ".*'int'.* or None"),
        ),
        (
            ScanningClassifier,
            dict(window=2, estimator="tree"),
            InvalidParameterError,
            _constraint(
                ScanningClassifier, "estimator", "an object implementing 'fit'"
            ),
        ),
        (
            ScanningRegressor,
            dict(window=2, estimator=FitOnly()),
            InvalidParameterError,
            _constraint(
                ScanningRegressor, "estimator", "an object implementing 'fit' and"
            )
            + " 'predict'",
        ),
        # beyond what a constraint can say: checked by hand
        (
            ScanningClassifier,
            dict(window=2, shape=(0, 12)),
            ValueError,
            r"shape must be None or a pair of positive integers \(height, width\); "
            r"got shape=\(0, 12\)",
        ),
        (ScanningClassifier, dict(window=2, shape=(12,)), ValueError, "shape must"),
        (ScanningClassifier, dict(window=2, shape=[2, 3, 2]), ValueError, "shape must"),
        (ScanningRegressor, dict(window=2, shape=(3.0, 4)), ValueError, "shape must"),
        (
            ScanningClassifier,
            dict(window=2, estimator=Ridge()),
            ValueError,
            "estimator must be a classifier",
        ),
        (
            ScanningRegressor,
            dict(window=2, estimator=DecisionTreeClassifier()),
            ValueError,
            "estimator must be a regressor",
        ),
        # against the data: checked in fit
        (ScanningRegressor, dict(window=13), ValueError, r"window=13 is longer .*=12"),
        (
            ScanningClassifier,
            dict(window=2, shape=(3, 5)),
            ValueError,
            r"shape=\(3, 5\) holds 15 values but X has n_features=12",
        ),
        (
            ScanningRegressor,
            dict(window=4, shape=(2, 6)),
            ValueError,
            r"window=4 is larger than a side .* shape=\(2, 6\)",
        ),
    ],
)
@pytest.mark.parametrize("method", ["fit", "fit_transform"])
def test_invalid_parameters(estimator, params, error, message, method):
    """Invalid parameters raise errors naming the parameter, in fit and in
    fit_transform alike."""
    default = {
        ScanningClassifier: DecisionTreeClassifier(),
        ScanningRegressor: DecisionTreeRegressor(),
    }
    params = {"estimator": default[estimator], **params}
    with pytest.raises(error, match=message):
        getattr(estimator(**params), method)(X_SERIES, Y_SERIES)


def test_invalid_parameter_error_is_value_and_type_error():
    """Code that caught the former ValueError (bad value) or TypeError (bad
    type) of a parameter still catches its error."""
    for params in (dict(window=0), dict(window=2.5)):
        scan = ScanningClassifier(DecisionTreeClassifier(), **params)
        with pytest.raises(ValueError, match="'window' parameter"):
            scan.fit(X_SERIES, Y_SERIES)
        with pytest.raises(TypeError, match="'window' parameter"):
            scan.fit(X_SERIES, Y_SERIES)


@pytest.mark.parametrize(
    "estimator",
    [
        ScanningClassifier(DecisionTreeClassifier(), window=2),
        ScanningRegressor(DecisionTreeRegressor(), window=2),
    ],
    ids=["classifier", "regressor"],
)
def test_parameter_constraints(estimator):
    """Every parameter has a constraint, checked by fit and fit_transform."""
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "estimator, y, sample_weight, message",
    [
        (DecisionTreeClassifier(), np.zeros(60), None, "only one class: 0.0"),
        (DecisionTreeClassifier(), Y_REGRESSION, None, "Unknown label type"),
        (KNeighborsClassifier(), Y_SERIES, np.ones(60), "does not support sample"),
        (DecisionTreeClassifier(), Y_SERIES, np.ones(59), "sample_weight"),
    ],
)
def test_invalid_targets_and_weights(estimator, y, sample_weight, message):
    """Bad targets and sample weights are rejected as scikit-learn does."""
    with pytest.raises(ValueError, match=message):
        ScanningClassifier(estimator, window=3).fit(X_SERIES, y, sample_weight)


def test_fit_transform_rejects_non_partitioning_cv():
    """Cross-fitting needs every sample in exactly one test fold."""
    folds = [(np.arange(30, 60), np.arange(30))]
    scan = ScanningClassifier(DecisionTreeClassifier(), window=3, cv=folds)
    with pytest.raises(ValueError, match="exactly one test fold"):
        scan.fit_transform(X_SERIES, Y_SERIES)


def test_transform_needs_predict_proba():
    """transform of a classifier without predict_proba raises AttributeError."""
    scan = ScanningClassifier(Perceptron(), window=3)
    with pytest.raises(AttributeError, match="needs an estimator with predict_proba"):
        scan.fit_transform(X_SERIES, Y_SERIES)
    with pytest.raises(AttributeError, match="needs an estimator with predict_proba"):
        scan.fit(X_SERIES, Y_SERIES).transform(X_SERIES)


def test_allow_nan_follows_the_estimator():
    """NaN is accepted exactly when the window estimator accepts it."""
    X = X_SERIES.copy()
    X[0, 3] = np.nan
    scan = ScanningClassifier(HistGradientBoostingClassifier(max_iter=5), window=3)
    assert get_tags(scan).input_tags.allow_nan
    assert scan.fit(X, Y_SERIES).predict(X).shape == (60,)

    linear = ScanningClassifier(LogisticRegression(), window=3)
    assert not get_tags(linear).input_tags.allow_nan
    with pytest.raises(ValueError, match="NaN"):
        linear.fit(X, Y_SERIES)


def test_inputs_are_not_modified():
    """fit, fit_transform, predict and transform leave X, y and weights intact."""
    X, y, weights = X_SERIES.copy(), Y_SERIES.copy(), np.linspace(1, 2, 60)
    scan = ScanningClassifier(DecisionTreeClassifier(random_state=0), window=3)
    scan.fit_transform(X, y, sample_weight=weights)
    scan.fit(X, y, sample_weight=weights).predict(X)
    scan.transform(X)
    assert_array_equal(X, X_SERIES)
    assert_array_equal(y, Y_SERIES)
    assert_array_equal(weights, np.linspace(1, 2, 60))


def test_pandas_input_and_output():
    """DataFrame columns are checked and set_output gives named window features."""
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(X_SERIES, columns=[f"t{i}" for i in range(12)])
    scan = ScanningRegressor(Ridge(), window=6, stride=3).set_output(transform="pandas")
    out = scan.fit_transform(X, Y_REGRESSION)
    assert list(out.columns) == ["scan6_s0", "scan6_s3", "scan6_s6"]
    assert_array_equal(scan.feature_names_in_, X.columns)
    with pytest.raises(ValueError, match="input_features is not equal"):
        scan.get_feature_names_out([f"u{i}" for i in range(12)])


def test_digits_accuracy():
    """4x4 patches of the 8x8 digits classify a held-out split well.

    Measured: 0.965 test accuracy (0.970 with every window); the threshold leaves
    a margin of 0.025.
    """
    X_train, X_test, y_train, y_test = train_test_split(
        X_DIGITS, Y_DIGITS, test_size=0.3, stratify=Y_DIGITS, random_state=0
    )
    scan = ScanningClassifier(
        ExtraTreesClassifier(n_estimators=50, random_state=0),
        window=4,
        shape=(8, 8),
        max_windows=16,
        random_state=0,
    )
    assert scan.fit(X_train, y_train).score(X_test, y_test) > 0.94
