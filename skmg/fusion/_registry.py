"""The string shortcuts of ``fusion``: one line per strategy."""

from sklearn.base import clone

from ._averaging import AverageFusion, CAWPEFusion, GreedyFusion, WeightedFusion
from ._base import BaseFusion
from ._multipass import CascadeFusion, ResidualFusion
from ._stacking import StackingFusion

# Every strategy that AutoFusion may choose among; the package adds "auto".
STRATEGIES = {
    "stacking": StackingFusion,
    "average": AverageFusion,
    "weighted": WeightedFusion,
    "greedy": GreedyFusion,
    "cawpe": CAWPEFusion,
    "cascade": CascadeFusion,
    "residual": ResidualFusion,
}


def resolve(fusion, registry):
    """An unfitted strategy for a shortcut, a strategy or an estimator.

    A shortcut gives the strategy with its defaults, a strategy is cloned,
    and any other estimator means stacking with it as final estimator.
    """
    if isinstance(fusion, str):
        if fusion not in registry:
            raise ValueError(
                f"fusion={fusion!r} is not a known strategy; use one of "
                f"{sorted(registry)}, a BaseFusion or an estimator."
            )
        return registry[fusion]()
    if isinstance(fusion, BaseFusion):
        return clone(fusion)
    return StackingFusion(final_estimator=fusion)


def shortcut_of(strategy, registry=STRATEGIES):
    """The string shortcut of a strategy's class.

    Parameters
    ----------
    strategy : BaseFusion
        A strategy.
    registry : dict of str to type, default=STRATEGIES
        The shortcuts and their classes.

    Returns
    -------
    name : str
        The shortcut, or the class name for a class without one.
    """
    for name, cls in registry.items():
        if type(strategy) is cls:
            return name
    return type(strategy).__name__
