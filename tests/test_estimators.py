"""Behaviour of MultiGranularityClassifier and MultiGranularityRegressor."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_diabetes, load_digits, make_classification
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
    StackingRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    PredefinedSplit,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    cross_val_predict,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skmg import MultiGranularityClassifier, MultiGranularityRegressor

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIABETES, Y_DIABETES = load_diabetes(return_X_y=True)
X_SMALL, Y_SMALL = make_classification(
    n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
)


def _pool(X):
    """Mean of pairs of neighbouring features: a coarser view."""
    return X.reshape(X.shape[0], -1, 2).mean(axis=2)


def small_classifier(**params):
    branches = [
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("linear", make_pipeline(StandardScaler(), LogisticRegression())),
    ]
    return MultiGranularityClassifier(branches, **{"cv": 3, **params})


def small_regressor(**params):
    branches = [
        ("shallow", DecisionTreeRegressor(max_depth=2, random_state=0)),
        ("linear", Ridge()),
    ]
    return MultiGranularityRegressor(branches, **{"cv": 3, **params})


class _FailingClassifier(ClassifierMixin, BaseEstimator):
    """Fails in fit once it sees more than ``limit`` rows."""

    def __init__(self, limit=0):
        self.limit = limit

    def fit(self, X, y):
        if len(X) > self.limit:
            raise ArithmeticError("the branch broke")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class _RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Records what fit received; predicts the majority class."""

    def fit(self, X, y, sample_weight=None):
        self.n_fit_rows_ = len(X)
        self.sample_weight_ = sample_weight
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[counts.argmax()]
        return self

    def predict_proba(self, X):
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, np.flatnonzero(self.classes_ == self.majority_)] = 1.0
        return proba

    def predict(self, X):
        return np.full(len(X), self.majority_)


# -- equivalence with scikit-learn's stacking ---------------------------------


def test_stacking_matches_stacking_classifier_on_digits():
    """Same branches, final estimator and folds: the predictions are those of
    scikit-learn's StackingClassifier."""
    branches = [
        ("linear", make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))),
        ("tree", DecisionTreeClassifier(random_state=0)),
        ("svc", SVC()),
    ]
    final = LogisticRegression(max_iter=1000)
    ours = MultiGranularityClassifier(branches, final_estimator=final, cv=5)
    ours.fit(X_DIGITS, Y_DIGITS)
    theirs = StackingClassifier(branches, final_estimator=final, cv=5)
    theirs.fit(X_DIGITS, Y_DIGITS)
    assert_array_equal(ours.predict(X_DIGITS), theirs.predict(X_DIGITS))
    assert_allclose(ours.predict_proba(X_DIGITS), theirs.predict_proba(X_DIGITS))
    assert ours.stack_method_ == ["predict_proba", "predict_proba", "decision_function"]


def test_stacking_matches_stacking_regressor_on_diabetes():
    """Same branches, final estimator and folds: the predictions are those of
    scikit-learn's StackingRegressor."""
    branches = [
        ("linear", RidgeCV()),
        ("tree", DecisionTreeRegressor(max_depth=4, random_state=0)),
        ("spline", make_pipeline(StandardScaler(), Ridge(alpha=10))),
    ]
    ours = MultiGranularityRegressor(branches, cv=5).fit(X_DIABETES, Y_DIABETES)
    theirs = StackingRegressor(branches, cv=5).fit(X_DIABETES, Y_DIABETES)
    assert_allclose(ours.predict(X_DIABETES), theirs.predict(X_DIABETES))


def test_binary_stacking_drops_redundant_probability_column():
    """For a binary problem the final estimator sees one probability column per
    branch, as in scikit-learn; transform and oof_predictions_ are that design
    matrix, so the final estimator predicts from transform's output."""
    X, y = make_classification(n_samples=200, random_state=0)
    branches = [
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("nb", GaussianNB()),
    ]
    ours = MultiGranularityClassifier(branches, cv=4).fit(X, y)
    theirs = StackingClassifier(branches, cv=4).fit(X, y)
    assert ours.final_estimator_.n_features_in_ == 2
    assert_allclose(ours.transform(X), theirs.transform(X))
    assert ours.oof_predictions_.shape == (200, 2)
    assert list(ours.get_feature_names_out()) == ["tree_proba", "nb_proba"]
    assert_array_equal(
        ours.final_estimator_.predict(ours.transform(X)), ours.predict(X)
    )
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))


