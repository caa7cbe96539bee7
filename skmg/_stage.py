"""The fusion stage of a fit: the granularities' scores, the fused model's
second-level out-of-fold estimate, and the strategy fitted on the
out-of-fold outputs that the record holds."""

import warnings

import numpy as np
from sklearn.base import clone

from ._compat import _VisualBlock
from ._outputs import OutputError, design_blocks
from ._validation import is_drop
from .fusion import make_fusion
from .fusion._base import cross_val_fuse_score
from .fusion._scoring import block_response, score_response


def make_strategy(meta):
    """The unfitted fusion strategy, its final estimator (if it has one)
    filled in with ``final_estimator`` or the default."""
    strategy = make_fusion(meta.fusion)
    params = strategy.get_params(deep=False)
    if params.get("scoring", "") is None:  # a strategy that scores: ours
        strategy.set_params(scoring=meta.scoring)
    if "final_estimator" in params:
        if params["final_estimator"] is None:
            final = meta.final_estimator
            if final is None:
                final = meta._default_final_estimator()
            strategy.set_params(final_estimator=final)
        elif meta.final_estimator is not None:
            raise ValueError(
                "the final estimator is given twice: in 'fusion' and as "
                "'final_estimator'; give it once."
            )
    return strategy


def configured_fusion_has(meta, method):
    """Before fit: would the configured fusion offer ``method``?"""
    try:
        strategy = meta._make_strategy()
        names, estimators = [], []
        for name, est in meta.granularities:
            if not is_drop(est):
                names.append(name)
                estimators.append(est)
        kinds = strategy.resolve_outputs(
            names, estimators, meta._stack_method(), meta._is_classifier()
        )
    except (ValueError, TypeError, AttributeError):
        return False
    return strategy._responds(method, kinds)


def fit_fusion_stage(strategy, record, y, sample_weight, features, scoring):
    """Score the granularities and fit ``strategy`` on the out-of-fold
    outputs of ``record``; return the fitted attributes of the fusion stage.

    Parameters
    ----------
    strategy : BaseFusion
        The unfitted strategy (fitted in place).
    record : FitRecord
        The record of the branches' fit, with its out-of-fold outputs; it
        gets the columns of the fusion's input (``set_design``).
    y : ndarray
        The (encoded) target of every row.
    sample_weight : ndarray or None
        The weights of every row.
    features : ndarray, sparse matrix or None
        The passed-through features of every row, if any.
    scoring : str, callable or None
        The metric of the scores.

    Returns
    -------
    state : dict
        ``granularity_scores_``, ``oof_predictions_``, ``oof_mask_``,
        ``fusion_score_``, ``fusion_oof_predictions_``, ``fusion_`` and, for
        a strategy with one, ``final_estimator_``.
    """
    covered = record.covered
    y_fit = y[covered]
    sw = None if sample_weight is None else sample_weight[covered]
    own = strategy.granularity_outputs(record.first_outputs())
    scores = {
        name: score_response(
            block_response(block[covered], kind, own), y_fit, own, scoring, sw
        )
        for name, block, kind in zip(own.names, own, own.kinds)
    }
    outputs = strategy.level_outputs(record.level_outputs)
    design = design_blocks(outputs)
    record.set_design(outputs, design)
    outputs = outputs.take(covered)
    if features is not None:
        outputs.features = features[covered]
    fusion_score, response = _fusion_score(strategy, outputs, y_fit, sw, scoring)
    strategy.fit(outputs, y_fit, sample_weight=sw)
    state = dict(
        granularity_scores_=scores,
        oof_predictions_=np.hstack(design),
        oof_mask_=covered,
        fusion_score_=fusion_score,
        fusion_oof_predictions_=_oof_rows(response, covered, y),
        fusion_=strategy,
    )
    if hasattr(strategy, "final_estimator_"):
        state["final_estimator_"] = strategy.final_estimator_
    return state


def _fusion_score(strategy, outputs, y, sample_weight, scoring):
    """The fused model's second-level out-of-fold score and predictions;
    NaN, with a warning, when they cannot be estimated."""
    try:
        return cross_val_fuse_score(
            clone(strategy), outputs, y, sample_weight, scoring=scoring
        )
    except OutputError:  # a strategy's wrong output is an error, not NaN
        raise
    except Exception as exc:  # the estimate is a by-product: the fit goes on
        warnings.warn(
            f"fusion_score_ could not be estimated ({type(exc).__name__}: "
            f"{exc}); it is NaN.",
            UserWarning,
            stacklevel=5,
        )
        return np.nan, {}


def _oof_rows(response, covered, y):
    """The fused model's second-level out-of-fold predictions on every row:
    probabilities when the strategy gives them, else decision values, else
    predictions (for a classifier, positions in ``classes_``); NaN in rows
    without."""
    for method in ("predict_proba", "decision_function", "predict"):
        if method in response:
            values = response[method]
            full = np.full((len(y), *values.shape[1:]), np.nan)
            full[covered] = values
            return full
    return np.full(y.shape, np.nan)


def visual_block(meta):
    """The HTML diagram of a meta-estimator: its branches side by side, then
    its final estimator or fusion strategy."""
    names = [name for name, _ in meta.granularities]
    branches = [est for _, est in meta.granularities]
    parallel = _VisualBlock("parallel", branches, names=names, dash_wrapped=False)
    try:
        strategy = meta._make_strategy()
    except Exception:  # an invalid fusion: fit will say why
        strategy = None
    final = getattr(strategy, "final_estimator", None)
    if final is not None:
        shown, label = final, "final_estimator"
    else:
        shown, label = (
            (strategy if strategy is not None else str(meta.fusion)),
            "fusion",
        )
    final_block = _VisualBlock("parallel", [shown], names=[label], dash_wrapped=False)
    return _VisualBlock("serial", (parallel, final_block), dash_wrapped=False)
