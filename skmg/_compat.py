"""The one module that imports private scikit-learn names.

Private helpers move between scikit-learn releases; keeping every such import
here means a new release breaks one file, not the whole package. The supported
range is scikit-learn >= 1.6.
"""

import sklearn
from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils.metadata_routing import _raise_for_params, _routing_enabled
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_method_params,
    _check_response_method,
    _check_sample_weight,
    _get_feature_names,
    _num_features,
    _num_samples,
)

try:  # scikit-learn >= 1.7
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # scikit-learn 1.6
    from sklearn.utils._estimator_html_repr import _VisualBlock

from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
)

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])

__all__ = [
    "SKLEARN_VERSION",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "_BaseComposition",
    "_VisualBlock",
    "_check_feature_names_in",
    "_check_method_params",
    "_check_response_method",
    "_check_sample_weight",
    "_fit_context",
    "_get_feature_names",
    "_num_features",
    "_num_samples",
    "_raise_for_params",
    "_routing_enabled",
    "_safe_indexing",
]
