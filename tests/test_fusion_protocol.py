"""The fusion protocol: strategies as estimators, a third-party strategy end
to end, tuning a strategy's own parameters, the fused out-of-fold score and
CAWPE."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_digits
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.fusion import (
    FUSIONS,
    AutoFusion,
    AverageFusion,
    BaseFusion,
    BranchOutputs,
    CascadeFusion,
    CAWPEFusion,
    StackingFusion,
    WeightedFusion,
    make_fusion,
)
from skmg.inspection import granularity_report

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIABETES, Y_DIABETES = load_diabetes(return_X_y=True)


def _pool(X):
    """8x8 digit images pooled to 4x4."""
    return X.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16)


def _digit_branches():
    return [
        ("nb", GaussianNB()),
        ("pooled", make_pipeline(FunctionTransformer(_pool), KNeighborsClassifier(5))),
        ("tree", DecisionTreeClassifier(random_state=0)),
    ]


def _diabetes_branches():
    return [
        ("linear", RidgeCV()),
        ("neighbours", make_pipeline(StandardScaler(), KNeighborsRegressor(15))),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
    ]


class MedianFusion(BaseFusion):
    """A third-party strategy: the median of the branch probabilities."""

    def fit(self, outputs, y, sample_weight=None):
        self.n_branches_ = len(outputs)
        return self

    def predict_proba(self, outputs):
        median = np.median(np.stack(outputs), axis=0) + 1e-12  # no row of zeros
        return median / median.sum(axis=1, keepdims=True)


def test_third_party_strategy_works_end_to_end():
    """A ten-line BaseFusion subclass works in fit, predict, predict_proba,
    score, GridSearchCV and the report, with no change to skmg."""
    X, y = X_DIGITS[:600], Y_DIGITS[:600]
    model = MultiGranularityClassifier(_digit_branches(), fusion=MedianFusion(), cv=3)
    model.fit(X, y)
    probas = np.stack([e.predict_proba(X) for e in model.estimators_])
    expected = np.median(probas, axis=0) + 1e-12
    expected /= expected.sum(axis=1, keepdims=True)
    assert_allclose(model.predict_proba(X), expected, atol=1e-12)
    assert_array_equal(model.predict(X), model.classes_[expected.argmax(axis=1)])
    assert model.score(X, y) == np.mean(model.predict(X) == y)
    assert model.fusion_.n_branches_ == 3
    assert 0.8 < model.fusion_score_ < 1.0

    search = GridSearchCV(
        model, {"fusion": [MedianFusion(), "average"], "tree__max_depth": [3]}, cv=2
    ).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 2

    pytest.importorskip("pandas")
    report = granularity_report(model, X_DIGITS[600:900], Y_DIGITS[600:900])
    assert report.loc["fused", "test_score"] == model.score(
        X_DIGITS[600:900], Y_DIGITS[600:900]
    )
    assert report.loc["fused", "oof_score"] == model.fusion_score_


def test_strategies_are_estimators():
    """Every shortcut gives a scikit-learn estimator with its own parameters:
    clone, get_params and repr work, and nothing about the data is in its
    constructor."""
    for name, cls in FUSIONS.items():
        strategy = make_fusion(name)
        assert type(strategy) is cls
        assert isinstance(strategy, BaseFusion)
        assert clone(strategy).get_params() == strategy.get_params()
        assert repr(strategy) == f"{cls.__name__}()"
        for value in strategy.get_params(deep=False):
            assert value not in {"kind", "n_classes", "methods", "classes"}
    assert isinstance(make_fusion(LogisticRegression()), StackingFusion)


def test_meta_estimators_hold_no_strategy_parameters():
    """Strategy options live on the strategies, not on the meta-estimators."""
    for model in (
        MultiGranularityClassifier(_digit_branches()),
        MultiGranularityRegressor(_diabetes_branches()),
    ):
        params = model.get_params(deep=False)
        for name in ("weights", "max_levels", "tol", "decay", "learning_rate"):
            assert name not in params


def test_grid_search_over_cascade_levels():
    """GridSearchCV addresses a strategy's own parameter as fusion__max_levels."""
    X, y = X_DIGITS[:400], Y_DIGITS[:400]
    model = MultiGranularityClassifier(
        _digit_branches(), fusion=CascadeFusion(tol=-1.0), cv=3
    )
    search = GridSearchCV(model, {"fusion__max_levels": [1, 2]}, cv=2).fit(X, y)
    assert search.best_params_["fusion__max_levels"] in (1, 2)
    assert (
        search.best_estimator_.fusion_.max_levels
        == (search.best_params_["fusion__max_levels"])
    )
    # tol=-1 keeps every level tried: the depth follows the parameter
    assert (
        len(search.best_estimator_.levels_)
        == (search.best_params_["fusion__max_levels"])
    )
    one, two = search.cv_results_["mean_test_score"]
    assert one != two


