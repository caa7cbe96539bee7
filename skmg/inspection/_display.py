"""GranularityDisplay: the scores and fusion weights of the granularities."""

import numpy as np
from sklearn.base import is_classifier

from ._report import _check_meta_estimator, _report_columns


def _import_pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib; install it with `pip install "
            "matplotlib` (or the 'plot' extra of skmg)."
        ) from exc
    return plt


class GranularityDisplay:
    """Scores and fusion weights of the granularities of a fitted model.

    A horizontal bar per granularity for its score, the score of the fused
    model as a vertical reference line, and beside them the weight of each
    granularity in the fused model. With a cascade fusion (a fitted fusion
    with ``level_scores_``), a third small axes shows the score per level.

    It is recommended to create a display with
    :meth:`GranularityDisplay.from_estimator`. All parameters are stored as
    attributes.

    Parameters
    ----------
    granularities : list of str
        Names of the granularities, one bar each, drawn from top to bottom.

    scores : array-like of shape (n_granularities,)
        Score of each granularity.

    weights : array-like of shape (n_granularities,), default=None
        Weight of each granularity in the fused model; NaN where none is
        defined. ``None`` leaves the weights axes empty.

    fused_score : float, default=None
        Score of the fused model, drawn as a vertical line. ``None`` or NaN:
        no line.

    level_scores : array-like of shape (n_levels,), default=None
        Score after each level of a cascade fusion. ``None``: no levels axes.

    score_name : str, default="score"
        Label of the score axis.

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        The bars of the granularity scores.

    line_ : matplotlib Line2D or None
        The vertical line at the fused score, or None without one.

    weight_bars_ : matplotlib BarContainer
        The bars of the fusion weights (no bar where a weight is NaN).

    ax_ : matplotlib Axes
        Axes of the scores.

    weights_ax_ : matplotlib Axes
        Axes of the fusion weights, to the right of ``ax_``, sharing its y
        axis.

    levels_ax_ : matplotlib Axes or None
        Axes of the score per cascade level, or None without levels.

    figure_ : matplotlib Figure
        Figure containing the axes.

    See Also
    --------
    granularity_report : The same figures as a table.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import KBinsDiscretizer, StandardScaler
    >>> from skmg import MultiGranularityClassifier
    >>> from skmg.inspection import GranularityDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = MultiGranularityClassifier([
    ...     ("raw", make_pipeline(StandardScaler(), LogisticRegression())),
    ...     ("binned", make_pipeline(
    ...         KBinsDiscretizer(n_bins=3, strategy="uniform"),
    ...         LogisticRegression())),
    ... ], cv=3).fit(X_train, y_train)
    >>> display = GranularityDisplay.from_estimator(clf, X_test, y_test)
    >>> len(display.bars_), display.line_.get_xdata()[0] == clf.score(X_test, y_test)
    (2, True)
    >>> plt.close(display.figure_)
    """

    def __init__(
        self,
        *,
        granularities,
        scores,
        weights=None,
        fused_score=None,
        level_scores=None,
        score_name="score",
    ):
        self.granularities = granularities
        self.scores = scores
        self.weights = weights
        self.fused_score = fused_score
        self.level_scores = level_scores
        self.score_name = score_name

    def plot(self, ax=None, *, bar_kwargs=None, line_kwargs=None):
        """Plot the scores, the fused score and the fusion weights.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes for the scores; the weights (and cascade levels) axes are
            added to its right. ``None`` creates a figure and axes.

        bar_kwargs : dict, default=None
            Keyword arguments of :meth:`matplotlib.axes.Axes.barh` for the
            score bars.

        line_kwargs : dict, default=None
            Keyword arguments of :meth:`matplotlib.axes.Axes.axvline` for the
            fused score line.

        Returns
        -------
        display : GranularityDisplay
            The display, with the matplotlib objects as attributes.
        """
        plt = _import_pyplot("GranularityDisplay.plot")
        from mpl_toolkits.axes_grid1 import make_axes_locatable

        if ax is None:
            _, ax = plt.subplots(figsize=(7.5, 0.5 * len(self.granularities) + 2))
        scores = np.asarray(self.scores, dtype=np.float64)
        positions = np.arange(len(self.granularities))

        self.bars_ = ax.barh(positions, scores, **{"alpha": 0.8, **(bar_kwargs or {})})
        ax.set_yticks(positions, labels=list(self.granularities))
        ax.invert_yaxis()  # the first granularity on top, as in the report
        ax.set_xlabel(self.score_name)

        self.line_ = None
        if self.fused_score is not None and np.isfinite(self.fused_score):
            kwargs = {
                "color": "black",
                "linestyle": "--",
                "label": f"fused: {self.fused_score:.3f}",
                **(line_kwargs or {}),
            }
            self.line_ = ax.axvline(self.fused_score, **kwargs)
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False)

        divider = make_axes_locatable(ax)
        weights_ax = divider.append_axes("right", size="35%", pad=0.3, sharey=ax)
        weights = np.full(len(positions), np.nan)
        if self.weights is not None:
            weights = np.asarray(self.weights, dtype=np.float64)
        shown = np.isfinite(weights)
        self.weight_bars_ = weights_ax.barh(
            positions[shown], weights[shown], color="tab:gray"
        )
        # Weights of averaging strategies lie in [0, 1]; others may exceed 1.
        weights_ax.set_xlim(0, weights[shown].max(initial=1.0))
        weights_ax.set_xlabel("fusion weight" if shown.any() else "fusion weight (n/a)")
        weights_ax.tick_params(axis="y", labelleft=False)

        self.levels_ax_ = None
        if self.level_scores is not None:
            levels_ax = divider.append_axes("right", size="35%", pad=0.6)
            level_scores = np.asarray(self.level_scores, dtype=np.float64)
            levels = np.arange(1, len(level_scores) + 1)
            levels_ax.plot(levels, level_scores, marker="o")
            levels_ax.set_xticks(levels)
            levels_ax.set_xlabel("cascade level")
            levels_ax.yaxis.tick_right()
            levels_ax.set_title("score per level", fontsize="medium")
            self.levels_ax_ = levels_ax

        self.ax_ = ax
        self.weights_ax_ = weights_ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls, estimator, X=None, y=None, *, scoring=None, ax=None, **kwargs
    ):
        """Plot the granularities of a fitted multi-granularity estimator.

        The bars are the scores on ``X``, ``y`` when given, with the score of
        the fused model as a vertical line. Without ``X`` and ``y`` they are
        the out-of-fold scores measured during ``fit``
        (``granularity_scores_``), and the line is the fused model's
        out-of-fold score (``fusion_score_``, see :func:`granularity_report`).

        Parameters
        ----------
        estimator : MultiGranularityClassifier or MultiGranularityRegressor
            A fitted multi-granularity estimator.

        X : {array-like, sparse matrix, dataframe} of shape (n_samples, \
n_features), default=None
            Data to score on, usually held-out data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
default=None
            Targets of ``X``; required with ``X``.

        scoring : str or callable, default=None
            One scorer, as :func:`sklearn.metrics.check_scoring` accepts it;
            ``None`` means the estimator's ``score``. Ignored without ``X``.

        ax : matplotlib Axes, default=None
            Axes for the scores. ``None`` creates a figure and axes.

        **kwargs : dict
            Passed to :meth:`plot` (``bar_kwargs``, ``line_kwargs``).

        Returns
        -------
        display : GranularityDisplay
            The display, with the matplotlib objects as attributes.
        """
        _check_meta_estimator(estimator, "GranularityDisplay.from_estimator")
        _import_pyplot("GranularityDisplay.from_estimator")
        names, columns = _report_columns(estimator, X, y, scoring)
        metric = "accuracy" if is_classifier(estimator) else "R²"
        if X is None:
            scores = columns["oof_score"]
            fused = float(scores[-1])
            score_name = f"out-of-fold {metric}"
        else:
            tests = [c for c in columns if c.startswith("test_")]
            if len(tests) != 1:
                metrics = [column.removeprefix("test_") for column in tests]
                raise ValueError(
                    "GranularityDisplay plots one score, but 'scoring' gave "
                    f"{len(tests)}: {metrics}; pass one scorer, or use "
                    "granularity_report for several."
                )
            scores, fused = columns[tests[0]], float(columns[tests[0]][-1])
            if scoring is None:
                score_name = f"test {metric}"
            else:
                score_name = tests[0].replace("_", " ", 1)
        display = cls(
            granularities=names[:-1],
            scores=scores[:-1],
            weights=columns["weight"][:-1],
            fused_score=fused,
            level_scores=getattr(estimator.fusion_, "level_scores_", None),
            score_name=score_name,
        )
        return display.plot(ax=ax, **kwargs)
