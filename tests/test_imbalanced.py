"""Branches that are imbalanced-learn pipelines with samplers.

A sampler resamples a branch's training rows (never its validation rows, nor
the rows it predicts); ``sample_weight`` follows the rows a sampler keeps,
and is refused before any fit for a sampler that makes new rows. Skipped
without imbalanced-learn (``pip install ".[imbalanced]"``); LightGBM
(``".[gbdt]"``) for the tests that use it.
"""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler

from skmg import MultiGranularityClassifier
from skmg._compat import SKLEARN_VERSION
from skmg._early_stopping import _SPLIT_SEED
from skmg._levels import LevelBranch
from skmg.fusion import CascadeFusion

pytest.importorskip("imblearn")

from imblearn.over_sampling import SMOTE, RandomOverSampler  # noqa: E402
from imblearn.pipeline import make_pipeline  # noqa: E402
from imblearn.under_sampling import (  # noqa: E402
    ClusterCentroids,
    RandomUnderSampler,
)

takes_validation_rows = pytest.mark.skipif(
    SKLEARN_VERSION < (1, 7), reason="HistGradientBoosting takes X_val from 1.7"
)

X_RAW, Y = make_classification(
    n_samples=600,
    n_features=6,
    n_informative=4,
    weights=[0.85],
    flip_y=0.02,
    random_state=0,
)
# column 0 holds the row's index / 1000 (a feature of the scale of the
# others): a recording model reads which rows it got
X = np.column_stack([np.arange(len(X_RAW)) / 1000, X_RAW])


def _rows(X):
    """The rows of ``X``, read from its column 0."""
    return np.rint(np.asarray(X)[:, 0] * 1000).astype(int)


N_ROUNDS = 500


class _RecordingHist(HistGradientBoostingClassifier):
    """Records the rows (column 0), target and weights it is fitted on, and
    the rows it is validated on."""

    def fit(self, X, y, sample_weight=None, **validation):
        X_val = validation.get("X_val")
        self.fit_X_ = np.asarray(X).copy()
        self.fit_rows_ = _rows(X)
        self.fit_y_ = np.asarray(y).copy()
        self.fit_weights_ = sample_weight
        self.val_X_ = None if X_val is None else np.asarray(X_val).copy()
        self.val_y_ = validation.get("y_val")
        self.val_weights_ = validation.get("sample_weight_val")
        return super().fit(X, y, sample_weight=sample_weight, **validation)


class _RecordingLogistic(LogisticRegression):
    """Records the rows (column 0), target and weights it is fitted on."""

    def fit(self, X, y, sample_weight=None):
        self.fit_rows_ = _rows(X)
        self.fit_y_ = np.asarray(y).copy()
        self.fit_weights_ = sample_weight
        return super().fit(X, y, sample_weight=sample_weight)


FITS = []  # every fit of a _CountingLogistic


class _CountingLogistic(LogisticRegression):
    """Says in FITS when it is fitted."""

    def fit(self, X, y, sample_weight=None):
        FITS.append(type(self).__name__)
        return super().fit(X, y, sample_weight=sample_weight)


def _view():
    """Keeps the index column; scales the others (fitted on what it is given)."""
    return ColumnTransformer(
        [("index", "passthrough", [0]), ("scale", StandardScaler(), slice(1, None))]
    )


def _sampled_branch(sampler=None, model=None):
    return make_pipeline(
        _view(),
        sampler if sampler is not None else RandomUnderSampler(random_state=0),
        model
        if model is not None
        else _RecordingHist(max_iter=N_ROUNDS, learning_rate=0.3, random_state=0),
    )


def _sampled_rows(rows, sampler=None):
    """The rows a fresh copy of ``sampler`` keeps of ``rows``."""
    sampler = RandomUnderSampler(random_state=0) if sampler is None else sampler
    sampler = clone(sampler)
    sampler.fit_resample(X[rows], Y[rows])
    return rows[sampler.sample_indices_]


