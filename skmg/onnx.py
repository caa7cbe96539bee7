"""ONNX export of the multi-granularity estimators and views, through skl2onnx.

Importing this module registers converters with `skl2onnx
<https://onnx.ai/sklearn-onnx/>`_ for :class:`~skmg.MultiGranularityClassifier`,
:class:`~skmg.MultiGranularityRegressor` and the views
:class:`~skmg.Pooling`, :class:`~skmg.Differences` and
:class:`~skmg.IntervalFeatures`; a fitted model is then converted with
``skl2onnx.to_onnx(model, X[:1])`` as any scikit-learn model::

    import skmg.onnx  # noqa: F401  (registers the converters)
    from skl2onnx import to_onnx

    onx = to_onnx(model, X[:1].astype("float32"))

It needs skl2onnx (``pip install "skmg[onnx]"``); ``import skmg`` never
imports it. The branches and the final estimator of a stacking fusion are
converted by skl2onnx's own converters, so each of them must be a model that
skl2onnx converts (a :class:`~sklearn.pipeline.Pipeline` of them, skmg's
views included).

What converts: the single-pass fusions, ``"stacking"`` (with or without
``passthrough``), ``"average"``, ``"weighted"``, ``"greedy"``, ``"cawpe"``,
and ``"auto"`` (its chosen strategy); binary and multiclass classification,
single-output regression; ``refit=True``, ``refit=False`` (the fold models of
a branch are averaged, or put to a vote, as in ``predict``) and
``cv="prefit"``. What raises an error naming what is not supported: the
multi-pass fusions (``"cascade"``, ``"residual"``), strategies of your own,
multilabel classification and multi-output regression.

A classifier's graph has the outputs of a scikit-learn classifier's: the
labels (in ``classes_``) and the probabilities (a ZipMap unless
``options={"zipmap": False}``; the option ``"nocl"`` gives the positions in
``classes_`` instead of the labels). When the fused model has no
``predict_proba``, the second output holds what its labels are the argmax
of: the final estimator's decision values (stacking), or the weighted vote
shares of the branches' labels (averaging fusions over ``"predict"``
outputs). A regressor's graph has one output of shape ``(n_samples, 1)``.
"""

import numpy as np

try:
    from skl2onnx import get_model_alias, update_registered_converter
    from skl2onnx.common._apply_operation import apply_cast
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        guess_proto_type,
    )
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )
    from skl2onnx.common.utils_classifier import _finalize_converter_classes
    from skl2onnx.proto import onnx_proto
except ImportError as exc:  # pragma: no cover - tested without skl2onnx only
    raise ImportError(
        "skmg.onnx needs skl2onnx; install it with: pip install 'skmg[onnx]'"
    ) from exc

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._estimators import MultiGranularityClassifier, MultiGranularityRegressor
from .fusion import (
    FUSIONS,
    AutoFusion,
    AverageFusion,
    CAWPEFusion,
    GreedyFusion,
    StackingFusion,
    WeightedFusion,
    shortcut_of,
)
from .granularity import Differences, IntervalFeatures, Pooling

__all__ = ["register"]

# The output methods of the branches (the values of ``stack_method_``).
_PROBA = "predict_proba"
_DECISION = "decision_function"
_PREDICT = "predict"
_VALUE = "predict_value"

# The fusions whose fitted strategy computes the prediction in one pass over
# the branch outputs: the strategies this module converts.
_AVERAGING = (AverageFusion, WeightedFusion, GreedyFusion, CAWPEFusion)
_CONVERTIBLE = (StackingFusion, *_AVERAGING)
_FLOAT_TYPES = [FloatTensorType, DoubleTensorType]


# -- checks -------------------------------------------------------------------


def _fusion_label(fusion):
    """``'name' (ClassName)`` of a fitted strategy, for messages."""
    return f"{shortcut_of(fusion, FUSIONS)!r} ({type(fusion).__name__})"


