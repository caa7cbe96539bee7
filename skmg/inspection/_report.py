"""One table that says what every granularity brings to the fused model."""

import math

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import check_scoring
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._estimators import MultiGranularityClassifier, MultiGranularityRegressor
from .._outputs import (
    PROBA,
    BranchOutputs,
    fitted_output,
    labels_from_output,
    multilabel_from_output,
    output_width,
)

FUSED = "fused"


def _check_meta_estimator(estimator, caller):
    """Raise TypeError unless ``estimator`` is a skmg meta-estimator; check fit."""
    if not isinstance(
        estimator, (MultiGranularityClassifier, MultiGranularityRegressor)
    ):
        raise TypeError(
            f"{caller} expects a fitted MultiGranularityClassifier or "
            f"MultiGranularityRegressor; got {type(estimator).__name__}. For a "
            "Pipeline ending in one, pass its last step and X transformed by "
            "the steps before it."
        )
    check_is_fitted(estimator)


def _check_X_y(X, y):
    if (X is None) != (y is None):
        given, missing = ("X", "y") if y is None else ("y", "X")
        raise ValueError(
            f"{given} was given without {missing}; pass both to score on them, "
            "or neither for the out-of-fold scores only."
        )


def _problem(estimator):
    """``(n_classes, multilabel)`` of a fitted meta-estimator: None and False
    for a regressor; None and True for a multilabel target."""
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return None, False
    if isinstance(classes, list):  # one array of classes per label
        return None, True
    return len(classes), False


class _BranchOutputsOf:
    """The outputs of a fitted meta-estimator's branches, for one ``X`` at a
    time: every granularity's scorer asks for the same ``X``, so the branches
    predict it once."""

    def __init__(self, estimator):
        self.estimator = estimator
        self._key = None
        self._outputs = None

    def __call__(self, X):
        key = (id(X), getattr(X, "shape", None))
        if key != self._key:
            est = self.estimator
            record = est.record_
            blocks = [
                fitted_output(branch, X, method, record.n_classes, record.n_targets)
                for branch, method in zip(record.first_models, record.methods)
            ]
            outputs = record.outputs(blocks)
            self._outputs = est.fusion_.granularity_outputs(outputs)
            self._key = key
        return self._outputs


class _Granularity(BaseEstimator):
    """One granularity of a fitted model as a scorer sees it: what it predicts
    on its own (``fusion_.granularity_outputs``), in the label space of the
    meta-estimator. A branch with ``refit=False`` is the average of its fold
    models, as the fusion stage receives it."""

    def __init__(self, outputs_of, index):
        self.outputs_of = outputs_of
        self.index = index

    def _block(self, X):
        outputs = self.outputs_of(X)
        return outputs[self.index], outputs.kinds[self.index]

    def __sklearn_is_fitted__(self):
        return True


def _kind_is(kind):
    def check(self):
        return self.outputs_of.estimator.stack_method_[self.index] == kind

    return check


class _ClassifierGranularity(ClassifierMixin, _Granularity):
    @property
    def classes_(self):
        return self.outputs_of.estimator.classes_

    def predict(self, X):
        block, kind = self._block(X)
        classes = self.classes_
        if isinstance(classes, list):  # multilabel: 0/1 per label, decoded
            labels = multilabel_from_output(block, kind)
            return np.column_stack([c[col] for c, col in zip(classes, labels.T)])
        return classes[labels_from_output(block, kind, len(classes))]

    @available_if(_kind_is(PROBA))
    def predict_proba(self, X):
        return self._block(X)[0]

    @available_if(_kind_is("decision_function"))
    def decision_function(self, X):
        scores = self._block(X)[0]
        return scores.ravel() if scores.shape[1] == 1 else scores


class _RegressorGranularity(RegressorMixin, _Granularity):
    def predict(self, X):
        block = self._block(X)[0]
        return block.ravel() if block.shape[1] == 1 else block


def _scorable_branches(estimator):
    """Every non-dropped granularity, by name, as an object scorers accept."""
    outputs_of = _BranchOutputsOf(estimator)
    cls = (
        _ClassifierGranularity
        if isinstance(estimator, MultiGranularityClassifier)
        else _RegressorGranularity
    )
    return {
        name: cls(outputs_of, b) for b, name in enumerate(estimator.named_estimators_)
    }


def _score(scoring, scorer, model, X, y):
    """``{column: value}`` of one model; several columns for multi-metric scoring."""
    if scorer is None:
        return {"test_score": float(model.score(X, y))}
    result = scorer(model, X, y)
    if isinstance(result, dict):
        return {f"test_{key}": float(value) for key, value in result.items()}
    name = scoring if isinstance(scoring, str) else "score"
    return {f"test_{name}": float(result)}


def _test_scores(estimator, X, y, scoring):
    """Test score columns: one value per branch, then the fused model."""
    scorer = None if scoring is None else check_scoring(estimator, scoring)
    models = [*_scorable_branches(estimator).values(), estimator]
    rows = [_score(scoring, scorer, model, X, y) for model in models]
    return {column: np.array([row[column] for row in rows]) for column in rows[0]}


