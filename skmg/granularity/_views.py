"""Views: the same signal at a coarser granularity.

:class:`IntervalFeatures` summarises every window of a series (or every patch of
an image) with a few statistics; :class:`Pooling` downsamples it. Both are
stateless transformers: ``fit`` only validates the geometry of the windows
against the number of features.
"""

from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._compat import Interval, StrOptions, _check_feature_names_in, _fit_context


def _mean(windows, axes):
    """Mean of each window."""
    return [windows.mean(axis=axes)]


def _std(windows, axes):
    """Population standard deviation (``ddof=0``) of each window."""
    return [windows.std(axis=axes)]


def _min(windows, axes):
    """Minimum of each window."""
    return [windows.min(axis=axes)]


def _max(windows, axes):
    """Maximum of each window."""
    return [windows.max(axis=axes)]


def _median(windows, axes):
    """Median of each window."""
    return [np.median(windows, axis=axes)]


def _slope(windows, axes):
    """Least-squares slope of each window against its time (or pixel) index.

    In 1-D, the slope of the line fitted to ``(t, x_t)``, ``t = 0..window-1``.
    In 2-D, the two slopes of the plane ``a + b * row + c * col`` fitted to the
    patch: ``[b, c]``. The index is centred, which makes the design orthogonal,
    so each slope is a weighted sum of the window. A window of length 1 has
    slope 0.
    """
    length = windows.shape[-1]
    index = np.arange(length, dtype=windows.dtype) - (length - 1) / 2
    sum_squares = float(index @ index)
    if sum_squares == 0:
        zeros = np.zeros(windows.shape[: -len(axes)], dtype=windows.dtype)
        return [zeros] * len(axes)
    if len(axes) == 1:
        return [np.einsum("...i,i->...", windows, index) / sum_squares]
    # Each index value appears ``length`` times in the patch.
    sum_squares *= length
    return [
        np.einsum("...ij,i->...", windows, index) / sum_squares,
        np.einsum("...ij,j->...", windows, index) / sum_squares,
    ]


_STATISTICS = {
    "mean": _mean,
    "std": _std,
    "slope": _slope,
    "min": _min,
    "max": _max,
    "median": _median,
}


def _check_image_shape(shape, n_features):
    """Validate ``shape`` against the number of features; return ``(h, w)``."""
    if len(shape) != 2 or not all(
        isinstance(side, Integral) and not isinstance(side, bool) and side > 0
        for side in shape
    ):
        raise ValueError(
            f"shape must be a pair of positive integers (height, width); "
            f"got shape={shape!r}."
        )
    height, width = int(shape[0]), int(shape[1])
    if height * width != n_features:
        raise ValueError(
            f"shape=({height}, {width}) has {height * width} pixels, but X has "
            f"n_features={n_features}; their numbers must be equal."
        )
    return height, width


def _window_geometry(n_features, length, stride, shape, length_name):
    """Where the windows are.

    Returns the image shape (None for series), the shape of the grid of
    windows and the start of every window in output order: an array of shape
    ``(n_windows,)`` for series, ``(n_windows, 2)`` of ``(row, col)`` for
    images.
    """
    if shape is None:
        if length > n_features:
            raise ValueError(
                f"{length_name}={length} is longer than the series: X has "
                f"n_features={n_features}."
            )
        starts = np.arange(0, n_features - length + 1, stride)
        return None, (starts.size,), starts
    image_shape = _check_image_shape(shape, n_features)
    if length > min(image_shape):
        raise ValueError(
            f"{length_name}={length} does not fit in the image: shape={image_shape}."
        )
    rows = np.arange(0, image_shape[0] - length + 1, stride)
    cols = np.arange(0, image_shape[1] - length + 1, stride)
    starts = np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1)
    return image_shape, (rows.size, cols.size), starts.reshape(-1, 2)