def _fused_strategy(model):
    """The fitted strategy that computes the prediction of ``model``: its
    ``fusion_``, or the strategy that ``"auto"`` chose.

    Raises NotImplementedError, naming the fusion, for a strategy this module
    does not convert.
    """
    fusion = model.fusion_
    chosen = fusion.best_fusion_ if type(fusion) is AutoFusion else fusion
    if type(chosen) not in _CONVERTIBLE:
        supported = ", ".join(repr(shortcut_of(cls(), FUSIONS)) for cls in _CONVERTIBLE)
        what = f"fusion {_fusion_label(chosen)}"
        if chosen is not fusion:
            what = f"fusion 'auto' chose {_fusion_label(chosen)}, and that"
        raise NotImplementedError(
            f"{type(model).__name__} cannot be exported to ONNX: {what} is "
            f"not convertible. The convertible fusions are {supported} and "
            "'auto' when it chooses one of them; a multi-pass fusion "
            "('cascade', 'residual') or a strategy of your own has no converter."
        )
    return chosen


def _branch_names(model):
    return list(model.named_estimators_)


def _check_has_converter(model, where):
    """Raise if skl2onnx has no converter for ``model`` or for a step of it
    (a Pipeline's steps are converted one by one)."""
    if isinstance(model, Pipeline):
        for _, step in model.steps:
            if step is not None and not (
                isinstance(step, str) and step == "passthrough"
            ):
                _check_has_converter(step, where)
        return
    try:
        get_model_alias(type(model))
    except Exception as exc:  # skl2onnx raises RuntimeError
        raise NotImplementedError(
            f"{where} cannot be exported to ONNX: skl2onnx has no converter "
            f"for {type(model).__name__}; register one with "
            "skl2onnx.update_registered_converter."
        ) from exc


def _check_convertible(model):
    """Raise a clear error if ``model`` cannot be exported; return its
    fitted strategy."""
    check_is_fitted(model, ["estimators_", "fusion_", "stack_method_"])
    name = type(model).__name__
    if isinstance(model, MultiGranularityClassifier) and isinstance(
        model.classes_, list
    ):
        raise NotImplementedError(
            f"{name} cannot be exported to ONNX: multilabel targets are not supported."
        )
    if isinstance(model, MultiGranularityRegressor):
        oof = getattr(model, "oof_predictions_", None)
        if oof is not None and oof.shape[1] > len(model.estimators_):
            raise NotImplementedError(
                f"{name} cannot be exported to ONNX: multi-output targets are "
                "not supported (only a 1-D y)."
            )
    strategy = _fused_strategy(model)
    for branch_name, branch in zip(_branch_names(model), model.estimators_):
        for fitted in branch if isinstance(branch, list) else [branch]:
            _check_has_converter(fitted, f"branch {branch_name!r}")
    if isinstance(strategy, StackingFusion):
        _check_has_converter(strategy.final_estimator_, "the final estimator")
    return strategy


# -- graph building -----------------------------------------------------------


