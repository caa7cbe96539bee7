"""oof_method="auto": branches that estimate themselves from one fit on all
rows (out-of-bag, leave-one-out), next to cross-validated ones."""

import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_wine, make_classification
from sklearn.ensemble import (
    BaggingRegressor,
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import (
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
)
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from skmg import MultiGranularityClassifier, MultiGranularityRegressor, _estimates
from skmg._outputs import NonFiniteOutputError
from skmg.inspection import granularity_report


def _wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:200], y[:200]


def _loo(model, X, y, output):
    """Brute-force leave-one-out: ``model`` refitted on every n - 1 rows,
    its ``output`` on the row left out."""
    rows = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        fitted = clone(model).fit(X[keep], y[keep])
        rows.append(np.asarray(getattr(fitted, output)(X[i : i + 1])).reshape(-1))
    return np.array(rows)


def test_oob_block_is_the_forest_out_of_bag_decision_function():
    """A forest branch's out-of-fold block is the forest's own
    oob_decision_function_, and the branch predicts as the forest fitted
    alone (oob_score=True leaves the trees as they are)."""
    X, y = _wine()
    forest = RandomForestClassifier(n_estimators=60, random_state=0)
    model = MultiGranularityClassifier(
        [("rf", forest)], fusion="average", oof_method="auto"
    ).fit(X, y)
    reference = clone(forest).set_params(oob_score=True).fit(X, y)
    assert model.oof_methods_ == {"rf": "oob"}
    np.testing.assert_array_equal(
        model.oof_predictions_, reference.oob_decision_function_
    )
    alone = clone(forest).fit(X, y)
    np.testing.assert_array_equal(
        model.estimators_[0].predict_proba(X), alone.predict_proba(X)
    )
    assert model.oof_mask_.all()


def test_oob_block_of_a_regressor_forest_and_of_bagging():
    """Regressor forests and bagging give their oob_prediction_."""
    X, y = _diabetes()
    for branch in (
        RandomForestRegressor(n_estimators=40, random_state=1),
        BaggingRegressor(DecisionTreeRegressor(), n_estimators=30, random_state=2),
    ):
        model = MultiGranularityRegressor(
            [("bag", branch)], fusion="average", oof_method="auto"
        ).fit(X, y)
        reference = clone(branch).set_params(oob_score=True).fit(X, y)
        assert model.oof_methods_ == {"bag": "oob"}
        np.testing.assert_array_equal(
            model.oof_predictions_[:, 0], reference.oob_prediction_
        )
        np.testing.assert_array_equal(
            model.estimators_[0].predict(X), clone(branch).fit(X, y).predict(X)
        )


def test_a_forest_without_bootstrap_is_cross_validated():
    """ExtraTrees without bootstrap has no out-of-bag rows: it is fitted on
    the folds, as with oof_method="cv"."""
    X, y = _wine()
    branches = [("et", ExtraTreesClassifier(n_estimators=20, random_state=0))]
    auto = MultiGranularityClassifier(branches, oof_method="auto").fit(X, y)
    cv = MultiGranularityClassifier(branches).fit(X, y)
    assert auto.oof_methods_ == {"et": "cv"}
    np.testing.assert_array_equal(auto.oof_predictions_, cv.oof_predictions_)


