"""Fusion strategies: learned weights, greedy selection, cascade, residual,
automatic choice, fixed weights, caching and frozen branches."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_digits, make_classification
from sklearn.dummy import DummyClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, SplineTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.fusion import (
    AutoFusion,
    AverageFusion,
    BranchOutputs,
    CascadeFusion,
    CAWPEFusion,
    GreedyFusion,
    ResidualFusion,
    StackingFusion,
    WeightedFusion,
)

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_SMALL, Y_SMALL = make_classification(
    n_samples=150, n_features=8, n_informative=5, n_classes=3, random_state=0
)


def _pool(X):
    """8x8 digit images pooled to 4x4."""
    return X.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16)


def _digit_branches():
    return [
        ("nb", GaussianNB()),
        ("pooled", make_pipeline(FunctionTransformer(_pool), KNeighborsClassifier(5))),
        ("tree", DecisionTreeClassifier(max_depth=6, random_state=0)),
    ]


def _small_branches():
    return [
        ("nb", GaussianNB()),
        ("linear", make_pipeline(StandardScaler(), LogisticRegression())),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


# -- weighted ----------------------------------------------------------------


def test_weighted_puts_no_weight_on_a_noise_branch():
    """Learned weights are non-negative, sum to one and give a branch of
    random guesses (almost) nothing."""
    model = MultiGranularityClassifier(
        [
            ("linear", make_pipeline(StandardScaler(), LogisticRegression())),
            ("noise", DummyClassifier(strategy="stratified", random_state=0)),
            ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
        ],
        fusion="weighted",
        cv=3,
    ).fit(X_SMALL, Y_SMALL)
    weights = model.fusion_.weights_
    assert (weights >= 0).all()
    assert weights.sum() == pytest.approx(1.0)
    assert weights[1] < 0.01
    assert weights[0] > 0.3
    expected = np.tensordot(
        weights, np.stack([e.predict_proba(X_SMALL) for e in model.estimators_]), 1
    )
    assert_allclose(model.predict_proba(X_SMALL), expected)


def test_weighted_regression_minimises_squared_error():
    """For regression the weights minimise the squared error of the mean of
    the out-of-fold predictions: no weight vector on a grid does better."""
    y = np.array([1.0, 2.0, 3.0, 4.0])
    outputs = [(y + np.array([1, -1, 1, -1]))[:, None], (y * 0.5)[:, None]]
    weights = WeightedFusion().fit(outputs, y).weights_

    def loss(w):
        return np.mean((w * outputs[0][:, 0] + (1 - w) * outputs[1][:, 0] - y) ** 2)

    grid = np.linspace(0, 1, 1001)
    assert loss(weights[0]) <= min(loss(w) for w in grid) + 1e-9


# -- greedy ------------------------------------------------------------------


def test_greedy_selection_reproduces_hand_worked_example():
    """Five rounds of ensemble selection with replacement, worked by hand:
    y = 1; branches predict 0.6, 1.5 and (0, 3). Rounds pick A (0.16 < 0.25),
    B (mean 1.05), A (0.9), B (1.05), A (1.08): weights 3/5, 2/5, 0."""
    y = np.array([1.0, 1.0])
    outputs = [
        np.array([[0.6], [0.6]]),
        np.array([[1.5], [1.5]]),
        np.array([[0.0], [3.0]]),
    ]
    greedy = GreedyFusion(n_rounds=5).fit(outputs, y)
    assert_array_equal(greedy.weights_, [0.6, 0.4, 0.0])
    assert_allclose(greedy.predict(outputs), [0.96, 0.96])


def test_greedy_classifier_weights_are_multiples_of_rounds():
    """Through the classifier, greedy weights are shares of 50 rounds."""
    model = MultiGranularityClassifier(_digit_branches(), fusion="greedy", cv=3).fit(
        X_DIGITS[:600], Y_DIGITS[:600]
    )
    weights = model.fusion_.weights_
    assert_allclose(weights * 50, np.round(weights * 50))
    assert weights.sum() == pytest.approx(1.0)


# -- cascade -----------------------------------------------------------------


def test_cascade_stops_when_the_score_stops_improving():
    """Levels are kept only while the out-of-fold score improves by more than
    tol; the level after the last kept one (if any) was tried and rejected;
    never more than max_levels."""
    for max_levels in [1, 2, 4]:
        model = MultiGranularityClassifier(
            _digit_branches(), fusion=CascadeFusion(max_levels=max_levels), cv=3
        ).fit(X_DIGITS[:500], Y_DIGITS[:500])
        scores = model.fusion_.level_scores_
        kept = len(model.levels_)
        assert 1 <= kept <= max_levels
        assert len(scores) <= max_levels
        for level in range(1, kept):
            assert scores[level] > max(scores[:level]) + model.fusion_.tol
        if len(scores) > kept:  # one more level was tried and did not improve
            assert len(scores) == kept + 1
            assert scores[-1] <= max(scores[:-1]) + model.fusion_.tol
        else:
            assert kept == max_levels


def test_cascade_tol_large_keeps_one_level():
    """With a tolerance no gain can beat, the second level is rejected."""
    model = MultiGranularityClassifier(
        _digit_branches(), fusion=CascadeFusion(tol=1.0), cv=3
    ).fit(X_DIGITS[:300], Y_DIGITS[:300])
    assert len(model.levels_) == 1
    assert len(model.fusion_.level_scores_) == 2


def test_cascade_prediction_runs_through_the_levels():
    """Level 2 sees the view of each branch plus the level-1 outputs; the
    prediction is the mean of the last level's outputs."""
    X, y = X_DIGITS[:400], Y_DIGITS[:400]
    model = MultiGranularityClassifier(
        _digit_branches(), fusion=CascadeFusion(max_levels=2, tol=-1.0), cv=3
    ).fit(X, y)
    assert len(model.levels_) == 2
    level1 = [e.predict_proba(X) for e in model.levels_[0]]
    X2 = np.hstack([X, *level1])
    level2 = [e.predict_proba(X2) for e in model.levels_[1]]
    assert_allclose(model.predict_proba(X), np.mean(level2, axis=0))
    pooled = model.levels_[1][1]
    assert pooled.model_.n_features_in_ == 16 + 3 * 10