class _Graph:
    """Nodes and constants of one converter, in the dtype of its input."""

    def __init__(self, scope, container, operator):
        self.scope = scope
        self.container = container
        self.input = operator.inputs[0]
        self.dtype = guess_proto_type(self.input.type)
        if self.dtype not in (
            onnx_proto.TensorProto.FLOAT,
            onnx_proto.TensorProto.DOUBLE,
        ):
            self.dtype = onnx_proto.TensorProto.FLOAT
        self.numpy_dtype = (
            np.float64 if self.dtype == onnx_proto.TensorProto.DOUBLE else np.float32
        )

    def const(self, hint, values, integer=False):
        """An initializer: int64 if ``integer``, else in the graph's dtype."""
        values = np.asarray(values, dtype=np.int64 if integer else self.numpy_dtype)
        name = self.scope.get_unique_variable_name(hint)
        self.container.add_initializer(
            name,
            onnx_proto.TensorProto.INT64 if integer else self.dtype,
            list(values.shape),
            values.ravel().tolist(),
        )
        return name

    def node(self, op_type, inputs, hint=None, output=None, domain="", **attrs):
        """Add a node; return the name of its (single) output."""
        output = output or self.scope.get_unique_variable_name(hint or op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            output,
            op_domain=domain,
            name=self.scope.get_unique_operator_name(f"Skmg{op_type}"),
            **attrs,
        )
        return output

    def reduce(self, op_type, x, axis, output=None):
        """``op_type`` (ReduceMean...) over one axis, the axis kept."""
        version = 18 if op_type in ("ReduceMean", "ReduceMax", "ReduceMin") else 13
        if self.container.target_opset >= version:
            axes = self.const("axes", [axis], integer=True)
            return self.node(op_type, [x, axes], output=output, keepdims=1)
        return self.node(op_type, [x], output=output, axes=[axis], keepdims=1)

    def slice(self, x, start, end, axis=1):
        """``x[..., start:end]`` along ``axis``."""
        return self.node(
            "Slice",
            [
                x,
                self.const("starts", [start], integer=True),
                self.const("ends", [end], integer=True),
                self.const("axes", [axis], integer=True),
            ],
        )

    def reshape(self, x, shape, output=None):
        return self.node(
            "Reshape", [x, self.const("shape", shape, integer=True)], output=output
        )

    def cast(self, x, to=None, output=None):
        output = output or self.scope.get_unique_variable_name("cast")
        apply_cast(self.scope, x, output, self.container, to=to or self.dtype)
        return output

    def weighted_sum(self, blocks, weights, output=None):
        """``sum(w_b * block_b)``."""
        terms = [
            self.node("Mul", [block, self.const("weight", [w])])
            for block, w in zip(blocks, weights)
        ]
        if len(terms) == 1:
            return self.node("Identity", terms, output=output)
        return self.node("Sum", terms, output=output)

    def one_hot(self, labels, n_classes):
        """Rows of 0/1 of shape (n, n_classes) from (n, 1) float labels."""
        encoded = self.cast(labels, to=onnx_proto.TensorProto.INT64)
        equal = self.node(
            "Equal", [encoded, self.const("classes", [list(range(n_classes))], True)]
        )
        return self.cast(equal)

    def sub_model(self, model, inputs, classifier):
        """Outputs of a model converted by skl2onnx's own converter: ``(label,
        scores)`` for a classifier, the prediction for a regressor, cast to
        the graph's dtype."""
        alias = get_model_alias(type(model))
        operator = self.scope.declare_local_operator(alias, model)
        operator.inputs.append(inputs)
        float_type = self.input.type.__class__
        if classifier:
            label = self.scope.declare_local_variable("label", Int64TensorType())
            scores = self.scope.declare_local_variable("scores", float_type())
            operator.outputs.extend([label, scores])
            return label.onnx_name, self.cast(scores.onnx_name)
        value = self.scope.declare_local_variable("value", float_type())
        operator.outputs.append(value)
        return self.cast(value.onnx_name)


def _final_step(model):
    """The model of a branch: the last step of a Pipeline, else itself."""
    while isinstance(model, Pipeline):
        model = model.steps[-1][1]
    return model


def _set_raw_scores(graph, model, raw, where):
    """Ask skl2onnx for decision values (``raw``) or probabilities."""
    last = _final_step(model)
    if graph.container.has_options(last, "raw_scores"):
        graph.container.add_options(id(last), {"raw_scores": raw})
    elif raw and hasattr(last, "predict_proba"):
        raise NotImplementedError(
            f"{where}: skl2onnx gives no decision values for "
            f"{type(last).__name__} (its converter has no 'raw_scores' option); "
            "fit with stack_method='predict_proba' to export it."
        )


def _align(graph, scores, seen, n_classes):
    """Columns of the classes ``seen`` (positions) placed among all classes,
    as ``align_proba``: a product with a 0/1 matrix."""
    seen = np.asarray(seen)
    if len(seen) == n_classes:
        return scores
    placement = np.zeros((len(seen), n_classes))
    placement[np.arange(len(seen)), seen.astype(np.intp)] = 1
    return graph.node("MatMul", [scores, graph.const("placement", placement)])


def _model_block(graph, model, method, n_classes, branch):
    """The output block of one fitted model of a branch, as ``branch_output``
    computes it: (n, n_classes) probabilities, decision values ((n, 1) for a
    binary problem), (n, 1) labels or predictions."""
    inputs = graph.input
    if n_classes is None or method == _VALUE:
        value = graph.sub_model(model, inputs, classifier=False)
        return graph.reshape(value, [-1, 1])
    if method not in (_PROBA, _DECISION, _PREDICT):
        raise NotImplementedError(
            f"branch {branch!r}: the output method {method!r} is not exported."
        )
    _set_raw_scores(graph, model, method == _DECISION, f"branch {branch!r}")
    label, scores = graph.sub_model(model, inputs, classifier=True)
    if method == _PREDICT:
        return graph.reshape(graph.cast(label), [-1, 1])
    if method == _PROBA:
        seen = getattr(model, "classes_", np.arange(n_classes))
        return _align(graph, scores, seen, n_classes)
    if n_classes == 2:  # skl2onnx gives [-d, d] (or d): keep d
        return graph.slice(scores, -1, np.iinfo(np.int64).max)
    return scores


