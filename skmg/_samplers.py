"""Branches with samplers: an imbalanced-learn ``Pipeline`` whose steps
before the model include samplers (steps with ``fit_resample``).

A sampler changes the training rows; it is skipped at prediction time, as
imbalanced-learn's ``Pipeline`` skips it. When the branch is fitted step by
step (early stopping, the view of a cascade's later level, fit parameters
such as ``sample_weight``), these functions fit it as imbalanced-learn does:
a transformer is fitted on the rows it is given and transforms them; a
sampler resamples them. The fit parameters of the steps after a sampler that
hold one value per row (``sample_weight``) follow the rows it keeps, read
from its ``sample_indices_``, as imbalanced-learn's ``RUSBoostClassifier``
carries its weights through its ``RandomUnderSampler``. A sampler that makes
new rows (SMOTE, ADASYN, ClusterCentroids, ...) has no value of those
parameters to give them: a branch that would need them is refused before any
fit (:func:`check_branch_params`).
"""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import process_routing

from ._compat import _num_samples, _routing_enabled, _safe_indexing


def is_sampler(step):
    """Whether a Pipeline step is a sampler (imbalanced-learn's test)."""
    return hasattr(step, "fit_resample")


def has_samplers(estimator):
    """Whether ``estimator`` is a Pipeline with a sampler before its model."""
    return isinstance(estimator, Pipeline) and any(
        is_sampler(step) for _, step in estimator.steps[:-1]
    )


def selects_rows(sampler):
    """Whether a sampler keeps (or repeats) rows it is given and says which
    in ``sample_indices_``: imbalanced-learn's ``RandomOverSampler`` and its
    prototype-selection under-samplers (every under-sampler but
    ``ClusterCentroids``, which makes centroids). Any other sampler is taken
    to make new rows."""
    try:
        from imblearn.over_sampling import RandomOverSampler
        from imblearn.under_sampling import ClusterCentroids
        from imblearn.under_sampling.base import (
            BaseCleaningSampler,
            BaseUnderSampler,
        )
    except ImportError:  # a sampler of another library
        return False
    if isinstance(sampler, ClusterCentroids):
        return False
    return isinstance(
        sampler, (RandomOverSampler, BaseUnderSampler, BaseCleaningSampler)
    )


def step_params(pipeline, params, routing=None):
    """The fit parameters of each step of ``pipeline``, by step name.

    Without metadata routing, ``step__param`` keys go to their step; with
    it, each step gets what it requests: a sampler for ``fit_resample``, a
    transformer for ``fit_transform`` (or ``fit``), the model for ``fit``.
    """
    names = [name for name, _ in pipeline.steps]
    if not (_routing_enabled() if routing is None else routing):
        split = {name: {} for name in names}
        for key, value in params.items():
            name, _, param = key.partition("__")
            if name not in split or not param:
                raise ValueError(
                    f"the Pipeline's fit parameter {key!r} names no step; give "
                    "them as step__parameter with a step of the Pipeline."
                )
            split[name][param] = value
        return split
    routed = process_routing(pipeline, "fit", **params)
    split = {}
    for position, (name, step) in enumerate(pipeline.steps):
        methods = routed.get(name, {})
        if position == len(names) - 1:
            method = "fit"
        elif is_sampler(step):
            method = "fit_resample"
        else:
            method = "fit_transform" if "fit_transform" in methods else "fit"
        split[name] = dict(methods.get(method, {}))
    return split


def _row_params(params, n_rows):
    """The names of the parameters that hold one value per row."""
    return sorted(
        key
        for key, value in params.items()
        if hasattr(value, "__len__")
        and not isinstance(value, str)
        and _num_samples(value) == n_rows
    )


def check_branch_params(name, estimator, params, n_rows):
    """Refuse, before any fit, per-row fit parameters that a branch's sampler
    cannot carry to the steps after it (it makes new rows).

    Parameters
    ----------
    name : str
        The branch's name, for the message.
    estimator : estimator
        The branch, as given.
    params : dict
        The branch's fit parameters (routed, or ``step__param`` keys).
    n_rows : int
        The number of rows of ``X``.
    """
    if not has_samplers(estimator) or not params:
        return
    split = step_params(estimator, params)
    maker = None
    for step_name, step in estimator.steps:
        if maker is not None:
            given = _row_params(split[step_name], n_rows)
            if given:
                sampler_name, sampler = maker
                raise ValueError(
                    f"branch {name!r} cannot give its step {step_name!r} the fit "
                    f"parameters {given} (one value per row): its sampler "
                    f"{sampler_name!r} ({type(sampler).__name__}) makes new rows, "
                    "which have no values. Use a sampler that selects rows (such "
                    "as RandomUnderSampler or RandomOverSampler), whose rows the "
                    "values follow, or fit without them."
                )
        if is_sampler(step) and not selects_rows(step) and maker is None:
            maker = (step_name, step)


def fit_head(pipeline, X, y, params):
    """Fit every step of ``pipeline`` but the last on the rows ``X, y``.

    Returns ``(Xt, yt, model_params, rows)``: the model's input and target
    (resampled by the samplers), the model's fit parameters (their per-row
    values following the rows), and the positions in ``X`` of the model's
    rows (None once a sampler made new rows). The steps are fitted in place.
    """
    split = step_params(pipeline, params)
    n_rows = _num_samples(X)
    rows = np.arange(n_rows)
    maker = None  # the first sampler that made new rows

    def follow(step_name, step_params):
        """A step's parameters, their per-row values on the current rows."""
        per_row = _row_params(step_params, n_rows)
        if rows is None and per_row:
            sampler_name, sampler = maker
            raise ValueError(
                f"the fit parameters {per_row} of step {step_name!r} cannot follow "
                f"the rows of the sampler {sampler_name!r} "
                f"({type(sampler).__name__}): it makes new rows, which have no "
                "values of them."
            )
        return {
            k: _safe_indexing(v, rows) if k in per_row else v
            for k, v in step_params.items()
        }

    for step_name, step in pipeline.steps[:-1]:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        given = follow(step_name, split[step_name])
        if is_sampler(step):
            X, y = step.fit_resample(X, y, **given)[:2]
            kept = getattr(step, "sample_indices_", None)
            if rows is not None and kept is not None:
                rows = rows[np.asarray(kept)]
            elif rows is not None:
                rows, maker = None, (step_name, step)
        elif hasattr(step, "fit_transform"):
            X = step.fit_transform(X, y, **given)
        else:
            X = step.fit(X, y, **given).transform(X)
    last = pipeline.steps[-1][0]
    return X, y, follow(last, split[last]), rows


def transform_head(steps, X):
    """Transform ``X`` by the fitted ``steps`` (name, step), skipping the
    samplers: prediction and validation rows are never resampled."""
    for _, step in steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if not is_sampler(step):
            X = step.transform(X)
    return X


def fit_branch(estimator, X, y, params):
    """Fit a branch on ``X, y`` with its fit parameters.

    A Pipeline with samplers and fit parameters is fitted step by step (the
    per-row parameters follow the rows the samplers keep); any other branch
    by its own ``fit``.
    """
    if not (has_samplers(estimator) and params):
        return estimator.fit(X, y, **params)
    X, y, model_params, _ = fit_head(estimator, X, y, params)
    model = estimator.steps[-1][1]
    if not (isinstance(model, str) and model == "passthrough"):
        model.fit(X, y, **model_params)
    return estimator