def _check_fit(branch, fit_rows, val_rows):
    """The branch's view was fitted on ``fit_rows``, its model on the
    under-sampled ``fit_rows`` and validated on every row of ``val_rows``,
    transformed by the view, not resampled."""
    view, model = branch[0], branch[-1]
    scaler = view.named_transformers_["scale"]
    np.testing.assert_allclose(scaler.mean_, X[fit_rows, 1:].mean(axis=0))
    expected = _sampled_rows(fit_rows)
    assert np.array_equal(model.fit_rows_, expected)
    assert np.array_equal(model.fit_y_, Y[expected])
    # under-sampled: as many rows of each class
    assert np.bincount(model.fit_y_)[0] == np.bincount(model.fit_y_)[1]
    np.testing.assert_array_equal(model.val_X_, view.transform(X[val_rows]))
    assert np.array_equal(model.val_y_, Y[val_rows])
    # early-stopped
    assert 1 <= model.n_iter_ < N_ROUNDS


@takes_validation_rows
def test_inner_mode_resamples_the_training_rows_only():
    """early_stopping='inner': the refit's view is fitted on the inner
    training rows, its model on their under-sampled rows; the inner
    validation rows (10%, stratified) reach the model through the view,
    every one of them, never resampled; the model stops early."""
    model = MultiGranularityClassifier(
        [("rus", _sampled_branch()), ("nb", GaussianNB())],
        early_stopping="inner",
        cv=3,
    ).fit(X, Y)
    rows = np.arange(len(Y))
    fit_rows, val_rows = train_test_split(
        rows, test_size=0.1, stratify=Y, random_state=_SPLIT_SEED
    )
    branch = model.named_estimators_["rus"]
    _check_fit(branch, np.sort(fit_rows), np.sort(val_rows))
    # the round where its validation score peaked
    peak = int(np.argmax(branch[-1].validation_score_))
    assert model.refit_iterations_ == {"rus": peak}


@takes_validation_rows
def test_fold_mode_resamples_the_training_rows_only():
    """early_stopping='fold': each fold model's view is fitted on the fold's
    training rows, its model on their under-sampled rows, and it is validated
    on every held-out row of the fold, never resampled."""
    model = MultiGranularityClassifier(
        [("rus", _sampled_branch()), ("nb", GaussianNB())],
        early_stopping="fold",
        refit=False,
        cv=3,
    ).fit(X, Y)
    folds = list(StratifiedKFold(3).split(X, Y))
    for branch, (train, test) in zip(model.named_estimators_["rus"], folds):
        _check_fit(branch, train, test)
    assert len(model.best_iterations_["rus"]) == 3


@pytest.mark.parametrize("mode", ["inner", "fold"])
def test_lightgbm_after_an_under_sampler_stops_early(mode):
    """The branch of the issue: RandomUnderSampler then LightGBM, early-stopped
    in both modes (fewer rounds than n_estimators), and it predicts."""
    lightgbm = pytest.importorskip("lightgbm")
    booster = lightgbm.LGBMClassifier(
        n_estimators=N_ROUNDS, learning_rate=0.3, verbose=-1, random_state=0
    )
    model = MultiGranularityClassifier(
        [
            ("rus_lgbm", make_pipeline(RandomUnderSampler(random_state=0), booster)),
            ("nb", GaussianNB()),
        ],
        cv=3,
        early_stopping=mode,
    ).fit(X_RAW, Y)
    folds = model.best_iterations_["rus_lgbm"]
    assert len(folds) == 3 and all(1 <= r < N_ROUNDS for r in folds)
    refit = model.named_estimators_["rus_lgbm"][-1]
    assert model.refit_iterations_["rus_lgbm"] < N_ROUNDS
    if mode == "inner":
        assert refit.best_iteration_ == model.refit_iterations_["rus_lgbm"]
    else:  # the mean of the folds, run without validation rows
        assert model.refit_iterations_["rus_lgbm"] == round(np.mean(folds))
        assert refit.booster_.current_iteration() == round(np.mean(folds))
    assert model.score(X_RAW, Y) > 0.9


