"""Incremental learning: ``partial_fit`` of the meta-estimators, one batch at
a time.

Each batch first scores every branch (prequential evaluation), the fusion
strategy learns online from those outputs, then every branch learns the
batch. The state lives in the same record as a fit's (one level, every
branch), so that ``predict`` reads it the same way.
"""

import time

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import _check_sample_weight
from ._outputs import design_blocks, fitted_output, output_width
from ._params import sample_weight_params, split_branch_params
from ._plan import _task_error
from ._record import FitRecord, FittedLevel
from ._samplers import step_params
from ._validation import is_drop, validate_granularities
from .fusion._scoring import block_response, score_response


def partial_fit_batch(meta, X, y, classes, sample_weight):
    """Learn one batch (``meta.partial_fit``); return ``meta``."""
    first = not hasattr(meta, "estimators_")
    validate_data(meta, X=X, reset=first, skip_check_array=True)
    y = meta._partial_fit_target(X, y, classes, first)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X)
    if first:
        _start(meta, y)
    record = meta.record_
    if not hasattr(meta, "_stream_scores"):
        meta._stream_scores = np.zeros(len(record.names))
        meta._stream_batches = 0  # batches scored before being learned
        meta._stream_learned = hasattr(meta, "oof_predictions_")

    # Prequential: the branches are scored on the batch before they
    # learn it, and the strategy learns from those outputs.
    learned = meta._stream_learned
    if learned:
        blocks = [
            fitted_output(model, X, method, record.n_classes)
            for model, method in zip(record.first_models, record.methods)
        ]
        outputs = record.outputs(blocks)
        record.design_widths = [b.shape[1] for b in design_blocks(outputs)]
        for b, (block, kind) in enumerate(zip(outputs, outputs.kinds)):
            meta._stream_scores[b] += score_response(
                block_response(block, kind, outputs),
                y,
                outputs,
                meta.scoring,
                sample_weight,
            )
        meta.fusion_.partial_fit(outputs, y, sample_weight)
    for name, branch in zip(record.names, record.first_models):
        start = time.perf_counter()
        for model in branch if isinstance(branch, list) else [branch]:
            _partial_fit_branch(name, model, X, y, record.n_classes, sample_weight)
        record.fit_times[name] += time.perf_counter() - start
    meta.fit_times_ = dict(record.fit_times)
    meta._stream_learned = True
    # a fit's second-level estimate no longer describes the model
    meta.fusion_score_ = np.nan
    if learned:
        meta._stream_batches += 1
        meta.granularity_scores_ = {
            name: float(score / meta._stream_batches)
            for name, score in zip(record.names, meta._stream_scores)
        }
    elif not hasattr(meta, "granularity_scores_"):
        # nothing was learned before this batch: no score yet
        meta.granularity_scores_ = dict.fromkeys(record.names, np.nan)
    return meta


def _start(meta, y):
    """The state of a model's first batch: unfitted clones of the branches in
    a one-level record, and the strategy having learned from no rows."""
    branches = validate_granularities(meta)
    strategy = meta._make_strategy()
    names = [name for name, _ in branches]
    methods = strategy.resolve_outputs(
        names,
        [est for _, est in branches],
        meta._stack_method(),
        meta._is_classifier(),
    )
    n_classes = meta._n_classes()
    classes = meta.classes_ if n_classes is not None else None
    record = FitRecord(names, methods, n_classes, classes=classes)
    models = [clone(est) for _, est in branches]
    record.add_level(
        FittedLevel(range(len(names)), models),
        [np.empty((0, 0))] * len(names),
        np.ones(0, dtype=bool),
    )
    # the design columns, as fit keeps them
    empty = [np.empty((0, output_width(m, n_classes))) for m in methods]
    record.design_widths = [b.shape[1] for b in design_blocks(record.outputs(empty))]
    meta.record_ = record.committed()
    meta.stack_method_ = methods
    meta.estimators_ = models
    meta.fit_times_ = dict(record.fit_times)
    meta.fusion_ = strategy.partial_fit(
        record.outputs([np.empty((0, 0))] * len(names)), y[:0]
    )


def partial_fit_available(self):
    """``available_if`` check of ``partial_fit``, raising with the reason."""
    if self._prefit():
        raise AttributeError(
            "partial_fit is not available with cv='prefit': the branches are "
            "used as they were given, not updated"
        )
    strategy = self._make_strategy()
    if not hasattr(strategy, "partial_fit"):
        raise AttributeError(
            f"partial_fit needs a fusion that learns online (one with partial_fit, "
            f"such as 'average' or 'weighted'); got fusion={self.fusion!r}"
        )
    for name, estimator in self.granularities:
        if is_drop(estimator):
            continue
        reason = partial_fit_obstacle(estimator)
        if reason is not None:
            raise AttributeError(
                f"branch {name!r} cannot learn incrementally: {reason}"
            )
    return True


def partial_fit_obstacle(estimator):
    """Why a branch cannot learn incrementally, or None if it can."""
    if isinstance(estimator, Pipeline):
        *views, (last, model) = estimator.steps
        if not hasattr(model, "partial_fit"):
            return (
                f"its final step {last!r} ({type(model).__name__}) has no partial_fit"
            )
        for name, step in views:
            if step in (None, "passthrough") or _stateless_view(step):
                continue
            if not hasattr(step, "partial_fit"):
                return (
                    f"its step {name!r} ({type(step).__name__}) learns from data "
                    "and has no partial_fit"
                )
        return None
    if not hasattr(estimator, "partial_fit"):
        return f"{type(estimator).__name__} has no partial_fit"
    return None


def _partial_fit_branch(name, estimator, X, y, n_classes, sample_weight):
    """Update one branch (a Pipeline step by step) with one batch.

    The weights reach the steps as :func:`~skmg._params.sample_weight_params`
    gives them to a fit (every step whose ``fit`` takes them), split between
    the view and the model by the same rule as a fit's.
    """
    params = {}
    if sample_weight is not None:
        params = sample_weight_params(name, estimator, sample_weight)
    view_params, model_params = split_branch_params(estimator, params, routing=False)
    if n_classes is not None:
        model_params["classes"] = np.arange(n_classes)
    try:
        if isinstance(estimator, Pipeline):
            *views, (_, model) = estimator.steps
            per_step = step_params(estimator, view_params, routing=False)
            for step_name, step in views:
                if step in (None, "passthrough"):
                    continue
                if _stateless_view(step):
                    if not _is_fitted(step):
                        step.fit(X, y)
                else:
                    step.partial_fit(X, y, **per_step[step_name])
                X = step.transform(X)
        else:
            model = estimator
        model.partial_fit(X, y, **model_params)
    except Exception as exc:
        raise _task_error(exc, f"branch {name!r} failed in partial_fit") from exc


def _stateless_view(step):
    """Whether a view's output depends only on its parameters, not on data:
    it says so (``_stateless``) or needs no fit (scikit-learn's
    ``requires_fit`` tag, as ``FunctionTransformer``)."""
    if getattr(step, "_stateless", False):
        return True
    try:
        return not get_tags(step).requires_fit
    except (AttributeError, TypeError):
        return False


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True