# -- residual ----------------------------------------------------------------


def _step_plus_sine(n, rng):
    x = rng.uniform(0, 10, n)
    return x[:, None], np.floor(x / 2) * 2.0 + 0.5 * np.sin(6 * x)


def test_residual_recovers_coarse_step_plus_fine_sine():
    """A coarse branch (shallow tree) and a fine one (dense splines): fitting
    the fine one on the coarse one's residual beats either alone."""
    rng = np.random.RandomState(0)
    X, y = _step_plus_sine(600, rng)
    y = y + 0.05 * rng.normal(size=600)
    X_test, y_test = _step_plus_sine(400, rng)
    coarse = DecisionTreeRegressor(max_depth=3, random_state=0)
    fine = make_pipeline(SplineTransformer(n_knots=40), Ridge(alpha=1.0))
    model = MultiGranularityRegressor(
        [("coarse", coarse), ("fine", fine)],
        fusion="residual",
        cv=KFold(5, shuffle=True, random_state=0),
    ).fit(X, y)

    def mse(pred):
        return np.mean((pred - y_test) ** 2)

    alone = [mse(clone(est).fit(X, y).predict(X_test)) for est in [coarse, fine]]
    assert mse(model.predict(X_test)) < 0.7 * min(alone)
    # the fine stage was fitted on what the coarse stage left
    coarse_fit, fine_fit = model.estimators_
    assert_allclose(
        model.predict(X_test),
        coarse_fit.predict(X_test) + fine_fit.predict(X_test),
    )
    scores = model.granularity_scores_
    assert scores["fine"] > scores["coarse"]


