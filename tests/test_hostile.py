"""Hostile inputs through every public estimator.

One table, ``HOSTILE``: each row is a hostile input, the estimators it is
given to and what must happen, either an error of a given type whose message
names the problem or, where the input is fine for that estimator, a working
fit. Every row also checks that the caller's inputs are left as they were.
The failing-branch tests at the end check what reaches the user when a branch
raises, sequentially and in parallel, and that no process is left behind.
"""

import copy
import gc
import os
import re
import time
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from joblib import parallel_config
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import get_tags

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.fusion import AverageFusion, CascadeFusion, ResidualFusion
from skmg.granularity import (
    IntervalFeatures,
    Pooling,
    ScanningClassifier,
    ScanningRegressor,
)

RNG = np.random.RandomState(0)
N_SAMPLES, N_FEATURES = 30, 8
X_SERIES = RNG.normal(size=(N_SAMPLES, N_FEATURES))
Y_CLASSES = np.array(["a", "b", "c"])[np.arange(N_SAMPLES) % 3]
Y_TARGET = X_SERIES[:, 0] + 0.1 * RNG.normal(size=N_SAMPLES)
COLUMNS = [f"x{j}" for j in range(N_FEATURES)]


# -- the estimators -----------------------------------------------------------


def _windowed_classifier_branches():
    """A branch that takes anything a tree takes, and a windowed view that
    takes only dense, finite series of at least 4 values."""
    return [
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("pooled", make_pipeline(Pooling(size=4), GaussianNB())),
    ]


def _windowed_regressor_branches():
    return [
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ("pooled", make_pipeline(Pooling(size=4), Ridge())),
    ]


def _tree_branches(tree):
    """Branches that take NaN, sparse matrices and any number of features."""
    return [
        ("deep", tree(max_depth=4, random_state=0)),
        ("stump", tree(max_depth=1, random_state=0)),
    ]


def _boosting_branches(boosting, tree):
    """Branches that all take NaN."""
    return [
        ("boosted", boosting(max_iter=5, random_state=0)),
        ("tree", tree(max_depth=3, random_state=0)),
    ]


# name -> (factory, kind); the kind says which target the estimator gets.
ESTIMATORS = {
    "classifier-stacking": (
        lambda: MultiGranularityClassifier(_windowed_classifier_branches(), cv=3),
        "classifier",
    ),
    "classifier-average": (
        lambda: MultiGranularityClassifier(
            _windowed_classifier_branches(), fusion="average", cv=3
        ),
        "classifier",
    ),
    "classifier-cascade": (
        lambda: MultiGranularityClassifier(
            _windowed_classifier_branches(),
            fusion=CascadeFusion(max_levels=2),
            cv=3,
        ),
        "classifier",
    ),
    "regressor-stacking": (
        lambda: MultiGranularityRegressor(_windowed_regressor_branches(), cv=3),
        "regressor",
    ),
    "regressor-residual": (
        lambda: MultiGranularityRegressor(
            _windowed_regressor_branches(), fusion="residual", cv=3
        ),
        "regressor",
    ),
    "classifier-trees": (
        lambda: MultiGranularityClassifier(
            _tree_branches(DecisionTreeClassifier), fusion="average", cv=3
        ),
        "classifier",
    ),
    "regressor-trees": (
        lambda: MultiGranularityRegressor(_tree_branches(DecisionTreeRegressor), cv=3),
        "regressor",
    ),
    "classifier-boosting": (
        lambda: MultiGranularityClassifier(
            _boosting_branches(HistGradientBoostingClassifier, DecisionTreeClassifier),
            cv=3,
        ),
        "classifier",
    ),
    "regressor-boosting": (
        lambda: MultiGranularityRegressor(
            _boosting_branches(HistGradientBoostingRegressor, DecisionTreeRegressor),
            fusion="weighted",
            cv=3,
        ),
        "regressor",
    ),
    "interval": (lambda: IntervalFeatures(window=4), "view"),
    "pooling": (lambda: Pooling(size=4), "view"),
    "scanning-classifier": (
        lambda: ScanningClassifier(
            DecisionTreeClassifier(max_depth=3, random_state=0), window=4, stride=2
        ),
        "classifier",
    ),
    "scanning-regressor": (
        lambda: ScanningRegressor(
            DecisionTreeRegressor(max_depth=3, random_state=0), window=4, stride=2
        ),
        "regressor",
    ),
}

