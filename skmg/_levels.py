"""A level of the fit: one pass of the plan over some branches on fixed folds.

A single-pass fusion fits one level (every branch); a multi-pass strategy
(cascade, residual) asks for more, each a :class:`~skmg.fusion.Level`. This
module runs them and builds the input of an augmented level, where each branch
also sees the previous level's outputs.
"""

import numbers
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from ._outputs import VALUE, aggregate, branch_output, fitted_output
from ._params import split_branch_params, view_pipeline
from ._plan import Task, _task_error, run_plan
from ._record import FittedLevel
from ._samplers import fit_head, has_samplers, is_sampler, transform_head


class FitSettings(NamedTuple):
    """What every level of one fit shares: the data, the folds, the problem
    and the settings of the plan."""

    X: object
    y: np.ndarray
    sample_weight: object
    folds: object  # list of (train, test), or None: branches are prefit
    classes: object  # the meta-estimator's classes (prefit branches' labels)
    refit: bool
    memory: object
    n_jobs: object
    verbose: int
    stopping: object  # EarlyStopping or None
    estimates: object = None  # per branch, a provider of _estimates or None


def fit_levels(strategy, record, estimators, params, fit):
    """Fit the levels ``strategy`` asks for; fill ``record`` and return it.

    A single-pass strategy asks for one level (every branch); a multi-pass
    one asks for the next after each, given the out-of-fold outputs so far,
    until it asks for none, then says how many to keep. Each level's tasks
    (every branch on every fold, and the refits) run in one ``Parallel``
    call (:func:`~skmg._plan.run_plan`).

    Parameters
    ----------
    strategy : BaseFusion
        The unfitted fusion strategy.
    record : FitRecord
        The record of this fit, with its branch names and output methods.
    estimators : list of estimator
        The unfitted branches.
    params : list of dict
        The fit parameters of each branch.
    fit : FitSettings
        The data and settings of the fit.

    Returns
    -------
    record : FitRecord
    """
    n = len(record.names)
    level = strategy.next_level([], fit.y, fit.sample_weight, n_branches=n)
    if level is None:
        raise ValueError(
            f"{type(strategy).__name__}.next_level asked for no level; a fusion "
            "strategy fits at least one (its default: every branch once)."
        )
    sample_weight = fit.sample_weight
    while level is not None:
        _check_another_level(strategy, record, fit)
        branches = list(range(n) if level.branches is None else level.branches)
        X, models = fit.X, [estimators[b] for b in branches]
        if level.augment:
            previous = record.level_outputs[-1]
            X = augmented_input(fit.X, previous)
            n_features = X.shape[1] - sum(block.shape[1] for block in previous)
            models = [LevelBranch(model, n_features) for model in models]
        y = fit.y if level.target is None else level.target
        if fit.folds is None:
            fitted, blocks = _prefit_level(record, branches, models, X, fit)
            covered = np.ones(len(fit.y), dtype=bool)
        else:
            tasks, plan = _level_plan(record, branches, params, fit, level.augment)
            results = run_plan(tasks, models, X, y, fit.folds, **plan)
            if fit.refit and _refits_last(fit):
                tasks, results = _refit_with_fold_rounds(
                    tasks, results, models, X, y, fit, plan
                )
            fitted, blocks, covered = _collect(record, tasks, results, fit)
        record.add_level(FittedLevel(branches, fitted, level.augment), blocks, covered)
        if sample_weight is not None:
            sample_weight = fit.sample_weight[record.covered]
        y_covered = fit.y[record.covered]
        levels = record.oof_levels()
        level = strategy.next_level(levels, y_covered, sample_weight, n_branches=n)
    record.keep(strategy.used_levels(levels, y_covered, sample_weight))
    return record


