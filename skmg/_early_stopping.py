"""Early stopping of gradient-boosting branches, fold by fold.

One small adapter per library says how its model is given validation rows,
how many iterations it kept, and how to fix that number for a refit:
LightGBM (``eval_set`` and the ``early_stopping`` callback), XGBoost
(``early_stopping_rounds`` and ``eval_set``), CatBoost (``eval_set`` and
``early_stopping_rounds``) and scikit-learn's ``HistGradientBoosting*``
(``X_val``/``y_val``, scikit-learn >= 1.7; its own internal split before).
A branch that is a ``Pipeline`` is early-stopped through its last step: the
preceding steps are fitted on the training rows and transform the validation
rows; its samplers (an imbalanced-learn ``Pipeline``) resample the training
rows only. Any other branch is fitted as given.

:class:`EarlyStopping` is the setting a task of the plan carries; it is
picklable and hashable by joblib, so a ``memory`` cache keys on it.
"""

import inspect
import sys
import warnings

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from ._compat import SKLEARN_VERSION, _check_method_params, _safe_indexing
from ._levels import LevelBranch
from ._params import fit_view, split_branch_params
from ._samplers import fit_branch

# The seed of the "inner" validation split: the same rows for every run.
_SPLIT_SEED = 0


class EarlyStopping:
    """How one task of the plan early-stops its branch.

    Parameters
    ----------
    mode : {"inner", "fold"}
        ``"inner"``: validation rows are a ``validation_fraction`` of the
        task's own training rows (stratified for a classifier). ``"fold"``: a
        fold model early-stops on its fold's held-out rows; a refit runs
        ``iterations`` rounds.
    n_iter_no_change : int
        Rounds without improvement of the validation score before stopping.
    validation_fraction : float
        Share of the training rows held out in ``"inner"`` mode.
    stratify : bool
        Whether the ``"inner"`` split keeps the class proportions.
    iterations : int or None
        The number of rounds of a ``"fold"`` refit (the mean over the folds).
    """

    def __init__(
        self, mode, n_iter_no_change, validation_fraction, stratify, iterations=None
    ):
        self.mode = mode
        self.n_iter_no_change = n_iter_no_change
        self.validation_fraction = validation_fraction
        self.stratify = stratify
        self.iterations = iterations

    def with_iterations(self, iterations):
        """The same setting for a refit of ``iterations`` rounds."""
        return EarlyStopping(
            self.mode,
            self.n_iter_no_change,
            self.validation_fraction,
            self.stratify,
            iterations,
        )

    def fit(self, estimator, X, y, params, validation=None):
        """Fit ``estimator`` on ``X, y`` with early stopping, if it has an
        adapter; return the iterations its model kept (None without one).

        Parameters
        ----------
        estimator : estimator
            The task's clone of the branch.
        X, y : the task's training rows.
        params : dict
            The fit parameters for these rows.
        validation : tuple (X_val, y_val, params_val) or None
            The fold's held-out rows (``"fold"`` mode); None otherwise.
        """
        adapter, model = find_adapter(estimator)
        if adapter is None:
            fit_branch(estimator, X, y, params)
            return None

        # the model that gets fitted: the branch of an augmented level fits
        # a clone of the model it wraps
        def fitted():
            return estimator.model_ if isinstance(estimator, LevelBranch) else model

        if self.mode == "fold" and validation is None:
            if self.iterations is not None:  # else no fold model early-stopped
                adapter.set_iterations(model, self.iterations)
            fit_branch(estimator, X, y, params)
            return adapter.iterations(fitted())
        if not adapter.takes_validation_rows:
            # the model holds out a share of the rows it is given itself
            adapter.stop_internally(model, self)
            fit_branch(estimator, X, y, params)
            return adapter.iterations(fitted())
        if validation is None:
            X, y, params, validation = self._inner_split(X, y, params)
        X_val, y_val, params_val = validation
        # the validation rows are weighed as the model's training rows are
        weights = split_branch_params(_branch(estimator), params_val)[1].get(
            "sample_weight"
        )
        adapter.check_params(split_branch_params(_branch(estimator), params)[1])
        view = fit_view(estimator, X, y, params, X_val)
        adapter.fit(
            view.model, view.X, view.y, view.params, view.X_val, y_val, weights, self
        )
        view.done()
        return adapter.iterations(view.model)

    def _inner_split(self, X, y, params):
        """Hold out ``validation_fraction`` of the rows, stratified if asked."""
        rows = np.arange(len(y))
        stratify = y if self.stratify else None
        try:
            fit_rows, val_rows = train_test_split(
                rows,
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=_SPLIT_SEED,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping='inner' cannot hold out validation_fraction="
                f"{self.validation_fraction} of {len(rows)} training rows: {exc}"
            ) from exc
        fit_rows, val_rows = np.sort(fit_rows), np.sort(val_rows)
        validation = (
            _safe_indexing(X, val_rows),
            _safe_indexing(y, val_rows),
            _check_method_params(X, params, val_rows),
        )
        return (
            _safe_indexing(X, fit_rows),
            _safe_indexing(y, fit_rows),
            _check_method_params(X, params, fit_rows),
            validation,
        )


