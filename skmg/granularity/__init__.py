"""Granularity building blocks: views and multi-grained scanning.

Views are transformers that show the same data at one granularity
(:class:`IntervalFeatures`, :class:`Pooling`, :class:`Differences`); put one
before a model in a
``Pipeline`` and you have a branch. Multi-grained scanning
(:class:`ScanningClassifier`, :class:`ScanningRegressor`) trains one model on
every window of every sample, as in gcForest. :func:`make_granularities` builds
one branch per value of a scale parameter.
"""

from ._grid import make_granularities
from ._scanning import ScanningClassifier, ScanningRegressor
from ._views import Differences, IntervalFeatures, Pooling

__all__ = [
    "Differences",
    "IntervalFeatures",
    "Pooling",
    "ScanningClassifier",
    "ScanningRegressor",
    "make_granularities",
]
