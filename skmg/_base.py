"""The shared machinery of the multi-granularity meta-estimators."""

import inspect
import numbers
import time
import warnings
from abc import ABCMeta, abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn.base import MetaEstimatorMixin, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    has_fit_parameter,
    indexable,
    validate_data,
)

from . import fusion as _fusion
from ._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _BaseComposition,
    _check_feature_names_in,
    _check_sample_weight,
    _num_samples,
    _raise_for_params,
    _routing_enabled,
    _safe_indexing,
    _VisualBlock,
)
from ._plan import PREDICT, PROBA, Task, aggregate, branch_output, run_plan
from ._plan import _task_error as _plan_task_error


def _partial_fit_available(self):
    """``available_if`` check of ``partial_fit``, raising with the reason."""
    fusion = self._fusion_name()
    if fusion not in ("average", "weighted"):
        raise AttributeError(
            f"partial_fit needs fusion='average' or 'weighted'; got fusion={fusion!r}"
        )
    for name, estimator in self.granularities:
        if _is_drop(estimator):
            continue
        reason = partial_fit_obstacle(estimator)
        if reason is not None:
            raise AttributeError(
                f"branch {name!r} cannot learn incrementally: {reason}"
            )
    return True


def _fusion_has(method):
    """``available_if`` check: does the (fitted or configured) fusion give it?"""

    def check(self):
        if hasattr(self, "fusion_"):
            return hasattr(self.fusion_, method)
        return self._configured_fusion_has(method)

    return check