def test_rows_never_out_of_bag_are_left_out_of_the_covered_rows():
    """With two trees some rows are in both bags: they have no out-of-fold
    output (oof_mask_ False, NaN), the fusion learns from the others, and a
    cascade, which needs every row, says why it cannot."""
    X, y = _wine()
    forest = RandomForestClassifier(n_estimators=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the forest's own warning
        model = MultiGranularityClassifier(
            [("rf", forest)], fusion="average", oof_method="auto"
        ).fit(X, y)
        reference = clone(forest).set_params(oob_score=True).fit(X, y)
    in_bag = np.zeros(len(y))
    for rows in reference.estimators_samples_:
        in_bag[np.unique(rows)] += 1
    expected = in_bag < 2
    assert 0 < expected.sum() < len(y)
    np.testing.assert_array_equal(model.oof_mask_, expected)
    assert np.isnan(model.oof_predictions_[~expected]).all()
    np.testing.assert_array_equal(
        model.oof_predictions_[expected], reference.oob_decision_function_[expected]
    )
    cascade = MultiGranularityClassifier(
        [("rf", forest)], fusion="cascade", oof_method="auto"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match="out of the bag of some tree"):
            cascade.fit(X, y)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_block_is_exact_leave_one_out(fit_intercept):
    """RidgeCV's block equals Ridge(alpha=alpha_) refitted on every n - 1
    rows (to 1e-8), and alpha_ and the coefficients are those of RidgeCV
    fitted alone."""
    X, y = _diabetes()
    X = X[:80]
    y = y[:80]
    ridge = RidgeCV(alphas=[1e-3, 1e-2, 0.1, 1.0], fit_intercept=fit_intercept)
    model = MultiGranularityRegressor(
        [("ridge", ridge)], fusion="average", oof_method="auto"
    ).fit(X, y)
    alone = clone(ridge).fit(X, y)
    fitted = model.estimators_[0]
    assert model.oof_methods_ == {"ridge": "loo"}
    assert fitted.alpha_ == alone.alpha_
    np.testing.assert_allclose(fitted.coef_, alone.coef_, rtol=0, atol=1e-12)
    brute = _loo(
        Ridge(alpha=alone.alpha_, fit_intercept=fit_intercept), X, y, "predict"
    )
    np.testing.assert_allclose(model.oof_predictions_, brute, rtol=0, atol=1e-8)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_ridge_classifier_block_is_exact_leave_one_out(n_classes):
    """RidgeClassifierCV's block is the leave-one-out decision values on the
    +-1 encoded targets (one column for a binary problem), as
    RidgeClassifier(alpha=alpha_) refitted on every n - 1 rows gives them."""
    X, y = _wine()
    rows = np.flatnonzero(y < n_classes)[::2]
    X, y = X[rows], y[rows]
    ridge = RidgeClassifierCV(alphas=[0.1, 1.0, 10.0])
    model = MultiGranularityClassifier(
        [("ridge", ridge)], fusion="average", oof_method="auto"
    ).fit(X, y)
    alone = clone(ridge).fit(X, y)
    assert model.estimators_[0].alpha_ == alone.alpha_
    brute = _loo(RidgeClassifier(alpha=alone.alpha_), X, y, "decision_function")
    assert model.oof_predictions_.shape == (len(y), 1 if n_classes == 2 else 3)
    np.testing.assert_allclose(model.oof_predictions_, brute, rtol=0, atol=1e-8)


def test_ridge_with_a_scoring_reads_the_stored_predictions():
    """With a scoring, RidgeCV stores the leave-one-out predictions
    themselves: the block is still the brute-force leave-one-out."""
    X, y = _diabetes()
    X, y = X[:60], y[:60]
    ridge = RidgeCV(alphas=[0.01, 0.1, 1.0], scoring="neg_mean_absolute_error")
    model = MultiGranularityRegressor(
        [("ridge", ridge)], fusion="average", oof_method="auto"
    ).fit(X, y)
    alpha = clone(ridge).fit(X, y).alpha_
    brute = _loo(Ridge(alpha=alpha), X, y, "predict")
    np.testing.assert_allclose(model.oof_predictions_, brute, rtol=0, atol=1e-8)


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_neighbours_block_is_leave_one_out(weights):
    """k-neighbours' block equals the model refitted on every n - 1 rows:
    probabilities of the classifier, predictions of the regressor."""
    X, y = _wine()
    knn = KNeighborsClassifier(n_neighbors=6, weights=weights)
    model = MultiGranularityClassifier(
        [("knn", knn)], fusion="average", oof_method="auto"
    ).fit(X, y)
    assert model.oof_methods_ == {"knn": "loo"}
    brute = _loo(knn, X, y, "predict_proba")
    np.testing.assert_allclose(model.oof_predictions_, brute, rtol=0, atol=1e-12)

    X, y = _diabetes()
    knn = KNeighborsRegressor(n_neighbors=7, weights=weights)
    model = MultiGranularityRegressor(
        [("knn", knn)], fusion="average", oof_method="auto"
    ).fit(X, y)
    brute = _loo(knn, X, y, "predict")
    np.testing.assert_allclose(model.oof_predictions_, brute, rtol=0, atol=1e-10)


def test_a_pipeline_qualifies_by_its_last_step():
    """A Pipeline whose model estimates itself is fitted once: its view on
    all rows, the model's leave-one-out on the view's output."""
    X, y = load_wine(return_X_y=True)
    branch = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5))
    model = MultiGranularityClassifier(
        [("knn", branch)], fusion="average", oof_method="auto"
    ).fit(X, y)
    Z = StandardScaler().fit_transform(X)
    brute = _loo(KNeighborsClassifier(n_neighbors=5), Z, y, "predict_proba")
    assert model.oof_methods_ == {"knn": "loo"}
    np.testing.assert_allclose(model.oof_predictions_, brute, rtol=0, atol=1e-12)