WINDOWED_CLASSIFIERS = [
    "classifier-stacking",
    "classifier-average",
    "classifier-cascade",
]
WINDOWED_REGRESSORS = ["regressor-stacking", "regressor-residual"]
WINDOWED_META = WINDOWED_CLASSIFIERS + WINDOWED_REGRESSORS
TREES = ["classifier-trees", "regressor-trees"]
BOOSTING = ["classifier-boosting", "regressor-boosting"]
# Boosting branches are slow to fit on two cores: they meet the NaN rows only.
META = WINDOWED_META + TREES
META_CLASSIFIERS = WINDOWED_CLASSIFIERS + ["classifier-trees"]
META_REGRESSORS = WINDOWED_REGRESSORS + ["regressor-trees"]
VIEWS = ["interval", "pooling"]
SCANNING = ["scanning-classifier", "scanning-regressor"]
SUPERVISED = META + SCANNING
EVERY = META + VIEWS + SCANNING


def _window_parameter(estimator, name):
    """The parameter of the window view of ``estimator`` (its ``pooled``
    branch for the meta-estimators)."""
    return f"pooled__pooling__{name}" if estimator in WINDOWED_META else name


# -- the hostile inputs -------------------------------------------------------


class Call(NamedTuple):
    """What a row does: set ``params``, then either fit on ``X, y`` or, for
    another ``method``, fit on clean data and call ``method`` on ``X, y``."""

    method: str
    X: object
    y: object = None
    sample_weight: object = None
    params: dict = {}
    fit_X: object = None


def _target(kind, n_samples=N_SAMPLES):
    if kind == "classifier":
        return Y_CLASSES[:n_samples].copy()
    if kind == "regressor":
        return Y_TARGET[:n_samples].copy()
    return None


def _with(value, row=4, column=2):
    X = X_SERIES.copy()
    X[row, column] = value
    return X


def _frame():
    return pd.DataFrame(X_SERIES, columns=COLUMNS)


def _string_column(kind, estimator):
    X = _frame()
    X["x1"] = "red"
    return Call("fit", X, _target(kind))


def _ragged(kind, estimator):
    rows = [list(row) for row in X_SERIES]
    rows[3] = rows[3][:5]
    return Call("fit", rows, _target(kind))


def _unseen_labels(kind, estimator):
    y = _target(kind)
    y[:6] = "never seen"
    return Call("score", X_SERIES.copy(), y)


def _empty_training_fold(kind, estimator):
    half = N_SAMPLES // 2
    splits = [
        (np.arange(half, N_SAMPLES), np.arange(half)),
        (np.array([], dtype=int), np.arange(half, N_SAMPLES)),
    ]
    # multi-grained scanning cross-fits in fit_transform only
    method = "fit_transform" if estimator in SCANNING else "fit"
    return Call(method, X_SERIES.copy(), _target(kind), params={"cv": splits})


def _nan_weights():
    weights = np.ones(N_SAMPLES)
    weights[7] = np.nan
    return weights


def _one_class(kind, estimator):
    return Call("fit", X_SERIES.copy(), np.full(N_SAMPLES, "a"))


def _nan_target(kind, estimator):
    y = np.arange(N_SAMPLES, dtype=float) % 3 if kind == "classifier" else _target(kind)
    y[5] = np.nan
    return Call("fit", X_SERIES.copy(), y)