def test_without_early_stopping_the_branch_fits_as_imbalanced_learn_does():
    """early_stopping=None: the refitted branch is imbalanced-learn's own fit
    of the pipeline (same rows, same predictions), all rounds run."""
    branch = _sampled_branch(
        model=HistGradientBoostingClassifier(max_iter=30, random_state=0)
    )
    model = MultiGranularityClassifier(
        [("rus", branch), ("nb", GaussianNB())], cv=3
    ).fit(X, Y)
    fitted = model.named_estimators_["rus"]
    alone = clone(branch).fit(X, Y)
    np.testing.assert_array_equal(fitted.predict_proba(X), alone.predict_proba(X))
    assert fitted[-1].n_iter_ == 30
    assert np.array_equal(fitted[1].sample_indices_, alone[1].sample_indices_)


@pytest.mark.parametrize("early_stopping", [None, "inner"])
def test_cascade_level_feeds_the_sampled_rows_their_previous_outputs(
    early_stopping,
):
    """In a cascade's second level, an under-sampler keeps rows of the view
    and the model gets those rows' previous outputs next to them, and their
    labels; prediction skips the sampler."""
    model = MultiGranularityClassifier(
        [("rus", _sampled_branch()), ("nb", GaussianNB())],
        fusion=CascadeFusion(max_levels=2, tol=-1),
        early_stopping=early_stopping,
        cv=3,
    ).fit(X, Y)
    assert len(model.levels_) == 2
    level_branch = model.levels_[1][0]
    assert isinstance(level_branch, LevelBranch)
    recorder = level_branch.model_
    rows = np.arange(len(Y))
    if early_stopping == "inner":
        split = train_test_split(
            rows, test_size=0.1, stratify=Y, random_state=_SPLIT_SEED
        )
        rows = np.sort(split[0])
    expected = _sampled_rows(rows)
    assert np.array_equal(recorder.fit_rows_, expected)
    assert np.array_equal(recorder.fit_y_, Y[expected])
    # the view's 7 columns, then the two class probabilities of each branch
    # at level 1: the out-of-fold ones of the kept rows
    assert recorder.fit_X_.shape == (len(expected), X.shape[1] + 4)
    nb = cross_val_predict(
        GaussianNB(), X, Y, cv=StratifiedKFold(3), method="predict_proba"
    )
    np.testing.assert_allclose(recorder.fit_X_[:, -2:], nb[expected])
    if early_stopping == "inner":
        assert recorder.n_iter_ < N_ROUNDS
        assert len(recorder.val_y_) == len(Y) - len(rows)
    assert model.predict(X).shape == (len(Y),)


def test_cascade_refuses_a_sampler_that_makes_rows():
    """SMOTE makes rows that have no previous outputs: a cascade's second
    level says so, naming the branch, the level and the sampler."""
    model = MultiGranularityClassifier(
        [
            ("smote", _sampled_branch(SMOTE(random_state=0), LogisticRegression())),
            ("nb", GaussianNB()),
        ],
        fusion=CascadeFusion(max_levels=2, tol=-1),
        cv=3,
    )
    with pytest.raises(
        ValueError,
        match=r"branch 'smote' failed .* of level 2: the sampler 'smote' \(SMOTE\) "
        "makes new rows",
    ):
        model.fit(X, Y)


# -- sample_weight ----------------------------------------------------------

WEIGHTS = np.linspace(0.5, 2.0, len(Y))


@pytest.mark.parametrize(
    "sampler",
    [RandomUnderSampler(random_state=0), RandomOverSampler(random_state=0)],
    ids=["under", "over"],
)
def test_sample_weight_follows_the_rows_a_sampler_keeps(sampler):
    """Each fold model gets the weights of the rows the sampler kept (or
    repeated), as imbalanced-learn's RUSBoostClassifier carries its weights
    through its sampler (``sample_weight[sampler.sample_indices_]``)."""
    branch = make_pipeline(clone(sampler), _RecordingLogistic())
    model = MultiGranularityClassifier(
        [("sampled", branch), ("nb", GaussianNB())], refit=False, cv=3
    ).fit(X, Y, sample_weight=WEIGHTS)
    folds = list(StratifiedKFold(3).split(X, Y))
    for fitted, (train, _) in zip(model.named_estimators_["sampled"], folds):
        expected = _sampled_rows(train, sampler)
        recorder = fitted[-1]
        assert np.array_equal(recorder.fit_rows_, expected)
        assert np.array_equal(recorder.fit_weights_, WEIGHTS[expected])


