"""Fusion strategies: how the outputs of the granularities become one prediction.

Every strategy is a scikit-learn estimator (a :class:`BaseFusion`) built with
its own hyperparameters only, so that it is cloned, shown in a repr and tuned
as ``fusion__param`` like any sub-estimator. The meta-estimators
(:class:`~skmg.MultiGranularityClassifier`,
:class:`~skmg.MultiGranularityRegressor`) take a strategy, one of the string
shortcuts of :data:`FUSIONS`, or any estimator (stacking with it), and keep
the fitted strategy as ``fusion_``. The protocol a strategy implements is
described in :class:`BaseFusion`; a strategy combines outputs and never fits
a branch.
"""

from .._outputs import BranchOutputs
from ._auto import AutoFusion
from ._averaging import AverageFusion, CAWPEFusion, GreedyFusion, WeightedFusion
from ._base import BaseFusion, Level, cross_val_fuse, fused_predict
from ._multipass import CascadeFusion, ResidualFusion
from ._registry import STRATEGIES, resolve, shortcut_of
from ._stacking import StackingFusion

#: The string shortcuts of the ``fusion`` parameter and their strategies.
FUSIONS = {**STRATEGIES, "auto": AutoFusion}


def make_fusion(fusion):
    """An unfitted strategy for a ``fusion`` parameter value.

    Parameters
    ----------
    fusion : str, BaseFusion or estimator
        A shortcut of :data:`FUSIONS` (the strategy with its defaults), a
        strategy (cloned) or any other estimator (stacking with it as the
        final estimator).

    Returns
    -------
    strategy : BaseFusion
        A new, unfitted strategy.

    Examples
    --------
    >>> from skmg.fusion import make_fusion
    >>> make_fusion("cascade")
    CascadeFusion()
    """
    return resolve(fusion, FUSIONS)


__all__ = [
    "FUSIONS",
    "AutoFusion",
    "AverageFusion",
    "BaseFusion",
    "BranchOutputs",
    "CAWPEFusion",
    "CascadeFusion",
    "GreedyFusion",
    "Level",
    "ResidualFusion",
    "StackingFusion",
    "WeightedFusion",
    "cross_val_fuse",
    "fused_predict",
    "make_fusion",
    "shortcut_of",
]
