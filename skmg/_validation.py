"""The checks of a fit's inputs: the branches, ``X``, the folds and the
passthrough columns. Each error names the parameter, the branch or the fold.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array, has_fit_parameter, indexable

from ._compat import _get_feature_names, _num_features, _num_samples, _safe_indexing
from ._params import takes_fit_kwargs


def validate_granularities(meta):
    """Check the ``granularities`` parameter; return the branches that
    are not dropped, as ``(name, estimator)`` pairs."""
    branches = meta.granularities
    if len(branches) == 0:
        raise ValueError(
            "Invalid 'granularities' attribute, 'granularities' should be a "
            "non-empty list of (string, estimator) tuples; got an empty list."
        )
    for item in branches:
        if not (
            isinstance(item, (tuple, list))
            and len(item) == 2
            and isinstance(item[0], str)
        ):
            raise TypeError(
                "Invalid 'granularities' attribute, 'granularities' should be a "
                f"non-empty list of (string, estimator) tuples; got the item "
                f"{item!r}."
            )
    names = [name for name, _ in branches]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"'granularities' has duplicate branch names: {duplicates}.")
    with_sep = [n for n in names if "__" in n]
    if with_sep:
        raise ValueError(
            f"branch names in 'granularities' must not contain '__': {with_sep}."
        )
    clashes = sorted(set(names) & set(meta.get_params(deep=False)))
    if clashes:
        raise ValueError(
            "branch names in 'granularities' must differ from the parameter "
            f"names of {type(meta).__name__}: {clashes}."
        )
    estimators = [est for _, est in branches]
    if all(is_drop(est) for est in estimators):
        raise ValueError(
            "every branch of 'granularities' is 'drop'; at least one must be "
            "an estimator."
        )
    for name, est in branches:
        if is_drop(est):
            continue
        if not hasattr(est, "fit"):
            raise TypeError(
                f"branch {name!r} of 'granularities' must be an estimator with "
                f"fit or 'drop'; got {est!r}."
            )
        meta._check_branch_type(name, est)
        try:
            clone(est)
        except Exception as exc:  # fit clones every branch: say which fails
            raise TypeError(
                f"branch {name!r} cannot be cloned ({type(exc).__name__}: "
                f"{exc}); its constructor must store its parameters as given."
            ) from exc
    return [(name, est) for name, est in branches if not is_drop(est)]


def make_folds(cv, X, y, split_params, classifier, classes=None):
    """Split once; every branch sees the same folds.

    ``classes`` (those of a single-label classifier) are checked against the
    number of folds of a stratified splitter.
    """
    n_samples = _num_samples(X)
    if classes is not None and isinstance(cv, numbers.Integral):
        check_smallest_class(y, cv, classes)
    cv = check_cv(cv, y, classifier=classifier)
    if classes is not None and isinstance(cv, StratifiedKFold):
        check_smallest_class(y, cv.get_n_splits(), classes)
    folds = []
    for k, (train, test) in enumerate(cv.split(X, y, **split_params)):
        train = np.asarray(train, dtype=np.intp)
        test = np.asarray(test, dtype=np.intp)
        if len(train) == 0:
            raise ValueError(
                f"'cv' gave an empty training set in fold {k + 1}; every fold "
                "needs training rows."
            )
        folds.append((train, test))
    if not folds:
        raise ValueError("'cv' gave no split; at least one fold is needed.")
    for k, (train, test) in enumerate(folds):
        if train.max(initial=-1) >= n_samples or test.max(initial=-1) >= n_samples:
            raise ValueError(
                f"'cv' gave row indices out of range in fold {k + 1} for "
                f"{n_samples} samples."
            )
    return folds


def check_passthrough_columns(columns, state):
    """A list of passthrough columns names columns of ``X``."""
    if isinstance(columns, bool):
        return
    names = list(state.get("feature_names_in_", []))
    n_features = state["n_features_in_"]
    for column in columns:
        known = (
            column in names
            if isinstance(column, str)
            else isinstance(column, numbers.Integral)
            and -n_features <= column < n_features
        )
        if not known:
            raise ValueError(
                f"passthrough={columns!r} names the column {column!r}, which X "
                f"does not have (X has {n_features} columns"
                + (f": {names}" if names else "")
                + ")."
            )


def passthrough_block(passthrough, X):
    """The original features given to the fusion stage, if any."""
    if passthrough is False:
        return None
    if passthrough is not True:
        X = _safe_indexing(X, passthrough, axis=1)
    X = check_array(X, accept_sparse=True, ensure_all_finite=False)
    return X.tocsr() if sp.issparse(X) else X


def passthrough_names(columns, input_features):
    """The names of the passthrough ``columns`` (names, or positions among
    ``input_features``)."""
    if all(isinstance(c, str) for c in columns):
        return list(columns)
    return [input_features[c] for c in columns]


def warn_if_frozen(name, estimator):
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if isinstance(final, FrozenEstimator):
        warnings.warn(
            f"branch {name!r} is a FrozenEstimator: it is not refitted on the "
            "folds, so its 'out-of-fold' outputs are in-sample predictions and the "
            "fusion stage learns to over-trust it. Fit it on data the fusion "
            "stage does not see, or unfreeze it.",
            UserWarning,
            stacklevel=4,
        )


def check_2d_not_empty(X):
    """Raise scikit-learn's usual errors for 1-D, empty or featureless arrays.

    Everything else about ``X`` is left to the branches, which receive it as
    it is (a DataFrame stays a DataFrame).
    """
    shape = getattr(X, "shape", None)
    if shape is None and isinstance(X, (list, tuple)):
        try:
            shape = np.shape(X)
        except ValueError:  # ragged rows: the branches will say what is wrong
            return
    if shape is not None and (len(shape) != 2 or 0 in shape):
        check_array(X, accept_sparse=True, ensure_all_finite=False, dtype=None)


def is_drop(estimator):
    return isinstance(estimator, str) and estimator == "drop"


def check_smallest_class(y, n_splits, classes):
    counts = np.bincount(y, minlength=len(classes))
    smallest = int(counts.argmin())
    if counts[smallest] < n_splits:
        raise ValueError(
            f"cv={n_splits} folds is more than the {counts[smallest]} sample(s) of "
            f"the smallest class ({classes[smallest].tolist()!r}); lower 'cv' or "
            "give more samples of that class."
        )


def validate_fit_data(meta, X, y):
    """Check ``X`` and ``y``; return them (``y`` encoded for a classifier,
    ``X`` indexable) and what is learned of them, to set on commit."""
    if y is None:
        raise ValueError(
            f"{type(meta).__name__} requires y to be passed, but the target y is None."
        )
    check_2d_not_empty(X)
    state = {"n_features_in_": _num_features(X)}
    feature_names = _get_feature_names(X)
    if feature_names is not None:
        state["feature_names_in_"] = feature_names
    y, target_state = meta._validate_target(X, y)
    state.update(target_state)
    # Rows are selected per fold: make X indexable (sparse -> CSR) once.
    X, y = indexable(X, y)
    return X, y, state


def check_fusion(meta, strategy, branches, state, sample_weight=None):
    """Refuse what the fusion cannot do with this problem; warn of a
    frozen branch, whose outputs are not out of fold."""
    if meta.passthrough is not False and not strategy.accepts_features:
        raise ValueError(
            "passthrough gives the original features to the fusion stage, but "
            f"fusion={meta.fusion!r} does not learn from features; use "
            "fusion='stacking' or passthrough=False."
        )
    check_passthrough_columns(meta.passthrough, state)
    if state.get("_multilabel") and not strategy.multilabel:
        raise ValueError(
            f"y is a multilabel indicator matrix, which fusion={meta.fusion!r} "
            "does not combine; use fusion='stacking' with branches and a "
            "final estimator that support multilabel targets."
        )
    final = getattr(strategy, "final_estimator", None)
    if sample_weight is not None and final is not None:
        if not (has_fit_parameter(final, "sample_weight") or takes_fit_kwargs(final)):
            raise TypeError(
                f"Underlying estimator {type(final).__name__} (the final "
                "estimator) does not support sample weight; fit without "
                "sample_weight or use a final estimator whose fit takes it."
            )
    if not meta._prefit():
        for name, estimator in branches:
            warn_if_frozen(name, estimator)
