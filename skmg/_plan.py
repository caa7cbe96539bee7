"""The fit plan: every (branch, fold) fit and every refit in one flat task list.

A multi-granularity fit is ``n_branches x (n_folds + refit)`` independent fits.
They all go to ONE :class:`~sklearn.utils.parallel.Parallel` call, so the
scheduler (loky, threads, dask, ...) sees every task at once and never waits on
a nested pool. Tasks receive the full ``X`` and the fold's row indices, not a
copy of the fold: joblib memory-maps large arrays once for all tasks.
"""

import functools
import inspect
import os
import pickle
import re
import socket
import sys
import time
import traceback
from contextlib import ExitStack, nullcontext
from typing import NamedTuple

import numpy as np
from joblib import cpu_count, effective_n_jobs, parallel_config
from joblib.externals.loky.backend.reduction import dump as loky_dump
from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_memory
from threadpoolctl import threadpool_limits

from ._compat import _check_method_params, _safe_indexing
from ._estimates import fit_estimated
from ._outputs import branch_output
from ._samplers import fit_branch, has_samplers


class Task:
    """One fit of the plan: a branch on the training rows of one fold.

    Parameters
    ----------
    branch : int
        Position of the branch among the non-dropped branches.
    name : str
        Name of the branch, for messages.
    fold : int or None
        Index of the fold, or None for a fit on all rows.
    estimate : str or None, default=None
        For a branch that estimates itself (``oof_method="auto"``), the
        method of its estimate (``"oob"``, ``"loo"``, ...): its one fit on all
        rows gives its out-of-fold outputs; None for a fold fit or a refit.
    """

    __slots__ = ("branch", "name", "fold", "estimate")

    def __init__(self, branch, name, fold, estimate=None):
        self.branch = branch
        self.name = name
        self.fold = fold
        self.estimate = estimate

    def describe(self, n_folds):
        """Where the task sits in the plan, for messages: ``fold 2/5``, the
        refit, or a branch's one fit with its estimate."""
        if self.estimate is not None:
            return f"its one fit on all rows ({self.estimate})"
        if self.fold is None:
            return "the refit on all rows"
        return f"fold {self.fold + 1}/{n_folds}"

    def step(self, n_folds):
        """The task, as a progress line names it: ``fold 2/5``, ``refit`` or
        ``one fit (oob)``."""
        if self.estimate is not None:
            return f"one fit ({self.estimate})"
        return "refit" if self.fold is None else f"fold {self.fold + 1}/{n_folds}"


class TaskResult(NamedTuple):
    """What a task of the plan gives back.

    Attributes
    ----------
    task : tuple of (str, int or None)
        The task's branch name and fold, to place a result that arrives out
        of order (they are part of the cache key: a cached result is the
        same task's).
    model : estimator or None
        The fitted branch, if kept.
    output : ndarray or None
        Its output on the fold's held-out rows (None for a refit).
    seconds : float
        The time the fit took.
    iterations : int or None
        The boosting rounds the model kept, with early stopping.
    covered : ndarray of bool or None
        For a branch that estimates itself (``oof_method="auto"``), the
        rows its estimate covers (``output`` then holds every row).
    """

    task: tuple
    model: object
    output: object
    seconds: float
    iterations: object
    covered: object = None


def _fit_task(
    task,
    estimator,
    X,
    y,
    train,
    test,
    method,
    problem,
    fit_params,
    where,
    keep=True,
    stopping=None,
    inner_threads=None,
    caller=None,
    estimate=None,
):
    """Fit ``estimator`` on rows ``train``; predict rows ``test`` if given.

    Runs in a worker, under the task's thread budget (``inner_threads``,
    see :func:`_budget`). Returns a :class:`TaskResult`; its model is None
    unless ``keep`` (fold models that prediction will not use are neither
    sent back from the worker nor cached). ``problem`` is ``(n_classes,
    n_targets)``. ``stopping`` (an
    :class:`~skmg._early_stopping.EarlyStopping`) early-stops the fit.
    ``estimate`` (a provider of :mod:`skmg._estimates`) makes the fit on all
    rows give the branch's own out-of-sample estimate for every row.
    """
    start = time.perf_counter()
    output = covered = None
    try:
        with _budget(inner_threads, caller):
            if train is None:
                # Some schedulers (dask's distributed) hand workers unaligned
                # arrays, on which NumPy takes other (non-SIMD) code paths:
                # results could then differ from a local fit in the last bit.
                # The refit passes the data on as it came, so it gets an
                # aligned copy if needed; the rows of a fold are a fresh,
                # aligned copy already.
                X_fit, y_fit = _aligned(X), _aligned(y)
                params = {key: _aligned(value) for key, value in fit_params.items()}
            else:
                X_fit = _safe_indexing(X, train)
                y_fit = _safe_indexing(y, train)
                params = _check_method_params(X, fit_params, train)
            iterations = None
            if estimate is not None:
                output, covered = fit_estimated(
                    estimate, estimator, X_fit, y_fit, params, method, *problem
                )
            elif stopping is None and has_samplers(estimator) and params:
                fit_branch(estimator, X_fit, y_fit, params)  # per-row params
            elif stopping is None:
                estimator.fit(X_fit, y_fit, **params)
            else:
                validation = None
                if stopping.mode == "fold" and test is not None:
                    validation = (
                        _safe_indexing(X, test),
                        _safe_indexing(y, test),
                        _check_method_params(X, fit_params, test),
                    )
                iterations = stopping.fit(estimator, X_fit, y_fit, params, validation)
            seconds = time.perf_counter() - start
            if estimate is None and test is not None:
                output = branch_output(
                    estimator, _safe_indexing(X, test), method, *problem
                )
    except Exception as exc:
        # joblib replaces the cause of an exception that crosses workers:
        # carry the original to the caller, which raises it with the context.
        raise _TaskFailure(_portable(exc), where) from exc
    model = estimator if keep else None
    if model is not None and _process_id() != caller:
        _check_sendable(model, where)  # it leaves the worker: say whose it is
    return TaskResult(task, model, output, seconds, iterations, covered)