def _branch(estimator):
    """The branch as given: for the branch of an augmented level, the one it
    wraps (a template: the level clones it when it fits)."""
    return estimator.estimator if isinstance(estimator, LevelBranch) else estimator


def early_stopping_of(meta, state):
    """The early stopping of every task of the plan, or None."""
    if meta.early_stopping is None:
        return None
    if meta._prefit():
        raise ValueError(
            f"early_stopping={meta.early_stopping!r} early-stops the fits of "
            "the branches, but cv='prefit' fits none; use early_stopping=None."
        )
    return EarlyStopping(
        meta.early_stopping,
        meta.n_iter_no_change,
        meta.validation_fraction,
        stratify=meta._is_classifier() and not state.get("_multilabel"),
    )


def fitted_rounds(meta, record, stopping):
    """The best rounds of early stopping, as fitted attributes."""
    if stopping is None:
        return {}
    if not record.best_iterations and not record.refit_iterations:
        warnings.warn(
            f"early_stopping={meta.early_stopping!r} found no branch to "
            "early-stop (LightGBM, XGBoost, CatBoost or scikit-learn's "
            "HistGradientBoosting, alone or as the last step of a "
            "Pipeline); every branch was fitted as given.",
            UserWarning,
            stacklevel=4,
        )
    state = {"best_iterations_": record.best_iterations}
    if meta.refit:
        state["refit_iterations_"] = record.refit_iterations
    return state


def find_adapter(estimator):
    """The adapter of a branch and the model it drives, or ``(None, None)``.

    The model is the branch itself or the last step of a ``Pipeline``; for
    the branch of an augmented level, that of the branch it wraps (a
    template: the level clones it when it fits).
    """
    estimator = _branch(estimator)
    model = estimator
    if isinstance(estimator, Pipeline):
        model = estimator.steps[-1][1]
    for adapter in _ADAPTERS:
        if adapter.matches(model):
            return adapter, model
    return None, None


# Every adapter, in the order of its definition (filled by _Adapter subclasses).
_ADAPTERS = []


class _Adapter:
    """How the model of one library early-stops: ``fit`` with validation
    rows, the ``iterations`` a fitted model kept, ``set_iterations`` for a
    refit. A model matches by type: an instance of ``model_types`` (names in
    the module ``package``, looked up only once the library is loaded, as
    it is when a model of it exists) and of none of ``excluded_types``.

    Every subclass is an adapter (``__init_subclass__`` registers it): a new
    library is one new class.
    """

    package = None
    model_types = ()
    excluded_types = ()
    takes_validation_rows = True
    # fit parameters through which the adapter gives the validation rows
    validation_params = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _ADAPTERS.append(cls)

    @classmethod
    def matches(cls, model):
        module = sys.modules.get(cls.package)
        if module is None:  # the library is not loaded: no model of it exists
            return False
        types = tuple(getattr(module, name) for name in cls.model_types)
        excluded = tuple(getattr(module, name) for name in cls.excluded_types)
        return isinstance(model, types) and not isinstance(model, excluded)

    @classmethod
    def check_params(cls, params):
        """Refuse validation rows of the user's: early stopping gives its own."""
        given = sorted(set(params) & set(cls.validation_params))
        if given:
            raise ValueError(
                f"early_stopping gives the model its validation rows, but the fit "
                f"parameters {given} give others; drop them, or fit with "
                "early_stopping=None."
            )


class _LightGBM(_Adapter):
    """LightGBM: ``eval_set`` and the ``early_stopping`` callback."""

    package = "lightgbm"
    model_types = ("LGBMModel",)
    validation_params = ("eval_set", "eval_X", "eval_y", "eval_sample_weight")
    # LightGBM's names of its number of rounds
    _ROUNDS = (
        "n_estimators",
        "num_iterations",
        "num_iteration",
        "n_iter",
        "num_tree",
        "num_trees",
        "num_round",
        "num_rounds",
        "nrounds",
        "num_boost_round",
        "max_iter",
    )

    @staticmethod
    def fit(model, X, y, params, X_val, y_val, weights, setting):
        import lightgbm  # the model is a LightGBM model: LightGBM is there

        params = dict(params)
        callbacks = list(params.pop("callbacks", None) or [])
        callbacks.append(
            lightgbm.early_stopping(
                setting.n_iter_no_change, first_metric_only=True, verbose=False
            )
        )
        if weights is not None:
            params["eval_sample_weight"] = [weights]
        if "eval_X" in inspect.signature(model.fit).parameters:  # LightGBM >= 4.7
            params.update(eval_X=(X_val,), eval_y=(y_val,))
        else:
            params["eval_set"] = [(X_val, y_val)]
        model.fit(X, y, callbacks=callbacks, **params)

    @staticmethod
    def iterations(model):
        best = model.best_iteration_
        return int(best) if best else int(model.booster_.current_iteration())

    @classmethod
    def set_iterations(cls, model, n):
        given = model.get_params()
        model.set_params(**{k: n for k in cls._ROUNDS if k in given})