def _branch_block(graph, branch, method, n_classes, name):
    """The output block of a fitted branch: its model's, or with
    ``refit=False`` the average (labels: the vote) of its fold models'."""
    models = branch if isinstance(branch, list) else [branch]
    blocks = [_model_block(graph, m, method, n_classes, name) for m in models]
    if len(blocks) == 1:
        return blocks[0]
    if n_classes is not None and method == _PREDICT:
        # majority vote of the fold models, ties to the smaller label
        votes = graph.node("Sum", [graph.one_hot(b, n_classes) for b in blocks])
        winner = graph.node("ArgMax", [votes], axis=1, keepdims=1)
        return graph.cast(winner)
    return graph.node("Mean", blocks)


def _branch_blocks(graph, model, n_classes):
    return [
        _branch_block(graph, branch, method, n_classes, name)
        for branch, method, name in zip(
            model.estimators_, model.stack_method_, _branch_names(model)
        )
    ]


def _passthrough_positions(model):
    """Positions of the features passed through to the final estimator."""
    columns = model.passthrough
    n_features = model.n_features_in_
    if columns is True:
        return None
    columns = list(columns)
    if columns and all(isinstance(c, str) for c in columns):
        names = list(getattr(model, "feature_names_in_", []))
        missing = [c for c in columns if c not in names]
        if missing:
            raise ValueError(
                f"passthrough names the columns {missing}, which are not in "
                "feature_names_in_."
            )
        return [names.index(c) for c in columns]
    if columns and all(isinstance(c, (bool, np.bool_)) for c in columns):
        return np.flatnonzero(columns).tolist()
    return np.arange(n_features)[np.asarray(columns, dtype=np.intp)].tolist()


def _stacking_design(graph, model, final, blocks, n_classes):
    """The final estimator's input: the blocks side by side (binary
    probabilities: the second column only), then the passed-through
    features; declared as a variable for skl2onnx's converter."""
    columns = [
        graph.slice(block, 1, 2) if method == _PROBA and n_classes == 2 else block
        for block, method in zip(blocks, model.stack_method_)
    ]
    if model.passthrough is not False:
        positions = _passthrough_positions(model)
        features = graph.cast(graph.input.onnx_name)
        if positions is not None:
            features = graph.node(
                "Gather",
                [features, graph.const("columns", positions, integer=True)],
                axis=1,
            )
        columns.append(features)
    width = getattr(final, "n_features_in_", None)
    design = graph.scope.declare_local_variable(
        "skmg_design", graph.input.type.__class__([None, width])
    )
    graph.node("Concat", columns, output=design.onnx_name, axis=1)
    return design


def _decision_probabilities(graph, block, temperature, n_classes):
    """``softmax(d / T)`` (binary: ``[1 - sigmoid(d / T), sigmoid(d / T)]``)."""
    scaled = graph.node("Div", [block, graph.const("temperature", [temperature])])
    if n_classes > 2:
        return graph.node("Softmax", [scaled], axis=1)
    positive = graph.node("Sigmoid", [scaled])
    negative = graph.node("Sub", [graph.const("one", [1.0]), positive])
    return graph.node("Concat", [negative, positive], axis=1)


# -- the meta-estimators ------------------------------------------------------


def _shape_classifier(operator):
    """Types of a classifier's outputs: the labels and the probabilities."""
    _check_convertible(operator.raw_operator)
    check_input_and_output_types(operator, good_input_types=_FLOAT_TYPES)
    calculate_linear_classifier_output_shapes(operator)


def _shape_regressor(operator):
    """Type of a regressor's output: (n_samples, 1) in the input's dtype."""
    _check_convertible(operator.raw_operator)
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(operator, good_input_types=_FLOAT_TYPES)
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = operator.inputs[0].type.__class__([n, 1])


