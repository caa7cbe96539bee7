"""Fit parameters: routed once to the branches, split by one rule.

:func:`route_fit_params` runs once per fit: with metadata routing, each
branch gets what it requests (``process_routing``); without it, each branch
gets ``sample_weight`` in the form its ``fit`` takes (``step__sample_weight``
for the steps of a ``Pipeline`` that take it). :func:`split_branch_params`
is the one rule that splits a branch's parameters between its view (the
steps before the model) and its model; every path that fits a branch in
parts (an augmented level, early stopping, ``partial_fit``, a branch that
estimates itself) uses it, and :func:`fit_view` fits a branch's view by it.
"""

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.validation import has_fit_parameter

from ._compat import _raise_for_params, _routing_enabled
from ._samplers import (
    check_branch_params,
    fit_head,
    has_samplers,
    step_params,
    transform_head,
)


def route_fit_params(meta, branches, n_rows, sample_weight, groups, fit_params, prefit):
    """The fit parameters of every branch and of the splitter.

    Parameters
    ----------
    meta : estimator
        The meta-estimator (its routing).
    branches : list of (str, estimator)
        The non-dropped branches.
    n_rows : int
        The number of rows of ``X``.
    sample_weight, groups : ndarray or None
        As given to ``fit``.
    fit_params : dict
        The other fit parameters (only with metadata routing enabled).
    prefit : bool
        Whether the branches are used as fitted (they then get nothing).

    Returns
    -------
    branch_params : list of dict
        One per branch, in its ``fit``'s own form.
    split_params : dict
        The parameters of the splitter's ``split``.
    """
    if _routing_enabled():
        if sample_weight is not None:
            fit_params["sample_weight"] = sample_weight
        if groups is not None:
            fit_params["groups"] = groups
        routed = process_routing(meta, "fit", **fit_params)
        branch_params = [dict(routed[name].fit) for name, _ in branches]
        split_params = {} if prefit else dict(routed.splitter.split)
        return _checked(branches, branch_params, n_rows), split_params
    _raise_for_params(fit_params, meta, "fit")
    # prefit branches are not fitted: only the fusion takes the weights
    if sample_weight is None or prefit:
        return [{} for _ in branches], {"groups": groups}
    branch_params = [
        sample_weight_params(name, estimator, sample_weight)
        for name, estimator in branches
    ]
    return _checked(branches, branch_params, n_rows), {"groups": groups}


def _checked(branches, branch_params, n_rows):
    """The branches' parameters, once each branch can take them: a sampler
    that makes new rows has no values of per-row parameters for them."""
    for (name, estimator), params in zip(branches, branch_params):
        check_branch_params(name, estimator, params, n_rows)
    return branch_params


def sample_weight_params(name, estimator, sample_weight):
    """The fit parameters that give ``sample_weight`` to a branch.

    A ``Pipeline`` branch gets it through every step whose ``fit`` takes it
    (``step__sample_weight``, the way scikit-learn pipelines take it): a
    scaler before the model weighs the rows as the model does.
    """
    if isinstance(estimator, Pipeline):
        final = estimator.steps[-1][1]
        if final not in (None, "passthrough") and has_fit_parameter(
            final, "sample_weight"
        ):
            return {
                f"{step}__sample_weight": sample_weight
                for step, est in estimator.steps
                if est not in (None, "passthrough")
                and has_fit_parameter(est, "sample_weight")
            }
    elif has_fit_parameter(estimator, "sample_weight") or takes_fit_kwargs(estimator):
        # **kwargs: a meta-estimator (TransformedTargetRegressor, a search)
        # that passes the weights on, as scikit-learn's stacking assumes
        return {"sample_weight": sample_weight}
    # TypeError, as scikit-learn's stacking raises for the same mistake.
    raise TypeError(
        f"Underlying estimator {type(estimator).__name__} of branch {name!r} "
        "does not support sample weight; drop the branch or fit without "
        "sample_weight."
    )