class _BaseWindowView(TransformerMixin, BaseEstimator):
    """Fit, geometry and feature names shared by the window views.

    Subclasses set ``_length_name`` (the name of the window-length parameter)
    and implement ``_default_stride``, ``_transform_windows`` and
    ``_column_names``.
    """

    _length_name = "window"
    # What a view learns in fit depends on the parameters and the number of
    # features only, not on the values: partial_fit fits it once.
    _stateless = True

    def _length(self):
        return getattr(self, self._length_name)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate ``X`` and record where the windows are.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One series (or one flattened image) per row.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted view.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self._validate_options()
        length = self._length()
        if self.stride is None:
            self.stride_ = self._default_stride(length)
        else:
            self.stride_ = int(self.stride)
        self.image_shape_, self.grid_shape_, self.window_starts_ = _window_geometry(
            X.shape[1], length, self.stride_, self.shape, self._length_name
        )
        self.n_windows_ = int(np.prod(self.grid_shape_))
        return self

    def _validate_options(self):
        """Checks beyond ``_parameter_constraints``; none by default."""

    def transform(self, X):
        """Compute the view of every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One series (or one flattened image) per row.

        Returns
        -------
        X_view : ndarray of shape (n_samples, n_features_out)
            The view; float32 if ``X`` is float32, float64 otherwise. Its
            columns are described by :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        length = self._length()
        if self.image_shape_ is None:
            windows = sliding_window_view(X, length, axis=1)[:, :: self.stride_]
            axes = (-1,)
        else:
            images = X.reshape(X.shape[0], *self.image_shape_)
            windows = sliding_window_view(images, (length, length), axis=(1, 2))
            windows = windows[:, :: self.stride_, :: self.stride_]
            axes = (-2, -1)
        # One (n_samples, *grid_shape_) array per output column of a window.
        columns = self._transform_windows(windows, axes)
        X_view = np.stack(columns, axis=-1).reshape(X.shape[0], -1)
        return X_view.astype(X.dtype, copy=False)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_`` and ``n_features_in_``:
            the names depend on the window geometry, not on the input names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column, window position major.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        if self.image_shape_ is None:
            positions = [f"s{start}" for start in self.window_starts_]
        else:
            positions = [f"r{row}_c{col}" for row, col in self.window_starts_]
        return np.asarray(
            [name for position in positions for name in self._column_names(position)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class IntervalFeatures(_BaseWindowView):
    """Summary statistics of every window of a series or patch of an image.

    Each row of ``X`` is a series; every window of ``window`` consecutive
    values is replaced by a few statistics, so the model sees the series at
    the granularity ``window``. With ``shape``, each row is an image and the
    windows are square ``window x window`` patches.

    Parameters
    ----------
    window : int
        Length of a window (side of a patch for images).

    stride : int, default=None
        Distance between the starts of two consecutive windows (in both
        directions for images). ``None`` means ``max(1, window // 2)``, i.e.
        windows overlap by half.

    statistics : tuple of str, default=("mean", "std", "slope", "min", "max")
        Statistics computed on every window, among:

        - ``"mean"``;
        - ``"std"``: the population standard deviation (``ddof=0``);
        - ``"slope"``: the least-squares slope against the index
          ``0..window-1`` (0 for ``window=1``). For images, the least-squares
          plane ``a + b * row + c * col`` gives two columns, ``slope_row``
          (``b``) and ``slope_col`` (``c``);
        - ``"min"``, ``"max"``, ``"median"``.

    shape : tuple of (int, int), default=None
        ``(height, width)`` of the images, each row of ``X`` being one image
        flattened in row-major order; ``height * width`` must equal the number
        of features. ``None`` means each row is a series.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    stride_ : int
        The stride used (``stride`` or its default).

    image_shape_ : tuple of (int, int) or None
        ``(height, width)`` of the images, or None for series.

    grid_shape_ : tuple of int
        Number of windows: ``(n_windows_,)`` for series,
        ``(n_window_rows, n_window_cols)`` for images.

    n_windows_ : int
        Number of windows (patches) per row.

    window_starts_ : ndarray of shape (`n_windows_`,) or (`n_windows_`, 2)
        Index of the first value of every window in output order; for images,
        the ``(row, col)`` of the top-left pixel of every patch.

    See Also
    --------
    Pooling : A coarser resolution of the same signal.

    Notes
    -----
    Windows start at ``0, stride, 2 * stride, ...`` as long as they fit: a
    window starting at ``start`` is kept if ``start + window <= n_features``
    (per side for images). A tail shorter than a window is therefore not
    covered unless ``stride`` divides ``n_features - window``.

    The output has ``n_windows_ * n_statistics`` columns (``"slope"`` counts
    twice for images), window position major, statistic minor: all statistics
    of the first window, then all statistics of the second one, and so on.
    Patches are ordered row-major over the grid of patches. The column names
    are ``w{window}_s{start}_{statistic}`` for series and
    ``w{window}_r{row}_c{col}_{statistic}`` for images.

    The output is float32 if ``X`` is float32, float64 otherwise. The windows
    are strided views of ``X`` (:func:`numpy.lib.stride_tricks.
    sliding_window_view`), reduced over their window axes: there is no Python
    loop over rows or windows.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.granularity import IntervalFeatures
    >>> X = np.array([[0.0, 1.0, 2.0, 3.0, 2.0, 1.0]])
    >>> view = IntervalFeatures(window=4, stride=2, statistics=("mean", "slope"))
    >>> view.fit_transform(X)
    array([[ 1.5,  1. ,  2. , -0.4]])
    >>> view.get_feature_names_out()
    array(['w4_s0_mean', 'w4_s0_slope', 'w4_s2_mean', 'w4_s2_slope'],
          dtype=object)

    The 8x8 images of the digits data set, summarised over 4x4 patches:

    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> view = IntervalFeatures(window=4, shape=(8, 8)).fit(X)
    >>> view.grid_shape_, view.transform(X).shape
    ((3, 3), (1797, 54))
    >>> view.get_feature_names_out()[:6]
    array(['w4_r0_c0_mean', 'w4_r0_c0_std', 'w4_r0_c0_slope_row',
           'w4_r0_c0_slope_col', 'w4_r0_c0_min', 'w4_r0_c0_max'], dtype=object)
    """

    _parameter_constraints: dict = {
        "window": [Interval(Integral, 1, None, closed="left")],
        "stride": [Interval(Integral, 1, None, closed="left"), None],
        "statistics": [list, tuple],
        "shape": [tuple, list, None],
    }

    def __init__(
        self,
        window,
        *,
        stride=None,
        statistics=("mean", "std", "slope", "min", "max"),
        shape=None,
    ):
        self.window = window
        self.stride = stride
        self.statistics = statistics
        self.shape = shape

    @staticmethod
    def _default_stride(length):
        return max(1, length // 2)

    def _validate_options(self):
        if len(self.statistics) == 0:
            raise ValueError(
                f"statistics must name at least one of {tuple(_STATISTICS)}."
            )
        unknown = [s for s in self.statistics if s not in _STATISTICS]
        if unknown:
            raise ValueError(
                f"statistics contains unknown names {unknown!r}; the allowed "
                f"values are {tuple(_STATISTICS)}."
            )
        if len(set(self.statistics)) != len(self.statistics):
            raise ValueError(
                f"statistics contains duplicates: {list(self.statistics)!r}."
            )

    def _transform_windows(self, windows, axes):
        return [
            column
            for statistic in self.statistics
            for column in _STATISTICS[statistic](windows, axes)
        ]

    def _column_names(self, position):
        names = []
        for statistic in self.statistics:
            if statistic == "slope" and self.image_shape_ is not None:
                names += ["slope_row", "slope_col"]
            else:
                names.append(statistic)
        return [f"w{self.window}_{position}_{name}" for name in names]


class Pooling(_BaseWindowView):
    """Downsampling by pooling: a coarser resolution of the same signal.

    Each row of ``X`` is a series; every window of ``size`` consecutive values
    is replaced by its mean or maximum. With ``shape``, each row is an image
    and the windows are square ``size x size`` patches: the output is the
    pooled image, flattened in row-major order.

    Parameters
    ----------
    size : int
        Length of a pooling window (side of a patch for images).

    stride : int, default=None
        Distance between the starts of two consecutive windows (in both
        directions for images). ``None`` means ``size``: windows do not
        overlap.

    func : {"mean", "max"}, default="mean"
        How a window is pooled.

    shape : tuple of (int, int), default=None
        ``(height, width)`` of the images, each row of ``X`` being one image
        flattened in row-major order; ``height * width`` must equal the number
        of features. ``None`` means each row is a series.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    stride_ : int
        The stride used (``stride`` or its default).

    image_shape_ : tuple of (int, int) or None
        ``(height, width)`` of the images, or None for series.

    grid_shape_ : tuple of int
        Shape of the pooled signal: ``(n_windows_,)`` for series,
        ``(pooled_height, pooled_width)`` for images.

    n_windows_ : int
        Number of windows, i.e. of output columns.

    window_starts_ : ndarray of shape (`n_windows_`,) or (`n_windows_`, 2)
        Index of the first value of every window in output order; for images,
        the ``(row, col)`` of the top-left pixel of every patch.

    See Also
    --------
    IntervalFeatures : Several statistics of every window.

    Notes
    -----
    Windows start at ``0, stride, 2 * stride, ...`` as long as they fit: a
    window starting at ``start`` is kept if ``start + size <= n_features``
    (per side for images). A tail shorter than a window is therefore not
    covered unless ``stride`` divides ``n_features - size``.

    The column names are ``pool{size}_{func}_s{start}`` for series and
    ``pool{size}_{func}_r{row}_c{col}`` for images. The output is float32 if
    ``X`` is float32, float64 otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.granularity import Pooling
    >>> X = np.arange(16.0).reshape(1, 16)
    >>> Pooling(size=2, shape=(4, 4)).fit_transform(X)
    array([[ 2.5,  4.5, 10.5, 12.5]])
    >>> Pooling(size=4, func="max").fit(X).get_feature_names_out()
    array(['pool4_max_s0', 'pool4_max_s4', 'pool4_max_s8', 'pool4_max_s12'],
          dtype=object)

    The 8x8 images of the digits data set at a 4x4 resolution:

    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> pooled = Pooling(size=2, shape=(8, 8)).fit_transform(X)
    >>> pooled.shape
    (1797, 16)
    >>> pooled[0].reshape(4, 4)
    array([[ 0.  , 11.5 ,  8.75,  1.25],
           [ 1.75,  7.25,  4.75,  4.  ],
           [ 2.25,  4.75,  5.5 ,  3.75],
           [ 0.5 ,  9.5 ,  8.  ,  0.  ]])
    """

    _length_name = "size"

    _parameter_constraints: dict = {
        "size": [Interval(Integral, 1, None, closed="left")],
        "stride": [Interval(Integral, 1, None, closed="left"), None],
        "func": [StrOptions({"mean", "max"})],
        "shape": [tuple, list, None],
    }

    def __init__(self, size, *, stride=None, func="mean", shape=None):
        self.size = size
        self.stride = stride
        self.func = func
        self.shape = shape

    @staticmethod
    def _default_stride(length):
        return length

    def _transform_windows(self, windows, axes):
        return _STATISTICS[self.func](windows, axes)

    def _column_names(self, position):
        return [f"pool{self.size}_{self.func}_{position}"]


class Differences(TransformerMixin, BaseEstimator):
    """The order-k difference of a series, or of every row of an image.

    The first difference ``x[t + 1] - x[t]`` shows a series' changes instead
    of its levels (the "derivative" representation that MultiRocket adds to
    the raw series); the second difference its curvature. A stateless view:
    put it before a model in a :class:`~sklearn.pipeline.Pipeline` to make a
    branch, or before :class:`Pooling` to see coarse changes.

    Parameters
    ----------
    order : int, default=1
        How many times to difference (``numpy.diff``'s ``n``).

    shape : tuple of (int, int), default=None
        ``(height, width)`` when each row of ``X`` is a flattened image
        (row-major): every image row is differenced along its width. None:
        each row of ``X`` is one series.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has
        feature names that are all strings.

    image_shape_ : tuple of (int, int) or None
        ``(height, width)`` of the images, or None for series.

    See Also
    --------
    Pooling : A coarser resolution of a series or an image.
    numpy.diff : The same along one axis of an array.

    Notes
    -----
    A series of ``n`` values gives ``n - order`` columns, named
    ``diff{order}_s{t}``; an image of ``(h, w)`` pixels gives
    ``h * (w - order)`` columns, named ``diff{order}_r{row}_c{col}``. The
    output is float32 if ``X`` is float32, float64 otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from skmg.granularity import Differences
    >>> X = np.array([[1.0, 2.0, 4.0, 7.0]])
    >>> Differences().fit_transform(X)
    array([[1., 2., 3.]])
    >>> Differences(order=2).fit(X).get_feature_names_out()
    array(['diff2_s0', 'diff2_s1'], dtype=object)
    >>> Differences(shape=(2, 2)).fit_transform(X)
    array([[1., 3.]])
    """

    _parameter_constraints: dict = {
        "order": [Interval(Integral, 1, None, closed="left")],
        "shape": [None, tuple, list],
    }
    # The output depends on the parameters and the number of features only:
    # partial_fit fits it once.
    _stateless = True

    def __init__(self, order=1, *, shape=None):
        self.order = order
        self.shape = shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate ``X`` and the geometry of the differences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One series (or one flattened image) per row.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted view.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        if self.shape is None:
            self.image_shape_ = None
            length = X.shape[1]
        else:
            self.image_shape_ = _check_image_shape(self.shape, X.shape[1])
            length = self.image_shape_[1]
        if self.order >= length:
            where = "image rows" if self.shape is not None else "series"
            raise ValueError(
                f"order={self.order} leaves nothing of the {where} of length "
                f"{length} (X has n_features={X.shape[1]}): order must be "
                "smaller than the length."
            )
        return self

    def transform(self, X):
        """Difference every series (every image row) of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One series (or one flattened image) per row.

        Returns
        -------
        X_diff : ndarray of shape (n_samples, n_features_out)
            The differences; float32 if ``X`` is float32, float64 otherwise.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        if self.image_shape_ is None:
            return np.diff(X, n=self.order, axis=1)
        images = X.reshape(X.shape[0], *self.image_shape_)
        return np.diff(images, n=self.order, axis=2).reshape(X.shape[0], -1)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_`` and ``n_features_in_``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``diff{order}_s{t}`` for series, ``diff{order}_r{row}_c{col}`` for
            images.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        prefix = f"diff{self.order}"
        if self.image_shape_ is None:
            names = [f"{prefix}_s{t}" for t in range(self.n_features_in_ - self.order)]
        else:
            height, width = self.image_shape_
            names = [
                f"{prefix}_r{row}_c{col}"
                for row in range(height)
                for col in range(width - self.order)
            ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