class _XGBoost(_Adapter):
    """XGBoost: ``early_stopping_rounds`` (a parameter) and ``eval_set``."""

    package = "xgboost"
    model_types = ("XGBModel",)
    # random forests: no early stopping
    excluded_types = ("XGBRFClassifier", "XGBRFRegressor")
    validation_params = ("eval_set", "sample_weight_eval_set")

    @staticmethod
    def fit(model, X, y, params, X_val, y_val, weights, setting):
        model.set_params(early_stopping_rounds=setting.n_iter_no_change)
        params = dict(params)
        params.setdefault("verbose", False)
        if weights is not None:
            params["sample_weight_eval_set"] = [weights]
        model.fit(X, y, eval_set=[(X_val, y_val)], **params)

    @staticmethod
    def iterations(model):
        best = getattr(model, "best_iteration", None)
        if best is None:
            return int(model.get_booster().num_boosted_rounds())
        return int(best) + 1

    @staticmethod
    def set_iterations(model, n):
        model.set_params(n_estimators=n, early_stopping_rounds=None)


class _CatBoost(_Adapter):
    """CatBoost: ``eval_set`` and ``early_stopping_rounds`` (its best model)."""

    package = "catboost"
    model_types = ("CatBoost",)
    validation_params = ("eval_set", "early_stopping_rounds", "use_best_model")

    _NAMES = ("iterations", "n_estimators", "num_boost_round", "num_trees")

    @staticmethod
    def fit(model, X, y, params, X_val, y_val, weights, setting):
        evaluation = (X_val, y_val)
        if weights is not None:
            import catboost  # the model is a CatBoost model: CatBoost is there

            columns = {
                kind: params.get(kind, model.get_param(kind))
                for kind in ("cat_features", "text_features", "embedding_features")
            }
            evaluation = catboost.Pool(X_val, y_val, weight=weights, **columns)
        model.fit(
            X,
            y,
            eval_set=evaluation,
            early_stopping_rounds=setting.n_iter_no_change,
            use_best_model=True,
            **params,
        )

    @staticmethod
    def iterations(model):
        return int(model.tree_count_)

    @classmethod
    def set_iterations(cls, model, n):
        given = model.get_params()
        name = next((k for k in cls._NAMES if k in given), "iterations")
        model.set_params(**{name: n})


class _HistGradientBoosting(_Adapter):
    """scikit-learn's ``HistGradientBoosting*``: ``X_val``/``y_val`` (>= 1.7),
    else its internal early stopping on a share of the training rows."""

    package = "sklearn.ensemble"
    model_types = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor")
    # scikit-learn 1.7 added X_val and y_val to fit
    takes_validation_rows = SKLEARN_VERSION >= (1, 7)
    validation_params = ("X_val", "y_val", "sample_weight_val")

    @staticmethod
    def fit(model, X, y, params, X_val, y_val, weights, setting):
        model.set_params(early_stopping=True, n_iter_no_change=setting.n_iter_no_change)
        if weights is not None:
            params = {**params, "sample_weight_val": weights}
        model.fit(X, y, X_val=X_val, y_val=y_val, **params)

    @staticmethod
    def stop_internally(model, setting):
        """Before 1.7: the model's own early stopping, on its own share of
        the rows it is given (never a fold's held-out rows)."""
        model.set_params(
            early_stopping=True,
            n_iter_no_change=setting.n_iter_no_change,
            validation_fraction=setting.validation_fraction,
        )

    @staticmethod
    def iterations(model):
        # it keeps the rounds after its best: the best is where its
        # validation score peaked (entry 0: before the first round)
        scores = getattr(model, "validation_score_", None)
        if model.early_stopping is not True or scores is None or not len(scores):
            return int(model.n_iter_)
        return max(1, int(np.argmax(scores)))

    @staticmethod
    def set_iterations(model, n):
        model.set_params(max_iter=n, early_stopping=False)