def _mixed_branches():
    return [
        ("rf", RandomForestClassifier(n_estimators=30, random_state=0)),
        ("ridge", RidgeClassifierCV()),
        ("knn", KNeighborsClassifier()),
        ("lr", LogisticRegression(max_iter=500)),
    ]


def test_oob_loo_and_cv_branches_share_one_plan(capsys):
    """One plan: one task per branch that estimates itself, k + 1 for the
    others (verbose lists every task of the one plan)."""
    X, y = _wine()
    model = MultiGranularityClassifier(
        _mixed_branches(), cv=4, oof_method="auto", verbose=1
    ).fit(X, y)
    assert model.oof_methods_ == {"rf": "oob", "ridge": "loo", "knn": "loo", "lr": "cv"}
    lines = [line for line in capsys.readouterr().err.splitlines() if "[skmg]" in line]
    assert len(lines) == 3 + 5
    assert all(line.split()[1].endswith("/8") for line in lines)
    steps = [re.search(r"branch '(\w+)' (.*) \d", line).groups() for line in lines]
    assert sorted(set(steps)) == [
        ("knn", "one fit (loo)"),
        *[("lr", f"fold {k}/4") for k in range(1, 5)],
        ("lr", "refit"),
        ("rf", "one fit (oob)"),
        ("ridge", "one fit (loo)"),
    ]
    report = granularity_report(model)
    assert list(report["oof_method"]) == ["oob", "loo", "loo", "cv", "cv"]
    cv = MultiGranularityClassifier(_mixed_branches()[3:], cv=4).fit(X, y)
    np.testing.assert_array_equal(model.oof_predictions_[:, -3:], cv.oof_predictions_)


def test_cv_is_the_default_and_unchanged():
    """oof_method defaults to "cv": every branch on the folds."""
    X, y = _wine()
    model = MultiGranularityClassifier(_mixed_branches(), cv=3).fit(X, y)
    assert model.oof_method == "cv"
    assert set(model.oof_methods_.values()) == {"cv"}


def test_refit_false_keeps_the_single_fit_as_the_model():
    """With refit=False the one fit is the branch's model (a list of one,
    as fold models are listed): it predicts as with refit=True."""
    X, y = _wine()
    kwargs = dict(fusion="average", oof_method="auto")
    branches = [_mixed_branches()[0], _mixed_branches()[2]]
    no_refit = MultiGranularityClassifier(branches, refit=False, **kwargs).fit(X, y)
    refit = MultiGranularityClassifier(branches, **kwargs).fit(X, y)
    assert all(len(models) == 1 for models in no_refit.estimators_)
    np.testing.assert_array_equal(no_refit.predict_proba(X), refit.predict_proba(X))
    np.testing.assert_array_equal(no_refit.oof_predictions_, refit.oof_predictions_)


def test_sample_weight_falls_back_to_cv_with_a_warning():
    """With sample_weight every branch is cross-validated, with a warning
    naming the branches that could have estimated themselves."""
    X, y = _wine()
    weight = np.random.RandomState(0).uniform(0.5, 2, len(y))
    branches = [b for b in _mixed_branches() if b[0] != "knn"]  # no weights
    auto = MultiGranularityClassifier(branches, cv=3, oof_method="auto")
    with pytest.warns(UserWarning, match=r"\['rf', 'ridge'\].*sample_weight"):
        auto.fit(X, y, sample_weight=weight)
    cv = MultiGranularityClassifier(branches, cv=3)
    cv.fit(X, y, sample_weight=weight)
    assert set(auto.oof_methods_.values()) == {"cv"}
    np.testing.assert_array_equal(auto.oof_predictions_, cv.oof_predictions_)


def test_groups_fall_back_to_cv_with_a_warning():
    """Rows of a group are held out together: with groups every branch is
    cross-validated, with a warning."""
    X, y = _wine()
    groups = np.arange(len(y)) % 7
    model = MultiGranularityClassifier(
        _mixed_branches(), cv=GroupKFold(3), oof_method="auto"
    )
    with pytest.warns(UserWarning, match=r"\['rf', 'ridge', 'knn'\].*groups"):
        model.fit(X, y, groups=groups)
    assert set(model.oof_methods_.values()) == {"cv"}


def test_prefit_estimates_nothing():
    """cv="prefit" fits nothing, so nothing is estimated."""
    X, y = _wine()
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    model = MultiGranularityClassifier(
        [("rf", forest)], cv="prefit", fusion="average", oof_method="auto"
    ).fit(X, y)
    assert model.oof_methods_ == {"rf": "prefit"}


