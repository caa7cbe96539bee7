"""One branch per granularity, from a grid of view parameters."""

import itertools
import re
from numbers import Number

from sklearn.base import clone
from sklearn.pipeline import Pipeline


def _format_value(value):
    """Text of a grid value inside a branch name.

    Strings, numbers, booleans and None are written with :func:`str`; any other
    value with its :func:`repr`, every run of characters other than letters,
    digits, ``.`` and ``-`` replaced by ``_`` (``(4, 4)`` gives ``4_4``).
    """
    if value is None or isinstance(value, str | Number):
        return str(value)
    return re.sub(r"[^0-9A-Za-z.\-]+", "_", repr(value)).strip("_")


def _branch_name(combination):
    """``key1value1_key2value2``, with no ``__`` in it."""
    name = "_".join(
        f"{key.replace('__', '_')}{_format_value(value)}"
        for key, value in combination.items()
    )
    # A name with "__" would be read as a nested parameter by set_params.
    return re.sub(r"_{2,}", "_", name)


def _set_grid_params(view, combination):
    """``clone(view).set_params(**combination)``; an error names its key."""
    try:
        return clone(view).set_params(**combination)
    except ValueError as exc:
        for key, value in combination.items():
            try:
                clone(view).set_params(**{key: value})
            except ValueError as key_exc:
                raise ValueError(
                    f"The grid parameter {key!r} cannot be set on "
                    f"{type(view).__name__}: {key_exc}"
                ) from key_exc
        raise ValueError(
            f"The grid parameters {combination!r} cannot be set on "
            f"{type(view).__name__}: {exc}"
        ) from exc


def make_granularities(view_or_estimator, estimator=None, **grid):
    """Build one named branch per combination of grid values.

    The branches are ready for
    :class:`~skmg.MultiGranularityClassifier` and
    :class:`~skmg.MultiGranularityRegressor`: the same view at several
    granularities, each followed by its own model.

    Parameters
    ----------
    view_or_estimator : estimator
        With ``estimator``, the view (a transformer) that the grid
        parameterises. Without, the estimator that the grid parameterises
        (for example a :class:`~sklearn.pipeline.Pipeline`, with nested
        ``step__param`` keys).

    estimator : estimator, default=None
        The model that follows the view in every branch. ``None`` means the
        branches are ``view_or_estimator`` alone.

    **grid : dict of str to list
        Parameter name to the list (or tuple) of its values, for example
        ``window=[8, 16, 32]``. Every combination of values gives a branch.

    Returns
    -------
    granularities : list of (str, estimator)
        One ``(name, branch)`` pair per combination, in the order of
        :func:`itertools.product` over the grid in its given key and value
        order. With ``estimator``, ``branch`` is
        ``Pipeline([("view", view), ("model", clone(estimator))])`` where
        ``view`` is a clone of ``view_or_estimator`` with the combination's
        parameters; without, ``branch`` is that clone itself.

    Raises
    ------
    ValueError
        If the grid is empty, if a grid value is not a non-empty list or tuple,
        if a key is not a parameter of the view (the message names the key),
        or if two combinations give the same name.

    Notes
    -----
    A branch is named after its combination: ``key`` followed by ``value``,
    joined by ``_`` (``window=8, stride=4`` gives ``"window8_stride4"``).
    ``__`` in keys becomes ``_`` (``view__window=8`` gives
    ``"view_window8"``). Strings, numbers, booleans and None are written with
    :func:`str`; other values with their :func:`repr`, every run of
    characters other than letters, digits, ``.`` and ``-`` replaced by ``_``
    (``shape=(8, 8)`` gives ``"shape8_8"``). Runs of ``_`` are collapsed so
    that no name contains ``__``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.ensemble import ExtraTreesClassifier
    >>> from skmg import MultiGranularityClassifier
    >>> from skmg.granularity import IntervalFeatures, make_granularities
    >>> granularities = make_granularities(
    ...     IntervalFeatures(window=8),
    ...     ExtraTreesClassifier(n_estimators=10, random_state=0),
    ...     window=[8, 16, 32],
    ... )
    >>> [name for name, _ in granularities]
    ['window8', 'window16', 'window32']
    >>> granularities[1][1]
    Pipeline(steps=[('view', IntervalFeatures(window=16)),
                    ('model',
                     ExtraTreesClassifier(n_estimators=10, random_state=0))])

    Each branch sees the 64 pixels of a digit as one series, summarised over
    windows of 8, 16 and 32 pixels:

    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MultiGranularityClassifier(granularities, cv=3)
    >>> clf.fit(X[:1000], y[:1000]).score(X[1000:], y[1000:]) > 0.8
    True
    """
    if not grid:
        raise ValueError(
            "make_granularities needs at least one grid parameter, for example "
            "window=[8, 16, 32]."
        )
    for key, values in grid.items():
        if not isinstance(values, list | tuple) or len(values) == 0:
            raise ValueError(
                f"The grid value of {key!r} must be a non-empty list or tuple; "
                f"got {values!r}."
            )

    granularities = []
    for values in itertools.product(*grid.values()):
        combination = dict(zip(grid, values, strict=True))
        branch = _set_grid_params(view_or_estimator, combination)
        if estimator is not None:
            branch = Pipeline([("view", branch), ("model", clone(estimator))])
        granularities.append((_branch_name(combination), branch))

    names = [name for name, _ in granularities]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(
            f"Different grid values give the same branch names {duplicates}; "
            "use values whose text differs."
        )
    return granularities