def test_grid_search_over_cawpe_alpha():
    """GridSearchCV tunes CAWPE's exponent as fusion__alpha; alpha=0 is the
    plain average."""
    X, y = X_DIGITS[:600], Y_DIGITS[:600]
    model = MultiGranularityClassifier(_digit_branches(), fusion="cawpe", cv=3)
    search = GridSearchCV(model, {"fusion__alpha": [0, 4, 20]}, cv=2).fit(X, y)
    assert len(set(search.cv_results_["mean_test_score"])) == 3
    flat = clone(model).set_params(fusion__alpha=0).fit(X, y)
    assert_allclose(flat.fusion_.weights_, np.full(3, 1 / 3))
    average = clone(model).set_params(fusion="average").fit(X, y)
    assert_allclose(flat.predict_proba(X), average.predict_proba(X))


def test_cawpe_weights_follow_the_out_of_fold_accuracies():
    """CAWPE's accuracies are the branches' out-of-fold accuracies, and its
    weights are their fourth powers, normalised."""
    X, y = X_DIGITS[:600], Y_DIGITS[:600]
    model = MultiGranularityClassifier(_digit_branches(), fusion="cawpe", cv=3)
    model.fit(X, y)
    accuracies = np.array(list(model.granularity_scores_.values()))
    assert_allclose(model.fusion_.accuracies_, accuracies)
    assert_allclose(model.fusion_.weights_, accuracies**4 / (accuracies**4).sum())
    assert_array_equal(np.argsort(model.fusion_.weights_), np.argsort(accuracies))
    probas = np.stack([e.predict_proba(X) for e in model.estimators_])
    assert_allclose(
        model.predict_proba(X), np.tensordot(model.fusion_.weights_, probas, 1)
    )


def test_cawpe_is_refused_for_regression():
    """CAWPE weighs by accuracy: the regressor refuses it, naming it."""
    model = MultiGranularityRegressor(_diabetes_branches(), fusion="cawpe")
    with pytest.raises(ValueError, match="CAWPEFusion handles classification only"):
        model.fit(X_DIABETES, Y_DIABETES)