# name -> builder(kind, estimator) -> Call
CASES = {
    "nan": lambda kind, est: Call("fit", _with(np.nan), _target(kind)),
    "inf": lambda kind, est: Call("fit", _with(np.inf), _target(kind)),
    "nan-at-predict": lambda kind, est: Call("predict", _with(np.nan)),
    "no-rows": lambda kind, est: Call("fit", X_SERIES[:0].copy(), _target(kind, 0)),
    "no-features": lambda kind, est: Call("fit", X_SERIES[:, :0].copy(), _target(kind)),
    "one-sample": lambda kind, est: Call("fit", X_SERIES[:1].copy(), _target(kind, 1)),
    "one-feature": lambda kind, est: Call("fit", X_SERIES[:, :1].copy(), _target(kind)),
    "1d-X": lambda kind, est: Call("fit", X_SERIES[:, 0].copy(), _target(kind)),
    "ragged-rows": _ragged,
    "series-shorter-than-window": lambda kind, est: Call(
        "fit", X_SERIES[:, :3].copy(), _target(kind)
    ),
    "shape-not-n_features": lambda kind, est: Call(
        "fit",
        X_SERIES.copy(),
        _target(kind),
        params={_window_parameter(est, "shape"): (3, 3)},
    ),
    "string-column": _string_column,
    "sparse": lambda kind, est: Call("fit", sp.csr_matrix(X_SERIES), _target(kind)),
    "y-shorter-than-X": lambda kind, est: Call(
        "fit", X_SERIES.copy(), _target(kind)[:-1]
    ),
    "3d-y": lambda kind, est: Call(
        "fit", X_SERIES.copy(), _target(kind).reshape(-1, 1, 1)
    ),
    "2d-y": lambda kind, est: Call(
        "fit", X_SERIES.copy(), np.column_stack([_target(kind), _target(kind)])
    ),
    "nan-in-y": _nan_target,
    "one-class": _one_class,
    "sample_weight-too-short": lambda kind, est: Call(
        "fit", X_SERIES.copy(), _target(kind), sample_weight=np.ones(N_SAMPLES - 1)
    ),
    "nan-in-sample_weight": lambda kind, est: Call(
        "fit", X_SERIES.copy(), _target(kind), sample_weight=_nan_weights()
    ),
    "unseen-labels-in-score": _unseen_labels,
    "cv-with-empty-training-fold": _empty_training_fold,
    "columns-reordered": lambda kind, est: Call(
        "predict", _frame()[COLUMNS[::-1]], fit_X=_frame()
    ),
    "columns-renamed": lambda kind, est: Call(
        "predict", _frame().rename(columns={"x3": "renamed"}), fit_X=_frame()
    ),
    "fewer-features-at-predict": lambda kind, est: Call(
        "predict", X_SERIES[:, :-1].copy()
    ),
    "no-rows-at-predict": lambda kind, est: Call("predict", X_SERIES[:0].copy()),
}

WORKS = (None, None)


def _rows(case, estimators, error, message, marks=()):
    return [
        pytest.param(
            case, estimator, error, message, id=f"{case}-{estimator}", marks=marks
        )
        for estimator in estimators
    ]


def _pooled_failed(message):
    return rf"branch 'pooled' failed in the refit on all rows: {message}"


