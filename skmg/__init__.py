"""skmg: multi-granularity learning for scikit-learn.

One model per granularity of the data (a raw resolution, pooled or binned
views, window scales, category levels), fused into one estimator.
"""

from ._estimators import MultiGranularityClassifier, MultiGranularityRegressor
from .granularity import (
    Differences,
    IntervalFeatures,
    Pooling,
    ScanningClassifier,
    ScanningRegressor,
    make_granularities,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "MultiGranularityClassifier",
    "MultiGranularityRegressor",
    "Differences",
    "IntervalFeatures",
    "Pooling",
    "ScanningClassifier",
    "ScanningRegressor",
    "make_granularities",
    "__version__",
]