CLASSIFIER_MODES = ["stacking", "average", "weighted", "greedy", "cawpe", "cascade"]
REGRESSOR_MODES = ["stacking", "average", "weighted", "greedy", "cascade", "residual"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind, fusion",
    [("classifier", f) for f in CLASSIFIER_MODES + ["auto"]]
    + [("regressor", f) for f in REGRESSOR_MODES + ["auto"]],
)
def test_fusion_score_estimates_the_outer_cv_score(kind, fusion):
    """fusion_score_ (no branch refitted) lies within the spread of the outer
    cross-validation score of the whole model, and is below its in-sample
    score. The inner and outer splits have the same number of shuffled folds,
    so the fold models behind the out-of-fold outputs learn from as many rows
    as the models the outer cross-validation scores."""
    if kind == "classifier":
        X, y = X_DIGITS[:900], Y_DIGITS[:900]
        inner = StratifiedKFold(5, shuffle=True, random_state=0)
        outer = StratifiedKFold(5, shuffle=True, random_state=1)
        model = MultiGranularityClassifier(_digit_branches(), fusion=fusion, cv=inner)
    else:
        X, y = X_DIABETES, Y_DIABETES
        inner = KFold(5, shuffle=True, random_state=0)
        outer = KFold(5, shuffle=True, random_state=1)
        model = MultiGranularityRegressor(_diabetes_branches(), fusion=fusion, cv=inner)
    scores = cross_val_score(model, X, y, cv=outer)
    model.fit(X, y)
    spread = scores.std()
    assert scores.min() - spread <= model.fusion_score_ <= scores.max() + spread
    assert model.fusion_score_ < model.score(X, y) - 0.01


def test_fusion_score_is_a_second_level_cross_validation():
    """fusion_score_ is the default score of the strategy refitted on four
    fifths of the out-of-fold outputs and scored on the rest: a stacking
    final estimator fitted on all rows scores higher on them (in-sample)."""
    X, y = X_DIGITS[:600], Y_DIGITS[:600]
    model = MultiGranularityClassifier(_digit_branches(), cv=3).fit(X, y)
    outputs = np.hsplit(model.oof_predictions_, 3)
    in_sample = model.final_estimator_.score(np.hstack(outputs), y)
    assert model.fusion_score_ < in_sample
    average = clone(model).set_params(fusion="average").fit(X, y)
    mean = np.mean(outputs, axis=0)
    # nothing learned: the second-level estimate is the plain oof accuracy
    assert average.fusion_score_ == pytest.approx(np.mean(mean.argmax(axis=1) == y))


def test_auto_fusion_exposes_its_choice():
    """AutoFusion keeps every candidate's score and the fitted best one, and
    its stacking candidate uses the meta-estimator's final_estimator."""
    X, y = X_DIGITS[:600], Y_DIGITS[:600]
    final = LogisticRegression(C=0.1, max_iter=1000)
    model = MultiGranularityClassifier(
        _digit_branches(),
        fusion=AutoFusion(candidates=["average", "stacking"]),
        final_estimator=final,
        cv=3,
    ).fit(X, y)
    auto = model.fusion_
    assert set(auto.scores_) == {"average", "stacking"}
    assert auto.best_name_ == max(auto.scores_, key=auto.scores_.get)
    stacking = auto._candidates()["stacking"]
    assert stacking.final_estimator is final
    assert_allclose(
        model.predict_proba(X),
        auto.best_fusion_.predict_proba(
            BranchOutputs(
                [e.predict_proba(X) for e in model.estimators_],
                kinds=model.stack_method_,
                n_classes=10,
            )
        ),
    )


def test_fusion_score_is_nan_without_rows_to_hold_out_and_after_partial_fit():
    """fusion_score_ is NaN when one row has out-of-fold outputs, and after
    partial_fit, which changes the model the estimate described."""
    X, y = X_DIABETES[:12], Y_DIABETES[:12]
    model = MultiGranularityRegressor(
        [("a", RidgeCV()), ("b", DecisionTreeRegressor(max_depth=2))],
        cv=[(np.arange(11), np.array([11]))],
    ).fit(X, y)
    assert np.isnan(model.fusion_score_)
    streamed = MultiGranularityClassifier([("nb", GaussianNB())], fusion="average")
    streamed.fit(X_DIGITS[:300], Y_DIGITS[:300])
    assert np.isfinite(streamed.fusion_score_)
    streamed.partial_fit(X_DIGITS[300:400], Y_DIGITS[300:400])
    assert np.isnan(streamed.fusion_score_)
    assert len(streamed.get_feature_names_out()) == 10


