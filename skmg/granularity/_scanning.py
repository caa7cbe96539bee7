"""Multi-grained scanning: one model trained on the windows of every sample."""

import numbers
from dataclasses import dataclass
from math import prod

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    TransformerMixin,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.model_selection import check_cv
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._compat import HasMethods, Interval, _check_sample_weight, _fit_context
from .._outputs import align_proba
from .._plan import Task, run_plan

# Upper bound on the bytes of one batch's window matrix at predict/transform time,
# so that memory stays bounded however many samples are passed at once.
_BATCH_BYTES = 64 * 2**20


@dataclass(frozen=True)
class _WindowGrid:
    """Window positions inside one sample.

    Parameters
    ----------
    image_shape : tuple of int
        ``(n_features,)`` for series, ``(height, width)`` for images.
    window : int
        Side of a window.
    stride : int
        Step between two windows, along every axis.
    """

    image_shape: tuple
    window: int
    stride: int

    @property
    def grid_shape(self):
        """Number of window positions along each axis."""
        return tuple(
            (side - self.window) // self.stride + 1 for side in self.image_shape
        )

    @property
    def n_windows(self):
        """Number of windows per sample."""
        return prod(self.grid_shape)

    @property
    def window_size(self):
        """Number of values in one window."""
        return self.window ** len(self.image_shape)

    def batch_size(self):
        """Samples per batch so that a batch's window matrix fits `_BATCH_BYTES`."""
        sample_bytes = self.n_windows * self.window_size * np.dtype(np.float64).itemsize
        return max(1, _BATCH_BYTES // sample_bytes)

    def view(self, X):
        """Strided view ``(n_samples, *grid_shape, *patch_shape)`` of X, no copy."""
        ndim = len(self.image_shape)
        images = X.reshape((X.shape[0], *self.image_shape))
        windows = sliding_window_view(
            images, (self.window,) * ndim, axis=tuple(range(1, ndim + 1))
        )
        return windows[(slice(None),) + (slice(None, None, self.stride),) * ndim]

    def extract(self, X, positions=None):
        """Copy windows of X into a matrix, sample-major then window-major.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Samples.
        positions : ndarray of shape (n_samples, n_positions), default=None
            Flat window indices to keep for each sample; all windows if None.

        Returns
        -------
        windows : ndarray of shape (n_samples * n_positions, window_size)
            One row per window.
        """
        view = self.view(X)
        if positions is not None:
            rows = np.arange(X.shape[0])[:, np.newaxis]
            view = view[(rows, *np.unravel_index(positions, self.grid_shape))]
        return view.reshape(-1, self.window_size)

    def starts(self):
        """Top-left corner of every window, in window order."""
        axes = [range(0, n * self.stride, self.stride) for n in self.grid_shape]
        grid = np.meshgrid(*axes, indexing="ij")
        return np.stack([g.ravel() for g in grid], axis=1)


def _draw_positions(n_samples, n_windows, max_windows, random_state):
    """Draw at most `max_windows` window indices per sample, without replacement.

    For each sample, the kept windows are those with the `max_windows` smallest
    keys of ``random_state.random_sample((n_samples, n_windows))``, in window order.
    Returns None when every window is kept.
    """
    if max_windows is None or max_windows >= n_windows:
        return None
    keys = check_random_state(random_state).random_sample((n_samples, n_windows))
    positions = np.argpartition(keys, max_windows - 1, axis=1)[:, :max_windows]
    return np.sort(positions, axis=1)


def _fit_on_windows(estimator, X, y, sample_weight, grid, positions):
    """Fit `estimator` on the windows of X, each labelled with its sample's target."""
    windows = grid.extract(X, positions)
    n_per_sample = windows.shape[0] // X.shape[0]
    fit_params = {}
    if sample_weight is not None:
        fit_params["sample_weight"] = np.repeat(sample_weight, n_per_sample)
    return estimator.fit(windows, np.repeat(y, n_per_sample), **fit_params)


def _window_scores(estimator, windows, method, n_classes):
    """Call `method` on windows; return a 2-D array with one row per window.

    For a classifier (`n_classes` given), probability columns are aligned on all
    the classes (a fold may miss one) and predicted labels become one-hot votes.
    """
    scores = getattr(estimator, method)(windows)
    if n_classes is None:
        return scores.reshape(windows.shape[0], -1)
    if method == "predict":
        return np.eye(n_classes)[np.asarray(scores, dtype=np.intp)]
    if method == "predict_proba":
        return align_proba(scores, estimator.classes_, n_classes)
    return scores.reshape(windows.shape[0], -1)


def _window_outputs(estimator, X, grid, method, n_classes=None, average=False):
    """Per-sample window outputs of `estimator`, computed batch by batch.

    Returns an array of shape (n_samples, n_outputs) with the mean over windows if
    `average`, otherwise of shape (n_samples, n_windows * n_outputs), window-major.
    """
    n_samples = X.shape[0]
    batch_size = grid.batch_size()
    result = None
    for start in range(0, n_samples, batch_size):
        batch = X[start : start + batch_size]
        scores = _window_scores(estimator, grid.extract(batch), method, n_classes)
        scores = scores.reshape(batch.shape[0], grid.n_windows, -1)
        block = scores.mean(axis=1) if average else scores.reshape(batch.shape[0], -1)
        if result is None:
            result = np.empty((n_samples, block.shape[1]), dtype=block.dtype)
        result[start : start + batch.shape[0]] = block
    return result


class _WindowModel(BaseEstimator):
    """The scanning estimator's model as a task of the fit plan: it learns
    from the windows of its rows and outputs their per-sample window outputs,
    so that the cross-fit of ``fit_transform`` runs on the plan that fits the
    branches of the meta-estimators."""

    def __init__(self, estimator, grid, method, n_classes):
        self.estimator = estimator
        self.grid = grid
        self.method = method
        self.n_classes = n_classes

    def fit(self, X, y, sample_weight=None, positions=None):
        self.estimator_ = _fit_on_windows(
            clone(self.estimator), X, y, sample_weight, self.grid, positions
        )
        return self

    def window_outputs(self, X):
        return _window_outputs(
            self.estimator_, X, self.grid, self.method, self.n_classes
        )


def _estimator_has(attr):
    """Check that the fitted estimator, or else the unfitted one, has `attr`."""

    def check(self):
        return hasattr(getattr(self, "estimator_", self.estimator), attr)

    return check


class _BaseScanning(TransformerMixin, MetaEstimatorMixin, BaseEstimator):
    """Base class for multi-grained scanning estimators.

    Warning: this class should not be used directly. Use derived classes instead.
    """

    # Method giving the per-window outputs of `transform`.
    _output_method = "predict"

    # What a constraint cannot say is checked by `_check_params`: the kind of
    # `estimator` (classifier or regressor) and that `shape` is a pair of
    # positive integers. Only `fit` is required here: a classifier may predict
    # with any one of predict_proba, decision_function and predict; the
    # regressor adds predict.
    _parameter_constraints: dict = {
        "estimator": [HasMethods("fit")],
        "window": [Interval(numbers.Integral, 1, None, closed="left")],
        "stride": [Interval(numbers.Integral, 1, None, closed="left")],
        "shape": [tuple, list, None],
        "max_windows": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "cv": ["cv_object"],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        estimator,
        window,
        *,
        stride=1,
        shape=None,
        max_windows=None,
        cv=3,
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.window = window
        self.stride = stride
        self.shape = shape
        self.max_windows = max_windows
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _check_estimator(self):
        """Raise a ValueError if `estimator` is not of the kind this class needs."""

    def _check_params(self):
        """Checks of the parameters beyond `_parameter_constraints`."""
        self._check_estimator()
        shape = self.shape
        if shape is not None and (
            not isinstance(shape, (tuple, list))  # with skip_parameter_validation
            or len(shape) != 2
            or not all(
                isinstance(side, numbers.Integral) and side > 0 for side in shape
            )
        ):
            raise ValueError(
                f"shape must be None or a pair of positive integers (height, width); "
                f"got shape={self.shape!r}."
            )

    def _encode_y(self, y):
        """Validate and encode the target; set the target-related attributes."""
        return y

    def _n_classes(self):
        """Number of classes of a classifier, None for a regressor."""
        return None

    def _make_grid(self, n_features):
        """Check the window parameters against the data and build the grid."""
        window, stride = int(self.window), int(self.stride)
        if self.shape is None:
            if window > n_features:
                raise ValueError(
                    f"window={window} is longer than the series: X has "
                    f"n_features={n_features}."
                )
            return _WindowGrid((n_features,), window, stride)
        shape = tuple(int(side) for side in self.shape)
        if prod(shape) != n_features:
            raise ValueError(
                f"shape={shape} holds {prod(shape)} values but X has "
                f"n_features={n_features}; their numbers must be equal."
            )
        if window > min(shape):
            raise ValueError(
                f"window={window} is larger than a side of the image of shape={shape}."
            )
        return _WindowGrid(shape, window, stride)

    def _validate_fit_data(self, X, y, sample_weight):
        """Validate everything `fit` needs; return arrays and window positions.

        The types and ranges of the parameters are checked before, by `_fit_context`.
        """
        self._check_params()
        X, y = validate_data(
            self,
            X,
            y,
            ensure_all_finite=(
                "allow-nan" if get_tags(self.estimator).input_tags.allow_nan else True
            ),
            y_numeric=is_regressor(self),
        )
        self._grid = self._make_grid(X.shape[1])
        self.n_windows_ = self._grid.n_windows
        y = self._encode_y(y)
        if sample_weight is not None:
            if not has_fit_parameter(self.estimator, "sample_weight"):
                raise ValueError(
                    f"sample_weight was passed but {self.estimator!r} does not "
                    "support sample weights."
                )
            sample_weight = _check_sample_weight(sample_weight, X)
        positions = _draw_positions(
            X.shape[0], self.n_windows_, self.max_windows, self.random_state
        )
        return X, y, sample_weight, positions

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the estimator on the windows of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One series (or one image in row-major order if `shape` is set) per row.
        y : array-like of shape (n_samples,)
            Target of each sample, given to each of its windows.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, given to each of the sample's windows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y, sample_weight, positions = self._validate_fit_data(X, y, sample_weight)
        self.estimator_ = _fit_on_windows(
            clone(self.estimator), X, y, sample_weight, self._grid, positions
        )
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y, sample_weight=None):
        """Fit the estimator and return cross-fitted window outputs of X.

        Each sample's outputs come from a model fitted on the folds (see `cv`) that
        do not contain it, so a downstream estimator never learns from outputs of a
        model that saw the sample's target. The estimator is also fitted on all
        samples, for later calls to :meth:`transform`; hence
        ``fit_transform(X, y)`` differs from ``fit(X, y).transform(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One series (or one image in row-major order if `shape` is set) per row.
        y : array-like of shape (n_samples,)
            Target of each sample.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, given to each of the sample's windows.

        Returns
        -------
        X_out : ndarray of shape (n_samples, `n_windows_` * n_outputs)
            Out-of-fold window outputs, window-major.
        """
        X, y, sample_weight, positions = self._validate_fit_data(X, y, sample_weight)
        self._check_output_method(self.estimator)
        cv = check_cv(self.cv, y, classifier=is_classifier(self))
        splits = list(cv.split(X, y))
        for k, (train, _) in enumerate(splits):
            if len(train) == 0:
                raise ValueError(
                    f"cv gave an empty training set in fold {k + 1}; every fold "
                    "needs training rows."
                )
        n_tests = np.bincount(
            np.concatenate([test for _, test in splits]), minlength=X.shape[0]
        )
        if not np.all(n_tests == 1):
            raise ValueError(
                "cv must put every sample in exactly one test fold to cross-fit "
                "fit_transform."
            )
        # The refit on all rows, then the folds, in one task list; the fold
        # models are not kept.
        model = _WindowModel(
            self.estimator, self._grid, self._output_method, self._n_classes()
        )
        params = {"positions": positions}
        if sample_weight is not None:
            params["sample_weight"] = sample_weight
        name = type(self.estimator).__name__
        tasks = [Task(0, name, fold) for fold in [None, *range(len(splits))]]
        refit, *folds = run_plan(
            tasks,
            [model],
            X,
            y,
            splits,
            methods=["window_outputs"],
            n_classes=None,
            fit_params=[params],
            n_jobs=self.n_jobs,
            keep_fold_models=False,
            subject=f"{type(self).__name__}'s estimator",
        )
        self.estimator_ = refit.model.estimator_
        fold_outputs = [fold.output for fold in folds]
        X_out = np.empty(
            (X.shape[0], fold_outputs[0].shape[1]), dtype=fold_outputs[0].dtype
        )
        for (_, test), outputs in zip(splits, fold_outputs, strict=True):
            X_out[test] = outputs
        return X_out

    def _check_output_method(self, estimator):
        """Raise an AttributeError if `estimator` cannot give window outputs."""
        if not hasattr(estimator, self._output_method):
            raise AttributeError(
                f"{type(self).__name__}.transform needs an estimator with "
                f"{self._output_method}; {estimator!r} has none."
            )

    def _validate_predict_data(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            reset=False,
            ensure_all_finite=(
                "allow-nan" if get_tags(self.estimator_).input_tags.allow_nan else True
            ),
        )

    def _average(self, X, method):
        """Mean over windows of the estimator's `method` outputs, per sample."""
        X = self._validate_predict_data(X)
        return _window_outputs(
            self.estimator_, X, self._grid, method, self._n_classes(), average=True
        )

    def transform(self, X):
        """Return the window outputs of every sample, window by window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One series (or one image in row-major order if `shape` is set) per row.

        Returns
        -------
        X_out : ndarray of shape (n_samples, `n_windows_` * n_outputs)
            Window outputs, window-major: the outputs of the first window, then
            those of the second, and so on.
        """
        X = self._validate_predict_data(X)
        self._check_output_method(self.estimator_)
        return _window_outputs(
            self.estimator_, X, self._grid, self._output_method, self._n_classes()
        )

    def _output_names(self):
        """Suffixes of the output columns of one window; empty if one output."""
        return []

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the input features seen in `fit`.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``scan{window}_s{start}[_{class}]`` for series and
            ``scan{window}_r{row}_c{col}[_{class}]`` for images, where the start,
            row and column are those of the window's first value.
        """
        check_is_fitted(self)
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            if len(input_features) != self.n_features_in_:
                raise ValueError(
                    "input_features should have length equal to number of features "
                    f"({self.n_features_in_}), got {len(input_features)}"
                )
            if hasattr(self, "feature_names_in_") and not np.array_equal(
                input_features, self.feature_names_in_
            ):
                raise ValueError("input_features is not equal to feature_names_in_")
        if len(self._grid.image_shape) == 1:
            windows = [f"scan{self._grid.window}_s{s}" for (s,) in self._grid.starts()]
        else:
            windows = [
                f"scan{self._grid.window}_r{r}_c{c}" for r, c in self._grid.starts()
            ]
        outputs = self._output_names()
        if outputs:
            windows = [f"{name}_{output}" for name in windows for output in outputs]
        return np.asarray(windows, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = get_tags(self.estimator).input_tags.allow_nan
        tags.input_tags.sparse = False
        tags.target_tags.required = True
        return tags


class ScanningClassifier(ClassifierMixin, _BaseScanning):
    """Multi-grained scanning classifier.

    Slides a window over every sample, trains one classifier on all the windows
    (each window labelled with its sample's class) and predicts a sample by
    averaging the outputs of its windows. :meth:`transform` returns the class
    probabilities of every window, the representation that multi-grained scanning
    feeds to the next stage of a deep forest [1]_.

    Parameters
    ----------
    estimator : estimator object
        Classifier trained on the windows. It is cloned.

    window : int
        Length of a window; with `shape`, side of a square window.

    stride : int, default=1
        Step between two windows; with `shape`, along both axes.

    shape : tuple of (int, int), default=None
        ``(height, width)`` if each row of X is an image stored in row-major order;
        None if each row is a series.

    max_windows : int, default=None
        If set, at most this many windows per sample, drawn at random without
        replacement (see `random_state`), are used for fitting, to bound memory.
        Prediction always uses every window.

    cv : int, cross-validation generator or iterable, default=3
        Splits of the samples used by :meth:`fit_transform` to cross-fit its
        outputs. An int gives a :class:`~sklearn.model_selection.StratifiedKFold`
        with that many folds. Each sample must be in exactly one test fold.

    random_state : int, RandomState instance or None, default=None
        Draw of the windows kept by `max_windows`. Pass an int for reproducible
        output across multiple function calls. Does not seed `estimator`.

    n_jobs : int, default=None
        Number of jobs running the fold fits of :meth:`fit_transform` in parallel.
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context.
        ``-1`` means using all processors.

    Attributes
    ----------
    estimator_ : estimator object
        Classifier fitted on the windows of all samples.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    n_windows_ : int
        Number of windows per sample.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    ScanningRegressor : Multi-grained scanning for regression.
    sklearn.preprocessing.TargetEncoder : Cross-fits `fit_transform` the same way.

    Notes
    -----
    Series have ``n_windows_ = (n_features - window) // stride + 1`` windows;
    images have the product of that number along each side, in row-major order.
    Windows are read through strided views of X; prediction materialises the
    windows of a batch of samples at a time (about 64 MiB of windows), never of
    all samples at once.
    :meth:`transform` and :meth:`fit_transform` need an estimator with
    `predict_proba`; without it, :meth:`predict` averages `decision_function`, or
    else the window votes.

    References
    ----------
    .. [1] Z.-H. Zhou and J. Feng, "Deep Forest: Towards an Alternative to Deep
       Neural Networks", IJCAI 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.ensemble import ExtraTreesClassifier
    >>> from skmg.granularity import ScanningClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = ScanningClassifier(
    ...     ExtraTreesClassifier(n_estimators=50, random_state=0),
    ...     window=4, stride=2, shape=(8, 8),
    ... )
    >>> clf.fit(X[:1200], y[:1200]).score(X[1200:], y[1200:])
    0.9...
    >>> clf.n_windows_
    9
    >>> clf.transform(X[:2]).shape
    (2, 90)
    >>> clf.get_feature_names_out()[:2]
    array(['scan4_r0_c0_0', 'scan4_r0_c0_1'], dtype=object)
    """

    _output_method = "predict_proba"

    def _check_estimator(self):
        if not is_classifier(self.estimator):
            raise ValueError(
                f"estimator must be a classifier for ScanningClassifier; got "
                f"{self.estimator!r}."
            )

    def _encode_y(self, y):
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                "ScanningClassifier needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]}."
            )
        return encoder.transform(y)

    def _n_classes(self):
        return len(self.classes_)

    def _output_names(self):
        return list(self.classes_)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Mean class probabilities of the windows of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns in the order of `classes_`.
        """
        return self._average(X, "predict_proba")

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Mean decision function of the windows of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values, of shape (n_samples,) for two classes.
        """
        scores = self._average(X, "decision_function")
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict the class of each sample from the mean output of its windows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        check_is_fitted(self)
        for method in ("predict_proba", "decision_function", "predict"):
            if hasattr(self.estimator_, method):
                break
        scores = self._average(X, method)
        if scores.shape[1] == 1:
            return self.classes_[(scores[:, 0] > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


class ScanningRegressor(RegressorMixin, _BaseScanning):
    """Multi-grained scanning regressor.

    Slides a window over every sample, trains one regressor on all the windows
    (each window given its sample's target) and predicts a sample by averaging
    the predictions of its windows. :meth:`transform` returns the prediction of
    every window, as multi-grained scanning [1]_ does for class probabilities.

    Parameters
    ----------
    estimator : estimator object
        Regressor trained on the windows. It is cloned.

    window : int
        Length of a window; with `shape`, side of a square window.

    stride : int, default=1
        Step between two windows; with `shape`, along both axes.

    shape : tuple of (int, int), default=None
        ``(height, width)`` if each row of X is an image stored in row-major order;
        None if each row is a series.

    max_windows : int, default=None
        If set, at most this many windows per sample, drawn at random without
        replacement (see `random_state`), are used for fitting, to bound memory.
        Prediction always uses every window.

    cv : int, cross-validation generator or iterable, default=3
        Splits of the samples used by :meth:`fit_transform` to cross-fit its
        outputs. An int gives a :class:`~sklearn.model_selection.KFold` with that
        many folds. Each sample must be in exactly one test fold.

    random_state : int, RandomState instance or None, default=None
        Draw of the windows kept by `max_windows`. Pass an int for reproducible
        output across multiple function calls. Does not seed `estimator`.

    n_jobs : int, default=None
        Number of jobs running the fold fits of :meth:`fit_transform` in parallel.
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context.
        ``-1`` means using all processors.

    Attributes
    ----------
    estimator_ : estimator object
        Regressor fitted on the windows of all samples.

    n_windows_ : int
        Number of windows per sample.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    ScanningClassifier : Multi-grained scanning for classification.

    Notes
    -----
    Series have ``n_windows_ = (n_features - window) // stride + 1`` windows;
    images have the product of that number along each side, in row-major order.
    Windows are read through strided views of X; prediction materialises the
    windows of a batch of samples at a time (about 64 MiB of windows), never of
    all samples at once.

    References
    ----------
    .. [1] Z.-H. Zhou and J. Feng, "Deep Forest: Towards an Alternative to Deep
       Neural Networks", IJCAI 2017.

    Examples
    --------
    Each series is a noisy sine wave of random phase; the target is its amplitude.

    >>> import numpy as np
    >>> from sklearn.ensemble import ExtraTreesRegressor
    >>> from skmg.granularity import ScanningRegressor
    >>> rng = np.random.RandomState(0)
    >>> amplitude = rng.uniform(1, 3, size=300)
    >>> phase = rng.uniform(0, 2 * np.pi, size=(300, 1))
    >>> X = amplitude[:, np.newaxis] * np.sin(np.arange(40) / 2 + phase)
    >>> X += rng.normal(scale=0.2, size=X.shape)
    >>> reg = ScanningRegressor(
    ...     ExtraTreesRegressor(n_estimators=20, random_state=0), window=10, stride=5
    ... )
    >>> reg.fit(X[:200], amplitude[:200]).score(X[200:], amplitude[200:])
    0.9...
    >>> reg.transform(X[:2]).shape
    (2, 7)
    >>> reg.get_feature_names_out()[:3]
    array(['scan10_s0', 'scan10_s5', 'scan10_s10'], dtype=object)
    """

    _parameter_constraints: dict = {
        **_BaseScanning._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict"])],
    }

    def _check_estimator(self):
        if not is_regressor(self.estimator):
            raise ValueError(
                f"estimator must be a regressor for ScanningRegressor; got "
                f"{self.estimator!r}."
            )

    def _encode_y(self, y):
        return np.asarray(y, dtype=np.float64)

    def predict(self, X):
        """Predict the target of each sample as the mean prediction of its windows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted targets.
        """
        return self._average(X, "predict").ravel()