def _aligned(value):
    """``value``, or an aligned copy of it if it holds unaligned NumPy data.

    Handles ndarrays and pandas objects (whose numeric columns are views of
    NumPy blocks); anything else is returned as it is.
    """
    if isinstance(value, np.ndarray):
        return value if value.flags.aligned else np.require(value, requirements="A")
    if hasattr(value, "iloc") and hasattr(value, "to_numpy"):  # pandas
        columns = value.items() if hasattr(value, "columns") else [(None, value)]
        for _, column in columns:
            if column.dtype.kind in "biufcmM":  # NumPy-backed: a view, no copy
                if not column.to_numpy().flags.aligned:
                    return value.copy(deep=True)
    return value


class RemoteTaskError(Exception):
    """What is left of a task's exception that cannot cross processes (its
    class cannot be re-created from its arguments): its type, message and
    traceback, as text."""

    def __init__(self, type_name, message, traceback_text):
        super().__init__(type_name, message, traceback_text)
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text

    def __str__(self):
        return f"{self.type_name}: {self.message}\n\n{self.traceback_text}"


def _portable(exc):
    """``exc`` if it survives pickling (as it must to leave a worker), else a
    RemoteTaskError with its type, message and traceback."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        text = "".join(traceback.format_exception(exc))
        return RemoteTaskError(type(exc).__name__, str(exc), text)


class _TaskFailure(Exception):
    """The exception of a task and where it happened, across workers."""

    def __init__(self, error, where):
        super().__init__(error, where)
        self.error = error
        self.where = where


def _task_error(exc, where):
    """The same kind of error as ``exc``, with the branch and fold in front."""
    if isinstance(exc, RemoteTaskError):
        return RuntimeError(f"{where}: {exc.type_name}: {exc.message}")
    message = f"{where}: {exc}"
    try:
        error = type(exc)(message)
        if str(error) == message:
            return error
    except Exception:  # an exception type with a different constructor
        pass
    # (it came back whole: a library such as tblib, which dask's distributed
    # imports, makes every exception picklable)
    return RuntimeError(f"{where}: {type(exc).__name__}: {exc}")


def run_plan(
    tasks,
    estimators,
    X,
    y,
    folds,
    *,
    methods,
    n_classes,
    fit_params,
    n_targets=None,
    memory=None,
    n_jobs=None,
    verbose=0,
    keep_fold_models=True,
    subject="branch",
    level=None,
    stopping=None,
    estimates=None,
):
    """Run every task of the plan in one ``Parallel`` call.

    Parameters
    ----------
    tasks : list of Task
    estimators : list of estimator
        Unfitted branch estimators, indexed by ``Task.branch``; each task fits a
        clone.
    X, y : the training data (``y`` already encoded for classifiers).
    folds : list of (train, test) index arrays
    methods : list of str
        Output method per branch.
    n_classes : int or None
    fit_params : list of dict
        Fit parameters per branch (full length; indexed per fold in the task).
    n_targets : int or None
        The number of columns of a regressor's outputs (None: any).
    memory : None, str or joblib.Memory
        Where to cache each task's fitted estimator and outputs, keyed on the
        branch's parameters, the data and the fold.
    n_jobs : int or None
        Passed to ``Parallel``.
    keep_fold_models : bool
        Whether the fold tasks return their fitted models (needed when the
        fold models predict, ``refit=False``).
    verbose : int
        If non-zero, report every task on stderr as it completes.
    subject : str
        What a task's name names, in error messages: ``branch 'name' failed
        in fold 2/5``.
    level : int or None
        The level of a multi-level fit these tasks belong to, for messages
        (``... in fold 2/5 of level 2``); None or 1 says nothing.
    stopping : list of (EarlyStopping or None) or None
        The early stopping of each branch's tasks (indexed like
        ``estimators``); None: every branch is fitted as given.
    estimates : list of (provider or None) or None
        The provider of each branch that estimates itself from its one task
        on all rows (fold None), whose output is then that estimate for every
        row (see :mod:`skmg._estimates`); None: no branch does.

    Returns
    -------
    list of TaskResult, in the order of ``tasks``.
    """
    n_folds = len(folds)
    inner_threads = _inner_threads(n_jobs)

    def job(task):
        train, test = (None, None) if task.fold is None else folds[task.fold]
        estimate = None if estimates is None else estimates[task.branch]
        where = f"{subject} {task.name!r} failed in {task.describe(n_folds)}"
        if level is not None and level > 1:
            where += f" of level {level}"
        estimator = clone(estimators[task.branch])
        if inner_threads is not None:
            with_thread_budget(estimator, inner_threads)
        return fit_task(
            (task.name, task.fold),
            estimator,
            X,
            y,
            train,
            test,
            methods[task.branch],
            (n_classes, n_targets),
            fit_params[task.branch],
            where,
            task.fold is None or keep_fold_models,
            None if stopping is None or estimate else stopping[task.branch],
            inner_threads,
            caller,
            estimate,
        )

    # The thread budget is how a task runs, not what it computes: not a key.
    # Without a cache, the function itself, whose name a scheduler shows.
    fit_task = delayed(
        _fit_task
        if memory is None
        else check_memory(memory).cache(_fit_task, ignore=["inner_threads", "caller"])
    )
    caller = _process_id()
    jobs = (job(task) for task in tasks)
    # Threads of this process share its BLAS/OpenMP pools: limit them once
    # here; worker processes limit their own in _budget.
    budget = (
        nullcontext()
        if inner_threads is None
        else threadpool_limits(limits=inner_threads)
    )
    # Every task is a model fit, long enough to be worth its own dispatch:
    # joblib's automatic batching would queue a slow fit behind cheap ones.
    try:
        with budget:
            if not verbose:
                return list(Parallel(n_jobs=n_jobs, batch_size=1)(jobs))
            return _run_reporting(tasks, jobs, n_jobs, n_folds)
    except _TaskFailure as failure:
        raise _task_error(failure.error, failure.where) from failure.error


def _run_reporting(tasks, jobs, n_jobs, n_folds):
    """Run the jobs, reporting each task as it completes (completion order);
    return the results in the order of the tasks."""
    position = {(t.name, t.fold): i for i, t in enumerate(tasks)}
    results = [None] * len(tasks)
    progress = _Progress(len(tasks), n_folds)
    for result in Parallel(
        n_jobs=n_jobs, batch_size=1, return_as="generator_unordered"
    )(jobs):
        index = position[result.task]
        results[index] = result
        progress.update(tasks[index], result.seconds)
    progress.close()
    return results


# The names a thread parameter goes by: scikit-learn's, LightGBM's and
# XGBoost's ``n_jobs`` (default None: the joblib default in scikit-learn,
# every core in LightGBM and XGBoost), their aliases, and CatBoost's
# ``thread_count``. The first of them that an estimator lists is the one the
# budget sets.
_THREAD_PARAMETERS = (
    "n_jobs",
    "nthread",
    "nthreads",
    "num_threads",
    "num_thread",
    "thread_count",
)
# What the documentation of a parameter says when setting it does nothing
# (scikit-learn documents a deprecation with ``.. deprecated::``).
_WITHOUT_EFFECT = re.compile(
    r"\bdeprecated\b|\bno effect\b|\bnot have any effect\b", re.IGNORECASE
)


def with_thread_budget(estimator, threads):
    """Give every thread parameter of ``estimator`` left at its default the
    task's budget, on this clone only.

    ``n_jobs`` of scikit-learn, LightGBM and XGBoost estimators (and nested
    ones: a Pipeline's steps, a meta-estimator's estimator) when None, and
    CatBoost's ``thread_count`` when not set (CatBoost then takes every
    core). A thread setting the user gave is kept: an explicit value
    (``n_jobs=-1``), or one under another name of the library
    (``num_threads`` of LightGBM, ``nthread`` of XGBoost). A parameter that
    its estimator documents as deprecated or without effect (``n_jobs`` of
    scikit-learn's LogisticRegression since 1.8) is left alone: setting it
    would only make the estimator warn.
    """
    params = estimator.get_params(deep=True)
    objects = [("", estimator)] + [
        (f"{key}__", value)
        for key, value in params.items()
        if hasattr(value, "get_params") and not isinstance(value, type)
    ]
    updates = {}
    for prefix, obj in objects:
        parameter = _budget_parameter(obj)
        if parameter is not None:
            updates[prefix + parameter] = threads
    if updates:
        estimator.set_params(**updates)
    return estimator


def _budget_parameter(obj):
    """The thread parameter of ``obj`` that the budget sets, or None: none
    at its default, or none that has an effect."""
    own = obj.get_params(deep=False)
    names = [name for name in _THREAD_PARAMETERS if name in own]
    if any(own[name] is not None for name in names):
        return None  # the user's setting
    if not names and type(obj).__module__.startswith("catboost"):
        # CatBoost lists only the parameters set explicitly
        names = ["thread_count"]
    if not names or _without_effect(type(obj), names[0]):
        return None
    return names[0]


@functools.cache
def _without_effect(cls, name):
    """Whether the documentation of ``cls`` says that its parameter ``name``
    is deprecated or has no effect."""
    for doc in (inspect.getdoc(cls), inspect.getdoc(cls.__init__)):
        entry = _parameter_entry(doc or "", name)
        if entry is not None:
            return _WITHOUT_EFFECT.search(entry) is not None
    return False


def _parameter_entry(doc, name):
    """The entry of parameter ``name`` in a numpydoc docstring (its line and
    the indented lines below it), or None."""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        match = re.match(rf"(\s*){re.escape(name)}\s*:", line)
        if match is None:
            continue
        indent = len(match.group(1))
        entry = [line]
        for following in lines[i + 1 :]:
            stripped = following.strip()
            if stripped and len(following) - len(following.lstrip()) <= indent:
                break
            entry.append(following)
        return "\n".join(entry)
    return None


def _inner_threads(n_jobs):
    """Threads each task may use so that all tasks together fill the cores.

    None (no limit) when the plan runs one task at a time.
    """
    n_workers = effective_n_jobs(n_jobs)
    if n_workers <= 1:
        return None
    return max(1, cpu_count() // n_workers)


def _budget(inner_threads, caller):
    """The thread budget of one task, as a context.

    In a worker process, the fitted model must be pickled to go back to the
    caller: it is tried here, so that a model that cannot be pickled is
    reported with its task (``where``), not as a bare pickling error.

    The budget limits the BLAS and OpenMP pools (threadpoolctl) and the
    joblib calls inside the branch (estimators with ``n_jobs=None``), so
    ``n_jobs`` workers times their inner threads stay at the core count.
    Those inner calls run as threads of the task: a distributed backend would
    otherwise make itself their backend and scatter a branch's own work
    (the trees of a forest) over the cluster as tasks of their own.
    """
    in_caller = _process_id() == caller
    if inner_threads is None and in_caller:  # a sequential plan: no budget
        return nullcontext()
    # In a thread of the caller, the caller already limits the shared pools.
    # A single-worker plan (inner_threads None) may still run elsewhere, on a
    # distributed backend: its inner calls then run one at a time.
    limit = not in_caller and inner_threads is not None
    budget = ExitStack()
    if limit:
        budget.enter_context(threadpool_limits(inner_threads))
    budget.enter_context(parallel_config(backend="threading", n_jobs=inner_threads))
    return budget


class _Discard:
    """A file that forgets what is written to it."""

    def write(self, data):
        return len(memoryview(data))


def _check_sendable(estimator, where):
    """Pickle ``estimator`` (None: nothing) with the pickler of joblib's
    workers, as they will to send it back, into nothing (no copy is kept);
    raise a _TaskFailure naming the task if it cannot be pickled."""
    if estimator is None:
        return
    try:
        loky_dump(estimator, _Discard(), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise _TaskFailure(
            _portable(exc),
            f"{where} (its fitted model cannot be pickled to leave the worker process)",
        ) from exc


def _process_id():
    """This process, across machines: (host name, pid)."""
    return socket.gethostname(), os.getpid()


class _Progress:
    """Progress of the plan on stderr, one step per completed task.

    On a terminal, one line redrawn in place (a bar); elsewhere (a log file, a
    notebook, CI) one concise line per task. Never on stdout.
    """

    def __init__(self, total, n_folds, stream=None):
        self.total = total
        self.n_folds = n_folds
        self.done = 0
        self.stream = sys.stderr if stream is None else stream
        self.tty = getattr(self.stream, "isatty", lambda: False)()

    def update(self, task, seconds):
        self.done += 1
        step = f"branch {task.name!r} {task.step(self.n_folds)} {seconds:.2f}s"
        if self.tty:
            width = 20
            filled = width * self.done // self.total
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r[skmg] [{bar}] {self.done}/{self.total} {step}\x1b[K")
        else:
            self.stream.write(f"[skmg] {self.done}/{self.total} {step}\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