def _convert_classifier(scope, operator, container):
    """Converter of :class:`~skmg.MultiGranularityClassifier`."""
    model = operator.raw_operator
    strategy = _check_convertible(model)
    graph = _Graph(scope, container, operator)
    n_classes = len(model.classes_)
    blocks = _branch_blocks(graph, model, n_classes)
    label_output, proba_output = (v.full_name for v in operator.outputs[:2])
    if isinstance(strategy, StackingFusion):
        final = strategy.final_estimator_
        design = _stacking_design(graph, model, final, blocks, n_classes)
        _set_raw_scores(graph, final, False, "the final estimator")
        label, scores = graph.sub_model(final, design, classifier=True)
        seen = getattr(final, "classes_", np.arange(n_classes))
        graph.node(
            "Identity", [_align(graph, scores, seen, n_classes)], output=proba_output
        )
        encoded = graph.reshape(label, [-1, 1])
    else:
        kind = model.stack_method_[0]
        if kind == _DECISION:
            temperatures = getattr(strategy, "temperatures_", np.ones(len(blocks)))
            blocks = [
                _decision_probabilities(graph, block, t, n_classes)
                for block, t in zip(blocks, temperatures)
            ]
        elif kind == _PREDICT:
            blocks = [graph.one_hot(block, n_classes) for block in blocks]
        graph.weighted_sum(blocks, strategy.weights_, output=proba_output)
        encoded = graph.node("ArgMax", [proba_output], axis=1, keepdims=1)
    if container.get_options(model, dict(nocl=False))["nocl"]:
        graph.reshape(encoded, [-1], output=label_output)
        return
    _finalize_converter_classes(
        scope, encoded, label_output, container, model.classes_, graph.dtype
    )


def _convert_regressor(scope, operator, container):
    """Converter of :class:`~skmg.MultiGranularityRegressor`."""
    model = operator.raw_operator
    strategy = _check_convertible(model)
    graph = _Graph(scope, container, operator)
    blocks = _branch_blocks(graph, model, None)
    output = operator.outputs[0].full_name
    if isinstance(strategy, StackingFusion):
        final = strategy.final_estimator_
        design = _stacking_design(graph, model, final, blocks, None)
        value = graph.sub_model(final, design, classifier=False)
        graph.reshape(value, [-1, 1], output=output)
    else:
        graph.weighted_sum(blocks, strategy.weights_, output=output)


# -- the views ----------------------------------------------------------------


