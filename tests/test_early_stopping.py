"""Early stopping of gradient-boosting branches (``early_stopping``).

scikit-learn's HistGradientBoosting runs everywhere; LightGBM, XGBoost and
CatBoost skip when not installed (``pip install ".[gbdt]"``).
"""

import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg._compat import SKLEARN_VERSION

X, Y = make_classification(
    n_samples=600, n_features=10, n_informative=4, flip_y=0.05, random_state=0
)
X_REG, Y_REG = make_regression(n_samples=400, n_features=8, noise=20, random_state=0)
N_ROUNDS = 1000
takes_validation_rows = pytest.mark.skipif(
    SKLEARN_VERSION < (1, 7), reason="HistGradientBoosting takes X_val from 1.7"
)


def _lightgbm():
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(
        n_estimators=N_ROUNDS, learning_rate=0.3, verbose=-1, random_state=0
    )


def _xgboost():
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(n_estimators=N_ROUNDS, learning_rate=0.3)


def _catboost():
    catboost = pytest.importorskip("catboost")
    return catboost.CatBoostClassifier(
        iterations=N_ROUNDS,
        learning_rate=0.3,
        verbose=0,
        random_seed=0,
        allow_writing_files=False,
    )


def _hist():
    return HistGradientBoostingClassifier(
        max_iter=N_ROUNDS, learning_rate=0.3, random_state=0
    )


def _rounds(model):
    """The rounds a fitted model keeps, read from the library itself."""
    module = type(model).__module__.split(".")[0]
    if module == "lightgbm":
        return (
            model.booster_.current_iteration()
            if not model.best_iteration_
            else (model.best_iteration_)
        )
    if module == "xgboost":
        return model.best_iteration + 1
    if module == "catboost":
        return model.tree_count_
    if not len(model.validation_score_):  # fitted without early stopping
        return model.n_iter_
    return int(np.argmax(model.validation_score_))  # it keeps the rounds after


def _refit_rounds(model):
    """The rounds of a refit without early stopping."""
    module = type(model).__module__.split(".")[0]
    if module == "lightgbm":
        return model.booster_.current_iteration()
    if module == "xgboost":
        return model.get_booster().num_boosted_rounds()
    if module == "catboost":
        return model.tree_count_
    return model.n_iter_


LIBRARIES = [_lightgbm, _xgboost, _catboost, _hist]