def test_weighted_fit_forgets_the_online_state():
    """WeightedFusion.fit starts over: the online losses of an earlier
    partial_fit do not carry into a later one."""
    y = np.array([0, 1] * 20)
    good = BranchOutputs(
        [np.eye(2)[y] * 0.8 + 0.1, np.full((40, 2), 0.5)],
        kinds=["predict_proba"] * 2,
        n_classes=2,
    )
    swapped = good.with_blocks(good[::-1])
    fusion = WeightedFusion().fit(good, y).partial_fit(good, y)
    fresh = WeightedFusion().fit(swapped, y).partial_fit(swapped, y)
    fusion.fit(swapped, y).partial_fit(swapped, y)
    assert not hasattr(WeightedFusion().fit(good, y), "cumulative_loss_")
    assert_allclose(fusion.weights_, fresh.weights_)


def test_auto_refuses_multi_pass_candidates():
    """Cascade and residual refit the branches: AutoFusion cannot compare
    them on out-of-fold outputs and says so."""
    outputs = BranchOutputs([np.zeros((10, 1))])
    for candidate in ("cascade", "residual"):
        with pytest.raises(ValueError, match="'candidates' cannot hold"):
            AutoFusion(candidates=["average", candidate]).fit(outputs, np.zeros(10))


def test_scoring_changes_every_out_of_fold_score_and_autos_choice():
    """scoring="neg_log_loss" is the metric of granularity_scores_ (equal to
    scikit-learn's log-loss of the out-of-fold probabilities),
    fusion_score_, the choice of "auto" and the report's oof column."""
    from sklearn.metrics import log_loss

    X, y = X_DIGITS[:600], Y_DIGITS[:600]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    plain = MultiGranularityClassifier(_digit_branches(), fusion="auto", cv=cv)
    plain.fit(X, y)
    lossy = clone(plain).set_params(scoring="neg_log_loss").fit(X, y)
    blocks = np.hsplit(lossy.oof_predictions_, 3)
    for name, block in zip(lossy.granularity_scores_, blocks):
        expected = -log_loss(y, block, labels=np.arange(10))
        assert lossy.granularity_scores_[name] == pytest.approx(expected)
        assert lossy.granularity_scores_[name] != plain.granularity_scores_[name]
    assert lossy.fusion_score_ < 0 < plain.fusion_score_
    assert lossy.fusion_.scoring == "neg_log_loss"
    # the unpruned tree's probabilities are 0 or 1: accuracy may rank it
    # fairly, log-loss punishes its confident mistakes
    assert lossy.granularity_scores_["tree"] == min(lossy.granularity_scores_.values())
    by_loss = lossy.fusion_.scores_
    assert lossy.fusion_.best_name_ == max(by_loss, key=by_loss.get)
    assert set(by_loss.values()) != set(plain.fusion_.scores_.values())
    pytest.importorskip("pandas")
    report = granularity_report(lossy)
    assert report.loc["fused", "oof_score"] == lossy.fusion_score_
    assert report.loc["tree", "oof_score"] == lossy.granularity_scores_["tree"]


def test_auto_choice_follows_the_metric():
    """On 600 digits, naive Bayes, an unpruned tree and 3 neighbours: by
    accuracy "auto" keeps the learned weights; by log-loss, which punishes
    the tree's and the neighbours' 0/1 probabilities, it keeps stacking,
    whose final estimator recalibrates them."""
    X, y = X_DIGITS[:600], Y_DIGITS[:600]
    branches = [
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(random_state=0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(3))),
    ]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    by_accuracy = MultiGranularityClassifier(branches, fusion="auto", cv=cv).fit(X, y)
    by_loss = clone(by_accuracy).set_params(scoring="neg_log_loss").fit(X, y)
    assert by_accuracy.fusion_.best_name_ == "weighted"
    assert by_loss.fusion_.best_name_ == "stacking"