def test_every_level_of_a_cascade_estimates_itself():
    """In a cascade, the branches of the later levels (fed the previous
    outputs) are fitted once too, out of bag."""
    X, y = _wine()
    forest = RandomForestClassifier(n_estimators=30, random_state=0)
    model = MultiGranularityClassifier(
        [("rf", forest), ("knn", KNeighborsClassifier())],
        fusion="cascade",
        oof_method="auto",
    ).fit(X, y)
    assert model.oof_methods_ == {"rf": "oob", "knn": "loo"}
    assert len(model.levels_) >= 1
    for level in model.levels_[1:]:
        assert hasattr(level[0].model_, "oob_decision_function_")
    assert model.predict(X).shape == (len(y),)


def test_fold_early_stopping_refits_only_the_cross_validated_branches():
    """A booster early-stopped on its folds is refitted after them; a forest
    next to it is fitted once, out of bag."""
    X, y = make_classification(200, n_features=8, random_state=0)
    booster = HistGradientBoostingClassifier(max_iter=30, random_state=0)
    model = MultiGranularityClassifier(
        [
            ("rf", RandomForestClassifier(n_estimators=50, random_state=0)),
            ("hgb", booster),
        ],
        early_stopping="fold",
        n_iter_no_change=5,
        oof_method="auto",
    ).fit(X, y)
    assert model.oof_methods_ == {"rf": "oob", "hgb": "cv"}
    assert "rf" not in model.best_iterations_
    assert len(model.best_iterations_["hgb"]) == 5


def test_memory_caches_the_single_fit(tmp_path):
    """With memory, a second fit reads the branch's one fit from the cache:
    same outputs."""
    X, y = _wine()
    kwargs = dict(fusion="average", oof_method="auto", memory=str(tmp_path))
    first = MultiGranularityClassifier(_mixed_branches()[:2], **kwargs).fit(X, y)
    second = MultiGranularityClassifier(_mixed_branches()[:2], **kwargs).fit(X, y)
    np.testing.assert_array_equal(first.oof_predictions_, second.oof_predictions_)
    assert second.oof_methods_ == {"rf": "oob", "ridge": "loo"}


class _HalfProvider:
    """A third-party provider: a "holdout" of its own for one model type."""

    method = "half"

    def __init__(self, value=0.5):
        self.value = value

    def matches(self, model, output):
        return isinstance(model, LogisticRegression)

    def fit_estimate(self, model, output, n_classes, X, y, **fit_params):
        model.set_params(C=0.5).fit(X, y, **fit_params)
        covered = np.arange(len(y)) % 2 == 0
        return np.full((len(y), n_classes), self.value), covered


def test_a_third_party_provider_plugs_in(monkeypatch):
    """A provider added to PROVIDERS is asked like the built-in ones: it
    fits the task's clone, its estimate is the block (on the rows it
    covers) and its name is in oof_methods_."""
    monkeypatch.setattr(_estimates, "PROVIDERS", [_HalfProvider()])
    X, y = _wine()
    model = MultiGranularityClassifier(
        [("lr", LogisticRegression(max_iter=500))], fusion="average", oof_method="auto"
    ).fit(X, y)
    assert model.oof_methods_ == {"lr": "half"}
    assert model.estimators_[0].C == 0.5
    np.testing.assert_array_equal(model.oof_mask_, np.arange(len(y)) % 2 == 0)
    np.testing.assert_array_equal(model.oof_predictions_[::2], 0.5)


def test_an_estimate_passes_the_gate():
    """A provider's block goes through the gate: NaN in covered rows is an
    error naming the branch."""
    X, y = _wine()
    provider = _HalfProvider(value=np.nan)
    model = MultiGranularityClassifier(
        [("lr", LogisticRegression(max_iter=500))], fusion="average", oof_method="auto"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_estimates, "PROVIDERS", [provider])
        with pytest.raises(NonFiniteOutputError, match="branch 'lr' failed"):
            model.fit(X, y)


def test_a_pipeline_with_a_sampler_is_cross_validated():
    """A sampler trains the model on other rows than the branch's: such a
    Pipeline never estimates itself."""
    pipeline = pytest.importorskip("imblearn.pipeline")
    under = pytest.importorskip("imblearn.under_sampling")
    X, y = _wine()
    branch = pipeline.make_pipeline(
        under.RandomUnderSampler(random_state=0),
        RandomForestClassifier(n_estimators=20, random_state=0),
    )
    model = MultiGranularityClassifier(
        [("sampled", branch)], fusion="average", oof_method="auto"
    ).fit(X, y)
    assert model.oof_methods_ == {"sampled": "cv"}