def _check_another_level(strategy, record, fit):
    """A level after the first needs fitted branches and every row covered."""
    if not record.levels:
        return
    if fit.folds is None:
        raise ValueError(
            f"cv='prefit' uses the branches as they are, but fusion="
            f"{type(strategy).__name__}() fits them again in further levels; "
            "use a cross-validation (cv=5) or a single-pass fusion."
        )
    if not record.covered.all():
        raise ValueError(
            f"{type(strategy).__name__} feeds every row's out-of-fold outputs "
            "to the next level, so 'cv' must put every row in a test fold "
            "(and, with oof_method='auto', every row must be out of the bag "
            f"of some tree); {int((~record.covered).sum())} rows have no "
            "out-of-fold output."
        )


def _refits_last(fit):
    """Early stopping on the folds' held-out rows refits after the folds,
    with the mean rounds of the fold models."""
    return fit.stopping is not None and fit.stopping.mode == "fold"


def _level_plan(record, branches, params, fit, augment):
    """The tasks of a level and the settings of its plan.

    The refits (the longest fits) first, then fold by fold: workers start on
    the long tasks, and with branches of similar cost the fits of one branch
    seldom run at once (lower peak memory).
    """
    folds = [
        *([None] if fit.refit and not _refits_last(fit) else []),
        *range(len(fit.folds)),
    ]
    names = [record.names[b] for b in branches]
    estimates = [None if fit.estimates is None else fit.estimates[b] for b in branches]
    # a branch that estimates itself: one task on all rows, with the refits
    tasks = [
        Task(i, name, None, estimates[i].method)
        for i, name in enumerate(names)
        if estimates[i]
    ]
    tasks += [
        Task(i, name, fold)
        for fold in folds
        for i, name in enumerate(names)
        if estimates[i] is None
    ]
    stopping = None if fit.stopping is None else [fit.stopping] * len(branches)
    plan = dict(
        methods=[record.methods[b] for b in branches],
        n_classes=record.n_classes,
        n_targets=record.n_targets,
        fit_params=[params[b] for b in branches],
        memory=fit.memory,
        n_jobs=fit.n_jobs,
        verbose=fit.verbose,
        keep_fold_models=not fit.refit,
        # a branch fitted again on earlier outputs: say which level
        level=len(record.levels) + 1 if augment else None,
        stopping=stopping,
        estimates=estimates if any(estimates) else None,
    )
    return tasks, plan


def _refit_with_fold_rounds(tasks, results, models, X, y, fit, plan):
    """The refits of ``"fold"`` early stopping: each runs the mean rounds of
    its branch's fold models, in a second task list."""
    rounds = [
        [r.iterations for t, r in zip(tasks, results) if t.branch == b]
        for b in range(len(models))
    ]
    each = [fit.stopping.with_iterations(_mean_rounds(r)) for r in rounds]
    names = {task.branch: task.name for task in tasks if task.fold is not None}
    refits = [Task(b, names[b], None) for b in sorted(names)]
    plan = dict(plan, stopping=each)
    results = results + run_plan(refits, models, X, y, fit.folds, **plan)
    return tasks + refits, results


def _collect(record, tasks, results, fit):
    """A level's fitted models, out-of-fold blocks and covered rows, from
    its task results; the record gets the times and the rounds."""
    n = len({task.branch for task in tasks})
    fold_models, fold_outputs = [[] for _ in range(n)], [[] for _ in range(n)]
    refitted, estimated = [None] * n, {}
    for task, result in zip(tasks, results):
        record.fit_times[task.name] += result.seconds
        # the rounds of a branch's first level (as estimators_ holds it)
        first_level = record.first_models[record.names.index(task.name)] is None
        if result.iterations is not None and first_level:
            if task.fold is None:
                record.refit_iterations[task.name] = result.iterations
            else:
                rounds = [None] * len(fit.folds)
                rounds = record.best_iterations.setdefault(task.name, rounds)
                rounds[task.fold] = result.iterations
        if result.covered is not None:  # the branch estimated itself
            estimated[task.branch] = result
            refitted[task.branch] = result.model
            fold_models[task.branch].append(result.model)
        elif task.fold is None:
            refitted[task.branch] = result.model
        else:
            fold_models[task.branch].append(result.model)
            fold_outputs[task.branch].append(result.output)
    test_rows = [test for _, test in fit.folds]
    n_samples = len(fit.y)
    blocks, covered = [], np.ones(n_samples, dtype=bool)
    methods = {
        task.branch: record.methods[record.names.index(task.name)] for task in tasks
    }
    for b in range(n):
        if b in estimated:
            block, rows = estimated[b].output, estimated[b].covered
        else:
            block, rows = aggregate(
                fold_outputs[b], test_rows, n_samples, methods[b], record.n_classes
            )
        blocks.append(block)
        covered &= rows
    if not covered.any():
        raise ValueError(
            "'cv' left every row out of the test folds; the fusion stage "
            "needs out-of-fold outputs for at least one row."
        )
    return (refitted if fit.refit else fold_models), blocks, covered