# (case, estimators, error type or None, message regex or None)
HOSTILE = [
    *_rows("nan", WINDOWED_META, ValueError, _pooled_failed("Input X contains NaN")),
    *_rows("nan", VIEWS, ValueError, "Input X contains NaN"),
    # every branch takes NaN: so does the meta-estimator (and its tags say so)
    *_rows("nan", TREES + BOOSTING + SCANNING, *WORKS),
    *_rows(
        "inf",
        WINDOWED_META,
        ValueError,
        r"branch 'tree' failed in the refit on all rows: Input X contains infinity",
    ),
    *_rows(
        "inf",
        TREES,
        ValueError,
        r"branch 'deep' failed in the refit on all rows: Input X contains infinity",
    ),
    *_rows("inf", VIEWS + SCANNING, ValueError, "Input X contains infinity"),
    *_rows("nan-at-predict", WINDOWED_META + VIEWS, ValueError, "Input X contains NaN"),
    *_rows("nan-at-predict", TREES + BOOSTING + SCANNING, *WORKS),
    *_rows("no-rows", EVERY, ValueError, r"Found array with 0 sample\(s\)"),
    *_rows("no-features", EVERY, ValueError, r"Found array with 0 feature\(s\)"),
    *_rows("one-sample", META_CLASSIFIERS, ValueError, "y has one class only"),
    *_rows(
        "one-sample",
        ["scanning-classifier"],
        ValueError,
        "needs samples of at least 2 classes",
    ),
    *_rows(
        "one-sample",
        META_REGRESSORS,
        ValueError,
        "n_splits=3 greater than the number of samples: n_samples=1",
    ),
    *_rows("one-sample", VIEWS + ["scanning-regressor"], *WORKS),
    *_rows(
        "one-feature",
        WINDOWED_META,
        ValueError,
        _pooled_failed("size=4 is longer than the series: X has n_features=1"),
    ),
    *_rows("one-feature", TREES, *WORKS),
    *_rows(
        "one-feature",
        ["interval"] + SCANNING,
        ValueError,
        "window=4 is longer than the series: X has n_features=1",
    ),
    *_rows(
        "one-feature",
        ["pooling"],
        ValueError,
        "size=4 is longer than the series: X has n_features=1",
    ),
    *_rows("1d-X", EVERY, ValueError, "Expected 2D array, got 1D array instead"),
    *_rows("ragged-rows", EVERY, ValueError, "inhomogeneous shape after 1 dimensions"),
    *_rows(
        "series-shorter-than-window",
        WINDOWED_META,
        ValueError,
        _pooled_failed("size=4 is longer than the series: X has n_features=3"),
    ),
    *_rows(
        "series-shorter-than-window",
        ["interval"] + SCANNING,
        ValueError,
        "window=4 is longer than the series: X has n_features=3",
    ),
    *_rows(
        "series-shorter-than-window",
        ["pooling"],
        ValueError,
        "size=4 is longer than the series: X has n_features=3",
    ),
    *_rows(
        "shape-not-n_features",
        WINDOWED_META,
        ValueError,
        _pooled_failed(r"shape=\(3, 3\) has 9 pixels, but X has n_features=8"),
    ),
    *_rows(
        "shape-not-n_features",
        VIEWS,
        ValueError,
        r"shape=\(3, 3\) has 9 pixels, but X has n_features=8",
    ),
    *_rows(
        "shape-not-n_features",
        SCANNING,
        ValueError,
        r"shape=\(3, 3\) holds 9 values but X has n_features=8",
    ),
    *_rows(
        "string-column",
        WINDOWED_META,
        ValueError,
        "branch 'tree' failed in the refit on all rows: "
        "could not convert string to float: 'red'",
    ),
    *_rows(
        "string-column",
        TREES,
        ValueError,
        "branch 'deep' failed in the refit on all rows: "
        "could not convert string to float: 'red'",
    ),
    *_rows(
        "string-column",
        VIEWS + SCANNING,
        ValueError,
        "could not convert string to float: 'red'",
    ),
    *_rows(
        "sparse",
        WINDOWED_META,
        TypeError,
        _pooled_failed("Sparse data was passed for X, but dense data is required"),
    ),
    # every branch takes sparse matrices: so does the meta-estimator
    *_rows("sparse", TREES, *WORKS),
    *_rows(
        "sparse",
        VIEWS + SCANNING,
        TypeError,
        "Sparse data was passed for X, but dense data is required",
    ),
    *_rows(
        "y-shorter-than-X",
        SUPERVISED,
        ValueError,
        r"inconsistent numbers of samples: \[30, 29\]",
    ),
    # scikit-learn's message, or the regressor's own if it checks first
    *_rows(
        "3d-y",
        SUPERVISED,
        ValueError,
        r"Found array with dim 3|y must be 1-D or 2-D; got an array of shape "
        r"\(30, 1, 1\)",
    ),
    *_rows(
        "2d-y",
        META_CLASSIFIERS + SCANNING,
        ValueError,
        r"y should be a 1d array, got an array of shape \(30, 2\)",
    ),
    # two targets: multi-output regression, which every branch supports
    *_rows("2d-y", META_REGRESSORS, *WORKS),
    *_rows("nan-in-y", SUPERVISED, ValueError, "Input y contains NaN"),
    *_rows("one-class", META_CLASSIFIERS, ValueError, "y has one class only"),
    *_rows(
        "one-class",
        ["scanning-classifier"],
        ValueError,
        "needs samples of at least 2 classes",
    ),
    *_rows(
        "sample_weight-too-short",
        SUPERVISED,
        ValueError,
        re.escape("sample_weight.shape == (29,), expected (30,)"),
    ),
    *_rows(
        "nan-in-sample_weight",
        SUPERVISED,
        ValueError,
        "Input sample_weight contains NaN",
    ),
    # as for every scikit-learn classifier: rows of an unseen label count as
    # wrong predictions, they are not an error
    *_rows(
        "unseen-labels-in-score", META_CLASSIFIERS + ["scanning-classifier"], *WORKS
    ),
    *_rows(
        "cv-with-empty-training-fold",
        WINDOWED_META,
        ValueError,
        "'cv' gave an empty training set in fold 2",
    ),
    *_rows(
        "cv-with-empty-training-fold",
        SCANNING,
        ValueError,
        "empty training set in fold 2",
    ),
    *_rows(
        "columns-reordered",
        EVERY,
        ValueError,
        "Feature names must be in the same order as they were in fit",
    ),
    *_rows(
        "columns-renamed",
        EVERY,
        ValueError,
        "Feature names unseen at fit time:\n- renamed",
    ),
    *_rows(
        "fewer-features-at-predict",
        EVERY,
        ValueError,
        r"X has 7 features, but \w+ is expecting 8 features",
    ),
    *_rows("no-rows-at-predict", EVERY, ValueError, r"Found array with 0 sample\(s\)"),
]

