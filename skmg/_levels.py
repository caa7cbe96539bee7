"""A level of the fit: one pass of the plan over some branches on fixed folds.

A single-pass fusion fits one level (every branch); a multi-pass strategy
(cascade, residual) asks for more, each a :class:`~skmg.fusion.Level`. This
module runs them and builds the input of an augmented level, where each branch
also sees the previous level's outputs.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array

from ._outputs import aggregate
from ._plan import Task, run_plan


class LevelRunner:
    """Fits branches on every fold (and refits them) for the levels of one fit.

    Holds what every level of a fit shares: the data, the folds, the weights
    and the settings of the plan.
    """

    def __init__(
        self, X, y, folds, n_classes, *, refit, memory, n_jobs, verbose, fit_times
    ):
        self.X = X
        self.y = y
        self.folds = folds
        self.n_classes = n_classes
        self.refit = refit
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.fit_times = fit_times

    def fit(self, names, estimators, methods, params, X=None, y=None, level=1):
        """Fit the branches on every fold (and refit); return the fitted
        branches, their out-of-fold blocks and the rows those cover."""
        X = self.X if X is None else X
        y = self.y if y is None else y
        n_samples = len(self.y)
        # The refits (the longest fits) first, then fold by fold: workers
        # start on the long tasks, and with branches of similar cost the fits
        # of one branch seldom run at once (lower peak memory).
        folds = [*([None] if self.refit else []), *range(len(self.folds))]
        tasks = [Task(b, name, fold) for fold in folds for b, name in enumerate(names)]
        results = run_plan(
            tasks,
            estimators,
            X,
            y,
            self.folds,
            methods=methods,
            n_classes=self.n_classes,
            fit_params=params,
            memory=self.memory,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            keep_fold_models=not self.refit,
            level=level,
        )
        fold_models = [[] for _ in names]
        fold_outputs = [[] for _ in names]
        refitted = [None] * len(names)
        for task, (fitted, output, seconds) in zip(tasks, results):
            self.fit_times[task.name] = self.fit_times.get(task.name, 0.0) + seconds
            if task.fold is None:
                refitted[task.branch] = fitted
            else:
                fold_models[task.branch].append(fitted)
                fold_outputs[task.branch].append(output)
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


def augmented_input(X, outputs):
    """The input of an augmented level: the original features, then the
    previous level's outputs."""
    X = check_array(X, accept_sparse="csr", ensure_all_finite=False)
    if sp.issparse(X):
        return sp.hstack([X, *outputs], format="csr")
    return np.hstack([X, *outputs])


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
        return X[:, : self.n_features], X[:, self.n_features :]

    def _model_input(self, X, fit=False, y=None, params=None):
        original, previous = self._split(X)
        if self.view_ is None:
            return X
        if fit:
            view = self.view_.fit_transform(original, y, **params)
        else:
            view = self.view_.transform(original)
        if sp.issparse(view):
            return sp.hstack([view, previous], format="csr")
        return np.hstack([view, previous])

    def fit(self, X, y, **fit_params):
        """Fit the view on the original features, the model on both.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features + n_out)
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
        estimator = clone(self.estimator)
        if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
            last = estimator.steps[-1][0] + "__"
            model_params = {
                k[len(last) :]: v for k, v in fit_params.items() if k.startswith(last)
            }
            view_params = {
                k: v for k, v in fit_params.items() if not k.startswith(last)
            }
            self.view_, self.model_ = estimator[:-1], estimator[-1]
            Z = self._model_input(X, fit=True, y=y, params=view_params)
            self.model_.fit(Z, y, **model_params)
        else:
            self.view_, self.model_ = None, estimator.fit(X, y, **fit_params)
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