def _importance_shares(estimator, importances):
    """Share of the absolute importance mass of the branch columns, per
    branch; signed (the branch's net coefficient over that mass) when the
    final estimator has one row of coefficients."""
    importances = importances.toarray() if sp.issparse(importances) else importances
    importances = np.asarray(importances, dtype=np.float64)
    # Column j of the final estimator's input belongs to branch owner[j]; the
    # passthrough features, if any, come after the branch columns.
    n_classes, multilabel = _problem(estimator)
    kinds = estimator.stack_method_
    if multilabel:  # one column per label, whatever the output
        widths = [len(estimator.classes_)] * len(kinds)
    elif n_classes is not None:
        widths = [output_width(kind, n_classes) for kind in kinds]
    else:  # every branch predicts every target
        n_targets = estimator.oof_predictions_.shape[1] // len(kinds)
        widths = [n_targets] * len(kinds)
    blocks = [np.full((1, w), b) for b, w in enumerate(widths)]
    owner = estimator.fusion_.features(
        BranchOutputs(blocks, kinds=kinds, n_classes=n_classes, multilabel=multilabel)
    )[0]
    if importances.ndim == 0 or importances.shape[-1] < len(owner):
        return np.full(len(widths), np.nan)
    rows = importances.reshape(-1, importances.shape[-1])[:, : len(owner)]
    absolute = np.abs(rows).sum(axis=0)
    total = absolute.sum()
    if not np.isfinite(total) or total == 0:
        return np.full(len(widths), np.nan)
    # One row (binary classification, one target): the sign says whether
    # the final estimator follows the branch or leans against it.
    mass = rows[0] if len(rows) == 1 else absolute
    return np.array([mass[owner == b].sum() for b in range(len(widths))]) / total


def _fusion_weights(estimator):
    """The weight of each branch in the fused model (NaN where none is defined)."""
    fusion = estimator.fusion_
    n_branches = len(estimator.named_estimators_)
    weights = getattr(fusion, "weights_", None)
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64).ravel()
        if weights.shape != (n_branches,):  # not one weight per branch
            return np.full(n_branches, np.nan)
        return weights
    final = getattr(fusion, "final_estimator_", None)
    if final is not None and hasattr(fusion, "features"):  # stacking
        for attribute in ("coef_", "feature_importances_"):
            importances = getattr(final, attribute, None)
            if importances is not None:
                return _importance_shares(estimator, importances)
    return np.full(n_branches, np.nan)


def _report_columns(estimator, X=None, y=None, scoring=None):
    """The rows (branch names, then ``"fused"``) and the columns of the report."""
    _check_meta_estimator(estimator, "granularity_report")
    _check_X_y(X, y)
    names = list(estimator.named_estimators_)
    columns = {
        "oof_score": np.array(
            [estimator.granularity_scores_[name] for name in names]
            + [getattr(estimator, "fusion_score_", np.nan)]
        )
    }
    if X is not None:
        columns.update(_test_scores(estimator, X, y, scoring))
    columns["weight"] = np.append(_fusion_weights(estimator), np.nan)
    times = [estimator.fit_times_[name] for name in names]
    # the fused model: the wall time of fit (after partial_fit only, the
    # branches' total)
    fused = getattr(estimator, "fit_wall_time_", math.fsum(times))
    columns["fit_time"] = np.array([*times, fused])
    # how each branch got its out-of-fold outputs; the fused row's score is a
    # second-level cross-validation (after partial_fit only: none)
    methods = getattr(estimator, "oof_methods_", {})
    fused_method = "cv" if methods else ""
    columns["oof_method"] = np.array(
        [methods.get(name, "") for name in names] + [fused_method], dtype=object
    )
    return [*names, FUSED], columns


def _cell(value):
    """A value of the report as the table without pandas prints it."""
    return value if isinstance(value, str) else f"{value:.4f}"


class _ReportDict(dict):
    """The report without pandas: column name to array, printed as a table.

    ``index`` holds the row names, as the index of a DataFrame would.
    """

    def __init__(self, index, columns):
        super().__init__(columns)
        self.index = list(index)

    @property
    def columns(self):
        """The column names, in order."""
        return list(self)

    def __str__(self):
        cells = [["", *self]]
        for i, name in enumerate(self.index):
            cells.append([name, *(_cell(self[c][i]) for c in self)])
        widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
        lines = [
            "  ".join(
                cell.ljust(width) if j == 0 else cell.rjust(width)
                for j, (cell, width) in enumerate(zip(row, widths))
            ).rstrip()
            for row in cells
        ]
        return "\n".join(lines)

    __repr__ = __str__