def test_fusion_oof_predictions_are_the_second_level_predictions():
    """fusion_oof_predictions_ holds the fused model's out-of-fold
    probabilities (classifier) or predictions (regressor), whose score is
    fusion_score_."""
    from sklearn.metrics import r2_score

    X, y = X_DIGITS[:600], Y_DIGITS[:600]
    model = MultiGranularityClassifier(_digit_branches(), cv=3).fit(X, y)
    proba = model.fusion_oof_predictions_
    assert proba.shape == (600, 10)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(proba.argmax(axis=1) == y) == pytest.approx(model.fusion_score_)
    reg = MultiGranularityRegressor(_diabetes_branches(), cv=3).fit(
        X_DIABETES, Y_DIABETES
    )
    assert reg.fusion_oof_predictions_.shape == Y_DIABETES.shape
    assert r2_score(Y_DIABETES, reg.fusion_oof_predictions_) == pytest.approx(
        reg.fusion_score_
    )


# -- decision values -------------------------------------------------------------


def _decision_outputs(scale=10.0, seed=0):
    """Binary decision values of a fair branch and of the same branch ten
    times sharper, and of a branch of noise."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, 500)
    fair = (2 * y - 1) + rng.normal(0, 1.0, 500)
    noise = rng.normal(0, 1.0, 500)
    blocks = [fair[:, None], scale * fair[:, None], noise[:, None]]
    outputs = BranchOutputs(blocks, kinds=["decision_function"] * 3, n_classes=2)
    return outputs, y


def test_decision_values_become_calibrated_probabilities():
    """Decision values are turned into probabilities by a softmax (binary: a
    sigmoid) of the values over a per-branch temperature fitted by log-loss:
    rows sum to one, and a branch ten times sharper gets a temperature ten
    times larger (the same probabilities)."""
    outputs, y = _decision_outputs()
    fusion = AverageFusion().fit(outputs, y)
    t_fair, t_sharp, _ = fusion.temperatures_
    assert t_sharp == pytest.approx(10 * t_fair, rel=1e-3)
    proba = fusion.predict_proba(outputs)
    assert_allclose(proba.sum(axis=1), 1.0)
    expected = 1 / (1 + np.exp(-outputs[0][:, 0] / t_fair))
    single = AverageFusion(weights=[1, 0, 0]).fit(outputs, y)
    assert_allclose(single.predict_proba(outputs)[:, 1], expected)
    assert not hasattr(fusion, "decision_function")


@pytest.mark.parametrize("fusion", [WeightedFusion(), CAWPEFusion()])
def test_weighted_and_cawpe_learn_from_decision_only_branches(fusion):
    """Learned weights from decision-only branches: the branch of noise gets
    the least weight."""
    outputs, y = _decision_outputs()
    fitted = clone(fusion).fit(outputs, y)
    assert fitted.weights_[2] == fitted.weights_.min()
    assert fitted.weights_[2] < 0.2


def test_decision_only_branches_through_the_meta_estimator():
    """RidgeClassifierCV branches (decision_function only) under average,
    weighted, cawpe and auto: probabilities, and auto chooses among them."""
    from sklearn.linear_model import RidgeClassifierCV

    from skmg import Pooling

    X, y = X_DIGITS[:900], Y_DIGITS[:900]
    branches = [
        ("pixels", make_pipeline(StandardScaler(), RidgeClassifierCV())),
        (
            "pooled",
            make_pipeline(
                Pooling(2, shape=(8, 8)), StandardScaler(), RidgeClassifierCV()
            ),
        ),
    ]
    for fusion in ["average", "weighted", "cawpe", "auto"]:
        model = MultiGranularityClassifier(branches, fusion=fusion, cv=3).fit(X, y)
        assert model.stack_method_ == ["decision_function"] * 2
        proba = model.predict_proba(X_DIGITS[900:])
        assert_allclose(proba.sum(axis=1), 1.0)
        assert model.score(X_DIGITS[900:], Y_DIGITS[900:]) > 0.85
    assert set(model.fusion_.scores_) == {"average", "weighted", "cawpe", "stacking"}