def _mean_rounds(rounds):
    """The rounds of a refit: the mean over the fold models (None if no fold
    model early-stopped, as for a branch without an adapter)."""
    rounds = [r for r in rounds if r is not None]
    return max(1, int(round(np.mean(rounds)))) if rounds else None


def _prefit_level(record, branches, estimators, X, fit):
    """Branches fitted beforehand: used as they are, their outputs on
    the given rows (in-sample) are what the fusion learns from."""
    models, blocks = [], []
    for b, estimator in zip(branches, estimators):
        name, method = record.names[b], record.methods[b]
        try:
            check_is_fitted(estimator)
        except NotFittedError as exc:
            raise NotFittedError(
                f"cv='prefit' uses the branches as they are, but branch "
                f"{name!r} is not fitted: {exc}"
            ) from exc
        model = estimator
        if record.n_classes is not None and method != VALUE:
            model = PrefitBranch(estimator, fit.classes)
            model.check(name)
        try:
            blocks.append(
                branch_output(model, X, method, record.n_classes, record.n_targets)
            )
        except Exception as exc:
            raise _task_error(exc, f"branch {name!r} failed in predict") from exc
        models.append(model)
    return models, blocks


def predict_levels(record, X):
    """The outputs of every kept level of ``record`` for ``X``, through the
    gate: each level's branches in turn, an augmented level fed the previous
    level's outputs. An error names the branch (and the level)."""
    levels = []
    for number, level in enumerate(record.levels, start=1):
        level_X = augmented_input(X, levels[-1]) if level.augment else X
        blocks = []
        for b, model in zip(level.branches, level.models):
            try:
                block = fitted_output(
                    model,
                    level_X,
                    record.methods[b],
                    record.n_classes,
                    record.n_targets,
                )
            except Exception as exc:
                where = f"branch {record.names[b]!r} failed in predict"
                if len(record.levels) > 1:
                    where += f" (level {number})"
                raise _task_error(exc, where) from exc
            blocks.append(block)
        levels.append(record.outputs(blocks, level.branches))
    return levels


class PrefitBranch(BaseEstimator):
    """A classifier branch fitted beforehand (``cv="prefit"``), seen in the
    encoded labels of the meta-estimator: its class columns and predicted
    labels are mapped onto ``0 .. n_classes - 1``.

    Parameters
    ----------
    estimator : classifier
        The fitted branch, as given.
    classes : ndarray of shape (n_classes,)
        The classes of the meta-estimator (sorted).
    """

    def __init__(self, estimator, classes):
        self.estimator = estimator
        self.classes = classes

    def check(self, name):
        """Raise a ValueError naming the branch if it knows other classes."""
        known = np.asarray(getattr(self.estimator, "classes_", self.classes))
        unknown = np.setdiff1d(known, self.classes)
        if len(unknown):
            raise ValueError(
                f"cv='prefit': branch {name!r} was fitted on the classes "
                f"{known.tolist()}, some of which ({unknown.tolist()}) are not "
                f"in y ({np.asarray(self.classes).tolist()})."
            )

    @property
    def classes_(self):
        return np.searchsorted(self.classes, self.estimator.classes_)

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X):
        return np.searchsorted(self.classes, self.estimator.predict(X))

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X):
        return self.estimator.predict_proba(X)

    @available_if(lambda self: hasattr(self.estimator, "decision_function"))
    def decision_function(self, X):
        return self.estimator.decision_function(X)