def test_label_outputs_are_the_labels_of_the_estimate():
    """With stack_method="predict", the block of a forest is the label of its
    largest out-of-bag probability, that of a ridge classifier the label of
    its largest leave-one-out decision value."""
    X, y = _wine()
    forest = RandomForestClassifier(n_estimators=60, random_state=0)
    ridge = RidgeClassifierCV(alphas=[0.1, 1.0, 10.0])
    model = MultiGranularityClassifier(
        [("rf", forest), ("ridge", ridge)],
        fusion="average",
        stack_method="predict",
        oof_method="auto",
    ).fit(X, y)
    oob = clone(forest).set_params(oob_score=True).fit(X, y).oob_decision_function_
    np.testing.assert_array_equal(model.oof_predictions_[:, 0], oob.argmax(axis=1))
    alpha = clone(ridge).fit(X, y).alpha_
    brute = _loo(RidgeClassifier(alpha=alpha), X, y, "decision_function")
    np.testing.assert_array_equal(model.oof_predictions_[:, 1], brute.argmax(axis=1))


def test_scores_are_computed_on_the_estimates():
    """granularity_scores_ (with scoring) score the out-of-bag block, and
    fusion_score_ is computed on it as on out-of-fold outputs."""
    X, y = _wine()
    forest = RandomForestClassifier(n_estimators=60, random_state=0)
    model = MultiGranularityClassifier(
        [("rf", forest), ("knn", KNeighborsClassifier())],
        oof_method="auto",
        scoring="neg_log_loss",
    ).fit(X, y)
    oob = clone(forest).set_params(oob_score=True).fit(X, y).oob_decision_function_
    assert model.granularity_scores_["rf"] == pytest.approx(-log_loss(y, oob))
    assert np.isfinite(model.fusion_score_)


def test_a_failing_single_fit_is_named():
    """A branch that fails in its one fit says so: not "the refit"."""
    X, y = _wine()
    model = MultiGranularityClassifier(
        [("rf", RandomForestClassifier(max_depth=-1)), ("lr", LogisticRegression())],
        oof_method="auto",
    )
    with pytest.raises(
        ValueError,
        match=r"branch 'rf' failed in its one fit on all rows \(oob\)",
    ):
        model.fit(X, y)


def test_the_demo_says_how_each_granularity_was_estimated(capsys):
    """``python -m skmg``: the bagged extra trees give their out-of-bag
    outputs, the other two granularities are cross-validated: 13 fits."""
    from skmg.__main__ import main

    assert main() == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[2:6]}
    assert [lines[name][2] for name in ("pixels_8x8", "pooled_4x4")] == ["cv", "cv"]
    assert lines["grey_3_levels"][2] == "oob"
    assert "13 fits in one parallel task list" in out
    assert float(lines["fused"][4]) >= 0.98  # held-out accuracy


_SCALER_FITS = []  # one entry per fit of a _CountingScaler (clones included)


class _CountingScaler(StandardScaler):
    """A scaler that counts its fits."""

    def fit(self, X, y=None, sample_weight=None):
        _SCALER_FITS.append(1)
        return super().fit(X, y, sample_weight)


def test_a_pipeline_memory_caches_the_view_of_a_single_fit(tmp_path):
    """The view of a branch that estimates itself is fitted as a Pipeline
    fits it: with the Pipeline's ``memory``, a second fit reads it from the
    cache (a Pipeline never caches its last step: the view is fitted as a
    Pipeline that ends in "passthrough")."""
    X, y = _wine()
    _SCALER_FITS.clear()
    for _ in range(2):
        branch = make_pipeline(
            _CountingScaler(), RidgeClassifierCV(), memory=str(tmp_path)
        )
        model = MultiGranularityClassifier([("ridge", branch)], oof_method="auto")
        model.fit(X, y)
    assert model.oof_methods_ == {"ridge": "loo"}
    assert len(_SCALER_FITS) == 1
    assert model.named_estimators_["ridge"][0].n_samples_seen_ == len(y)


class _InSampleClassifier(LogisticRegression):
    """Looks like an aeon classifier with a train estimate (as sktime's do),
    but is not one: its fit_predict_proba predicts in sample."""

    def get_tag(self, name, raise_error=True, tag_value_default=None):
        return name == "capability:train_estimate"

    def fit_predict_proba(self, X, y):
        return self.fit(X, y).predict_proba(X)


def test_only_aeon_classifiers_give_their_train_estimate():
    """A classifier of another library with the same tag and method is
    cross-validated: its fit_predict_proba may be in sample."""
    X, y = _wine()
    model = MultiGranularityClassifier(
        [("other", _InSampleClassifier(max_iter=5000))], oof_method="auto"
    ).fit(X, y)
    assert model.oof_methods_ == {"other": "cv"}