# The input-tag each case is about: an estimator works on the input if and
# only if its tag says it accepts it.
TAGS = {"nan": "allow_nan", "sparse": "sparse"}


# -- running a row ------------------------------------------------------------


def _run(model, kind, call):
    """Make the hostile call; return what it returned."""
    model.set_params(**call.params)
    fit_params = {}
    if call.sample_weight is not None:
        fit_params["sample_weight"] = call.sample_weight
    if call.method in ("fit", "fit_transform"):
        y = None if kind == "view" else call.y
        return getattr(model, call.method)(call.X, y, **fit_params)
    fit_X = X_SERIES if call.fit_X is None else call.fit_X
    model.fit(fit_X, _target(kind))
    if call.method == "score":
        return model.score(call.X, call.y)
    return model.transform(call.X) if kind == "view" else model.predict(call.X)


def _check_outputs(model, kind, call, result):
    """What a working row must give: outputs of the right length, finite
    numbers or known labels; for ``score``, the share of right predictions."""
    if call.method == "score":
        predictions = model.predict(call.X)
        assert result == pytest.approx(np.mean(predictions == call.y))
        assert result < 1
        return
    outputs = model.transform(call.X) if kind == "view" else model.predict(call.X)
    assert outputs.shape[0] == call.X.shape[0]
    if kind == "classifier":
        assert np.isin(outputs, model.classes_).all()
    else:
        assert np.isfinite(outputs).all()