# -- out-of-fold outputs and folds ---------------------------------------------


def test_oof_predictions_equal_cross_val_predict():
    """The out-of-fold block of a branch is cross_val_predict on the same folds."""
    model = small_classifier().fit(X_SMALL, Y_SMALL)
    folds = StratifiedKFold(3)
    expected = cross_val_predict(
        DecisionTreeClassifier(max_depth=3, random_state=0),
        X_SMALL,
        Y_SMALL,
        cv=folds,
        method="predict_proba",
    )
    assert_allclose(model.oof_predictions_[:, :3], expected)
    assert model.oof_mask_.all()
    names = model.get_feature_names_out()
    assert list(names[:3]) == ["tree_proba_0", "tree_proba_1", "tree_proba_2"]
    score = np.mean(expected.argmax(axis=1) == Y_SMALL)
    assert model.granularity_scores_["tree"] == pytest.approx(score)


def test_time_series_split_trains_fusion_on_covered_rows():
    """TimeSeriesSplit leaves the first rows out of every test fold: they get
    NaN outputs and the fusion stage is trained on the others."""
    X = np.cumsum(np.random.RandomState(0).normal(size=(100, 3)), axis=0)
    y = X[:, 0] + 0.1 * X[:, 1]
    model = small_regressor(cv=TimeSeriesSplit(n_splits=4)).fit(X, y)
    n_first = 100 - 4 * (100 // 5)
    assert not model.oof_mask_[:n_first].any()
    assert model.oof_mask_[n_first:].all()
    assert np.isnan(model.oof_predictions_[:n_first]).all()
    assert model.final_estimator_.n_features_in_ == 2
    assert model.predict(X).shape == (100,)


def test_groups_reach_the_splitter():
    """groups passed to fit reach GroupKFold: outputs equal those made with the
    group splits given explicitly."""
    groups = np.arange(len(Y_SMALL)) % 6
    with_groups = small_classifier(cv=GroupKFold(3)).fit(
        X_SMALL, Y_SMALL, groups=groups
    )
    splits = list(GroupKFold(3).split(X_SMALL, Y_SMALL, groups))
    explicit = small_classifier(cv=splits).fit(X_SMALL, Y_SMALL)
    assert_array_equal(with_groups.oof_predictions_, explicit.oof_predictions_)
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
    with pytest.raises(ValueError, match="groups"):
        small_classifier(cv=GroupKFold(3)).fit(X_SMALL, Y_SMALL)


def test_repeated_splits_average_the_outputs():
    """With a repeated splitter every row is in several test folds; its
    out-of-fold output is the mean over them."""
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    model = small_classifier(cv=cv).fit(X_SMALL, Y_SMALL)
    expected = np.zeros((len(Y_SMALL), 3))
    for train, test in cv.split(X_SMALL, Y_SMALL):
        tree = DecisionTreeClassifier(max_depth=3, random_state=0)
        expected[test] += tree.fit(X_SMALL[train], Y_SMALL[train]).predict_proba(
            X_SMALL[test]
        )
    assert_allclose(model.oof_predictions_[:, :3], expected / 2)


def test_refit_false_averages_fold_models():
    """refit=False fits k models per branch and predicts with their mean."""
    model = small_classifier(fusion="average", refit=False).fit(X_SMALL, Y_SMALL)
    assert [len(models) for models in model.estimators_] == [3, 3]
    expected = np.mean(
        [
            np.mean([m.predict_proba(X_SMALL) for m in models], axis=0)
            for models in model.estimators_
        ],
        axis=0,
    )
    assert_allclose(model.predict_proba(X_SMALL), expected)
    assert_array_equal(model.predict(X_SMALL), expected.argmax(axis=1))


def test_fold_missing_a_class_keeps_probability_columns_aligned():
    """A fold whose training rows lack a class still gives aligned columns."""
    y = np.array([0] * 20 + [1] * 20 + [2] * 4)
    X = np.random.RandomState(0).normal(size=(44, 3)) + y[:, None]
    # the test fold holds every row of class 2
    splits = [(np.arange(40), np.arange(40, 44)), (np.arange(4, 44), np.arange(4))]
    model = MultiGranularityClassifier(
        [("nb", GaussianNB()), ("tree", DecisionTreeClassifier(random_state=0))],
        cv=splits,
    ).fit(X, y)
    block = model.oof_predictions_[40:44, :3]
    assert_array_equal(block[:, 2], 0.0)
    assert_allclose(block.sum(axis=1), 1.0)


# -- the parallel plan --------------------------------------------------------


@pytest.mark.parametrize("fusion", ["stacking", "average"])
def test_n_jobs_does_not_change_predictions(fusion):
    """n_jobs=1 and n_jobs=2 give identical predictions."""
    branches = [
        ("forest", RandomForestClassifier(n_estimators=20, random_state=0)),
        ("pooled", make_pipeline(FunctionTransformer(_pool), GaussianNB())),
    ]
    X, y = X_DIGITS[:600], Y_DIGITS[:600]
    one = MultiGranularityClassifier(branches, fusion=fusion, n_jobs=1).fit(X, y)
    two = MultiGranularityClassifier(branches, fusion=fusion, n_jobs=2).fit(X, y)
    assert_array_equal(one.predict_proba(X), two.predict_proba(X))
    assert_array_equal(one.oof_predictions_, two.oof_predictions_)


def test_one_parallel_call_for_all_fits(monkeypatch):
    """Every (branch, fold) fit and every refit go to a single Parallel call."""
    from skmg import _plan

    calls = []
    original = _plan.Parallel

    class CountingParallel(original):
        def __call__(self, iterable):
            tasks = list(iterable)
            calls.append(len(tasks))
            return super().__call__(tasks)

    monkeypatch.setattr(_plan, "Parallel", CountingParallel)
    small_classifier().fit(X_SMALL, Y_SMALL)
    assert calls == [2 * (3 + 1)]
    calls.clear()
    small_classifier(refit=False).fit(X_SMALL, Y_SMALL)
    assert calls == [2 * 3]


# -- parameters, tuning and composition ------------------------------------


def test_grid_search_over_fusion_final_and_branch_params():
    """GridSearchCV tunes fusion, final_estimator__C and a nested branch
    parameter, and refits the best combination."""
    model = small_classifier(final_estimator=LogisticRegression())
    grid = GridSearchCV(
        model,
        {
            "fusion": ["stacking", "average"],
            "final_estimator__C": [0.1, 10.0],
            "linear__logisticregression__C": [0.01, 1.0],
        },
        cv=3,
    ).fit(X_SMALL, Y_SMALL)
    assert len(grid.cv_results_["params"]) == 8
    best = grid.best_estimator_
    assert (
        best.get_params()["linear__logisticregression__C"]
        == grid.best_params_["linear__logisticregression__C"]
    )
    assert grid.best_score_ > 0.6


def test_set_params_drop_removes_a_branch():
    """A branch set to 'drop' is left out of the fit and the outputs."""
    model = small_classifier().set_params(tree="drop").fit(X_SMALL, Y_SMALL)
    assert list(model.named_estimators_) == ["linear"]
    assert model.oof_predictions_.shape == (len(Y_SMALL), 3)
    alone = MultiGranularityClassifier(
        [("linear", make_pipeline(StandardScaler(), LogisticRegression()))], cv=3
    ).fit(X_SMALL, Y_SMALL)
    assert_allclose(model.predict_proba(X_SMALL), alone.predict_proba(X_SMALL))


def test_get_params_exposes_branches():
    """get_params exposes each branch and its parameters by name."""
    params = small_classifier().get_params()
    assert isinstance(params["tree"], DecisionTreeClassifier)
    assert params["tree__max_depth"] == 3
    assert params["linear__logisticregression__C"] == 1.0
    assert clone(small_classifier()).get_params()["cv"] == 3


def test_dataframe_branches_select_columns_by_name():
    """A DataFrame reaches the branches intact: a branch can select columns by
    name, and a renamed column at predict is an error."""
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer

    df = pd.DataFrame(X_SMALL, columns=[f"f{i}" for i in range(6)])
    model = MultiGranularityClassifier(
        [
            (
                "first",
                make_pipeline(
                    make_column_transformer(("passthrough", ["f0", "f1"])),
                    LogisticRegression(),
                ),
            ),
            (
                "rest",
                make_pipeline(
                    make_column_transformer(("passthrough", ["f2", "f3", "f4"])),
                    LogisticRegression(),
                ),
            ),
        ],
        cv=3,
    ).fit(df, Y_SMALL)
    assert_array_equal(model.feature_names_in_, df.columns)
    first = model.named_estimators_["first"]
    assert first[-1].n_features_in_ == 2
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(df.rename(columns={"f0": "g0"}))


@pytest.mark.parametrize("output", ["pandas", "polars"])
def test_transform_set_output(output):
    """transform follows set_output, with the names of get_feature_names_out."""
    pytest.importorskip(output)
    model = small_classifier().set_output(transform=output).fit(X_SMALL, Y_SMALL)
    out = model.transform(X_SMALL)
    assert list(out.columns) == list(model.get_feature_names_out())
    assert list(out.columns)[-1] == "linear_proba_2"


def test_passthrough_appends_features():
    """passthrough=True gives the final estimator the original features too."""
    model = small_classifier(passthrough=True).fit(X_SMALL, Y_SMALL)
    assert model.final_estimator_.n_features_in_ == 6 + 6
    assert list(model.get_feature_names_out()[-6:]) == [f"x{i}" for i in range(6)]
    assert_allclose(model.transform(X_SMALL)[:, -6:], X_SMALL)


# -- targets ----------------------------------------------------------------


@pytest.mark.parametrize("fusion", ["stacking", "average"])
def test_string_labels_binary_and_multiclass(fusion):
    """String labels come back as strings; binary and multiclass both work."""
    labels = np.array(["cat", "dog", "eel"])
    y = labels[Y_SMALL]
    model = small_classifier(fusion=fusion).fit(X_SMALL, y)
    assert_array_equal(model.classes_, labels)
    assert set(model.predict(X_SMALL)) <= set(labels)
    assert model.score(X_SMALL, y) > 0.8
    y2 = np.where(Y_SMALL == 0, "yes", "no")
    binary = small_classifier(fusion=fusion).fit(X_SMALL, y2)
    assert binary.predict_proba(X_SMALL).shape == (len(y2), 2)
    assert binary.score(X_SMALL, y2) > 0.8


def test_multi_output_regression():
    """A 2-D target works for the regressor with stacking and average (which
    scikit-learn's StackingRegressor cannot do)."""
    Y = np.c_[Y_DIABETES, Y_DIABETES / 10 + X_DIABETES[:, 0]]
    for fusion in ["stacking", "average"]:
        model = MultiGranularityRegressor(
            [
                ("linear", LinearRegression()),
                ("tree", DecisionTreeRegressor(max_depth=3)),
            ],
            fusion=fusion,
            cv=3,
        ).fit(X_DIABETES, Y)
        assert model.predict(X_DIABETES).shape == (len(Y), 2)
        assert model.oof_predictions_.shape == (len(Y), 4)
        assert model.score(X_DIABETES, Y) > 0.3


def test_decision_function_average():
    """stack_method='decision_function' with average fusion averages the
    branches' decision values made probabilities: a softmax of each branch's
    values over its temperature, fitted on the out-of-fold values."""
    from scipy.special import softmax

    branches = [("a", LinearSVC(C=0.1)), ("b", LinearSVC(C=1.0))]
    model = MultiGranularityClassifier(
        branches, fusion="average", stack_method="decision_function", cv=3
    ).fit(X_SMALL, Y_SMALL)
    temperatures = model.fusion_.temperatures_
    expected = np.mean(
        [
            softmax(e.decision_function(X_SMALL) / t, axis=1)
            for e, t in zip(model.estimators_, temperatures)
        ],
        axis=0,
    )
    assert_allclose(model.predict_proba(X_SMALL), expected)
    assert not hasattr(model, "decision_function")
    assert_array_equal(model.predict(X_SMALL), expected.argmax(axis=1))


# -- sample weights and metadata routing -------------------------------------


def test_sample_weight_reaches_every_branch_and_the_fusion():
    """sample_weight reaches plain branches, every step of a Pipeline branch
    that takes it, and the final estimator, restricted to the fold's rows."""
    sw = np.linspace(0.5, 2.0, len(Y_SMALL))
    model = MultiGranularityClassifier(
        [
            ("plain", _RecordingClassifier()),
            ("pipe", make_pipeline(StandardScaler(), _RecordingClassifier())),
        ],
        cv=3,
    ).fit(X_SMALL, Y_SMALL, sample_weight=sw)
    assert_allclose(model.named_estimators_["plain"].sample_weight_, sw)
    assert_allclose(model.named_estimators_["pipe"][-1].sample_weight_, sw)
    scaler = model.named_estimators_["pipe"][0]
    weighted_mean = np.average(X_SMALL, axis=0, weights=sw)
    assert_allclose(scaler.mean_, weighted_mean)


def test_branch_without_sample_weight_is_named():
    """A branch that cannot take sample_weight is named in the error, a
    TypeError as scikit-learn's stacking raises."""
    from sklearn.ensemble import StackingClassifier
    from sklearn.neighbors import KNeighborsClassifier

    branches = [("knn", KNeighborsClassifier()), ("nb", GaussianNB())]
    model = MultiGranularityClassifier(branches, cv=3)
    sw = np.ones(len(Y_SMALL))
    with pytest.raises(TypeError, match="branch 'knn'.*sample_weight"):
        model.fit(X_SMALL, Y_SMALL, sample_weight=sw)
    with pytest.raises(TypeError, match="KNeighborsClassifier"):
        StackingClassifier(branches, cv=3).fit(X_SMALL, Y_SMALL, sample_weight=sw)


def test_metadata_routing_sends_requested_params():
    """With metadata routing on, each branch gets the metadata it requests."""
    sw = np.linspace(0.5, 2.0, len(Y_SMALL))
    with config_context(enable_metadata_routing=True):
        wants = _RecordingClassifier().set_fit_request(sample_weight=True)
        ignores = _RecordingClassifier().set_fit_request(sample_weight=False)
        final = LogisticRegression().set_fit_request(sample_weight=False)
        model = MultiGranularityClassifier(
            [("wants", wants), ("ignores", ignores)], final_estimator=final, cv=3
        ).fit(X_SMALL, Y_SMALL, sample_weight=sw)
        assert_allclose(model.named_estimators_["wants"].sample_weight_, sw)
        assert model.named_estimators_["ignores"].sample_weight_ is None


# -- errors -------------------------------------------------------------------


def _lr():
    return LogisticRegression()


ERRORS = [
    (
        {"granularities": []},
        ValueError,
        "Invalid 'granularities' attribute, 'granularities' should be a non-empty list",
    ),
    (
        {"granularities": [_lr()]},
        TypeError,
        "Invalid 'granularities' attribute, .* got the item LogisticRegression",
    ),
    (
        {"granularities": [("a", _lr()), ("a", GaussianNB())]},
        ValueError,
        r"duplicate branch names: \['a'\]",
    ),
    (
        {"granularities": [("a__b", _lr())]},
        ValueError,
        "must not contain '__'",
    ),
    (
        {"granularities": [("cv", _lr())]},
        ValueError,
        r"parameter names of MultiGranularityClassifier: \['cv'\]",
    ),
    (
        {"granularities": [("a", "drop"), ("b", "drop")]},
        ValueError,
        "every branch of 'granularities' is 'drop'",
    ),
    ({"granularities": [("a", 3)]}, TypeError, "branch 'a' .* must be an estimator"),
    (
        {"granularities": [("a", StandardScaler())]},
        ValueError,
        "branch 'a' .* must be a classifier \\(or, for stacking, a regressor\\)",
    ),
    ({"fusion": "median"}, ValueError, "'fusion' parameter"),
    ({"stack_method": "proba"}, ValueError, "'stack_method' parameter"),
    (
        {
            "granularities": [("svc", SVC()), ("nb", GaussianNB())],
            "stack_method": "predict_proba",
        },
        ValueError,
        "Underlying estimator 'svc' \\(SVC\\) does not implement the method "
        "predict_proba",
    ),
    (
        {"cv": 50},
        ValueError,
        r"cv=50 folds is more than the \d+ sample\(s\) of the smallest class",
    ),
    (
        {"fusion": "average", "passthrough": True},
        ValueError,
        "fusion='average' does not learn from features",
    ),
    (
        {"passthrough": [100]},
        ValueError,
        r"passthrough=\[100\] names the column 100, which X does not have",
    ),
]


@pytest.mark.parametrize("params, error, message", ERRORS)
def test_bad_parameters_give_clear_errors(params, error, message):
    """Each bad parameter raises an error that names it."""
    model = small_classifier().set_params(**params)
    with pytest.raises(error, match=message):
        model.fit(X_SMALL, Y_SMALL)


def test_one_class_is_an_error():
    """A target with one class only is refused."""
    with pytest.raises(ValueError, match="one class only"):
        small_classifier().fit(X_SMALL, np.zeros(len(X_SMALL)))


def test_predict_before_fit_raises_not_fitted():
    """predict and transform before fit raise NotFittedError."""
    for method in ["predict", "predict_proba", "transform"]:
        with pytest.raises(NotFittedError):
            getattr(small_classifier(), method)(X_SMALL)


def test_different_number_of_features_at_predict():
    """A different number of features at predict is refused."""
    model = small_classifier().fit(X_SMALL, Y_SMALL)
    with pytest.raises(ValueError, match="X has 5 features, but .* expecting 6"):
        model.predict(X_SMALL[:, :5])


def test_nan_when_a_branch_cannot_take_it():
    """NaN in X fails in the branch that cannot take it, naming it; when every
    branch accepts NaN the tags say so and the fit works."""
    X = X_SMALL.copy()
    X[::7, 0] = np.nan
    failed = "branch 'linear' failed in the refit on all rows.*NaN"
    with pytest.raises(ValueError, match=failed):
        MultiGranularityClassifier(
            [
                ("hgb", HistGradientBoostingClassifier(max_iter=10)),
                ("linear", LogisticRegression()),
            ],
            cv=3,
        ).fit(X, Y_SMALL)
    model = MultiGranularityClassifier(
        [
            ("hgb", HistGradientBoostingClassifier(max_iter=10)),
            ("tree", DecisionTreeClassifier(max_depth=3)),
        ],
        cv=3,
    )
    assert model.__sklearn_tags__().input_tags.allow_nan
    assert model.fit(X, Y_SMALL).score(X, Y_SMALL) > 0.7


class _SizeRecorder(GaussianNB):
    """Records how many rows it was fitted on."""

    def fit(self, X, y, sample_weight=None):
        self.n_rows_fitted_ = len(X)
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_fold_models_are_kept_in_fold_order(n_jobs):
    """With refit=False, ``estimators_[b][k]`` is the model of fold ``k``,
    whatever order the plan ran the tasks in."""
    test_fold = np.repeat([0, 1, 2], [10, 30, 80])  # folds of unequal sizes
    model = MultiGranularityClassifier(
        [("a", _SizeRecorder()), ("b", _SizeRecorder())],
        cv=PredefinedSplit(test_fold),
        refit=False,
        n_jobs=n_jobs,
    ).fit(X_SMALL, Y_SMALL)
    for fold_models in model.estimators_:
        assert [m.n_rows_fitted_ for m in fold_models] == [110, 90, 40]


def test_failing_branch_names_branch_and_fold():
    """An exception in a branch keeps its type, names the branch and the fold
    and chains the original error."""
    model = MultiGranularityClassifier(
        [("ok", GaussianNB()), ("broken", _FailingClassifier(limit=10_000))], cv=3
    ).set_params(broken=_FailingClassifier(limit=0))
    # The refits run first; without them the first task is the first fold.
    with pytest.raises(
        ArithmeticError, match="branch 'broken' failed in the refit on all rows"
    ):
        model.fit(X_SMALL, Y_SMALL)
    with pytest.raises(
        ArithmeticError, match="branch 'broken' failed in fold 1/3"
    ) as info:
        model.set_params(refit=False).fit(X_SMALL, Y_SMALL)
    assert "the branch broke" in str(info.value)
    assert isinstance(info.value.__cause__, ArithmeticError)
    # fails only on all rows: the refit is named
    model.set_params(refit=True, broken=_FailingClassifier(limit=100))
    with pytest.raises(ArithmeticError, match=re.escape("the refit on all rows")):
        model.fit(X_SMALL, Y_SMALL)


def test_empty_training_fold_is_named():
    """A cv whose split has no training rows is refused, naming the fold."""
    splits = [
        (np.arange(60), np.arange(60, 120)),
        (np.array([], dtype=int), np.arange(60)),
    ]
    with pytest.raises(ValueError, match="empty training set in fold 2"):
        small_classifier(cv=splits).fit(X_SMALL, Y_SMALL)


def test_inputs_are_not_modified():
    """fit and predict leave the caller's arrays unchanged."""
    X, y = X_SMALL.copy(), Y_SMALL.copy()
    sw = np.ones(len(y))
    small_classifier().fit(X, y, sample_weight=sw).predict(X)
    assert_array_equal(X, X_SMALL)
    assert_array_equal(y, Y_SMALL)
    assert_array_equal(sw, 1.0)


# -- representation ---------------------------------------------------------


def test_html_repr_shows_branches_and_fusion():
    """The HTML diagram names every branch and the fusion stage."""
    html = small_classifier()._repr_html_()
    for name in ["tree", "linear", "final_estimator"]:
        assert name in html
    html = small_classifier(fusion="average")._repr_html_()
    assert "fusion" in html and "average" in html


def test_kfold_regressor_and_average():
    """The regressor's average fusion is the mean of the branch predictions."""
    model = small_regressor(fusion="average", cv=KFold(3)).fit(X_DIABETES, Y_DIABETES)
    expected = np.mean([e.predict(X_DIABETES) for e in model.estimators_], axis=0)
    assert_allclose(model.predict(X_DIABETES), expected)
    assert set(model.granularity_scores_) == {"shallow", "linear"}


class _ChangesItsParameter(ClassifierMixin, BaseEstimator):
    """Breaks scikit-learn's clone: __init__ does not store what it is given."""

    def __init__(self, columns=None):
        self.columns = list(columns) if columns is not None else None

    def fit(self, X, y):
        return self


def test_branch_that_cannot_be_cloned_is_named():
    """A branch that scikit-learn cannot clone fails the fit naming it."""
    model = MultiGranularityClassifier(
        [("nb", GaussianNB()), ("odd", _ChangesItsParameter(columns=(1, 2)))]
    )
    with pytest.raises(TypeError, match="branch 'odd' cannot be cloned"):
        model.fit(X_SMALL, Y_SMALL)