def test_residual_learning_rate_schedule():
    """A per-stage learning rate scales each stage; the prediction is the
    scaled sum."""
    rng = np.random.RandomState(1)
    X, y = _step_plus_sine(200, rng)
    model = MultiGranularityRegressor(
        [("a", DecisionTreeRegressor(max_depth=2)), ("b", Ridge())],
        fusion=ResidualFusion(learning_rate=[1.0, 0.5]),
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    a, b = model.estimators_
    assert_allclose(model.predict(X), a.predict(X) + 0.5 * b.predict(X))
    assert_array_equal(model.fusion_.weights_, [1.0, 0.5])
    with pytest.raises(ValueError, match="'learning_rate' must be"):
        model.set_params(fusion__learning_rate=[1.0]).fit(X, y)


def test_residual_is_refused_by_the_classifier():
    """The classifier rejects residual fusion with a clear error."""
    with pytest.raises(ValueError, match="fusion='residual'.* MultiGranularityRegr"):
        MultiGranularityClassifier(_small_branches(), fusion="residual").fit(
            X_SMALL, Y_SMALL
        )


# -- auto --------------------------------------------------------------------


def test_auto_picks_average_on_a_tiny_set_and_stacking_on_a_large_one():
    """On 40 digits stacking overfits and auto picks the plain average; on
    all 1797 stacking wins and auto picks it. No branch is refitted for the
    choice: the scores come from the out-of-fold outputs alone."""
    X_tiny, _, y_tiny, _ = train_test_split(
        X_DIGITS, Y_DIGITS, train_size=40, stratify=Y_DIGITS, random_state=0
    )
    tiny = MultiGranularityClassifier(_digit_branches(), fusion="auto", cv=3)
    tiny.fit(X_tiny, y_tiny)
    assert isinstance(tiny.fusion_.best_fusion_, AverageFusion)
    assert tiny.fusion_.best_name_ == "average"
    assert tiny.fusion_.scores_["average"] > tiny.fusion_.scores_["stacking"]

    large = MultiGranularityClassifier(_digit_branches(), fusion="auto", cv=3)
    large.fit(X_DIGITS, Y_DIGITS)
    assert isinstance(large.fusion_.best_fusion_, StackingFusion)
    assert large.fusion_.scores_["stacking"] == max(large.fusion_.scores_.values())
    assert set(large.fusion_.scores_) == {"average", "weighted", "cawpe", "stacking"}


# -- fusion as an estimator, fixed weights, passthrough columns --------------


def test_fusion_estimator_instance_means_stacking():
    """fusion=<estimator> stacks with that final estimator."""
    final = LogisticRegression(C=0.5)
    model = MultiGranularityClassifier(_small_branches()[:2], fusion=final, cv=3)
    model.fit(X_SMALL, Y_SMALL)
    reference = MultiGranularityClassifier(
        _small_branches()[:2], final_estimator=final, cv=3
    ).fit(X_SMALL, Y_SMALL)
    assert model.final_estimator_.C == 0.5
    assert_allclose(model.predict_proba(X_SMALL), reference.predict_proba(X_SMALL))
    with pytest.raises(ValueError, match="final estimator is given twice"):
        model.set_params(final_estimator=LogisticRegression()).fit(X_SMALL, Y_SMALL)


def test_average_with_fixed_weights():
    """AverageFusion(weights=...) gives a weighted average, by position or by
    branch name (names of dropped branches are ignored); bad weights are
    refused naming the parameter."""
    model = MultiGranularityClassifier(
        _small_branches(), fusion=AverageFusion(weights=[3, 1, 0]), cv=3
    ).fit(X_SMALL, Y_SMALL)
    probas = [e.predict_proba(X_SMALL) for e in model.estimators_]
    assert_allclose(model.predict_proba(X_SMALL), 0.75 * probas[0] + 0.25 * probas[1])
    by_name = {"nb": 3, "linear": 1, "tree": 0}
    model.set_params(fusion__weights=by_name, tree="drop").fit(X_SMALL, Y_SMALL)
    assert_allclose(model.fusion_.weights_, [0.75, 0.25])
    with pytest.raises(ValueError, match="'weights' must hold one finite"):
        model.set_params(fusion__weights=[1, 1, 1]).fit(X_SMALL, Y_SMALL)
    with pytest.raises(ValueError, match=r"'weights' gives no weight to .*'linear'"):
        model.set_params(fusion__weights={"nb": 1}).fit(X_SMALL, Y_SMALL)
    for bad in ([1, np.nan], [1, np.inf], [1, -1], [0, 0]):
        with pytest.raises(ValueError, match="'weights' must hold one finite"):
            model.set_params(fusion__weights=bad).fit(X_SMALL, Y_SMALL)


def test_passthrough_list_of_columns():
    """passthrough=[...] gives the final estimator only those columns."""
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X_SMALL, columns=[f"c{i}" for i in range(8)])
    model = MultiGranularityClassifier(
        _small_branches()[2:], passthrough=["c1", "c4"], cv=3
    ).fit(df, Y_SMALL)
    assert model.final_estimator_.n_features_in_ == 3 + 2
    assert list(model.get_feature_names_out()[-2:]) == ["c1", "c4"]
    assert_allclose(model.transform(df)[:, -2:], X_SMALL[:, [1, 4]])
    positions = MultiGranularityClassifier(
        _small_branches()[2:], passthrough=[1, 4], cv=3
    ).fit(X_SMALL, Y_SMALL)
    assert list(positions.get_feature_names_out()[-2:]) == ["x1", "x4"]
    assert_allclose(positions.predict_proba(X_SMALL), model.predict_proba(df))


