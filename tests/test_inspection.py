import builtins

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    get_scorer,
    log_loss,
    r2_score,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer
from sklearn.tree import DecisionTreeClassifier

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.fusion import CascadeFusion
from skmg.inspection import GranularityDisplay, granularity_report

X_clf, y_clf = make_classification(
    n_samples=150, n_features=8, n_informative=5, n_classes=3, random_state=0
)
# String labels: the branches learn encoded labels, the report must decode them.
y_clf = np.array(["ant", "bee", "cat"])[y_clf]
X_train, X_test = X_clf[:100], X_clf[100:]
y_train, y_test = y_clf[:100], y_clf[100:]

X_bin, y_bin = make_classification(n_samples=120, n_features=6, random_state=1)

X_reg, y_reg = make_regression(n_samples=120, n_features=6, noise=5.0, random_state=0)


def _pairs(X):
    """A coarser view: the mean of each pair of neighbouring features."""
    return X.reshape(X.shape[0], -1, 2).mean(axis=2)


def _classifier_branches():
    return [
        ("raw", LogisticRegression()),
        ("pooled", make_pipeline(FunctionTransformer(_pairs), LogisticRegression())),
        (
            "binned",
            make_pipeline(
                KBinsDiscretizer(n_bins=3, strategy="uniform"), LogisticRegression()
            ),
        ),
    ]


def _regressor_branches():
    return [
        ("raw", Ridge()),
        ("pooled", make_pipeline(FunctionTransformer(_pairs), Ridge())),
    ]


def _classifier(**params):
    return MultiGranularityClassifier(_classifier_branches(), cv=3, **params)


@pytest.fixture(scope="module")
def stacking():
    return _classifier().fit(X_train, y_train)


@pytest.fixture(scope="module")
def average():
    return _classifier(fusion="average").fit(X_train, y_train)


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_report_rows_and_values_come_from_fit(stacking):
    """Rows are the branches then "fused"; oof scores and fit times are fit's."""
    pytest.importorskip("pandas")
    report = granularity_report(stacking)
    assert list(report.index) == ["raw", "pooled", "binned", "fused"]
    assert list(report.columns) == ["oof_score", "weight", "fit_time", "oof_method"]
    assert list(report["oof_method"]) == ["cv"] * 4
    for name in ["raw", "pooled", "binned"]:
        assert report.loc[name, "oof_score"] == stacking.granularity_scores_[name]
        assert report.loc[name, "fit_time"] == stacking.fit_times_[name]
    assert report.loc["fused", "oof_score"] == stacking.fusion_score_
    # the fused row: the wall time of the whole fit, which also holds the
    # fusion stage and its second-level cross-validation (sequential here)
    assert report.loc["fused", "fit_time"] == stacking.fit_wall_time_
    assert stacking.fit_wall_time_ > sum(stacking.fit_times_.values())


def test_report_test_scores(stacking):
    """The fused test score is ``score``; a branch's is its refitted model's."""
    pytest.importorskip("pandas")
    report = granularity_report(stacking, X_test, y_test)
    assert report.loc["fused", "test_score"] == stacking.score(X_test, y_test)
    for name, model in stacking.named_estimators_.items():
        predicted = stacking.classes_[model.predict(X_test)]
        assert report.loc[name, "test_score"] == accuracy_score(y_test, predicted)


@pytest.mark.parametrize(
    "scoring, columns, metrics",
    [
        ("balanced_accuracy", ["test_balanced_accuracy"], ["balanced_accuracy"]),
        (get_scorer("neg_log_loss"), ["test_score"], ["neg_log_loss"]),
        (
            ["accuracy", "neg_log_loss"],
            ["test_accuracy", "test_neg_log_loss"],
            ["accuracy", "neg_log_loss"],
        ),
        (
            {"acc": "accuracy", "ll": "neg_log_loss"},
            ["test_acc", "test_ll"],
            ["accuracy", "neg_log_loss"],
        ),
    ],
)
def test_report_scoring_forms(stacking, scoring, columns, metrics):
    """A name, a callable, a list and a dict each give their test columns."""
    pytest.importorskip("pandas")
    report = granularity_report(stacking, X_test, y_test, scoring=scoring)
    assert [c for c in report.columns if c.startswith("test_")] == columns
    raw = stacking.named_estimators_["raw"]
    labels = stacking.classes_[raw.predict(X_test)]
    proba = raw.predict_proba(X_test)
    expected_raw = {
        "accuracy": accuracy_score(y_test, labels),
        "balanced_accuracy": balanced_accuracy_score(y_test, labels),
        "neg_log_loss": -log_loss(y_test, proba, labels=stacking.classes_),
    }
    for column, metric in zip(columns, metrics):
        fused = get_scorer(metric)(stacking, X_test, y_test)
        assert report.loc["fused", column] == fused
        assert report.loc["raw", column] == pytest.approx(expected_raw[metric])


