"""A level of the fit: one pass of the plan over some branches on fixed folds.

A single-pass fusion fits one level (every branch); a multi-pass strategy
(cascade, residual) asks for more, each a :class:`~skmg.fusion.Level`. This
module runs them and builds the input of an augmented level, where each branch
also sees the previous level's outputs.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from ._outputs import VALUE, aggregate, branch_output
from ._plan import Task, _task_error, run_plan
from ._samplers import fit_head, has_samplers, is_sampler, transform_head


class LevelRunner:
    """Fits branches on every fold (and refits them) for the levels of one fit.

    Holds what every level of a fit shares: the data, the folds, the weights
    and the settings of the plan.
    """

    def __init__(
        self,
        X,
        y,
        folds,
        n_classes,
        *,
        refit,
        memory,
        n_jobs,
        verbose,
        fit_times,
        classes=None,
        stopping=None,
    ):
        # folds=None: the branches are fitted already (cv="prefit"), on the
        # labels ``classes`` (the encoded ones are their positions)
        self.X = X
        self.y = y
        self.folds = folds
        self.n_classes = n_classes
        self.refit = refit
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.fit_times = fit_times
        self.classes = classes
        # early stopping (an EarlyStopping, or None) and the best rounds:
        # per branch, of each fold model and of the refit, in the level the
        # branch is first fitted in
        self.stopping = stopping
        self.best_iterations = {}
        self.refit_iterations = {}
        self.fitted_before = set()  # branches fitted in an earlier level

    def fit(self, names, estimators, methods, params, X=None, y=None, level=1):
        """Fit the branches on every fold (and refit); return the fitted
        branches, their out-of-fold blocks and the rows those cover."""
        X = self.X if X is None else X
        y = self.y if y is None else y
        n_samples = len(self.y)
        if self.folds is None:
            return self._prefit(names, estimators, methods, X)
        # The refits (the longest fits) first, then fold by fold: workers
        # start on the long tasks, and with branches of similar cost the fits
        # of one branch seldom run at once (lower peak memory). Early stopping
        # on the folds' held-out rows ("fold") runs the refits last, with the
        # mean number of rounds of the folds.
        stopping = self.stopping
        refit_last = stopping is not None and stopping.mode == "fold"
        folds = [
            *([None] if self.refit and not refit_last else []),
            *range(len(self.folds)),
        ]
        tasks = [Task(b, name, fold) for fold in folds for b, name in enumerate(names)]
        plan = dict(
            methods=methods,
            n_classes=self.n_classes,
            fit_params=params,
            memory=self.memory,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            keep_fold_models=not self.refit,
            level=level,
        )
        each = None if stopping is None else [stopping] * len(names)
        results = run_plan(tasks, estimators, X, y, self.folds, stopping=each, **plan)
        if self.refit and refit_last:
            rounds = [
                [r[3] for t, r in zip(tasks, results) if t.branch == b]
                for b in range(len(names))
            ]
            each = [stopping.with_iterations(_mean_rounds(r)) for r in rounds]
            refits = [Task(b, name, None) for b, name in enumerate(names)]
            results += run_plan(
                refits, estimators, X, y, self.folds, stopping=each, **plan
            )
            tasks += refits
        fold_models = [[] for _ in names]
        fold_outputs = [[] for _ in names]
        refitted = [None] * len(names)
        for task, (fitted, output, seconds, rounds) in zip(tasks, results):
            self.fit_times[task.name] = self.fit_times.get(task.name, 0.0) + seconds
            # the rounds of a branch's first level (as estimators_ holds it)
            if task.name not in self.fitted_before and rounds is not None:
                if task.fold is None:
                    self.refit_iterations[task.name] = rounds
                else:
                    self.best_iterations.setdefault(
                        task.name, [None] * len(self.folds)
                    )[task.fold] = rounds
            if task.fold is None:
                refitted[task.branch] = fitted
            else:
                fold_models[task.branch].append(fitted)
                fold_outputs[task.branch].append(output)
        self.fitted_before.update(names)
        test_rows = [test for _, test in self.folds]
        blocks = []
        covered = np.ones(n_samples, dtype=bool)
        for b in range(len(names)):
            block, rows = aggregate(
                fold_outputs[b], test_rows, n_samples, methods[b], self.n_classes
            )
            blocks.append(block)
            covered &= rows
        if not covered.any():
            raise ValueError(
                "'cv' left every row out of the test folds; the fusion stage "
                "needs out-of-fold outputs for at least one row."
            )
        return (refitted if self.refit else fold_models), blocks, covered

    def _prefit(self, names, estimators, methods, X):
        """Branches fitted beforehand: used as they are, their outputs on
        the given rows (in-sample) are what the fusion learns from."""
        models, blocks = [], []
        for name, estimator, method in zip(names, estimators, methods):
            try:
                check_is_fitted(estimator)
            except NotFittedError as exc:
                raise NotFittedError(
                    f"cv='prefit' uses the branches as they are, but branch "
                    f"{name!r} is not fitted: {exc}"
                ) from exc
            model = estimator
            if self.n_classes is not None and method != VALUE:
                model = PrefitBranch(estimator, self.classes)
                model.check(name)
            try:
                blocks.append(branch_output(model, X, method, self.n_classes))
            except Exception as exc:
                raise _task_error(exc, f"branch {name!r} failed in predict") from exc
            models.append(model)
            self.fit_times[name] = self.fit_times.get(name, 0.0)
        return models, blocks, np.ones(len(self.y), dtype=bool)


def _mean_rounds(rounds):
    """The rounds of a refit: the mean over the fold models (None if no fold
    model early-stopped, as for a branch without an adapter)."""
    rounds = [r for r in rounds if r is not None]
    return max(1, int(round(np.mean(rounds)))) if rounds else None


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

    def __init__(self, estimator, n_features):
        self.estimator = estimator
        self.n_features = n_features

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
        if not isinstance(estimator, Pipeline):
            self.view_, self.model_ = None, estimator
            return X, y, X_val, dict(fit_params)
        last = estimator.steps[-1][0] + "__"
        model_params = {
            k[len(last) :]: v for k, v in fit_params.items() if k.startswith(last)
        }
        view_params = {k: v for k, v in fit_params.items() if not k.startswith(last)}
        self.model_ = estimator[-1]
        if len(estimator.steps) == 1:  # no view: the model gets every column
            self.view_ = None
            return X, y, X_val, model_params
        self.view_ = estimator[:-1]
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