def takes_fit_kwargs(estimator):
    """Whether ``estimator.fit`` takes ``**kwargs``."""
    parameters = inspect.signature(estimator.fit).parameters.values()
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def split_branch_params(estimator, params, routing=None):
    """A branch's fit parameters, split between its view and its model.

    Parameters
    ----------
    estimator : estimator
        The branch as given (a ``Pipeline``: its steps before the last are the
        view, the last is the model; anything else is all model).
    params : dict
        The branch's fit parameters, as :func:`route_fit_params` gave them.
    routing : bool or None, default=None
        Whether they are routed metadata; None: whether metadata routing is
        enabled (``partial_fit``, which routes nothing, says False).

    Returns
    -------
    view_params : dict
        What the view's ``fit_transform`` takes: ``step__param`` keys
        without routing; with it, the parameters the view's steps request.
    model_params : dict
        What the model's ``fit`` takes.
    """
    if not isinstance(estimator, Pipeline):
        return {}, dict(params)
    last = estimator.steps[-1][0]
    if has_samplers(estimator):
        # fitted step by step (fit_head): the view takes the Pipeline's own
        # parameters, the model its share of them
        return dict(params), step_params(estimator, params, routing)[last]
    if _routing_enabled() if routing is None else routing:
        routed = process_routing(estimator, "fit", **params)
        view = estimator[:-1] if len(estimator.steps) > 1 else None
        consumed = (
            view.get_metadata_routing().consumes("fit_transform", params)
            if view is not None
            else set()
        )
        return {k: v for k, v in params.items() if k in consumed}, dict(
            routed[last].fit
        )
    prefix = f"{last}__"
    model = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
    view = {k: v for k, v in params.items() if not k.startswith(prefix)}
    return view, model


class FittedView(NamedTuple):
    """A branch whose view is fitted and whose model is not, yet.

    ``model`` is fitted on ``X, y`` (the view's output and the target,
    resampled by the samplers of an imbalanced-learn Pipeline) with
    ``params``; ``X_val`` is the view's output of validation rows (never
    resampled; None if none were given); ``done()`` ends the branch's fit
    once the model is fitted.
    """

    model: Any
    X: Any
    y: Any
    X_val: Any
    params: dict
    done: Callable[[], Any]


def fit_view(estimator, X, y, params, X_val=None):
    """Fit the view of a branch (the first half of its fit) on ``X, y``.

    The branch is the task's clone: a ``Pipeline`` (its steps before the
    last are the view, fitted in place), a branch of a level fed the
    previous outputs, or a model alone (no view). Its model is then fitted
    on the returned :class:`FittedView`, by whoever asked: early stopping
    with its validation rows, a branch that estimates itself by its provider.
    """
    if getattr(estimator, "wraps_branch", False):  # a LevelBranch
        Z, y, Z_val, model_params = estimator.fit_view(X, y, params, X_val)
        return FittedView(estimator.model_, Z, y, Z_val, model_params, estimator.fitted)
    if has_samplers(estimator):
        # the samplers resample the training rows, never the validation rows
        Z, y, model_params, _ = fit_head(estimator, X, y, params)
        if X_val is not None:
            X_val = transform_head(estimator.steps[:-1], X_val)
        return FittedView(
            estimator.steps[-1][1], Z, y, X_val, model_params, _done(estimator)
        )
    view_params, model_params = split_branch_params(estimator, params)
    if not isinstance(estimator, Pipeline):
        return FittedView(estimator, X, y, X_val, model_params, _done(estimator))
    if len(estimator.steps) > 1:
        head = view_pipeline(estimator)
        X = head.fit_transform(X, y, **view_params)
        X_val = None if X_val is None else head.transform(X_val)
        # a Pipeline with memory fits clones: keep the fitted steps
        estimator.steps[:-1] = head.steps[:-1]
    return FittedView(
        estimator.steps[-1][1], X, y, X_val, model_params, _done(estimator)
    )


def view_pipeline(pipeline):
    """The view of a ``Pipeline`` branch: its steps but the last, as a
    Pipeline (of the same class, sharing the step objects) that ends in
    ``"passthrough"``: every one of them is then a step that ``memory``
    caches (a Pipeline never caches its last step)."""
    head = pipeline[:-1]
    head.steps = [*head.steps, (pipeline.steps[-1][0], "passthrough")]
    return head


def _done(estimator):
    """The end of a fit in two halves that has nothing left to do."""
    return lambda: estimator