class _BaseMultiGranularity(
    TransformerMixin, MetaEstimatorMixin, _BaseComposition, metaclass=ABCMeta
):
    """Base of the multi-granularity classifier and regressor.

    Subclasses set ``_default_final_estimator`` and implement the target
    handling (``_validate_target``), the output methods
    (``_resolve_methods``), the default score and the decoding of predictions.
    """

    _parameter_constraints: dict = {
        "granularities": [list],
        "fusion": [StrOptions(set(_fusion.FUSIONS)), HasMethods("fit")],
        "final_estimator": [None, HasMethods("fit")],
        "cv": ["cv_object"],
        "passthrough": ["boolean", list],
        "weights": [None, "array-like"],
        "max_levels": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, None, None, closed="neither")],
        "decay": [Interval(numbers.Real, 0, 1, closed="both")],
        "refit": ["boolean"],
        "memory": [None, str, HasMethods(["cache"])],
        "n_jobs": [None, numbers.Integral],
        "verbose": ["verbose"],
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
        weights=None,
        max_levels=3,
        tol=1e-4,
        decay=0.9,
        refit=True,
        memory=None,
        n_jobs=None,
        verbose=0,
    ):
        self.granularities = granularities
        self.fusion = fusion
        self.final_estimator = final_estimator
        self.cv = cv
        self.passthrough = passthrough
        self.weights = weights
        self.max_levels = max_levels
        self.tol = tol
        self.decay = decay
        self.refit = refit
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose

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

        Parameters
        ----------
        **params : keyword arguments
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
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
        return Bunch(**dict(zip(self.fit_times_, self.estimators_)))

    @property
    def named_granularities(self):
        """The branches by name, as given (unfitted).

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        return Bunch(**dict(self.granularities))

    def _validate_granularities(self):
        """Check the ``granularities`` parameter; return names and estimators."""
        branches = self.granularities
        if len(branches) == 0:
            raise ValueError(
                "'granularities' must be a non-empty list of (name, estimator) "
                "pairs; got an empty list."
            )
        for item in branches:
            if not (
                isinstance(item, (tuple, list))
                and len(item) == 2
                and isinstance(item[0], str)
            ):
                raise TypeError(
                    "'granularities' must be a list of (name, estimator) pairs; "
                    f"got the item {item!r}."
                )
        names = [name for name, _ in branches]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"'granularities' has duplicate branch names: {duplicates}."
            )
        with_sep = [n for n in names if "__" in n]
        if with_sep:
            raise ValueError(
                f"branch names in 'granularities' must not contain '__': {with_sep}."
            )
        clashes = sorted(set(names) & set(self.get_params(deep=False)))
        if clashes:
            raise ValueError(
                "branch names in 'granularities' must differ from the parameter "
                f"names of {type(self).__name__}: {clashes}."
            )
        estimators = [est for _, est in branches]
        if all(_is_drop(est) for est in estimators):
            raise ValueError(
                "every branch of 'granularities' is 'drop'; at least one must be "
                "an estimator."
            )
        for name, est in branches:
            if _is_drop(est):
                continue
            if not hasattr(est, "fit"):
                raise TypeError(
                    f"branch {name!r} of 'granularities' must be an estimator with "
                    f"fit or 'drop'; got {est!r}."
                )
            self._check_branch_type(name, est)
        return names, estimators

    # -- tags and repr ----------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            branches = [est for _, est in self.granularities if not _is_drop(est)]
            branch_tags = [get_tags(est) for est in branches]
        except Exception:  # invalid granularities: fit will say why
            return tags
        if branch_tags:
            tags.input_tags.allow_nan = all(t.input_tags.allow_nan for t in branch_tags)
            tags.input_tags.sparse = all(t.input_tags.sparse for t in branch_tags)
        return tags

    def _sk_visual_block_(self):
        names = [name for name, _ in self.granularities]
        branches = [est for _, est in self.granularities]
        parallel = _VisualBlock("parallel", branches, names=names, dash_wrapped=False)
        if self._fusion_name() == "stacking":
            final, label = self._final_estimator(), "final_estimator"
        else:
            final, label = f"fusion={self.fusion!r}", "fusion"
        final_block = _VisualBlock(
            "parallel", [final], names=[label], dash_wrapped=False
        )
        return _VisualBlock("serial", (parallel, final_block), dash_wrapped=False)

    # -- metadata routing -------------------------------------------------

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        Each branch receives the metadata it requests for ``fit``; the splitter
        receives ``groups``; the final estimator of stacking receives what it
        requests for ``fit`` and ``predict``.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`.
        """
        router = MetadataRouter(owner=self.__class__.__name__)
        for name, est in self.granularities:
            if _is_drop(est):
                continue
            router.add(
                **{name: est},
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        if self._fusion_name() == "stacking":
            final = getattr(self, "final_estimator_", None)
            if final is None:
                final = self._final_estimator()
            router.add(
                final_estimator=final,
                method_mapping=MethodMapping()
                .add(caller="fit", callee="fit")
                .add(caller="predict", callee="predict"),
            )
        router.add(
            splitter=check_cv(self.cv),
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        return router

    def _route(self, names, estimators, sample_weight, groups, fit_params):
        """Fit parameters per branch, for the splitter and for the fusion."""
        active = [n for n, e in zip(names, estimators) if not _is_drop(e)]
        if _routing_enabled():
            if sample_weight is not None:
                fit_params["sample_weight"] = sample_weight
            if groups is not None:
                fit_params["groups"] = groups
            routed = process_routing(self, "fit", **fit_params)
            branch_params = [dict(routed[name].fit) for name in active]
            split_params = dict(routed.splitter.split)
            fusion_params = (
                dict(routed.final_estimator.fit) if "final_estimator" in routed else {}
            )
            fusion_params.pop("sample_weight", None)
            return branch_params, split_params, fusion_params
        _raise_for_params(fit_params, self, "fit")
        branch_params = []
        for name, est in zip(names, estimators):
            if _is_drop(est):
                continue
            params = {}
            if sample_weight is not None:
                params = _sample_weight_params(name, est, sample_weight)
            branch_params.append(params)
        return branch_params, {"groups": groups}, {}

    # -- fit --------------------------------------------------------------

    def _fusion_name(self):
        """The fusion strategy by name; an estimator instance means stacking."""
        return self.fusion if isinstance(self.fusion, str) else "stacking"

    def _final_estimator(self):
        """The (unfitted) final estimator of stacking."""
        if not isinstance(self.fusion, str):
            if self.final_estimator is not None:
                raise ValueError(
                    "the final estimator is given twice: as 'fusion' and as "
                    "'final_estimator'; give it once."
                )
            return self.fusion
        if self.final_estimator is None:
            return self._default_final_estimator()
        return self.final_estimator

    def _make_folds(self, X, y, split_params):
        """Split once; every branch sees the same folds."""
        cv = self.cv
        n_samples = _num_samples(X)
        if self._is_classifier() and isinstance(cv, numbers.Integral):
            _check_smallest_class(y, cv, self.classes_)
        cv = check_cv(cv, y, classifier=self._is_classifier())
        if isinstance(cv, StratifiedKFold) and self._is_classifier():
            _check_smallest_class(y, cv.get_n_splits(), self.classes_)
        folds = []
        for k, (train, test) in enumerate(cv.split(X, y, **split_params)):
            train = np.asarray(train, dtype=np.intp)
            test = np.asarray(test, dtype=np.intp)
            if len(train) == 0:
                raise ValueError(
                    f"'cv' gave an empty training set in fold {k + 1}; every fold "
                    "needs training rows."
                )
            folds.append((train, test))
        if not folds:
            raise ValueError("'cv' gave no split; at least one fold is needed.")
        for k, (train, test) in enumerate(folds):
            if train.max(initial=-1) >= n_samples or test.max(initial=-1) >= n_samples:
                raise ValueError(
                    f"'cv' gave row indices out of range in fold {k + 1} for "
                    f"{n_samples} samples."
                )
        return folds

    def _passthrough_block(self, X):
        """The original features given to the fusion stage, if any."""
        if self.passthrough is False:
            return None
        if self.passthrough is not True:
            X = _safe_indexing(X, self.passthrough, axis=1)
        X = check_array(X, accept_sparse=True, ensure_all_finite=False)
        return X.tocsr() if sp.issparse(X) else X

    def _check_fusion_params(self, fusion):
        if self.weights is not None and fusion != "average":
            raise ValueError(
                f"'weights' fixes the weights of fusion='average'; fusion={fusion!r} "
                "does not take them."
            )
        if self.passthrough is not False and fusion != "stacking":
            raise ValueError(
                "passthrough gives the original features to the fusion stage, but "
                f"fusion={fusion!r} does not learn from features; use "
                "fusion='stacking' or passthrough=False."
            )

    def _forget_fitted_state(self):
        """Drop what an earlier fit or partial_fit left (a new fit starts over)."""
        for attribute in list(vars(self)):
            if attribute.endswith("_") or attribute.startswith("_stream"):
                delattr(self, attribute)

    def _fit(self, X, y, sample_weight, groups, fit_params):
        self._forget_fitted_state()
        names, estimators = self._validate_granularities()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        _check_2d_not_empty(X)
        validate_data(self, X=X, skip_check_array=True)
        y = self._validate_target(X, y)
        # Rows are selected per fold: make X indexable (sparse -> CSR) once.
        X, y = indexable(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        n_classes = len(self.classes_) if self._is_classifier() else None
        fusion = self._fusion_name()

        branch_params, split_params, fusion_params = self._route(
            names, estimators, sample_weight, groups, fit_params
        )
        active = [(n, e) for n, e in zip(names, estimators) if not _is_drop(e)]
        active_names = [n for n, _ in active]
        active_estimators = [e for _, e in active]
        self._check_fusion_params(fusion)
        for name, est in active:
            _warn_if_frozen(name, est)
        methods = self._resolve_methods(active_names, active_estimators)
        folds = self._make_folds(X, y, split_params)
        self.stack_method_ = methods
        self.fit_times_ = dict.fromkeys(active_names, 0.0)
        level = _Level(self, X, y, folds, n_classes, sample_weight)

        if fusion == "residual":
            return self._fit_residual(
                level, active_names, active_estimators, branch_params
            )

        fitted, blocks, covered = level.fit(
            active_names, active_estimators, methods, branch_params
        )
        self.estimators_ = fitted
        self.levels_ = [fitted]
        self.granularity_scores_ = {
            name: level.score(block, method)
            for name, block, method in zip(active_names, blocks, methods)
        }
        if fusion == "cascade":
            blocks, cascade = self._fit_cascade(
                level, active_names, active_estimators, branch_params, blocks
            )
        self._set_oof(blocks, level.covered)

        y_fit = y[covered]
        sw_fit = None if sample_weight is None else sample_weight[covered]
        outputs = [block[covered] for block in blocks]
        passthrough = self._passthrough_block(X)
        if passthrough is not None:
            passthrough = passthrough[covered]
        if fusion == "auto":
            candidates = self._auto_candidates(methods, n_classes)
            chosen, self.fusion_scores_ = _fusion.select_fusion(
                candidates,
                outputs,
                y_fit,
                sw_fit,
                self._fusion_score,
                self._is_classifier(),
            )
            strategy = candidates[chosen]
        elif fusion == "cascade":
            strategy = cascade
        else:
            strategy = self._make_fusion(fusion, methods, n_classes)
        strategy.fit(
            outputs,
            y_fit,
            sample_weight=sw_fit,
            passthrough=passthrough,
            **fusion_params,
        )
        self.fusion_ = strategy
        if isinstance(strategy, _fusion.StackingFusion):
            self.final_estimator_ = strategy.final_estimator_
        return self

    def _set_oof(self, blocks, covered):
        self._n_outputs_per_branch = [block.shape[1] for block in blocks]
        self.oof_predictions_ = np.hstack(blocks)
        self.oof_mask_ = covered

    def _make_fusion(self, fusion, methods, n_classes):
        if fusion == "stacking":
            return _fusion.StackingFusion(self._final_estimator(), methods, n_classes)
        if fusion == "average":
            return _fusion.AverageFusion(methods[0], n_classes, weights=self._weights())
        if fusion == "weighted":
            return _fusion.WeightedFusion(methods[0], n_classes)
        return _fusion.GreedyFusion(methods[0], n_classes)

    def _weights(self):
        """User weights of the non-dropped branches (dropped ones ignored)."""
        if self.weights is None:
            return None
        weights = list(self.weights)
        if len(weights) != len(self.granularities):
            raise ValueError(
                f"'weights' must have one weight per branch of 'granularities' "
                f"({len(self.granularities)}); got {len(weights)}."
            )
        return [
            w for w, (_, est) in zip(weights, self.granularities) if not _is_drop(est)
        ]

    def _auto_candidates(self, methods, n_classes):
        """average, weighted (when it applies) and stacking, simplest first."""
        names = [
            n
            for n in _fusion.AUTO_CANDIDATES
            if n != "weighted" or n_classes is None or methods[0] == PROBA
        ]
        return {name: self._make_fusion(name, methods, n_classes) for name in names}

    def _fit_cascade(self, level, names, estimators, branch_params, blocks):
        """Add levels while the out-of-fold score improves (gcForest)."""
        if not level.covered.all():
            raise ValueError(
                "fusion='cascade' feeds every row's out-of-fold outputs to the next "
                "level, so 'cv' must put every row in a test fold; "
                f"{int((~level.covered).sum())} rows are in none."
            )
        methods = self.stack_method_
        n_classes = len(self.classes_) if self._is_classifier() else None
        strategy = _fusion.CascadeFusion(
            methods[0], n_classes, max_levels=self.max_levels, tol=self.tol
        )
        X = _numeric(level.X)
        scores = [level.fused_score(strategy, blocks)]
        while len(self.levels_) < strategy.max_levels:
            wrapped = [_fusion.LevelBranch(est, X.shape[1]) for est in estimators]
            X_next = strategy.level_input(X, blocks)
            fitted, next_blocks, _ = level.fit(
                names, wrapped, methods, branch_params, X=X_next
            )
            scores.append(level.fused_score(strategy, next_blocks))
            if not strategy.improves(scores):
                break
            self.levels_.append(fitted)
            blocks = next_blocks
        strategy.level_scores_ = scores
        return blocks, strategy

    def _fit_residual(self, level, names, estimators, branch_params):
        """Coarse to fine: each branch fits what the previous ones left."""
        strategy = _fusion.ResidualFusion(self._learning_rates(len(names)))
        blocks, fitted_all = [], []
        self.granularity_scores_ = {}
        for b, name in enumerate(names):
            target = strategy.target(level.y, blocks)
            fitted, (block,), covered = level.fit(
                [name], [estimators[b]], [PREDICT], [branch_params[b]], y=target
            )
            if not covered.all():
                raise ValueError(
                    "fusion='residual' fits each branch on the residual of the "
                    "out-of-fold predictions of the previous ones, so 'cv' must put "
                    f"every row in a test fold; {int((~covered).sum())} rows are in "
                    "none."
                )
            fitted_all.extend(fitted)
            blocks.append(block)
            self.granularity_scores_[name] = level.score(strategy._sum(blocks), PREDICT)
        self.estimators_ = fitted_all
        self.levels_ = [fitted_all]
        self._set_oof(blocks, level.covered)
        self.fusion_ = strategy.fit(blocks, level.y)
        return self

    def _fusion_score(self, strategy, outputs, y, sample_weight):
        """The default metric of the estimator for a fitted fusion strategy."""
        return self._score_predictions(y, strategy.predict(outputs), sample_weight)

    def _configured_fusion_has(self, method):
        """Before fit: would the configured fusion offer ``method``?"""
        fusion = self._fusion_name()
        if fusion == "stacking":
            return hasattr(self._final_estimator(), method)
        return self._average_has(method)

    # -- incremental learning ----------------------------------------------

    def _partial_fit(self, X, y, classes, sample_weight):
        """One batch of incremental learning (see ``partial_fit``)."""
        first = not hasattr(self, "estimators_")
        if first:
            names, estimators = self._validate_granularities()
            active = [(n, e) for n, e in zip(names, estimators) if not _is_drop(e)]
            self._check_fusion_params(self._fusion_name())
        _check_2d_not_empty(X)
        validate_data(self, X=X, reset=first, skip_check_array=True)
        y = self._partial_fit_target(X, y, classes, first)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        n_classes = len(self.classes_) if self._is_classifier() else None

        if first:
            names = [n for n, _ in active]
            self.stack_method_ = self._resolve_methods(names, [e for _, e in active])
            self.estimators_ = [clone(e) for _, e in active]
            self.levels_ = [self.estimators_]
            self.fit_times_ = dict.fromkeys(names, 0.0)
            self.fusion_ = self._make_fusion(
                self._fusion_name(), self.stack_method_, n_classes
            )
            # fixed user weights for average, equal weights to start with
            # for weighted
            self.fusion_.weights_ = _fusion.AverageFusion._learn_weights(
                self.fusion_, [None] * len(names), None, None
            )
        if not hasattr(self, "_stream_losses"):
            # Hedge-style state: weights_ == softmax(-losses); after fit, the
            # learned weights are the starting point.
            self._stream_losses = -np.log(np.clip(self.fusion_.weights_, 1e-300, None))
            self._stream_scores = np.zeros(len(self.estimators_))
            self._stream_batches = 0  # batches scored before being learned
            self._stream_learned = hasattr(self, "oof_predictions_")

        # Prequential: score each branch on the batch before it learns it.
        learned = self._stream_learned
        losses = np.zeros(len(self.estimators_))
        for b, (name, branch) in enumerate(self.named_estimators_.items()):
            method = self.stack_method_[b]
            if learned:
                block = _level_outputs([branch], X, [method], n_classes)[0]
                losses[b] = _stream_loss(block, y, method, n_classes, sample_weight)
                self._stream_scores[b] += self._score_output(
                    block, method, y, sample_weight
                )
            start = time.perf_counter()
            for model in branch if isinstance(branch, list) else [branch]:
                _partial_fit_branch(name, model, X, y, n_classes, sample_weight)
            self.fit_times_[name] += time.perf_counter() - start
        self._stream_learned = True
        if learned:
            self._stream_batches += 1
            self.granularity_scores_ = {
                name: float(score / self._stream_batches)
                for name, score in zip(self.named_estimators_, self._stream_scores)
            }
            if self._fusion_name() == "weighted":
                self._stream_losses = self.decay * self._stream_losses + losses
                shifted = np.exp(-(self._stream_losses - self._stream_losses.min()))
                self.fusion_.weights_ = shifted / shifted.sum()
        elif not hasattr(self, "granularity_scores_"):
            # nothing was learned before this batch: no score yet
            self.granularity_scores_ = dict.fromkeys(self.named_estimators_, np.nan)
        return self

    # -- prediction -------------------------------------------------------

    def _branch_outputs(self, X):
        """The output block of every fitted branch for ``X`` (through every
        level of a cascade)."""
        check_is_fitted(self)
        _check_2d_not_empty(X)
        validate_data(self, X=X, reset=False, skip_check_array=True)
        n_classes = len(self.classes_) if self._is_classifier() else None
        blocks = _level_outputs(self.levels_[0], X, self.stack_method_, n_classes)
        if len(self.levels_) > 1:
            X = _numeric(X)
            for fitted in self.levels_[1:]:
                X_next = self.fusion_.level_input(X, blocks)
                blocks = _level_outputs(fitted, X_next, self.stack_method_, n_classes)
        return blocks

    def _fuse(self, method, X):
        blocks = self._branch_outputs(X)
        passthrough = self._passthrough_block(X)
        return getattr(self.fusion_, method)(blocks, passthrough=passthrough)

    def transform(self, X):
        """Return the output of every granularity for ``X``.

        The columns are the blocks of the branches in order (probabilities,
        decision values or predictions), followed by the original features when
        ``passthrough=True``. The out-of-fold outputs that the fusion stage was
        trained on are ``oof_predictions_``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        outputs : ndarray of shape (n_samples, n_outputs)
            The branch outputs.
        """
        blocks = self._branch_outputs(X)
        passthrough = self._passthrough_block(X)
        if passthrough is not None:
            if sp.issparse(passthrough):
                return sp.hstack(blocks + [passthrough], format="csr")
            blocks.append(passthrough)
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
        names = []
        for name, method, width in zip(
            self.named_estimators_, self.stack_method_, self._n_outputs_per_branch
        ):
            names.extend(self._output_names(name, method, width))
        if self.passthrough is True:
            names.extend(input_features)
        elif self.passthrough is not False:
            names.extend(
                _safe_indexing(
                    np.asarray(input_features, dtype=object)[None],
                    self._passthrough_columns(),
                    axis=1,
                )[0]
            )
        return np.asarray(names, dtype=object)

    def _passthrough_columns(self):
        """The passthrough columns as positions or, for DataFrames, names."""
        columns = self.passthrough
        if all(isinstance(c, str) for c in columns):
            names = list(getattr(self, "feature_names_in_", []))
            return [names.index(c) for c in columns]
        return columns


class _Level:
    """One pass of the fit plan over some branches, on fixed folds.

    Holds what every level of a fit shares (the data, the folds, the weights)
    so that the standard fit, each cascade level and each residual stage run
    the same code.
    """

    def __init__(self, owner, X, y, folds, n_classes, sample_weight):
        self.owner = owner
        self.X = X
        self.y = y
        self.folds = folds
        self.n_classes = n_classes
        self.sample_weight = sample_weight
        self.covered = None

    def fit(self, names, estimators, methods, params, X=None, y=None):
        """Fit the branches on every fold (and refit); return the fitted
        branches, their out-of-fold blocks and the rows those cover."""
        owner = self.owner
        X = self.X if X is None else X
        y = self.y if y is None else y
        n_samples = len(self.y)
        # The refits (the longest fits) first, then fold by fold: workers
        # start on the long tasks, and with branches of similar cost the fits
        # of one branch seldom run at once (lower peak memory).
        folds = [*([None] if owner.refit else []), *range(len(self.folds))]
        tasks = [Task(b, name, fold) for fold in folds for b, name in enumerate(names)]
        results = run_plan(
            tasks,
            estimators,
            X,
            y,
            self.folds,
            methods=methods,
            n_classes=self.n_classes,
            fit_params=params,
            memory=owner.memory,
            n_jobs=owner.n_jobs,
            verbose=owner.verbose,
            keep_fold_models=not owner.refit,
        )
        fold_models = [[] for _ in names]
        fold_outputs = [[] for _ in names]
        refitted = [None] * len(names)
        for task, (fitted, output, seconds) in zip(tasks, results):
            owner.fit_times_[task.name] = owner.fit_times_.get(task.name, 0.0) + seconds
            if task.fold is None:
                refitted[task.branch] = fitted
            else:
                fold_models[task.branch].append(fitted)
                fold_outputs[task.branch].append(output)
        test_rows = [test for _, test in self.folds]
        blocks = []
        covered = np.ones(n_samples, dtype=bool)
        for b in range(len(names)):
            block, rows = aggregate(
                fold_outputs[b], test_rows, n_samples, methods[b], self.n_classes
            )
            blocks.append(block)
            covered &= rows
        if not covered.any():
            raise ValueError(
                "'cv' left every row out of the test folds; the fusion stage "
                "needs out-of-fold outputs for at least one row."
            )
        self.covered = covered
        return (refitted if owner.refit else fold_models), blocks, covered

    def _weights(self):
        sw = self.sample_weight
        return None if sw is None else sw[self.covered]

    def score(self, block, method):
        """Out-of-fold score of one block on the covered rows."""
        return self.owner._score_output(
            block[self.covered], method, self.y[self.covered], self._weights()
        )

    def fused_score(self, strategy, blocks):
        """Out-of-fold score of a fusion strategy fitted on the blocks."""
        outputs = [block[self.covered] for block in blocks]
        y = self.y[self.covered]
        strategy.fit(outputs, y, sample_weight=self._weights())
        return self.owner._fusion_score(strategy, outputs, y, self._weights())


def _level_outputs(fitted, X, methods, n_classes):
    """Outputs of the fitted branches of one level (fold models averaged)."""
    blocks = []
    n_samples = _num_samples(X)
    for branch, method in zip(fitted, methods):
        if isinstance(branch, list):  # refit=False: the fold models
            outputs = [branch_output(m, X, method, n_classes) for m in branch]
            rows = [np.arange(n_samples)] * len(outputs)
            blocks.append(aggregate(outputs, rows, n_samples, method, n_classes)[0])
        else:
            blocks.append(branch_output(branch, X, method, n_classes))
    return blocks


def _numeric(X):
    """``X`` as a numeric array, for fusions that append outputs to it."""
    return check_array(X, accept_sparse="csr", ensure_all_finite=False)


def _warn_if_frozen(name, estimator):
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if isinstance(final, FrozenEstimator):
        warnings.warn(
            f"branch {name!r} is a FrozenEstimator: it is not refitted on the "
            "folds, so its 'out-of-fold' outputs are in-sample predictions and the "
            "fusion stage learns to over-trust it. Fit it on data the fusion "
            "stage does not see, or unfreeze it.",
            UserWarning,
            stacklevel=4,
        )


def _check_2d_not_empty(X):
    """Raise scikit-learn's usual errors for 1-D, empty or featureless arrays.

    Everything else about ``X`` is left to the branches, which receive it as
    it is (a DataFrame stays a DataFrame).
    """
    shape = getattr(X, "shape", None)
    if shape is None and isinstance(X, (list, tuple)):
        try:
            shape = np.shape(X)
        except ValueError:  # ragged rows: the branches will say what is wrong
            return
    if shape is not None and (len(shape) != 2 or 0 in shape):
        check_array(X, accept_sparse=True, ensure_all_finite=False, dtype=None)


def _stateless_view(step):
    """Whether a view's output depends only on its parameters, not on data."""
    from sklearn.preprocessing import FunctionTransformer

    from .granularity import IntervalFeatures, Pooling

    return isinstance(step, (FunctionTransformer, IntervalFeatures, Pooling))


def partial_fit_obstacle(estimator):
    """Why a branch cannot learn incrementally, or None if it can."""
    if isinstance(estimator, Pipeline):
        *views, (last, model) = estimator.steps
        if not hasattr(model, "partial_fit"):
            return (
                f"its final step {last!r} ({type(model).__name__}) has no partial_fit"
            )
        for name, step in views:
            if step in (None, "passthrough") or _stateless_view(step):
                continue
            if not hasattr(step, "partial_fit"):
                return (
                    f"its step {name!r} ({type(step).__name__}) learns from data "
                    "and has no partial_fit"
                )
        return None
    if not hasattr(estimator, "partial_fit"):
        return f"{type(estimator).__name__} has no partial_fit"
    return None


def _partial_fit_branch(name, estimator, X, y, n_classes, sample_weight):
    """Update one branch (a Pipeline step by step) with one batch."""
    params = {}
    if n_classes is not None:
        params["classes"] = np.arange(n_classes)
    if sample_weight is not None:
        params["sample_weight"] = sample_weight
    try:
        if isinstance(estimator, Pipeline):
            *views, (_, model) = estimator.steps
            for _, step in views:
                if step in (None, "passthrough"):
                    continue
                if _stateless_view(step):
                    if not _is_fitted(step):
                        step.fit(X, y)
                elif sample_weight is not None and _accepts(step, "sample_weight"):
                    step.partial_fit(X, y, sample_weight=sample_weight)
                else:
                    step.partial_fit(X, y)
                X = step.transform(X)
        else:
            model = estimator
        model.partial_fit(X, y, **params)
    except Exception as exc:
        raise _plan_task_error(exc, f"branch {name!r} failed in partial_fit") from exc


def _accepts(estimator, parameter):
    """Whether ``estimator.partial_fit`` takes ``parameter``."""
    return parameter in inspect.signature(estimator.partial_fit).parameters


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def _stream_loss(block, y, method, n_classes, sample_weight):
    """Loss of a branch on a batch it has not learned yet: log-loss of its
    probabilities, squared error of its predictions, or its error rate."""
    if n_classes is None:
        residual = block - y.reshape(len(y), -1)
        per_row = (residual**2).mean(axis=1)
    elif method == PROBA:
        per_row = -np.log(np.clip(block[np.arange(len(y)), y], 1e-12, None))
    else:
        from ._estimators import _labels_from_output

        per_row = (_labels_from_output(block, method) != y).astype(np.float64)
    return np.average(per_row, weights=sample_weight)


def _is_drop(estimator):
    return isinstance(estimator, str) and estimator == "drop"


def _sample_weight_params(name, estimator, sample_weight):
    """The fit parameters that give ``sample_weight`` to a branch.

    A ``Pipeline`` branch gets it through every step whose ``fit`` takes it
    (``step__sample_weight``, the way scikit-learn pipelines take it): a
    scaler before the model weighs the rows as the model does.
    """
    if has_fit_parameter(estimator, "sample_weight"):
        return {"sample_weight": sample_weight}
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
    raise ValueError(
        f"branch {name!r} ({type(estimator).__name__}) does not accept "
        "sample_weight in fit; drop the branch or fit without sample_weight."
    )


def _check_smallest_class(y, n_splits, classes):
    counts = np.bincount(y, minlength=len(classes))
    smallest = int(counts.argmin())
    if counts[smallest] < n_splits:
        raise ValueError(
            f"cv={n_splits} folds is more than the {counts[smallest]} sample(s) of "
            f"the smallest class ({classes[smallest].tolist()!r}); lower 'cv' or "
            "give more samples of that class."
        )
