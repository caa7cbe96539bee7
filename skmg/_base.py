"""The shared machinery of the multi-granularity meta-estimators.

The base orchestrates: validate, make the folds, run the plan of each level,
hand the out-of-fold outputs to the fusion strategy. It knows no strategy by
name: it asks the strategy (:class:`~skmg.fusion.BaseFusion`) what it needs.
"""

import numbers
import time
from abc import ABCMeta, abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn.base import MetaEstimatorMixin, TransformerMixin
from sklearn.model_selection import check_cv
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from ._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _BaseComposition,
    _check_feature_names_in,
    _check_sample_weight,
    _fit_context,
    _routing_enabled,
)
from ._early_stopping import early_stopping_of, fitted_rounds
from ._estimates import choose_estimates
from ._incremental import partial_fit_batch
from ._levels import FitSettings, fit_levels, predict_levels
from ._outputs import (
    design_blocks,
    fused_output,
)
from ._params import route_fit_params
from ._record import FitRecord, problem_of
from ._stage import (
    configured_fusion_has,
    fit_fusion_stage,
    make_strategy,
    visual_block,
)
from ._validation import (
    check_2d_not_empty,
    check_fusion,
    is_drop,
    make_folds,
    passthrough_block,
    passthrough_names,
    validate_fit_data,
    validate_granularities,
)
from .fusion import FUSIONS, make_fusion


def _fusion_has(method):
    """``available_if`` check: does the (fitted or configured) fusion give it?"""

    def check(self):
        if hasattr(self, "fusion_"):
            return hasattr(self.fusion_, method)
        return configured_fusion_has(self, method)

    return check