def test_average_weights_are_uniform(average):
    """fusion="average" gives every branch 1 / n_branches."""
    pytest.importorskip("pandas")
    weights = granularity_report(average)["weight"]
    np.testing.assert_allclose(weights.iloc[:-1], [1 / 3] * 3)
    assert weights.iloc[:-1].sum() == pytest.approx(1)
    assert np.isnan(weights["fused"])


def test_stacking_weights_are_coefficient_shares(stacking):
    """Each branch's weight is its share of |coef_| of the final estimator."""
    pytest.importorskip("pandas")
    weights = granularity_report(stacking)["weight"].to_numpy()[:-1]
    mass = np.abs(stacking.final_estimator_.coef_).sum(axis=0)  # 3 columns each
    expected = mass.reshape(3, 3).sum(axis=1) / mass.sum()
    np.testing.assert_allclose(weights, expected)
    assert weights.sum() == pytest.approx(1)
    assert np.all((weights >= 0) & (weights <= 1))


def test_stacking_weights_binary_ignore_passthrough():
    """Binary: one column per branch; passthrough columns are left out."""
    pytest.importorskip("pandas")
    clf = MultiGranularityClassifier(
        _classifier_branches()[:2], cv=3, passthrough=True
    ).fit(X_bin, y_bin)
    weights = granularity_report(clf)["weight"].to_numpy()[:-1]
    coef = np.abs(clf.final_estimator_.coef_[0])
    np.testing.assert_allclose(weights, coef[:2] / coef[:2].sum())
    assert weights.sum() == pytest.approx(1)


def test_stacking_weights_from_feature_importances_or_nan():
    """A tree final estimator gives importance shares; a model with neither, NaN."""
    pytest.importorskip("pandas")
    tree = _classifier(
        final_estimator=DecisionTreeClassifier(max_depth=3, random_state=0)
    ).fit(X_train, y_train)
    weights = granularity_report(tree)["weight"].to_numpy()[:-1]
    importances = tree.final_estimator_.feature_importances_
    np.testing.assert_allclose(weights, importances.reshape(3, 3).sum(axis=1))
    knn = _classifier(final_estimator=KNeighborsClassifier()).fit(X_train, y_train)
    assert np.isnan(granularity_report(knn)["weight"]).all()


def test_learned_weights_are_reported(average, monkeypatch):
    """A fusion with ``weights_`` is reported as it is."""
    pytest.importorskip("pandas")
    monkeypatch.setattr(
        average.fusion_, "weights_", np.array([0.5, 0.3, 0.2]), raising=False
    )
    weights = granularity_report(average)["weight"].to_numpy()
    np.testing.assert_array_equal(weights[:-1], [0.5, 0.3, 0.2])


def test_dropped_branches_are_absent():
    """A branch set to "drop" has no row."""
    pytest.importorskip("pandas")
    clf = _classifier().set_params(pooled="drop").fit(X_train, y_train)
    report = granularity_report(clf, X_test, y_test)
    assert list(report.index) == ["raw", "binned", "fused"]
    assert report["weight"].iloc[:-1].sum() == pytest.approx(1)


def test_report_without_pandas(stacking, monkeypatch):
    """Without pandas, a dict of arrays with the row names, printed as a table."""
    real_import = builtins.__import__

    def import_without_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", import_without_pandas)
    report = granularity_report(stacking, X_test, y_test)
    monkeypatch.undo()

    assert isinstance(report, dict)
    assert report.index == ["raw", "pooled", "binned", "fused"]
    columns = ["oof_score", "test_score", "weight", "fit_time", "oof_method"]
    assert list(report) == columns
    assert report["oof_score"][0] == stacking.granularity_scores_["raw"]
    assert report["test_score"][-1] == stacking.score(X_test, y_test)
    lines = str(report).splitlines()
    assert lines[0].split() == columns
    assert [line.split()[-1] for line in lines[1:]] == ["cv"] * 4
    assert [line.split()[0] for line in lines[1:]] == report.index
    assert lines[1].split()[1] == f"{stacking.granularity_scores_['raw']:.4f}"
    assert lines[-1].split()[1] == f"{stacking.fusion_score_:.4f}"
    assert len({len(line) for line in lines[1:]}) == 1  # aligned columns
    assert repr(report) == str(report)


