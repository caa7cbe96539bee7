"""The record of a fit (skmg._record) and the atomic fit that commits it."""

import pickle

import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.validation import check_is_fitted

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.fusion import Level, ResidualFusion
from skmg.inspection import granularity_report

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)


def _branches():
    return [
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
        ("lr", LogisticRegression(max_iter=1000)),
    ]


@pytest.mark.parametrize("fusion", ["stacking", "average", "cascade"])
@pytest.mark.parametrize("refit", [True, False])
def test_the_record_holds_what_the_fit_learned(fusion, refit):
    """Names, methods, the models of each kept level with their branches, each
    branch's first model and the covered rows, as the fitted attributes
    expose them."""
    model = MultiGranularityClassifier(
        _branches(), fusion=fusion, refit=refit, cv=3
    ).fit(X_IRIS, Y_IRIS)
    record = model.record_
    assert record.names == ["nb", "tree", "lr"]
    assert record.methods == model.stack_method_
    assert model.estimators_ == record.first_models
    assert model.levels_ == [level.models for level in record.levels]
    assert record.levels[0].branches == [0, 1, 2]
    assert record.levels[0].models == record.first_models
    assert list(model.named_estimators_) == record.names
    assert_array_equal(record.covered, model.oof_mask_)
    assert record.fit_times == model.fit_times_
    # fit-time blocks are not kept: oof_predictions_ holds them
    assert record.first_blocks is None and record.level_outputs is None
    assert sum(record.design_widths) == model.oof_predictions_.shape[1]


class FineToCoarse(ResidualFusion):
    """A residual fusion that fits its stages from the last branch to the
    first (``Level(branches=...)`` allows any order)."""

    def next_level(self, levels, y, sample_weight=None, *, n_branches):
        level = super().next_level(levels, y, sample_weight, n_branches=n_branches)
        if level is None:
            return None
        return Level(branches=[n_branches - 1 - level.branches[0]], target=level.target)


def test_a_strategy_fitting_branches_in_another_order_keeps_their_names():
    """Each branch's model is found by its position, not by the order of the
    levels: the report shows each branch's own held-out score."""
    X, y, X_test, y_test = X_DIAB[:300], Y_DIAB[:300], X_DIAB[300:], Y_DIAB[300:]
    branches = [
        ("ridge", Ridge()),
        ("stump", DecisionTreeRegressor(max_depth=1, random_state=0)),
    ]
    model = MultiGranularityRegressor(branches, fusion=FineToCoarse(), cv=3)
    model.fit(X, y)
    assert [level.branches for level in model.record_.levels] == [[1], [0]]
    assert isinstance(model.named_estimators_["ridge"], Ridge)
    assert isinstance(model.named_estimators_["stump"], DecisionTreeRegressor)
    # each row scores what the strategy says the granularity predicts (for a
    # residual fusion, the stages summed in branch order) with its own model
    report = granularity_report(model, X_test, y_test)
    ridge = model.named_estimators_["ridge"].predict(X_test)
    stump = model.named_estimators_["stump"].predict(X_test)
    assert report.loc["ridge", "test_score"] == pytest.approx(r2_score(y_test, ridge))
    assert report.loc["stump", "test_score"] == pytest.approx(
        r2_score(y_test, ridge + stump)
    )


def test_fit_times_holds_timings_only():
    """Replacing fit_times_ does not change what predict reads."""
    model = MultiGranularityClassifier(_branches(), cv=3).fit(X_IRIS, Y_IRIS)
    expected = model.predict_proba(X_IRIS)
    model.fit_times_ = {}
    assert_array_equal(model.predict_proba(X_IRIS), expected)
    assert model.get_feature_names_out().tolist()[0] == "nb_proba_0"
    assert list(model.named_estimators_) == ["nb", "tree", "lr"]


class FailsOnRows(GaussianNB):
    """GaussianNB whose fit fails on a data set of ``bad_rows`` rows."""

    def __init__(self, bad_rows=-1):
        super().__init__()
        self.bad_rows = bad_rows

    def fit(self, X, y, sample_weight=None):
        if len(X) == self.bad_rows:
            raise RuntimeError("this fit fails")
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize("bad_rows", [100, 150])  # a fold's fit, the refit
def test_a_failed_first_fit_leaves_an_unfitted_estimator(bad_rows):
    """Nothing of a failed fit is set: check_is_fitted and predict raise
    NotFittedError, not an AttributeError of a half-fitted model."""
    model = MultiGranularityClassifier(
        [("nb", GaussianNB()), ("bad", FailsOnRows(bad_rows))], cv=3
    )
    with pytest.raises(RuntimeError, match="branch 'bad' failed in"):
        model.fit(X_IRIS, Y_IRIS)
    assert [name for name in vars(model) if name.endswith("_")] == []
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError):
        model.predict(X_IRIS)


def test_a_failed_refit_leaves_the_previous_model_as_it_was():
    """A second fit that fails leaves every attribute of the first."""
    model = MultiGranularityClassifier(
        [("nb", GaussianNB()), ("bad", FailsOnRows())], cv=3
    ).fit(X_IRIS, Y_IRIS)
    before = dict(vars(model))
    expected = model.predict_proba(X_IRIS)
    model.set_params(bad__bad_rows=100)
    with pytest.raises(RuntimeError, match="this fit fails"):
        model.fit(X_IRIS[:, :3], Y_IRIS + 1)  # other features, other labels
    after = vars(model)
    assert set(after) == set(before)
    for name, value in before.items():
        if name not in ("granularities", "bad__bad_rows"):
            assert after[name] is value, name
    model.set_params(bad__bad_rows=-1)
    assert_array_equal(model.predict_proba(X_IRIS), expected)
    assert_array_equal(model.classes_, [0, 1, 2])


def test_a_failed_fit_in_a_stage_after_the_branches_is_atomic_too():
    """A failure in the fusion stage (its fit) leaves the estimator unfitted."""

    class BrokenFinal(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise ValueError("the final estimator fails")

    model = MultiGranularityClassifier(_branches(), final_estimator=BrokenFinal())
    with pytest.warns(UserWarning, match="fusion_score_ could not be estimated"):
        with pytest.raises(ValueError, match="the final estimator fails"):
            model.fit(X_IRIS, Y_IRIS)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_the_record_pickles_with_the_model():
    """A pickled model predicts the same, its record included."""
    model = MultiGranularityClassifier(
        [
            ("raw", GaussianNB()),
            ("half", make_pipeline(FunctionTransformer(), GaussianNB())),
        ],
        fusion="cascade",
        cv=3,
    ).fit(X_IRIS, Y_IRIS)
    loaded = pickle.loads(pickle.dumps(model))
    assert_allclose(loaded.predict_proba(X_IRIS), model.predict_proba(X_IRIS))
    assert loaded.record_.names == model.record_.names