@pytest.mark.parametrize("fusion", ["average", "weighted", "greedy", "cascade"])
def test_fusions_without_features_refuse_passthrough(fusion):
    """passthrough needs a fusion that learns from features."""
    model = MultiGranularityClassifier(
        _small_branches(), fusion=fusion, passthrough=True, cv=3
    )
    with pytest.raises(ValueError, match=f"fusion='{fusion}' does not learn from"):
        model.fit(X_SMALL, Y_SMALL)


# -- cached branch fits --------------------------------------------------------

_FITS = []


class _CountingClassifier(ClassifierMixin, BaseEstimator):
    """GaussianNB that counts its fits in a module-level list."""

    def __init__(self, var_smoothing=1e-9):
        self.var_smoothing = var_smoothing

    def fit(self, X, y):
        _FITS.append(len(X))
        self.model_ = GaussianNB(var_smoothing=self.var_smoothing).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


def test_memory_caches_branch_fits(tmp_path):
    """With memory, tuning the fusion stage fits each branch once per outer
    fold, not once per candidate, and the results are unchanged."""
    branches = [("a", _CountingClassifier()), ("b", _CountingClassifier(1e-3))]
    grid = {"fusion": ["average", "weighted", "stacking"]}

    _FITS.clear()
    plain = GridSearchCV(MultiGranularityClassifier(branches, cv=3), grid, cv=2)
    plain.fit(X_SMALL, Y_SMALL)
    uncached = len(_FITS)

    _FITS.clear()
    cached = GridSearchCV(
        MultiGranularityClassifier(branches, cv=3, memory=str(tmp_path)), grid, cv=2
    ).fit(X_SMALL, Y_SMALL)
    # 2 outer folds x 2 branches x (3 folds + refit), then the final refit
    # on all rows: 2 branches x 4
    assert len(_FITS) == 2 * 2 * 4 + 2 * 4
    assert uncached == 3 * 2 * 2 * 4 + 2 * 4
    assert cached.best_params_ == plain.best_params_
    assert_allclose(
        cached.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )


# -- frozen branches -----------------------------------------------------------


def test_frozen_branch_warns_naming_it():
    """A FrozenEstimator branch is never refitted, so its out-of-fold outputs
    are in-sample: skmg warns, naming the branch."""
    tree = DecisionTreeClassifier(random_state=0).fit(X_SMALL, Y_SMALL)
    model = MultiGranularityClassifier(
        [("frozen", FrozenEstimator(tree)), ("nb", GaussianNB())], cv=3
    )
    with pytest.warns(UserWarning, match="branch 'frozen' is a FrozenEstimator"):
        model.fit(X_SMALL, Y_SMALL)
    assert model.named_estimators_["frozen"].estimator is tree
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        MultiGranularityClassifier([("nb", GaussianNB())], cv=3).fit(X_SMALL, Y_SMALL)


# -- the strategies on their own -----------------------------------------------


def test_cascade_strategy_improves():
    """CascadeFusion keeps a level only when it beats the best one by tol."""
    strategy = CascadeFusion(tol=0.01)
    assert strategy.improves([0.80, 0.82])
    assert not strategy.improves([0.80, 0.805])
    assert not strategy.improves([0.80, 0.85, 0.84])


def test_refit_forgets_the_previous_fusion():
    """A new fit starts over: attributes of an earlier fusion do not linger."""
    model = MultiGranularityClassifier(_small_branches(), fusion="auto", cv=3)
    model.set_params(fusion="stacking").fit(X_SMALL, Y_SMALL)
    assert hasattr(model, "final_estimator_")
    model.set_params(fusion="average").fit(X_SMALL, Y_SMALL)
    assert not hasattr(model, "final_estimator_")
    assert isinstance(model.fusion_, AverageFusion)


# -- limits and invalid input ----------------------------------------------------


def _right_on(y, n_right):
    """Probabilities that give the true class of the first ``n_right`` rows
    (0.9) and the other class elsewhere."""
    right = np.arange(len(y)) < n_right
    predicted = np.where(right, y, 1 - y)
    return np.eye(2)[predicted] * 0.8 + 0.1