def test_regressor_report():
    """Regressor: R² out of fold and on test data, coefficient shares of RidgeCV."""
    pytest.importorskip("pandas")
    reg = MultiGranularityRegressor(_regressor_branches(), cv=3).fit(
        X_reg[:80], y_reg[:80]
    )
    report = granularity_report(reg, X_reg[80:], y_reg[80:])
    assert list(report.index) == ["raw", "pooled", "fused"]
    assert report.loc["raw", "oof_score"] == reg.granularity_scores_["raw"]
    assert report.loc["fused", "test_score"] == reg.score(X_reg[80:], y_reg[80:])
    raw = reg.named_estimators_["raw"]
    assert report.loc["raw", "test_score"] == raw.score(X_reg[80:], y_reg[80:])
    coef = np.abs(reg.final_estimator_.coef_)
    np.testing.assert_allclose(report["weight"].to_numpy()[:-1], coef / coef.sum())


@pytest.mark.parametrize("fusion", ["stacking", "average"])
def test_refit_false_scores_the_averaged_fold_models(fusion):
    """refit=False: a branch is scored on the average of its fold models' output."""
    pytest.importorskip("pandas")
    clf = _classifier(refit=False, fusion=fusion).fit(X_train, y_train)
    report = granularity_report(clf, X_test, y_test, scoring=["neg_log_loss"])
    blocks = np.split(clf.transform(X_test), 3, axis=1)  # 3 branches x 3 classes
    for name, block in zip(["raw", "pooled", "binned"], blocks):
        expected = -log_loss(y_test, block, labels=clf.classes_)
        assert report.loc[name, "test_neg_log_loss"] == pytest.approx(expected)
    default = granularity_report(clf, X_test, y_test)
    for name, block in zip(["raw", "pooled", "binned"], blocks):
        expected = accuracy_score(y_test, clf.classes_[block.argmax(axis=1)])
        assert default.loc[name, "test_score"] == expected
    assert default.loc["fused", "test_score"] == clf.score(X_test, y_test)


def test_refit_false_regressor():
    """refit=False regressor: a branch predicts the mean of its fold models."""
    pytest.importorskip("pandas")
    reg = MultiGranularityRegressor(_regressor_branches(), cv=3, refit=False)
    reg.fit(X_reg[:80], y_reg[:80])
    report = granularity_report(reg, X_reg[80:], y_reg[80:], scoring="r2")
    fold_models = reg.named_estimators_["pooled"]
    mean = np.mean([m.predict(X_reg[80:]) for m in fold_models], axis=0)
    expected = r2_score(y_reg[80:], mean)
    assert report.loc["pooled", "test_r2"] == pytest.approx(expected)
    assert report.loc["fused", "test_r2"] == reg.score(X_reg[80:], y_reg[80:])


@pytest.mark.parametrize(
    "function", [granularity_report, GranularityDisplay.from_estimator]
)
def test_not_fitted_raises(function):
    """An unfitted meta-estimator raises NotFittedError."""
    with pytest.raises(NotFittedError):
        function(_classifier())


@pytest.mark.parametrize(
    "function", [granularity_report, GranularityDisplay.from_estimator]
)
def test_other_estimator_raises_type_error(function):
    """Anything but a skmg meta-estimator raises a TypeError that says so."""
    model = LogisticRegression().fit(X_train, y_train)
    with pytest.raises(TypeError, match="MultiGranularityClassifier or Multi.*"):
        function(model)


@pytest.mark.parametrize("X, y", [(X_test, None), (None, y_test)])
def test_X_without_y_raises(stacking, X, y):
    """X and y go together."""
    with pytest.raises(ValueError, match="without"):
        granularity_report(stacking, X, y)


def test_display_with_test_data(pyplot, stacking):
    """One bar per branch at its test score, a line at the fused score, weights."""
    pytest.importorskip("pandas")
    display = GranularityDisplay.from_estimator(stacking, X_test, y_test)
    report = granularity_report(stacking, X_test, y_test)
    widths = [bar.get_width() for bar in display.bars_]
    assert len(display.bars_) == 3
    np.testing.assert_array_equal(widths, report["test_score"].to_numpy()[:-1])
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert labels == ["raw", "pooled", "binned"]
    fused = stacking.score(X_test, y_test)
    np.testing.assert_array_equal(display.line_.get_xdata(), [fused, fused])
    weights = [bar.get_width() for bar in display.weight_bars_]
    np.testing.assert_allclose(weights, report["weight"].to_numpy()[:-1])
    assert display.weights_ax_.get_shared_y_axes().joined(
        display.ax_, display.weights_ax_
    )
    assert display.levels_ax_ is None
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "test accuracy"


def test_display_out_of_fold_has_the_fused_oof_line(pyplot, stacking):
    """Without X, y: the bars are the oof scores and the line is the fused
    model's out-of-fold score."""
    display = GranularityDisplay.from_estimator(stacking)
    widths = [bar.get_width() for bar in display.bars_]
    assert widths == list(stacking.granularity_scores_.values())
    fused = stacking.fusion_score_
    np.testing.assert_array_equal(display.line_.get_xdata(), [fused, fused])
    assert display.ax_.get_xlabel() == "out-of-fold accuracy"