def test_weighted_branch_is_imbalanced_learns_weighted_model():
    """The refitted branch is the model imbalanced-learn's convention gives:
    fitted on the sampler's rows with their weights. imbalanced-learn's own
    Pipeline cannot take those weights (they no longer match the rows)."""
    branch = make_pipeline(RandomUnderSampler(random_state=0), LogisticRegression())
    model = MultiGranularityClassifier(
        [("rus", branch), ("nb", GaussianNB())], cv=3
    ).fit(X, Y, sample_weight=WEIGHTS)
    sampler = RandomUnderSampler(random_state=0)
    X_res, y_res = sampler.fit_resample(X, Y)
    expected = LogisticRegression().fit(
        X_res, y_res, sample_weight=WEIGHTS[sampler.sample_indices_]
    )
    fitted = model.named_estimators_["rus"][-1]
    np.testing.assert_array_equal(fitted.coef_, expected.coef_)
    with pytest.raises(ValueError, match="sample_weight.shape"):
        clone(branch).fit(X, Y, logisticregression__sample_weight=WEIGHTS)


@takes_validation_rows
def test_sample_weight_with_early_stopping():
    """early_stopping='inner': the model gets the weights of its under-sampled
    training rows; the validation rows are weighed with their own weights."""
    model = MultiGranularityClassifier(
        [("rus", _sampled_branch())], early_stopping="inner", cv=3
    ).fit(X, Y, sample_weight=WEIGHTS)
    fit_rows, val_rows = train_test_split(
        np.arange(len(Y)), test_size=0.1, stratify=Y, random_state=_SPLIT_SEED
    )
    recorder = model.named_estimators_["rus"][-1]
    expected = _sampled_rows(np.sort(fit_rows))
    assert np.array_equal(recorder.fit_rows_, expected)
    assert np.array_equal(recorder.fit_weights_, WEIGHTS[expected])
    assert np.array_equal(recorder.val_weights_, WEIGHTS[np.sort(val_rows)])


def test_sample_weight_follows_the_rows_under_metadata_routing():
    """With metadata routing, the weights the model requests follow the rows
    the sampler keeps."""
    with config_context(enable_metadata_routing=True):
        branch = make_pipeline(
            RandomUnderSampler(random_state=0),
            _RecordingLogistic().set_fit_request(sample_weight=True),
        )
        model = MultiGranularityClassifier(
            [("rus", branch)], fusion="average", cv=3
        ).fit(X, Y, sample_weight=WEIGHTS)
    recorder = model.named_estimators_["rus"][-1]
    expected = _sampled_rows(np.arange(len(Y)))
    assert np.array_equal(recorder.fit_weights_, WEIGHTS[expected])


@pytest.mark.parametrize(
    "sampler, name",
    [(SMOTE(random_state=0), "SMOTE"), (ClusterCentroids(random_state=0), "Cluster")],
)
@pytest.mark.parametrize("routing", [False, True])
def test_sample_weight_is_refused_before_any_fit_for_a_sampler_making_rows(
    sampler, name, routing
):
    """A sampler that makes new rows has no weights for them: fit raises a
    ValueError naming the branch, the step and the sampler, before any
    branch is fitted."""
    FITS.clear()
    with config_context(enable_metadata_routing=routing):
        model_step = LogisticRegression()
        first = _CountingLogistic()
        if routing:
            model_step.set_fit_request(sample_weight=True)
            first.set_fit_request(sample_weight=True)
        model = MultiGranularityClassifier(
            [("first", first), ("made", make_pipeline(sampler, model_step))], cv=3
        )
        message = (
            r"branch 'made' cannot give its step 'logisticregression' the fit "
            rf"parameters \['sample_weight'\] \(one value per row\): its sampler "
            rf"'{name.lower()}\w*' \({name}\w*\) makes new rows"
        )
        with pytest.raises(ValueError, match=message):
            model.fit(X, Y, sample_weight=WEIGHTS)
        assert FITS == []
        # without weights, the same branches fit
        model.fit(X, Y)
    assert FITS