class _BaseMultiGranularity(
    TransformerMixin, MetaEstimatorMixin, _BaseComposition, metaclass=ABCMeta
):
    """Base of the multi-granularity classifier and regressor.

    Subclasses set ``_default_final_estimator`` and implement the target
    handling (``_validate_target``) and the decoding of predictions.
    """

    _parameter_constraints: dict = {
        "granularities": [list],
        "fusion": [StrOptions(set(FUSIONS)), HasMethods("fit")],
        "final_estimator": [None, HasMethods("fit")],
        "cv": ["cv_object", StrOptions({"prefit"})],
        "passthrough": ["boolean", list],
        "refit": ["boolean"],
        "memory": [None, str, HasMethods(["cache"])],
        "n_jobs": [None, numbers.Integral],
        "verbose": ["verbose"],
        "scoring": [None, str, callable],
        "early_stopping": [None, StrOptions({"inner", "fold"})],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "oof_method": [StrOptions({"cv", "auto"})],
    }

    @abstractmethod
    def __init__(
        self,
        granularities,
        *,
        fusion="stacking",
        final_estimator=None,
        cv=5,
        passthrough=False,
        refit=True,
        memory=None,
        n_jobs=None,
        verbose=0,
        scoring=None,
        early_stopping=None,
        n_iter_no_change=50,
        validation_fraction=0.1,
        oof_method="cv",
    ):
        self.granularities = granularities
        self.fusion = fusion
        self.final_estimator = final_estimator
        self.cv = cv
        self.passthrough = passthrough
        self.refit = refit
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.scoring = scoring
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.validation_fraction = validation_fraction
        self.oof_method = oof_method

    # -- parameters -------------------------------------------------------

    def get_params(self, deep=True):
        """Get the parameters of this estimator and of its granularities.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the branches by name and their parameters as
            ``name__param``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("granularities", deep=deep)

    def set_params(self, **params):
        """Set the parameters of this estimator and of its granularities.

        A branch can be replaced by name (``raw=LogisticRegression()``),
        removed (``raw="drop"``) or tuned (``raw__C=10``).

        A strategy's own parameters are set as ``fusion__param``; when
        ``fusion`` is a string shortcut, it first becomes its strategy (so
        ``GridSearchCV(model, {"fusion__max_levels": [1, 2]})`` works with
        ``fusion="cascade"``). Likewise ``final_estimator__param`` with
        ``final_estimator=None`` first sets the default final estimator.

        Parameters
        ----------
        **params : keyword arguments
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        fusion = params.get("fusion", self.fusion)
        if isinstance(fusion, str) and any(k.startswith("fusion__") for k in params):
            params["fusion"] = make_fusion(fusion)
        if params.get("final_estimator", self.final_estimator) is None and any(
            k.startswith("final_estimator__") for k in params
        ):
            params["final_estimator"] = self._default_final_estimator()
        self._set_params("granularities", **params)
        return self

    @property
    def named_estimators_(self):
        """The fitted branches by name (``estimators_`` as a Bunch).

        Built on access, so that the fitted state holds only estimators,
        arrays and plain values (what skops persists without extra trust).

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        check_is_fitted(self, "estimators_")
        return Bunch(**dict(zip(self.record_.names, self.estimators_)))

    @property
    def levels_(self):
        """The fitted branches of each level kept (read from ``record_``).

        Returns
        -------
        list of list
        """
        check_is_fitted(self, "record_")
        return [level.models for level in self.record_.levels]

    @property
    def named_granularities(self):
        """The branches by name, as given (unfitted).

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        return Bunch(**dict(self.granularities))

    # -- tags and repr ----------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            branches = [est for _, est in self.granularities if not is_drop(est)]
            branch_tags = [get_tags(est) for est in branches]
        except Exception:  # invalid granularities: fit will say why
            return tags
        if branch_tags:
            tags.input_tags.allow_nan = all(t.input_tags.allow_nan for t in branch_tags)
            tags.input_tags.sparse = all(t.input_tags.sparse for t in branch_tags)
        if tags.classifier_tags is not None:
            try:
                strategy = self._make_strategy()
            except Exception:  # an invalid fusion: fit will say why
                return tags
            final = getattr(strategy, "final_estimator", None)
            models = branch_tags + ([get_tags(final)] if final is not None else [])
            tags.classifier_tags.multi_label = bool(strategy.multilabel) and all(
                t.classifier_tags is not None and t.classifier_tags.multi_label
                for t in models
            )
        return tags

    def _sk_visual_block_(self):
        return visual_block(self)

    # -- metadata routing -------------------------------------------------

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        Each branch receives the metadata it requests for ``fit``; the splitter
        receives ``groups``; the final estimator of a stacking fusion receives
        what it requests for ``predict``. The fusion stage is given
        ``sample_weight`` in ``fit`` whatever it requests, as scikit-learn's
        stacking gives it to its final estimator.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`.
        """
        router = MetadataRouter(owner=self.__class__.__name__)
        for name, est in self.granularities:
            if is_drop(est):
                continue
            router.add(
                **{name: est},
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        final = getattr(self, "final_estimator_", None)
        if final is None:
            final = getattr(self._make_strategy(), "final_estimator", None)
        if final is not None:
            router.add(
                final_estimator=final,
                method_mapping=MethodMapping().add(caller="predict", callee="predict"),
            )
        if not self._prefit():
            router.add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        return router

    def _prefit(self):
        return isinstance(self.cv, str) and self.cv == "prefit"

    def _make_strategy(self):
        """The unfitted fusion strategy (see :func:`~skmg._stage.make_strategy`)."""
        return make_strategy(self)

    def _stack_method(self):
        """The output asked of the branches (the classifier's ``stack_method``)."""
        return getattr(self, "stack_method", "auto")

    def _make_folds(self, X, y, split_params, state):
        """The folds of the fit (every branch sees the same)."""
        single = self._is_classifier() and not state.get("_multilabel")
        classes = state["classes_"] if single else None
        return make_folds(self.cv, X, y, split_params, self._is_classifier(), classes)

    def _forget_fitted_state(self):
        """Drop what an earlier fit or partial_fit left (a new fit starts over)."""
        for attribute in list(vars(self)):
            if attribute.endswith("_") or attribute.startswith("_stream"):
                delattr(self, attribute)

    # -- fit --------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        """Fit every granularity on the folds (and refit), then the fusion.

        The fitted attributes are set when everything succeeded: a fit that
        fails leaves the estimator as it was (unfitted, or the previous
        model).

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Training data, passed to the branches as it is (a DataFrame stays a
            DataFrame, so branches can select columns by name).

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values: class labels for the classifier (a 2-D indicator
            matrix for a multilabel target), numbers for the regressor.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, given to every branch (a ``Pipeline`` branch
            through every step whose ``fit`` takes it) and to the fusion stage.

        groups : array-like of shape (n_samples,), default=None
            Group labels for the splitter, e.g.
            :class:`~sklearn.model_selection.GroupKFold`.

        **fit_params : dict
            Other metadata, routed to the branches that request it. Only
            with ``sklearn.set_config(enable_metadata_routing=True)``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        start = time.perf_counter()
        branches = validate_granularities(self)
        X, y, state = validate_fit_data(self, X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        strategy = self._make_strategy()
        check_fusion(self, strategy, branches, state, sample_weight)
        params, split_params = route_fit_params(
            self, branches, len(y), sample_weight, groups, fit_params, self._prefit()
        )
        names = [name for name, _ in branches]
        estimators = [estimator for _, estimator in branches]
        methods = strategy.resolve_outputs(
            names, estimators, self._stack_method(), self._is_classifier()
        )
        record = FitRecord(names, methods, *problem_of(state, y))
        settings = FitSettings(
            X,
            y,
            sample_weight,
            None if self._prefit() else self._make_folds(X, y, split_params, state),
            state.get("classes_"),
            self.refit,
            self.memory,
            self.n_jobs,
            self.verbose,
            early_stopping_of(self, state),
            choose_estimates(self, record, estimators, sample_weight, split_params),
        )
        fit_levels(strategy, record, estimators, params, settings)
        state.update(
            fit_fusion_stage(
                strategy,
                record,
                y,
                sample_weight,
                passthrough_block(self.passthrough, X),
                self.scoring,
            )
        )
        state.update(fitted_rounds(self, record, settings.stopping))
        state.update(
            record_=record.committed(),
            estimators_=estimators if self._prefit() else record.first_models,
            stack_method_=methods,
            oof_methods_=dict(record.oof_methods),
            fit_times_=dict(record.fit_times),
            fit_wall_time_=time.perf_counter() - start,
        )
        self._forget_fitted_state()
        vars(self).update(state)
        return self

    def _n_classes(self):
        """Number of classes; None for a regressor and a multilabel target."""
        if not self._is_classifier() or self._is_multilabel():
            return None
        return len(self.classes_)

    def _is_multilabel(self):
        return getattr(self, "_multilabel", False)

    def _partial_fit(self, X, y, classes, sample_weight):
        """One batch of incremental learning (see ``partial_fit``)."""
        check_2d_not_empty(X)
        return partial_fit_batch(self, X, y, classes, sample_weight)

    # -- prediction -------------------------------------------------------

    def _branch_outputs(self, X):
        """The outputs the fusion combines for ``X``."""
        check_is_fitted(self)
        check_2d_not_empty(X)
        validate_data(self, X=X, reset=False, skip_check_array=True)
        outputs = self.fusion_.level_outputs(predict_levels(self.record_, X))
        outputs.features = passthrough_block(self.passthrough, X)
        return outputs

    def _fuse(self, method, X, **params):
        outputs = self._branch_outputs(X)  # checks that the model is fitted
        return fused_output(self.fusion_, method, outputs, **params)

    def _predict_params(self, params):
        """The parameters of the final estimator's ``predict``: routed when
        metadata routing is enabled, as given otherwise."""
        if not params:
            return {}
        if _routing_enabled():
            routed = process_routing(self, "predict", **params)
            if "final_estimator" in routed:
                return dict(routed.final_estimator.predict)
            return {}
        return params

    def transform(self, X):
        """Return the output of every granularity for ``X``.

        The columns are the blocks of the branches in order (probabilities,
        decision values or predictions; for a binary problem, the probability
        of the second class only, as in scikit-learn's stacking), followed by
        the original features when ``passthrough=True``: the design matrix of
        a stacking final estimator. ``oof_predictions_`` holds the branch
        columns out of fold.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        outputs : ndarray of shape (n_samples, n_outputs)
            The branch outputs.
        """
        outputs = self._branch_outputs(X)
        blocks = design_blocks(outputs)
        if outputs.features is not None:
            if sp.issparse(outputs.features):
                return sp.hstack(blocks + [outputs.features], format="csr")
            blocks.append(outputs.features)
        return np.hstack(blocks)

    def get_feature_names_out(self, input_features=None):
        """Names of the columns of :meth:`transform`.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names, used only with ``passthrough=True``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``{branch}_{output}`` for every branch output, then the input
            features when passed through.
        """
        check_is_fitted(self, "n_features_in_")
        input_features = _check_feature_names_in(
            self, input_features, generate_names=self.passthrough is not False
        )
        names = self.record_.design_names(getattr(self, "classes_", None))
        if self.passthrough is True:
            names.extend(input_features)
        elif self.passthrough is not False:
            names.extend(passthrough_names(self.passthrough, input_features))
        return np.asarray(names, dtype=object)