@pytest.mark.parametrize("mode", ["inner", "fold"])
@pytest.mark.parametrize("make", LIBRARIES)
def test_fold_models_stop_early_and_record_it(make, mode):
    """Every fold model stops well before its 1000 rounds, and
    best_iterations_ holds, per fold, the rounds the model kept."""
    model = MultiGranularityClassifier(
        [("booster", make()), ("nb", GaussianNB())],
        early_stopping=mode,
        n_iter_no_change=10,
        refit=False,
        cv=3,
    ).fit(X, Y)
    fold_models = model.named_estimators_["booster"]
    rounds = [_rounds(m) for m in fold_models]
    assert model.best_iterations_ == {"booster": rounds}  # GaussianNB: none
    assert all(1 <= r < N_ROUNDS // 4 for r in rounds), rounds
    assert not hasattr(model, "refit_iterations_")
    assert model.score(X, Y) > 0.85


@pytest.mark.parametrize("make", LIBRARIES)
def test_fold_mode_refits_with_the_mean_of_the_folds(make):
    model = MultiGranularityClassifier(
        [("booster", make())],
        early_stopping="fold",
        n_iter_no_change=10,
        cv=3,
    ).fit(X, Y)
    folds = model.best_iterations_["booster"]
    mean = int(round(np.mean(folds)))
    assert model.refit_iterations_ == {"booster": mean}
    assert _refit_rounds(model.named_estimators_["booster"]) == mean


@pytest.mark.parametrize("make", LIBRARIES)
def test_inner_mode_early_stops_the_refit_too(make):
    model = MultiGranularityClassifier(
        [("booster", make())], early_stopping="inner", n_iter_no_change=10, cv=3
    ).fit(X, Y)
    refit = model.named_estimators_["booster"]
    assert model.refit_iterations_ == {"booster": _rounds(refit)}
    assert _rounds(refit) < N_ROUNDS // 4


class _RecordingHist(HistGradientBoostingClassifier):
    """Records the rows it is fitted on and validated on (column 0 holds the
    row's index)."""

    def fit(self, X, y, sample_weight=None, **validation):
        X_val = validation.get("X_val")
        self.fit_rows_ = np.asarray(X)[:, 0].astype(int)
        self.val_rows_ = None if X_val is None else np.asarray(X_val)[:, 0].astype(int)
        self.val_weights_ = validation.get("sample_weight_val")
        return super().fit(X, y, sample_weight=sample_weight, **validation)


def _indexed(X):
    return np.column_stack([np.arange(len(X)), X])


def _recorder():
    return _RecordingHist(max_iter=200, learning_rate=0.3, random_state=0)


@takes_validation_rows
def test_inner_mode_never_shows_a_fold_its_held_out_rows():
    """Each fold model is fitted and validated on disjoint parts of its
    fold's training rows (10% held out, stratified); the held-out rows of
    the fold are in neither."""
    X = _indexed(X_BASE)
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    model = MultiGranularityClassifier(
        [("rec", _recorder())], early_stopping="inner", refit=False, cv=cv
    ).fit(X, Y)
    for fold_model, (train, test) in zip(
        model.named_estimators_["rec"], cv.split(X, Y)
    ):
        fit_rows, val_rows = fold_model.fit_rows_, fold_model.val_rows_
        assert np.array_equal(np.sort(np.concatenate([fit_rows, val_rows])), train)
        assert len(val_rows) == int(np.ceil(0.1 * len(train)))
        assert not set(val_rows) & set(test) and not set(fit_rows) & set(test)
        # stratified: the class shares of the validation rows are the fold's
        assert abs(Y[val_rows].mean() - Y[train].mean()) < 0.02


X_BASE = X


@takes_validation_rows
def test_fold_mode_validates_on_the_fold_held_out_rows():
    X = _indexed(X_BASE)
    cv = KFold(3, shuffle=True, random_state=1)
    weights = np.linspace(0.5, 1.5, len(X))
    model = MultiGranularityClassifier(
        [("rec", _recorder())], early_stopping="fold", refit=False, cv=cv
    ).fit(X, Y, sample_weight=weights)
    for fold_model, (train, test) in zip(model.named_estimators_["rec"], cv.split(X)):
        assert np.array_equal(fold_model.fit_rows_, train)
        assert np.array_equal(fold_model.val_rows_, test)
        assert np.array_equal(fold_model.val_weights_, weights[test])


@takes_validation_rows
@pytest.mark.parametrize("mode", ["inner", "fold"])
def test_pipeline_branch_gets_transformed_validation_rows(mode):
    """The preceding steps, fitted on the training rows, transform the
    validation rows before the model sees them."""
    X = _indexed(X_BASE)
    double = FunctionTransformer(lambda Z: Z * 2.0)
    cv = KFold(3)
    model = MultiGranularityClassifier(
        [("rec", make_pipeline(double, _recorder()))],
        early_stopping=mode,
        refit=False,
        cv=cv,
    ).fit(X, Y)
    for pipe, (_, test) in zip(model.named_estimators_["rec"], cv.split(X)):
        fit_rows, val_rows = pipe[-1].fit_rows_ // 2, pipe[-1].val_rows_ // 2
        assert np.array_equal(pipe[-1].fit_rows_ % 2, np.zeros_like(fit_rows))
        if mode == "fold":
            assert np.array_equal(val_rows, test)
        assert not set(val_rows) & set(fit_rows)
        assert set(fit_rows) | set(val_rows) <= set(range(len(X)))
    # the fitted steps are in the branch: it predicts
    assert model.score(X, Y) > 0.85


@pytest.mark.parametrize("make", [_lightgbm, _xgboost, _catboost])
def test_pipeline_of_a_boosting_library_early_stops(make):
    model = MultiGranularityClassifier(
        [("scaled", make_pipeline(StandardScaler(), make()))],
        early_stopping="inner",
        n_iter_no_change=10,
        cv=3,
    ).fit(X, Y)
    assert all(r < N_ROUNDS // 4 for r in model.best_iterations_["scaled"])
    refit = model.named_estimators_["scaled"]
    assert hasattr(refit[0], "mean_")  # the scaler was fitted in place
    assert model.refit_iterations_["scaled"] == _rounds(refit[-1])


def test_regressor_early_stops():
    model = MultiGranularityRegressor(
        [
            ("hist", HistGradientBoostingRegressor(max_iter=N_ROUNDS, random_state=0)),
        ],
        early_stopping="inner",
        n_iter_no_change=10,
        cv=3,
    ).fit(X_REG, Y_REG)
    assert all(r < N_ROUNDS // 4 for r in model.best_iterations_["hist"])
    assert model.score(X_REG, Y_REG) > 0.8


def test_without_early_stopping_every_round_is_fitted():
    model = MultiGranularityClassifier(
        [("hist", HistGradientBoostingClassifier(max_iter=30, early_stopping=False))],
        cv=3,
    ).fit(X, Y)
    assert model.named_estimators_["hist"].n_iter_ == 30
    assert not hasattr(model, "best_iterations_")


def test_memory_cache_keys_on_the_early_stopping_settings(tmp_path):
    """A cached fit with other settings is not reused: each setting gives
    the rounds of a fit without cache."""
    branches = [("hist", _hist())]
    for mode, patience in [("inner", 5), ("inner", 20), ("fold", 5)]:
        kwargs = dict(early_stopping=mode, n_iter_no_change=patience, cv=3)
        cached = MultiGranularityClassifier(branches, memory=str(tmp_path), **kwargs)
        plain = MultiGranularityClassifier(branches, **kwargs)
        cached.fit(X, Y)
        plain.fit(X, Y)
        assert cached.best_iterations_ == plain.best_iterations_
        assert cached.refit_iterations_ == plain.refit_iterations_
    assert cached.best_iterations_ != {"hist": [None] * 3}


def test_fits_are_deterministic():
    kwargs = dict(early_stopping="inner", n_iter_no_change=10, cv=3)
    first = MultiGranularityClassifier([("hist", _hist())], **kwargs).fit(X, Y)
    second = MultiGranularityClassifier([("hist", _hist())], **kwargs).fit(X, Y)
    assert first.best_iterations_ == second.best_iterations_
    assert np.array_equal(first.predict_proba(X), second.predict_proba(X))


def test_no_branch_to_early_stop_warns():
    model = MultiGranularityClassifier(
        [("nb", GaussianNB())], early_stopping="inner", cv=3
    )
    with pytest.warns(UserWarning, match="found no branch to early-stop"):
        model.fit(X, Y)
    assert model.best_iterations_ == {}


def test_prefit_refuses_early_stopping():
    nb = GaussianNB().fit(X, Y)
    model = MultiGranularityClassifier([("nb", nb)], cv="prefit", early_stopping="fold")
    with pytest.raises(ValueError, match="cv='prefit' fits none"):
        model.fit(X, Y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"early_stopping": "outer"}, "'early_stopping' parameter"),
        ({"n_iter_no_change": 0}, "'n_iter_no_change' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
    ],
)
def test_invalid_settings_are_refused(params, match):
    model = MultiGranularityClassifier([("hist", _hist())], **params)
    with pytest.raises(ValueError, match=match):
        model.fit(X, Y)


@takes_validation_rows
def test_inner_split_that_cannot_be_stratified_names_branch_and_fold():
    """A class with one training row in a fold cannot be stratified (the
    refit, with two, could)."""
    y = np.array([0] * 20 + [1] * 20 + [2] * 2)
    X = np.random.RandomState(0).normal(size=(len(y), 3))
    model = MultiGranularityClassifier(
        [("hist", _hist())], early_stopping="inner", validation_fraction=0.1, cv=2
    )
    with pytest.raises(
        ValueError,
        match=r"branch 'hist' failed in fold [12]/2: "
        r"early_stopping='inner' cannot hold out validation_fraction=0.1",
    ):
        model.fit(X, y)


@pytest.mark.parametrize("mode", ["inner", "fold"])
def test_cascade_levels_early_stop_too(mode):
    """The branches of a cascade's later levels (the view's output plus the
    earlier outputs) early-stop as the first level's do; best_iterations_
    records the first level."""
    branch = make_pipeline(StandardScaler(), _hist())
    model = MultiGranularityClassifier(
        [("boosting", branch), ("nb", GaussianNB())],
        fusion="cascade",
        early_stopping=mode,
        n_iter_no_change=10,
        cv=3,
    ).fit(X, Y)
    assert len(model.levels_) >= 2
    for level in model.levels_[1:]:
        later = level[0]  # the boosting branch of that level
        assert later.model_.n_iter_ < N_ROUNDS // 4
        assert hasattr(later.view_[0], "mean_")  # its view was fitted
    first = model.levels_[0][0][-1]
    assert _rounds(first) == model.refit_iterations_["boosting"]


def test_hist_best_round_is_where_its_validation_score_peaked():
    """HistGradientBoosting keeps n_iter_no_change rounds after its best: the
    recorded round is the best one, and the "fold" refit runs their mean."""
    model = MultiGranularityClassifier(
        [("hist", _hist())], early_stopping="fold", n_iter_no_change=10, cv=3
    ).fit(X, Y)
    # refit=True: the fold models are not kept; refit them with refit=False
    folds = MultiGranularityClassifier(
        [("hist", _hist())],
        early_stopping="fold",
        n_iter_no_change=10,
        cv=3,
        refit=False,
    ).fit(X, Y)
    for best, fold_model in zip(
        model.best_iterations_["hist"], folds.named_estimators_["hist"]
    ):
        assert best == np.argmax(fold_model.validation_score_)
        assert fold_model.n_iter_ > best  # it went on for n_iter_no_change rounds
    assert model.named_estimators_["hist"].n_iter_ == round(
        np.mean(model.best_iterations_["hist"])
    )


@pytest.mark.parametrize("fusion", ["cascade", "residual"])
def test_multi_level_fusions_record_each_branch_first_fit(fusion):
    """Residual fits one branch a level: every branch's rounds are recorded
    (those of the level it was first fitted in), and nothing warns."""
    from skmg.fusion import CascadeFusion

    branches = [
        ("ridge", make_pipeline(StandardScaler(), Ridge())),
        ("hist", HistGradientBoostingRegressor(max_iter=N_ROUNDS, random_state=0)),
    ]
    fusion = CascadeFusion(max_levels=2, tol=-10.0) if fusion == "cascade" else fusion
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MultiGranularityRegressor(
            branches,
            fusion=fusion,
            early_stopping="inner",
            n_iter_no_change=10,
            cv=3,
        ).fit(X_REG, Y_REG)
    assert list(model.best_iterations_) == ["hist"]
    assert all(r < N_ROUNDS for r in model.best_iterations_["hist"])


def test_single_step_pipeline_in_a_cascade_level():
    """A one-step Pipeline is early-stopped through its step in every level."""
    from skmg.fusion import CascadeFusion

    model = MultiGranularityClassifier(
        [("hist", make_pipeline(_hist())), ("nb", GaussianNB())],
        fusion=CascadeFusion(max_levels=2, tol=-10.0),
        early_stopping="inner",
        n_iter_no_change=10,
        cv=3,
    ).fit(X, Y)
    assert len(model.levels_) == 2
    later = model.levels_[1][0]
    assert later.model_.n_iter_ < N_ROUNDS // 4


@takes_validation_rows
def test_routed_weights_reach_model_and_validation_rows_only():
    """With metadata routing, a Pipeline whose last step alone requests the
    weights (under an alias) fits: the preceding steps get none, the model
    and its validation rows get them."""
    X = _indexed(X_BASE)
    weights = np.linspace(0.5, 1.5, len(X))
    with config_context(enable_metadata_routing=True):
        recorder = _recorder().set_fit_request(sample_weight="w")
        model = MultiGranularityClassifier(
            [("rec", make_pipeline(SimpleImputer(), recorder))],
            early_stopping="fold",
            refit=False,
            cv=KFold(3),
        ).fit(X, Y, w=weights)
    for pipe, (_, test) in zip(model.named_estimators_["rec"], KFold(3).split(X)):
        assert np.array_equal(pipe[-1].val_weights_, weights[test])


@takes_validation_rows
def test_validation_rows_of_the_user_are_refused():
    hist = _hist()
    X_val, y_val = X[:50], Y[:50]
    model = MultiGranularityClassifier([("hist", hist)], early_stopping="inner", cv=3)
    with config_context(enable_metadata_routing=True):
        hist.set_fit_request(X_val=True, y_val=True)
        with pytest.raises(
            ValueError,
            match=r"branch 'hist' failed in .*: early_stopping gives the model its "
            r"validation rows, but the fit parameters \['X_val', 'y_val'\]",
        ):
            model.fit(X, Y, X_val=X_val, y_val=y_val)


def test_xgboost_random_forest_is_fitted_as_given():
    xgboost = pytest.importorskip("xgboost")
    model = MultiGranularityClassifier(
        [("rf", xgboost.XGBRFClassifier(n_estimators=20)), ("hist", _hist())],
        early_stopping="inner",
        cv=3,
    ).fit(X, Y)
    assert list(model.best_iterations_) == ["hist"]


def test_lightgbm_alias_of_the_rounds_is_set_on_the_refit():
    lightgbm = pytest.importorskip("lightgbm")
    booster = lightgbm.LGBMClassifier(
        num_boost_round=N_ROUNDS, learning_rate=0.3, verbose=-1, random_state=0
    )
    model = MultiGranularityClassifier(
        [("lgbm", booster)], early_stopping="fold", n_iter_no_change=10, cv=3
    ).fit(X, Y)
    refit = model.named_estimators_["lgbm"]
    assert refit.booster_.current_iteration() == model.refit_iterations_["lgbm"]
    assert model.refit_iterations_["lgbm"] < N_ROUNDS // 4