def _assert_same(actual, expected):
    """``actual`` is still equal to the copy ``expected`` taken before."""
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(actual, expected)
    elif sp.issparse(expected):
        assert (actual != expected).nnz == 0
        np.testing.assert_array_equal(actual.data, expected.data)
    elif isinstance(expected, dict):
        assert actual.keys() == expected.keys()
        for key in expected:
            _assert_same(actual[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            _assert_same(a, e)
    elif isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(actual, expected)
    else:
        assert actual == expected


# NaN labels: scikit-learn's check of the target casts them to int on the way
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
@pytest.mark.parametrize("case, estimator, error, message", HOSTILE)
def test_hostile_input(case, estimator, error, message):
    """The estimator refuses the input with an error that names the problem,
    or works where the input is fine for it; the inputs are never modified."""
    factory, kind = ESTIMATORS[estimator]
    model = factory()
    call = CASES[case](kind, estimator)
    before = copy.deepcopy(call)
    if error is None:
        result = _run(model, kind, call)
        _check_outputs(model, kind, call, result)
    else:
        with pytest.raises(error, match=message):
            _run(model, kind, call)
    for field in Call._fields:
        _assert_same(getattr(call, field), getattr(before, field))
    if case in TAGS:
        assert getattr(get_tags(factory()).input_tags, TAGS[case]) == (error is None)


def test_every_hostile_case_is_in_the_table():
    """Every hostile input is in the table, once per estimator, and every
    estimator but the boosting ones meets at least 15 of them."""
    cases = {param.values[0] for param in HOSTILE}
    assert cases == set(CASES)
    ids = [param.id for param in HOSTILE]
    assert len(ids) == len(set(ids))
    for estimator in set(ESTIMATORS) - set(BOOSTING):
        assert sum(param.values[1] == estimator for param in HOSTILE) >= 15


# -- a branch that fails --------------------------------------------------------


class _BrokenClassifier(ClassifierMixin, BaseEstimator):
    """Raises in fit."""

    def fit(self, X, y):
        raise ArithmeticError("the branch broke")

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def _broken_model(n_jobs):
    return MultiGranularityClassifier(
        [("ok", GaussianNB()), ("broken", _BrokenClassifier())], cv=3, n_jobs=n_jobs
    )


BROKEN = (
    r"branch 'broken' failed in (fold [123]/3|the refit on all rows): the branch broke"
)
BACKENDS = [("loky", 1), ("loky", 2), ("threading", 2)]


# loky with n_jobs=2: see test_failing_parallel_fit_leaves_no_process_behind
@pytest.mark.parametrize("backend, n_jobs", [("loky", 1), ("threading", 2)])
def test_failing_branch_is_named_with_its_fold(backend, n_jobs):
    """An exception in a branch's fit reaches the user with its type, the
    branch name, the fold and the original message, whatever the backend."""
    X, y = X_SERIES.copy(), Y_CLASSES.copy()
    with parallel_config(backend=backend):
        with pytest.raises(ArithmeticError, match=BROKEN):
            _broken_model(n_jobs).fit(X, y)
    np.testing.assert_array_equal(X, X_SERIES)
    np.testing.assert_array_equal(y, Y_CLASSES)


@pytest.mark.parametrize(
    "backend, n_jobs",
    [pytest.param(backend, n_jobs) for backend, n_jobs in BACKENDS],
)
def test_failing_branch_chains_the_original_exception(backend, n_jobs):
    """The error raised to the user has the branch's own exception as its
    ``__cause__``, also when the fit plan ran in workers."""
    with parallel_config(backend=backend):
        with pytest.raises(ArithmeticError) as info:
            _broken_model(n_jobs).fit(X_SERIES, Y_CLASSES)
    cause_type, cause_message = type(info.value.__cause__), str(info.value.__cause__)
    # Collect the reference cycles of the failed fit now: collected while
    # pytest parses this file to report a failure, their finalizers trip a
    # CPython 3.11.7 bug ("SystemError: AST constructor recursion depth
    # mismatch") that ends the whole session.
    del info
    gc.collect()
    assert cause_type is ArithmeticError
    assert cause_message == "the branch broke"


def _child_processes():
    """The live descendants of this process: pid -> command line."""
    try:
        import psutil
    except ImportError:
        return _child_processes_from_proc()
    children = {}
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                children[child.pid] = " ".join(child.cmdline())
        except psutil.NoSuchProcess:
            pass
    return children


def _child_processes_from_proc():
    parents, commands = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # the command name, in parentheses, may hold spaces
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = (
                    cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
                )
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
            commands[int(entry)] = command
    children, frontier = {}, {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier}
        children.update({pid: commands[pid] for pid in frontier})
    return children


def _new_processes(before, allowed, timeout=10.0):
    """Processes started since ``before`` that are not ``allowed``, after
    giving exiting ones ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        new = {
            pid: command
            for pid, command in _child_processes().items()
            if pid not in before and not allowed(command)
        }
        if not new or time.monotonic() > deadline:
            return new
        time.sleep(0.1)


def _is_resource_tracker(command):
    return "resource_tracker" in command


def _is_loky_worker(command):
    return "loky" in command and not _is_resource_tracker(command)


def test_failing_parallel_fit_leaves_no_process_behind():
    """A branch failing in a loky worker is named with its fold, and leaves
    no process behind: the only new processes are loky's, the workers of its
    reusable pool (kept alive on purpose for the next parallel call; joblib
    ends them after a failure anyway) and the resource trackers (one per
    interpreter, for its lifetime). Once the pool is shut down, only the
    trackers remain."""
    from joblib.externals.loky import get_reusable_executor

    before = _child_processes()
    X, y = X_SERIES.copy(), Y_CLASSES.copy()
    with parallel_config(backend="loky"):
        with pytest.raises(ArithmeticError, match=BROKEN):
            _broken_model(n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(X, X_SERIES)
    np.testing.assert_array_equal(y, Y_CLASSES)
    new = _new_processes(before, _is_resource_tracker, timeout=0.0)
    assert all(_is_loky_worker(command) for command in new.values()), new
    assert len(new) <= 2
    get_reusable_executor().shutdown(wait=True)
    assert _new_processes(before, _is_resource_tracker) == {}


# -- a branch whose outputs are not finite, or whose error cannot be pickled ----

CLASSIFIER_FUSIONS = ["stacking", "average", "weighted", "greedy", "cawpe"]
CLASSIFIER_FUSIONS += ["cascade", "auto"]
REGRESSOR_FUSIONS = ["stacking", "average", "weighted", "greedy", "cascade"]
REGRESSOR_FUSIONS += ["residual", "auto"]
FAULT_BACKENDS = [("loky", 1), ("loky", 2), ("threading", 2)]


class _NaNProbaClassifier(ClassifierMixin, BaseEstimator):
    """Probabilities with NaN rows where the first feature exceeds 1."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        proba = np.full((len(X), len(self.classes_)), 1 / len(self.classes_))
        proba[np.asarray(X)[:, 0] > 1] = np.nan
        return proba

    def predict(self, X):
        return self.classes_[np.zeros(len(X), dtype=int)]


class _NaNRegressor(RegressorMixin, BaseEstimator):
    """Predictions with NaN where the first feature exceeds 1."""

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        prediction = np.full(len(X), self.mean_)
        prediction[np.asarray(X)[:, 0] > 1] = np.nan
        return prediction


def _rows_without_a_high_first_feature():
    return X_SERIES[:, 0] <= 1


@pytest.mark.parametrize("backend, n_jobs", FAULT_BACKENDS)
@pytest.mark.parametrize("fusion", CLASSIFIER_FUSIONS)
def test_nan_probabilities_name_the_branch_and_fold(fusion, backend, n_jobs):
    """Items 8: a branch whose probabilities hold NaN fails the fit under
    every fusion and backend with a ValueError naming it and the fold, never
    a model that predicts NaN rows as the first class."""
    model = MultiGranularityClassifier(
        [("ok", GaussianNB()), ("bad", _NaNProbaClassifier())],
        fusion=fusion,
        cv=3,
        n_jobs=n_jobs,
    )
    with parallel_config(backend=backend):
        with pytest.raises(
            ValueError,
            match=r"branch 'bad' failed in fold [123]/3: its predict_proba outputs "
            r"are not finite: \d+ of \d+ rows hold NaN or infinity",
        ):
            model.fit(X_SERIES, Y_CLASSES)


@pytest.mark.parametrize("fusion", CLASSIFIER_FUSIONS)
def test_nan_probabilities_at_predict_name_the_branch(fusion):
    """Item 8, at predict: a branch healthy on the training rows that gives
    NaN for new rows makes predict raise, naming it."""
    keep = _rows_without_a_high_first_feature()
    model = MultiGranularityClassifier(
        [("ok", GaussianNB()), ("bad", _NaNProbaClassifier())], fusion=fusion, cv=3
    ).fit(X_SERIES[keep], Y_CLASSES[keep])
    for method in ("predict", "predict_proba"):
        with pytest.raises(
            ValueError, match=r"branch 'bad' failed in predict.*not finite"
        ):
            getattr(model, method)(X_SERIES)


@pytest.mark.parametrize("backend, n_jobs", FAULT_BACKENDS)
@pytest.mark.parametrize("fusion", REGRESSOR_FUSIONS)
def test_nan_regression_predictions_name_the_branch(fusion, backend, n_jobs):
    """Item 9: a regressor branch predicting NaN fails the fit naming it and
    the fold, not with 'Input contains NaN.' from the scoring code."""
    model = MultiGranularityRegressor(
        [("ok", Ridge()), ("bad", _NaNRegressor())], fusion=fusion, cv=3, n_jobs=n_jobs
    )
    with parallel_config(backend=backend):
        with pytest.raises(
            ValueError,
            match=r"branch 'bad' failed in fold [123]/3: its predict outputs are "
            "not finite",
        ):
            model.fit(X_SERIES, Y_TARGET)


class _NeedsTwoArguments(Exception):
    """An exception whose class cannot be re-created from its message."""

    def __init__(self, code, detail):
        super().__init__(f"error {code}: {detail}")
        self.code = code


class _RaisesUnpicklable(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise _NeedsTwoArguments(42, "the branch broke")

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


@pytest.mark.parametrize("backend, n_jobs", FAULT_BACKENDS)
def test_exception_that_cannot_be_unpickled_names_branch_and_fold(backend, n_jobs):
    """Item 12: an exception class with a custom constructor comes back from
    any backend as a RuntimeError naming the branch, the fold, the original
    type and message (not 'A result has failed to un-serialize')."""
    model = MultiGranularityClassifier(
        [("ok", GaussianNB()), ("odd", _RaisesUnpicklable())], cv=3, n_jobs=n_jobs
    )
    with parallel_config(backend=backend):
        with pytest.raises(RuntimeError) as info:
            model.fit(X_SERIES, Y_CLASSES)
    message = str(info.value)
    cause = info.value.__cause__
    del info
    gc.collect()
    assert re.match(
        r"branch 'odd' failed in (fold [123]/3|the refit on all rows): "
        r"_NeedsTwoArguments: error 42: the branch broke",
        message,
    )
    # the traceback, as text; or the exception itself, when a library such as
    # tblib (imported by dask's distributed) has made every exception picklable
    assert isinstance(cause, _NeedsTwoArguments) or (
        "raise _NeedsTwoArguments" in str(cause)
    )


@pytest.mark.parametrize("weights", [[1, np.nan], [1, np.inf], [1, -1]])
def test_non_finite_fusion_weights_are_refused(weights):
    """Item 11: fixed weights must be finite and non-negative."""
    model = MultiGranularityClassifier(
        [("a", GaussianNB()), ("b", DecisionTreeClassifier(random_state=0))],
        fusion=AverageFusion(weights=weights),
        cv=3,
    )
    with pytest.raises(ValueError, match="'weights' must hold one finite"):
        model.fit(X_SERIES, Y_CLASSES)


@pytest.mark.parametrize(
    "rate", [[1, np.nan], [1, np.inf], np.nan, np.inf, [1, -1], [1, 0]]
)
def test_non_finite_learning_rates_are_refused(rate):
    """Item 11: learning rates must be finite and positive, one per stage."""
    model = MultiGranularityRegressor(
        [("a", Ridge()), ("b", DecisionTreeRegressor(random_state=0))],
        fusion=ResidualFusion(learning_rate=rate),
        cv=3,
    )
    with pytest.raises(ValueError, match="learning_rate"):
        model.fit(X_SERIES, Y_TARGET)


def test_cascade_keeps_a_dataframe_at_every_level():
    """Item 10: under a cascade, a DataFrame stays a DataFrame at every level
    (the previous outputs joined as named columns), so branches that select
    columns by name and models reading the category dtype work; an error at
    level 2 says so."""
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.RandomState(0)
    n = 120
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        }
    )
    y = ((frame["size"] + (frame["colour"] == "red") * 1.5) > 0.5).astype(int)
    branches = [
        (
            "categories",
            HistGradientBoostingClassifier(
                categorical_features="from_dtype", max_iter=20, random_state=0
            ),
        ),
        (
            "by_name",
            make_pipeline(
                make_column_transformer(
                    (StandardScaler(), ["size"]), (OneHotEncoder(), ["colour"])
                ),
                LogisticRegression(),
            ),
        ),
    ]
    model = MultiGranularityClassifier(
        branches, fusion=CascadeFusion(max_levels=2, tol=-1.0), cv=3
    ).fit(frame, y)
    assert len(model.levels_) == 2
    assert model.score(frame, y) > 0.8
    seen = model.levels_[1][0].model_.feature_names_in_
    assert list(seen[:3]) == ["size", "noise", "colour"]
    assert "by_name_predict_proba_1" in seen

    class _FailsOnOutputs(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            if X.shape[1] > 3:
                raise ValueError("too many columns")
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

    failing = MultiGranularityClassifier(
        [("first", GaussianNB()), ("picky", _FailsOnOutputs())],
        fusion=CascadeFusion(max_levels=2, tol=-1.0),
        cv=3,
    )
    with pytest.raises(ValueError, match=r"branch 'picky' failed in .* of level 2"):
        failing.fit(frame[["size", "noise"]].assign(extra=1.0), y)