def augmented_input(X, outputs):
    """The input of an augmented level: the original features, then the
    previous level's outputs.

    A pandas or polars DataFrame with string column names stays a DataFrame
    (its columns and dtypes intact, so that a branch can select columns by
    name or read categories), the outputs joined as named columns
    ``{branch}_{output}_{j}``; a pandas DataFrame with integer column names
    gets the next integers. Anything else becomes a numeric array (sparse
    stays sparse).
    """
    blocks = list(outputs)
    columns = list(getattr(X, "columns", []))
    if _is_pandas(X) and all(isinstance(c, numbers.Integral) for c in columns):
        # integer column names (pandas' default) continue as integers
        import pandas as pd  # X is a pandas DataFrame: pandas is there

        start = max(columns, default=-1) + 1
        values = np.hstack(blocks)
        names = range(start, start + values.shape[1])
        extra = pd.DataFrame(values, columns=names, index=X.index)
        return pd.concat([X, extra], axis=1)
    if (_is_pandas(X) or _is_polars(X)) and all(isinstance(c, str) for c in columns):
        names = [
            f"{name}_{kind}_{j}"
            for name, kind, block in zip(outputs.names, outputs.kinds, blocks)
            for j in range(block.shape[1])
        ]
        clash = sorted(set(names) & set(columns))
        if clash:
            raise ValueError(
                f"the columns {clash} of X have the names a cascade gives the "
                "previous level's outputs; rename them."
            )
        values = np.hstack(blocks)
        if _is_pandas(X):
            import pandas as pd  # X is a pandas DataFrame: pandas is there

            extra = pd.DataFrame(values, columns=names, index=X.index)
            return pd.concat([X, extra], axis=1)
        import polars as pl  # X is a polars DataFrame: polars is there

        return X.hstack(pl.DataFrame(values, schema=names, orient="row"))
    X = check_array(X, accept_sparse="csr", ensure_all_finite=False)
    if sp.issparse(X):
        return sp.hstack([X, *blocks], format="csr")
    return np.hstack([X, *blocks])


def _join(view, previous):
    """The model's input of an augmented level: the view, then the previous
    outputs."""
    if sp.issparse(view) or sp.issparse(previous):
        return sp.hstack([sp.csr_matrix(view), previous], format="csr")
    return np.hstack([view, previous])


def _is_pandas(X):
    return type(X).__module__.startswith("pandas") and hasattr(X, "iloc")


def _is_polars(X):
    return type(X).__module__.startswith("polars") and hasattr(X, "hstack")