def _shape_view(operator):
    """Type of a view's output: (n_samples, n_features_out), input dtype."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(operator, good_input_types=_FLOAT_TYPES)
    n = operator.inputs[0].get_first_dimension()
    width = len(operator.raw_operator.get_feature_names_out())
    operator.outputs[0].type = operator.inputs[0].type.__class__([n, width])


def _window_length(view):
    """The length of a window (the side of a patch)."""
    return view.size if isinstance(view, Pooling) else view.window


def _window_positions(view):
    """The input column of every value of every window, shape (n_windows,
    window) for series, (n_patches, window * window) for images (each
    patch row-major)."""
    length = _window_length(view)
    offsets = np.arange(length)
    if view.image_shape_ is None:
        return view.window_starts_[:, None] + offsets[None, :]
    width = view.image_shape_[1]
    rows = view.window_starts_[:, :1, None] + offsets[None, :, None]
    cols = view.window_starts_[:, 1:, None] + offsets[None, None, :]
    return (rows * width + cols).reshape(len(view.window_starts_), -1)


def _slope_weights(view):
    """The weights whose sum over a window is its slope (or, for images, its
    two slopes), as ``_slope`` computes them: shape (window_size, 1 or 2)."""
    length = _window_length(view)
    index = np.arange(length) - (length - 1) / 2
    sum_squares = float(index @ index)
    if view.image_shape_ is None:
        if sum_squares == 0:
            return np.zeros((length, 1))
        return (index / sum_squares)[:, None]
    if sum_squares == 0:
        return np.zeros((length * length, 2))
    sum_squares *= length
    by_row = np.repeat(index, length) / sum_squares
    by_col = np.tile(index, length) / sum_squares
    return np.column_stack([by_row, by_col])


def _window_statistic(graph, windows, statistic, view):
    """One statistic of every window: (n, n_windows, 1), or 2 columns for the
    slopes of an image."""
    if statistic == "mean":
        return graph.reduce("ReduceMean", windows, 2)
    if statistic == "max":
        return graph.reduce("ReduceMax", windows, 2)
    if statistic == "min":
        return graph.reduce("ReduceMin", windows, 2)
    if statistic == "std":  # population standard deviation, as numpy's
        centred = graph.node("Sub", [windows, graph.reduce("ReduceMean", windows, 2)])
        squares = graph.node("Mul", [centred, centred])
        return graph.node("Sqrt", [graph.reduce("ReduceMean", squares, 2)])
    if statistic == "slope":
        return graph.node(
            "MatMul", [windows, graph.const("slope", _slope_weights(view))]
        )
    if statistic == "median":  # the middle value(s) of the sorted window
        size = _window_positions(view).shape[1]
        ordered = graph.scope.get_unique_variable_name("sorted")
        positions = graph.scope.get_unique_variable_name("positions")
        graph.container.add_node(
            "TopK",
            [windows, graph.const("k", [size], integer=True)],
            [ordered, positions],
            name=graph.scope.get_unique_operator_name("SkmgTopK"),
            axis=2,
        )
        middle = graph.node(
            "Gather",
            [ordered, graph.const("middle", [(size - 1) // 2, size // 2], True)],
            axis=2,
        )
        return graph.reduce("ReduceMean", middle, 2)
    raise NotImplementedError(  # pragma: no cover - refused by fit
        f"the statistic {statistic!r} has no ONNX conversion."
    )


def _convert_window_view(scope, operator, container):
    """Converter of :class:`~skmg.Pooling` and :class:`~skmg.IntervalFeatures`:
    the windows gathered from the input columns, then reduced."""
    view = operator.raw_operator
    graph = _Graph(scope, container, operator)
    windows = graph.node(
        "Gather",
        [
            graph.input.onnx_name,
            graph.const("windows", _window_positions(view), integer=True),
        ],
        axis=1,
    )
    if isinstance(view, Pooling):
        statistics = [view.func]
    else:
        statistics = list(view.statistics)
    columns = [_window_statistic(graph, windows, s, view) for s in statistics]
    stacked = columns[0] if len(columns) == 1 else graph.node("Concat", columns, axis=2)
    width = len(view.get_feature_names_out())
    graph.reshape(stacked, [-1, width], output=operator.outputs[0].full_name)


def _convert_differences(scope, operator, container):
    """Converter of :class:`~skmg.Differences`: ``order`` times the
    difference of consecutive values along each series (each image row)."""
    view = operator.raw_operator
    graph = _Graph(scope, container, operator)
    values = graph.input.onnx_name
    if view.image_shape_ is not None:
        values = graph.reshape(values, [-1, *view.image_shape_])
    end = np.iinfo(np.int64).max
    for _ in range(view.order):
        later = graph.slice(values, 1, end, axis=-1)
        earlier = graph.slice(values, 0, -1, axis=-1)
        values = graph.node("Sub", [later, earlier])
    width = len(view.get_feature_names_out())
    graph.reshape(values, [-1, width], output=operator.outputs[0].full_name)


# -- registration -------------------------------------------------------------

_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
}


def register():
    """Register skmg's converters with skl2onnx.

    Importing :mod:`skmg.onnx` calls it; call it again only if another
    registration replaced skmg's. Afterwards :func:`skl2onnx.to_onnx`
    converts a fitted :class:`~skmg.MultiGranularityClassifier`,
    :class:`~skmg.MultiGranularityRegressor`, and the views
    :class:`~skmg.Pooling`, :class:`~skmg.Differences` and
    :class:`~skmg.IntervalFeatures` (alone or in a
    :class:`~sklearn.pipeline.Pipeline`).

    Examples
    --------
    >>> import numpy as np
    >>> import skmg.onnx
    >>> from skl2onnx import to_onnx
    >>> from skmg import Pooling
    >>> skmg.onnx.register()
    >>> X = np.arange(8, dtype=np.float32).reshape(1, 8)
    >>> onx = to_onnx(Pooling(size=2).fit(X), X)
    >>> [output.name for output in onx.graph.output]
    ['variable']
    """
    update_registered_converter(
        MultiGranularityClassifier,
        "SkmgMultiGranularityClassifier",
        _shape_classifier,
        _convert_classifier,
        options=_CLASSIFIER_OPTIONS,
    )
    update_registered_converter(
        MultiGranularityRegressor,
        "SkmgMultiGranularityRegressor",
        _shape_regressor,
        _convert_regressor,
    )
    for view, converter in [
        (Pooling, _convert_window_view),
        (IntervalFeatures, _convert_window_view),
        (Differences, _convert_differences),
    ]:
        update_registered_converter(
            view, f"Skmg{view.__name__}", _shape_view, converter
        )


register()