def test_cawpe_with_a_huge_alpha_picks_the_best_branch():
    """CAWPE's weights are accuracy ** alpha normalised: alpha=1e5 puts all
    the weight on the best branches (shared by equal ones), as the limit it
    approaches, instead of equal weights when every power underflows; for a
    moderate alpha the weights are the plain formula."""
    y = np.tile([0, 1], 50)
    outputs = BranchOutputs(
        [_right_on(y, 90), _right_on(y, 80), _right_on(y, 90)],
        kinds=["predict_proba"] * 3,
        n_classes=2,
    )
    huge = CAWPEFusion(alpha=1e5).fit(outputs, y)
    assert_allclose(huge.accuracies_, [0.9, 0.8, 0.9])
    assert_array_equal(huge.weights_, [0.5, 0.0, 0.5])
    moderate = CAWPEFusion(alpha=50).fit(outputs, y)
    powered = np.array([0.9, 0.8, 0.9]) ** 50
    assert_allclose(moderate.weights_, powered / powered.sum(), rtol=1e-12)
    assert_array_equal(CAWPEFusion(alpha=0).fit(outputs, y).weights_, [1 / 3] * 3)


@pytest.mark.parametrize(
    "candidate, error, message",
    [
        (None, TypeError, r"'candidates' must hold .* got None \(NoneType\)"),
        (42, TypeError, r"'candidates' must hold .* got 42 \(int\)"),
        ("avg", ValueError, r"'candidates' holds 'avg', which is not a strategy"),
    ],
)
def test_auto_refuses_a_candidate_that_is_no_strategy(candidate, error, message):
    """A candidate of AutoFusion that is neither a strategy name, a strategy
    nor an estimator is refused, naming 'candidates' and the item (None was
    silently stacking, 42 an AttributeError about __sklearn_tags__)."""
    y = np.tile([0, 1], 20)
    outputs = BranchOutputs([_right_on(y, 30)], kinds=["predict_proba"], n_classes=2)
    with pytest.raises(error, match=message):
        AutoFusion(candidates=["average", candidate]).fit(outputs, y)


def test_average_weights_too_large_to_sum_are_normalised():
    """Fixed weights whose sum overflows are still normalised (they gave
    weights of zero)."""
    y = np.tile([0, 1], 5)
    outputs = BranchOutputs(
        [_right_on(y, 10), _right_on(y, 5)], kinds=["predict_proba"] * 2, n_classes=2
    )
    fusion = AverageFusion(weights=[1e308, 1e308]).fit(outputs, y)
    assert_array_equal(fusion.weights_, [0.5, 0.5])


@pytest.mark.parametrize(
    "fusion",
    [AverageFusion(), WeightedFusion(), GreedyFusion(), CAWPEFusion(), AutoFusion()],
    ids=lambda fusion: type(fusion).__name__,
)
@pytest.mark.parametrize("kind", ["predict_proba", "decision_function"])
def test_fusion_sample_weights_summing_to_zero_are_refused(fusion, kind):
    """Sample weights of a fusion step that sum to zero are refused with an
    error naming sample_weight (they gave a ZeroDivisionError with decision
    values, NaN weights or a silent choice with probabilities), in fit and
    in partial_fit."""
    y = np.tile([0, 1], 20)
    blocks = [_right_on(y, 30), _right_on(y, 20)]
    if kind == "decision_function":
        blocks = [block[:, 1:] - 0.5 for block in blocks]
    outputs = BranchOutputs(blocks, kinds=[kind] * 2, n_classes=2)
    with pytest.raises(ValueError, match="'sample_weight' of the fusion step"):
        clone(fusion).fit(outputs, y, sample_weight=np.zeros(len(y)))
    if hasattr(fusion, "partial_fit"):
        with pytest.raises(ValueError, match="'sample_weight' of the fusion step"):
            clone(fusion).partial_fit(outputs, y, sample_weight=np.zeros(len(y)))


def test_averaged_probabilities_stay_within_zero_and_one():
    """A weighted mean of probabilities of 1 can exceed 1 by a rounding
    error (weights 1, 1, 7: 1.0000000000000002), which scikit-learn's
    log-loss refuses: predict_proba keeps it at 1."""
    y = np.array([0, 1])
    outputs = BranchOutputs(
        [np.eye(2)[y]] * 3, kinds=["predict_proba"] * 3, n_classes=2
    )
    fusion = AverageFusion(weights=[1, 1, 7]).fit(outputs, y)
    proba = fusion.predict_proba(outputs)
    assert_array_equal(proba, np.eye(2)[y])
    assert log_loss(y, proba) < 1e-12