class LevelBranch(BaseEstimator):
    """A branch of an augmented level: its view, plus the previous outputs.

    The input holds the original features (the first ``n_features`` columns)
    followed by the out-of-fold outputs of the previous level. A ``Pipeline``
    branch transforms the original features with its view (every step but the
    last) and gives the model the view's output next to the previous outputs,
    as gcForest concatenates class vectors to the scanned features; any other
    branch gets all columns.

    Parameters
    ----------
    estimator : estimator
        The branch, as given in ``granularities``.
    n_features : int
        Number of original feature columns at the front of the input.
    """

    # the branch a provider of _estimates looks into (skmg._estimates)
    wraps_branch = True

    def __init__(self, estimator, n_features):
        self.estimator = estimator
        self.n_features = n_features

    def model_input(self, X):
        """What the fitted model takes for ``X``: the view's output, then
        the previous outputs."""
        return self._model_input(X)

    def _split(self, X):
        """The original features (as given: a DataFrame stays one) and the
        previous outputs (an array)."""
        n = self.n_features
        if _is_pandas(X):
            return X.iloc[:, :n], X.iloc[:, n:].to_numpy(dtype=np.float64)
        if _is_polars(X):
            return X[:, :n], X[:, n:].to_numpy().astype(np.float64)
        return X[:, :n], X[:, n:]

    def _model_input(self, X, fit=False, y=None, params=None):
        original, previous = self._split(X)
        if self.view_ is None:
            return X
        if fit:
            view = self.view_.fit_transform(original, y, **params)
        else:  # samplers are skipped, as imbalanced-learn's Pipeline does
            view = transform_head(self.view_.steps, original)
        return _join(view, previous)

    def _fit_sampled(self, estimator, X, y, fit_params):
        """Fit the view of a Pipeline with samplers: the previous outputs and
        the target follow the rows its samplers keep."""
        original, previous = self._split(X)
        view, y, model_params, rows = fit_head(estimator, original, y, fit_params)
        if rows is None:
            sampler = next(
                f"{name!r} ({type(step).__name__})"
                for name, step in estimator.steps[:-1]
                if is_sampler(step) and not hasattr(step, "sample_indices_")
            )
            raise ValueError(
                f"the sampler {sampler} makes new rows, which have no outputs of "
                "the previous level for this level's model; in a level fed the "
                "previous outputs, use a sampler that selects rows (such as "
                "RandomUnderSampler or RandomOverSampler)."
            )
        return _join(view, previous[rows]), y, model_params

    def fit(self, X, y, **fit_params):
        """Fit the view on the original features, the model on both.

        Parameters
        ----------
        X : {ndarray, sparse matrix, dataframe} of shape \
(n_samples, n_features + n_out)
            The original features followed by the previous level's outputs.
        y : ndarray of shape (n_samples,)
            The target.
        **fit_params : dict
            Fit parameters; ``step__param`` keys of a ``Pipeline`` branch go
            to that step.

        Returns
        -------
        self : object
            The fitted branch.
        """
        Z, y, _, model_params = self.fit_view(X, y, fit_params)
        self.model_.fit(Z, y, **model_params)
        return self.fitted()

    def fit_view(self, X, y, fit_params, X_val=None):
        """Clone the branch and fit its view: the first half of :meth:`fit`.

        Returns the model's input and target for ``X`` (resampled by the
        samplers of an imbalanced-learn Pipeline), the model's input for
        ``X_val`` (validation rows to early-stop on, transformed by the fitted
        view, never resampled; None if not given), and the model's fit
        parameters. The model, ``model_``, is then fitted on them, and
        :meth:`fitted` ends the fit.
        """
        estimator = clone(self.estimator)
        view_params, model_params = split_branch_params(estimator, fit_params)
        if not isinstance(estimator, Pipeline):
            self.view_, self.model_ = None, estimator
            return X, y, X_val, model_params
        self.model_ = estimator[-1]
        if len(estimator.steps) == 1:  # no view: the model gets every column
            self.view_ = None
            return X, y, X_val, model_params
        self.view_ = view_pipeline(estimator)
        if has_samplers(estimator):
            # fitted in place: view_ holds the fitted steps
            Z, y, model_params = self._fit_sampled(estimator, X, y, fit_params)
        else:
            Z = self._model_input(X, fit=True, y=y, params=view_params)
        Z_val = None if X_val is None else self._model_input(X_val)
        return Z, y, Z_val, model_params

    def fitted(self):
        """End the fit, once ``model_`` is fitted."""
        if hasattr(self.model_, "classes_"):
            self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        """Predict with the model on the view and the previous outputs.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features + n_out)
            The original features followed by the previous level's outputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The model's predictions.
        """
        return self.model_.predict(self._model_input(X))

    def predict_proba(self, X):
        """Probabilities of the model.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features + n_out)
            The original features followed by the previous level's outputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The model's class probabilities.
        """
        return self.model_.predict_proba(self._model_input(X))

    def decision_function(self, X):
        """Decision values of the model.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features + n_out)
            The original features followed by the previous level's outputs.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The model's decision values.
        """
        return self.model_.decision_function(self._model_input(X))