def test_display_on_given_axes_with_scorer(pyplot, average):
    """The display draws on the given axes, with the scorer's name and values."""
    _, ax = pyplot.subplots()
    display = GranularityDisplay.from_estimator(
        average, X_test, y_test, scoring="neg_log_loss", ax=ax
    )
    assert display.ax_ is ax
    fused = get_scorer("neg_log_loss")(average, X_test, y_test)
    assert display.line_.get_xdata()[0] == fused
    assert display.ax_.get_xlabel() == "test neg_log_loss"
    weights = [bar.get_width() for bar in display.weight_bars_]
    np.testing.assert_allclose(weights, [1 / 3] * 3)


def test_display_regressor_and_dropped_branch(pyplot):
    """Regressor with a dropped branch: one bar per remaining branch, R² widths."""
    branches = [*_regressor_branches(), ("extra", Ridge(alpha=10.0))]
    reg = MultiGranularityRegressor(branches, cv=3).set_params(pooled="drop")
    reg.fit(X_reg[:80], y_reg[:80])
    display = GranularityDisplay.from_estimator(reg, X_reg[80:], y_reg[80:])
    expected = [
        reg.named_estimators_[name].score(X_reg[80:], y_reg[80:])
        for name in ["raw", "extra"]
    ]
    assert [bar.get_width() for bar in display.bars_] == expected
    assert display.line_.get_xdata()[0] == reg.score(X_reg[80:], y_reg[80:])
    assert display.ax_.get_xlabel() == "test R²"


def test_display_cascade_levels_and_missing_weights(pyplot, average, monkeypatch):
    """level_scores_ adds a levels axes; NaN weights draw no weight bar."""
    monkeypatch.setattr(average.fusion_, "level_scores_", [0.7, 0.8], raising=False)
    display = GranularityDisplay.from_estimator(average)
    (line,) = display.levels_ax_.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 2])
    np.testing.assert_array_equal(line.get_ydata(), [0.7, 0.8])

    display = GranularityDisplay(
        granularities=["a", "b"], scores=[0.5, 0.6], weights=[np.nan, np.nan]
    ).plot()
    assert len(display.weight_bars_) == 0
    assert display.line_ is None


def test_display_rejects_several_scores(pyplot, stacking):
    """The display plots one score; several scorers raise a ValueError."""
    with pytest.raises(ValueError, match="one score"):
        GranularityDisplay.from_estimator(
            stacking, X_test, y_test, scoring=["accuracy", "neg_log_loss"]
        )


def test_residual_stage_scored_with_previous_stages():
    """fusion="residual": a stage is scored with the stages before it."""
    pytest.importorskip("pandas")
    reg = MultiGranularityRegressor(_regressor_branches(), fusion="residual", cv=3)
    reg.fit(X_reg[:80], y_reg[:80])
    report = granularity_report(reg, X_reg[80:], y_reg[80:])
    rates = reg.fusion_.weights_
    stages = [m.predict(X_reg[80:]) for m in reg.named_estimators_.values()]
    assert report.loc["raw", "test_score"] == pytest.approx(
        r2_score(y_reg[80:], rates[0] * stages[0])
    )
    assert report.loc["pooled", "test_score"] == pytest.approx(
        r2_score(y_reg[80:], rates[0] * stages[0] + rates[1] * stages[1])
    )
    assert report.loc["fused", "test_score"] == reg.score(X_reg[80:], y_reg[80:])


def test_display_cascade(pyplot):
    """fusion="cascade": the levels axes shows ``fusion_.level_scores_``."""
    clf = _classifier(fusion=CascadeFusion(max_levels=2)).fit(X_train, y_train)
    display = GranularityDisplay.from_estimator(clf, X_test, y_test)
    (line,) = display.levels_ax_.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), clf.fusion_.level_scores_)
    fused = clf.score(X_test, y_test)
    np.testing.assert_array_equal(display.line_.get_xdata(), [fused, fused])


class _Contrary(ClassifierMixin, BaseEstimator):
    """A logistic regression trained on the opposite labels of a binary
    problem: its probabilities point the wrong way."""

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, 1 - np.asarray(y))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def test_stacking_weight_is_signed_for_one_row_of_coefficients():
    """A branch the final estimator leans against (negative coefficient) gets
    a negative weight; the absolute weights sum to one."""
    pytest.importorskip("pandas")
    X, y = make_classification(n_samples=300, random_state=0)
    model = MultiGranularityClassifier(
        [("right", LogisticRegression()), ("contrary", _Contrary())], cv=3
    ).fit(X, y)
    weights = granularity_report(model)["weight"].to_numpy()[:2]
    assert model.final_estimator_.coef_[0, 1] < 0
    assert weights[1] < 0 < weights[0]
    assert np.abs(weights).sum() == pytest.approx(1.0)