def granularity_report(estimator, X=None, y=None, scoring=None):
    """Score, fusion weight and fit time of every granularity of a fitted model.

    One row per granularity (the dropped ones are left out), in the order of
    ``granularities``, and a last row ``"fused"`` for the fused model.

    Parameters
    ----------
    estimator : MultiGranularityClassifier or MultiGranularityRegressor
        A fitted multi-granularity estimator.

    X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features), \
default=None
        Data to score every granularity and the fused model on, usually
        held-out data. ``None``: no test scores, only what ``fit`` measured.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        Targets of ``X``; required with ``X``.

    scoring : str, callable, list, tuple, set or dict, default=None
        How to score on ``X``, ``y``, in any form that
        :func:`sklearn.metrics.check_scoring` accepts (a scorer name, a
        scorer callable, several of them as a list or a dict of name to
        scorer, or a callable returning a dict). ``None`` means the
        estimator's ``score`` (accuracy for a classifier, R² for a
        regressor). Ignored without ``X``.

    Returns
    -------
    report : pandas.DataFrame or dict
        Indexed by the granularity names and ``"fused"``, with the columns:

        - ``oof_score``: the out-of-fold score of each granularity measured
          during ``fit`` (``granularity_scores_``, with the estimator's
          ``scoring``),
          and for the fused model ``fusion_score_``, the out-of-fold score of
          the fusion step (a second-level cross-validation on the
          out-of-fold outputs): what fusion adds, without test data;
        - ``test_<name>``: with ``X`` and ``y``, the score of each
          granularity and of the fused model on them, one column per metric:
          ``test_score`` for ``scoring=None`` or a callable, ``test_<name>``
          for a scorer name or the keys of several scorers;
        - ``weight``: the weight of each granularity in the fused model:
          ``fusion_.weights_`` when the fusion strategy has weights (for the
          averaging strategies, in [0, 1] and summing to one;
          ``1 / n_granularities`` for a plain average), and for
          ``fusion="stacking"`` the share of each granularity's columns in
          the absolute mass of the final estimator's ``coef_`` (or else
          ``feature_importances_``), the passthrough columns left out: in
          [0, 1], summing to one, when ``coef_`` has several rows (one per
          class) or for importances; signed when ``coef_`` has one row
          (binary classification, one target), a negative weight meaning
          that the final estimator leans against the granularity, the
          absolute values summing to one. NaN when the final estimator has
          neither (for example a :class:`~sklearn.pipeline.Pipeline`), and
          for the fused row;
        - ``fit_time``: seconds spent fitting each granularity (folds and
          refit, ``fit_times_``); for the fused row, the wall time of ``fit``
          (``fit_wall_time_``: with parallel workers, less than the sum of
          the rows above; the fusion stage included), or the branches' total
          for a model that only learned with ``partial_fit``;
        - ``oof_method``: how each granularity's out-of-fold outputs were
          made (``oof_methods_``): ``"cv"`` (fold models), ``"oob"``,
          ``"loo"``, ``"train_estimate"`` (one fit on all rows, see
          ``oof_method="auto"``) or ``"prefit"``; ``"cv"`` for the fused
          row, whose score is a second-level cross-validation (empty for a
          model that only learned with ``partial_fit``).

        A :class:`pandas.DataFrame` when pandas can be imported; otherwise a
        ``dict`` of column name to ndarray, with the row names as its
        ``index`` attribute, that prints as an aligned table.

    Raises
    ------
    TypeError
        If ``estimator`` is not a multi-granularity estimator.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.

    See Also
    --------
    GranularityDisplay : The same figures as a chart.

    Notes
    -----
    A granularity is scored on ``X`` as the fused model uses it: the refitted
    branch, or with ``refit=False`` the average of its fold models' outputs
    (probabilities, decision values or predictions; class labels of a
    classifier come from that average). With ``fusion="residual"``, where
    each granularity fits what the ones before it left, a granularity is
    scored with the granularities before it (the sum of the stages so far),
    as ``granularity_scores_`` is. A granularity named ``"fused"`` would
    share its row name with the fused model, which is always the last row.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import KBinsDiscretizer, StandardScaler
    >>> from skmg import MultiGranularityClassifier
    >>> from skmg.inspection import granularity_report
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = MultiGranularityClassifier([
    ...     ("raw", make_pipeline(StandardScaler(), LogisticRegression())),
    ...     ("binned", make_pipeline(
    ...         KBinsDiscretizer(n_bins=3, strategy="uniform"), LogisticRegression())),
    ... ], cv=3).fit(X_train, y_train)
    >>> report = granularity_report(clf, X_test, y_test)
    >>> report.drop(columns="fit_time").round(3)
                 oof_score  test_score  weight oof_method
    granularity
    raw              0.981       0.958   0.648         cv
    binned           0.958       0.937   0.352         cv
    fused            0.984       0.972     NaN         cv
    >>> bool(report.loc["fused", "test_score"] == clf.score(X_test, y_test))
    True

    Several metrics at once:

    >>> report = granularity_report(
    ...     clf, X_test, y_test, scoring=["balanced_accuracy", "roc_auc"])
    >>> report[["test_balanced_accuracy", "test_roc_auc"]].round(3)
                 test_balanced_accuracy  test_roc_auc
    granularity
    raw                           0.955         0.991
    binned                        0.938         0.983
    fused                         0.970         0.997
    """
    index, columns = _report_columns(estimator, X, y, scoring)
    try:
        import pandas as pd
    except ImportError:
        return _ReportDict(index, columns)
    return pd.DataFrame(columns, index=pd.Index(index, name="granularity"))
