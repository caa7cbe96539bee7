"""The shared machinery of the multi-granularity meta-estimators.

The base orchestrates: validate, make the folds, run the plan of each level,
hand the out-of-fold outputs to the fusion strategy. It knows no strategy by
name: it asks the strategy (:class:`~skmg.fusion.BaseFusion`) what it needs.
"""

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
from ._early_stopping import EarlyStopping
from ._levels import LevelBranch, LevelRunner, augmented_input
from ._outputs import (
    BranchOutputs,
    NonFiniteOutputError,
    design_blocks,
    fitted_output,
    output_names,
    output_width,
)
from ._plan import _task_error as _plan_task_error
from .fusion import FUSIONS, make_fusion
from .fusion._base import cross_val_fuse_score
from .fusion._scoring import block_response, score_response


def _partial_fit_available(self):
    """``available_if`` check of ``partial_fit``, raising with the reason."""
    if self._prefit():
        raise AttributeError(
            "partial_fit is not available with cv='prefit': the branches are "
            "used as they were given, not updated"
        )
    strategy = self._make_strategy()
    if not hasattr(strategy, "partial_fit"):
        raise AttributeError(
            f"partial_fit needs a fusion that learns online (one with partial_fit, "
            f"such as 'average' or 'weighted'); got fusion={self.fusion!r}"
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
            try:
                clone(est)
            except Exception as exc:  # fit clones every branch: say which fails
                raise TypeError(
                    f"branch {name!r} cannot be cloned ({type(exc).__name__}: "
                    f"{exc}); its constructor must store its parameters as given."
                ) from exc
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
        names = [name for name, _ in self.granularities]
        branches = [est for _, est in self.granularities]
        parallel = _VisualBlock("parallel", branches, names=names, dash_wrapped=False)
        try:
            strategy = self._make_strategy()
        except Exception:  # an invalid fusion: fit will say why
            strategy = None
        final = getattr(strategy, "final_estimator", None)
        if final is not None:
            shown, label = final, "final_estimator"
        else:
            shown, label = (
                (strategy if strategy is not None else str(self.fusion)),
                "fusion",
            )
        final_block = _VisualBlock(
            "parallel", [shown], names=[label], dash_wrapped=False
        )
        return _VisualBlock("serial", (parallel, final_block), dash_wrapped=False)

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
            if _is_drop(est):
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

    def _route(self, names, estimators, sample_weight, groups, fit_params):
        """Fit parameters per branch and for the splitter."""
        active = [n for n, e in zip(names, estimators) if not _is_drop(e)]
        if _routing_enabled():
            if sample_weight is not None:
                fit_params["sample_weight"] = sample_weight
            if groups is not None:
                fit_params["groups"] = groups
            routed = process_routing(self, "fit", **fit_params)
            branch_params = [dict(routed[name].fit) for name in active]
            split_params = {} if self._prefit() else dict(routed.splitter.split)
            return branch_params, split_params
        _raise_for_params(fit_params, self, "fit")
        branch_params = []
        for name, est in zip(names, estimators):
            if _is_drop(est):
                continue
            params = {}
            # prefit branches are not fitted: only the fusion takes the weights
            if sample_weight is not None and not self._prefit():
                params = _sample_weight_params(name, est, sample_weight)
            branch_params.append(params)
        return branch_params, {"groups": groups}

    # -- fit --------------------------------------------------------------

    def _make_strategy(self):
        """The unfitted fusion strategy, its final estimator (if it has one)
        filled in with ``final_estimator`` or the default."""
        strategy = make_fusion(self.fusion)
        params = strategy.get_params(deep=False)
        if params.get("scoring", "") is None:  # a strategy that scores: ours
            strategy.set_params(scoring=self.scoring)
        if "final_estimator" in params:
            if params["final_estimator"] is None:
                final = self.final_estimator
                if final is None:
                    final = self._default_final_estimator()
                strategy.set_params(final_estimator=final)
            elif self.final_estimator is not None:
                raise ValueError(
                    "the final estimator is given twice: in 'fusion' and as "
                    "'final_estimator'; give it once."
                )
        return strategy

    def _early_stopping(self):
        """The early stopping of every task of the plan, or None."""
        if self.early_stopping is None:
            return None
        if self._prefit():
            raise ValueError(
                f"early_stopping={self.early_stopping!r} early-stops the fits of "
                "the branches, but cv='prefit' fits none; use early_stopping=None."
            )
        return EarlyStopping(
            self.early_stopping,
            self.n_iter_no_change,
            self.validation_fraction,
            stratify=self._is_classifier() and not self._is_multilabel(),
        )

    def _stack_method(self):
        """The output asked of the branches (the classifier's ``stack_method``)."""
        return getattr(self, "stack_method", "auto")

    def _make_folds(self, X, y, split_params):
        """Split once; every branch sees the same folds."""
        cv = self.cv
        n_samples = _num_samples(X)
        single = self._is_classifier() and not self._is_multilabel()
        if single and isinstance(cv, numbers.Integral):
            _check_smallest_class(y, cv, self.classes_)
        cv = check_cv(cv, y, classifier=self._is_classifier())
        if isinstance(cv, StratifiedKFold) and single:
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

    def _check_passthrough(self, strategy):
        if self.passthrough is not False and not strategy.accepts_features:
            raise ValueError(
                "passthrough gives the original features to the fusion stage, but "
                f"fusion={self.fusion!r} does not learn from features; use "
                "fusion='stacking' or passthrough=False."
            )

    def _forget_fitted_state(self):
        """Drop what an earlier fit or partial_fit left (a new fit starts over)."""
        for attribute in list(vars(self)):
            if (
                attribute.endswith("_")
                or attribute.startswith("_stream")
                or attribute == "_level_plan"
            ):
                delattr(self, attribute)

    def _fit(self, X, y, sample_weight, groups, fit_params):
        start = time.perf_counter()
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
        n_classes = self._n_classes()
        strategy = self._make_strategy()

        branch_params, split_params = self._route(
            names, estimators, sample_weight, groups, fit_params
        )
        active = [(n, e) for n, e in zip(names, estimators) if not _is_drop(e)]
        names = [n for n, _ in active]
        estimators = [e for _, e in active]
        self._check_passthrough(strategy)
        if self._is_multilabel() and not strategy.multilabel:
            raise ValueError(
                f"y is a multilabel indicator matrix, which fusion={self.fusion!r} "
                "does not combine; use fusion='stacking' with branches and a "
                "final estimator that support multilabel targets."
            )
        if not self._prefit():
            for name, est in active:
                _warn_if_frozen(name, est)
        methods = strategy.resolve_outputs(
            names, estimators, self._stack_method(), self._is_classifier()
        )
        folds = None if self._prefit() else self._make_folds(X, y, split_params)
        self.stack_method_ = methods
        self.fit_times_ = dict.fromkeys(names, 0.0)
        runner = LevelRunner(
            X,
            y,
            folds,
            n_classes,
            refit=self.refit,
            memory=self.memory,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            fit_times=self.fit_times_,
            classes=getattr(self, "classes_", None),
            stopping=self._early_stopping(),
        )

        # Levels: one for a single-pass strategy; a multi-pass one asks for
        # the next level after each (on the rows with out-of-fold outputs).
        levels, fitted_levels, plan = [], [], []
        covered = None
        sw = sample_weight
        level = strategy.next_level([], y, sw, n_branches=len(names))
        while level is not None:
            if levels and self._prefit():
                raise ValueError(
                    f"cv='prefit' uses the branches as they are, but "
                    f"fusion={self.fusion!r} fits them again in further levels; "
                    "use a cross-validation (cv=5) or a single-pass fusion."
                )
            if levels and not covered.all():
                raise ValueError(
                    f"fusion={self.fusion!r} feeds every row's out-of-fold outputs "
                    "to the next level, so 'cv' must put every row in a test fold; "
                    f"{int((~covered).sum())} rows are in none."
                )
            branches = list(
                range(len(names)) if level.branches is None else level.branches
            )
            level_X, level_estimators = X, [estimators[b] for b in branches]
            if level.augment:
                level_X = augmented_input(X, levels[-1])
                n_features = level_X.shape[1] - sum(b.shape[1] for b in levels[-1])
                level_estimators = [
                    LevelBranch(e, n_features) for e in level_estimators
                ]
            fitted, blocks, level_covered = runner.fit(
                [names[b] for b in branches],
                level_estimators,
                [methods[b] for b in branches],
                [branch_params[b] for b in branches],
                X=level_X,
                y=level.target,
                # a branch fitted again on earlier outputs: say which level
                level=len(levels) + 1 if level.augment else None,
            )
            covered = level_covered if covered is None else covered & level_covered
            levels.append(self._outputs(blocks, branches))
            fitted_levels.append(fitted)
            plan.append((branches, bool(level.augment)))
            sw = None if sample_weight is None else sample_weight[covered]
            level = strategy.next_level(
                [lv.take(covered) for lv in levels],
                y[covered],
                sw,
                n_branches=len(names),
            )
        n_used = strategy.used_levels(
            [lv.take(covered) for lv in levels], y[covered], sw
        )
        if runner.stopping is not None:
            if not runner.best_iterations and not runner.refit_iterations:
                warnings.warn(
                    f"early_stopping={self.early_stopping!r} found no branch to "
                    "early-stop (LightGBM, XGBoost, CatBoost or scikit-learn's "
                    "HistGradientBoosting, alone or as the last step of a "
                    "Pipeline); every branch was fitted as given.",
                    UserWarning,
                    stacklevel=3,
                )
            self.best_iterations_ = runner.best_iterations
            if self.refit:
                self.refit_iterations_ = runner.refit_iterations
        self.levels_ = fitted_levels[:n_used]
        self._level_plan = plan[:n_used]
        # Each branch as first fitted, with its out-of-fold block.
        first_fit, first_block = {}, {}
        for fitted, outputs, (branches, _) in zip(fitted_levels, levels, plan):
            for b, model, block in zip(branches, fitted, outputs):
                first_fit.setdefault(b, model)
                first_block.setdefault(b, block)
        self.estimators_ = [first_fit[b] for b in range(len(names))]
        if self._prefit():  # the branches as given, as scikit-learn's stacking
            self.estimators_ = list(estimators)
        own = strategy.granularity_outputs(
            self._outputs([first_block[b] for b in range(len(names))])
        )
        y_fit = y[covered]
        self.granularity_scores_ = {
            name: score_response(
                block_response(block[covered], kind, own), y_fit, own, self.scoring, sw
            )
            for name, block, kind in zip(own.names, own, own.kinds)
        }

        outputs = strategy.level_outputs(levels[:n_used])
        design = design_blocks(outputs)
        self._n_outputs_per_branch = [block.shape[1] for block in design]
        self._output_branches = list(outputs.names)
        self.oof_predictions_ = np.hstack(design)
        self.oof_mask_ = covered
        outputs = outputs.take(covered)
        passthrough = self._passthrough_block(X)
        if passthrough is not None:
            outputs.features = passthrough[covered]
        try:
            self.fusion_score_, response = cross_val_fuse_score(
                clone(strategy), outputs, y_fit, sw, scoring=self.scoring
            )
        except Exception as exc:  # the estimate is a by-product: the fit goes on
            warnings.warn(
                f"fusion_score_ could not be estimated ({type(exc).__name__}: "
                f"{exc}); it is NaN.",
                UserWarning,
                stacklevel=3,
            )
            self.fusion_score_, response = np.nan, {}
        self.fusion_oof_predictions_ = _oof_rows(response, covered, y)
        strategy.fit(outputs, y_fit, sample_weight=sw)
        self.fusion_ = strategy
        if hasattr(strategy, "final_estimator_"):
            self.final_estimator_ = strategy.final_estimator_
        self.fit_wall_time_ = time.perf_counter() - start
        return self

    def _n_classes(self):
        """Number of classes; None for a regressor and a multilabel target."""
        if not self._is_classifier() or self._is_multilabel():
            return None
        return len(self.classes_)

    def _is_multilabel(self):
        return getattr(self, "_multilabel", False)

    def _outputs(self, blocks, branches=None):
        """Blocks of the branches at ``branches`` (default: all, in order) as
        BranchOutputs."""
        if branches is None:
            branches = range(len(blocks))
        names = list(self.fit_times_)
        return BranchOutputs(
            blocks,
            kinds=[self.stack_method_[b] for b in branches],
            n_classes=self._n_classes(),
            names=[names[b] for b in branches],
            multilabel=self._is_multilabel(),
            classes=None if self._is_multilabel() else getattr(self, "classes_", None),
        )

    def _configured_fusion_has(self, method):
        """Before fit: would the configured fusion offer ``method``?"""
        try:
            strategy = self._make_strategy()
            names, estimators = [], []
            for name, est in self.granularities:
                if not _is_drop(est):
                    names.append(name)
                    estimators.append(est)
            kinds = strategy.resolve_outputs(
                names, estimators, self._stack_method(), self._is_classifier()
            )
        except (ValueError, TypeError, AttributeError):
            return False
        return strategy._responds(method, kinds)

    # -- incremental learning ----------------------------------------------

    def _partial_fit(self, X, y, classes, sample_weight):
        """One batch of incremental learning (see ``partial_fit``)."""
        first = not hasattr(self, "estimators_")
        if first:
            names, estimators = self._validate_granularities()
            active = [(n, e) for n, e in zip(names, estimators) if not _is_drop(e)]
            strategy = self._make_strategy()
        _check_2d_not_empty(X)
        validate_data(self, X=X, reset=first, skip_check_array=True)
        y = self._partial_fit_target(X, y, classes, first)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        n_classes = self._n_classes()

        if first:
            names = [n for n, _ in active]
            self.stack_method_ = strategy.resolve_outputs(
                names,
                [e for _, e in active],
                self._stack_method(),
                self._is_classifier(),
            )
            self.estimators_ = [clone(e) for _, e in active]
            self.levels_ = [self.estimators_]
            self._level_plan = [(list(range(len(names))), False)]
            self.fit_times_ = dict.fromkeys(names, 0.0)
            # the design columns, as fit keeps them
            empty = [
                np.empty((0, output_width(m, n_classes))) for m in self.stack_method_
            ]
            self._n_outputs_per_branch = [
                block.shape[1] for block in design_blocks(self._outputs(empty))
            ]
            self._output_branches = names
            # Nothing was learned yet: the strategy starts from no rows.
            self.fusion_ = strategy.partial_fit(
                self._outputs([np.empty((0, 0))] * len(names)), y[:0]
            )
        if not hasattr(self, "_stream_scores"):
            self._stream_scores = np.zeros(len(self.estimators_))
            self._stream_batches = 0  # batches scored before being learned
            self._stream_learned = hasattr(self, "oof_predictions_")

        # Prequential: the branches are scored on the batch before they
        # learn it, and the strategy learns from those outputs.
        learned = self._stream_learned
        if learned:
            outputs = self._outputs(
                [
                    fitted_output(branch, X, method, n_classes)
                    for branch, method in zip(self.estimators_, self.stack_method_)
                ]
            )
            self._n_outputs_per_branch = [b.shape[1] for b in design_blocks(outputs)]
            for b, (block, kind) in enumerate(zip(outputs, outputs.kinds)):
                self._stream_scores[b] += score_response(
                    block_response(block, kind, outputs),
                    y,
                    outputs,
                    self.scoring,
                    sample_weight,
                )
            self.fusion_.partial_fit(outputs, y, sample_weight)
        for name, branch in self.named_estimators_.items():
            start = time.perf_counter()
            for model in branch if isinstance(branch, list) else [branch]:
                _partial_fit_branch(name, model, X, y, n_classes, sample_weight)
            self.fit_times_[name] += time.perf_counter() - start
        self._stream_learned = True
        # a fit's second-level estimate no longer describes the model
        self.fusion_score_ = np.nan
        if learned:
            self._stream_batches += 1
            self.granularity_scores_ = {
                name: float(score / self._stream_batches)
                for name, score in zip(self.named_estimators_, self._stream_scores)
            }
        elif not hasattr(self, "granularity_scores_"):
            # nothing was learned before this batch: no score yet
            self.granularity_scores_ = dict.fromkeys(self.named_estimators_, np.nan)
        return self

    # -- prediction -------------------------------------------------------

    def _branch_outputs(self, X):
        """The outputs the fusion combines for ``X``: every kept level in
        turn, an augmented level fed the previous level's outputs."""
        check_is_fitted(self)
        _check_2d_not_empty(X)
        validate_data(self, X=X, reset=False, skip_check_array=True)
        n_classes = self._n_classes()
        names = list(self.fit_times_)
        levels = []
        plan = zip(self.levels_, self._level_plan)
        for level, (fitted, (branches, augment)) in enumerate(plan, start=1):
            level_X = augmented_input(X, levels[-1]) if augment else X
            blocks = []
            for model, b in zip(fitted, branches):
                try:
                    block = fitted_output(
                        model, level_X, self.stack_method_[b], n_classes
                    )
                except NonFiniteOutputError as exc:
                    where = f"branch {names[b]!r} failed in predict"
                    if len(self.levels_) > 1:
                        where += f" (level {level})"
                    raise _plan_task_error(exc, where) from exc
                blocks.append(block)
            levels.append(self._outputs(blocks, branches))
        outputs = self.fusion_.level_outputs(levels)
        outputs.features = self._passthrough_block(X)
        return outputs

    def _fuse(self, method, X, **params):
        outputs = self._branch_outputs(X)  # checks that the model is fitted
        return getattr(self.fusion_, method)(outputs, **params)

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
        branch_names = list(self.fit_times_)
        classes = self.classes_ if self._is_classifier() else None
        if self._is_multilabel():  # one column per label
            classes = np.arange(len(self.classes_))
        names = []
        for name, width in zip(self._output_branches, self._n_outputs_per_branch):
            method = self.stack_method_[branch_names.index(name)]
            names.extend(output_names(name, method, width, classes))
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
    """Whether a view's output depends only on its parameters, not on data:
    it says so (``_stateless``) or needs no fit (scikit-learn's
    ``requires_fit`` tag, as ``FunctionTransformer``)."""
    if getattr(step, "_stateless", False):
        return True
    try:
        return not get_tags(step).requires_fit
    except (AttributeError, TypeError):
        return False


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


def _is_drop(estimator):
    return isinstance(estimator, str) and estimator == "drop"


def _sample_weight_params(name, estimator, sample_weight):
    """The fit parameters that give ``sample_weight`` to a branch.

    A ``Pipeline`` branch gets it through every step whose ``fit`` takes it
    (``step__sample_weight``, the way scikit-learn pipelines take it): a
    scaler before the model weighs the rows as the model does.
    """
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
    elif has_fit_parameter(estimator, "sample_weight") or _takes_fit_kwargs(estimator):
        # **kwargs: a meta-estimator (TransformedTargetRegressor, a search)
        # that passes the weights on, as scikit-learn's stacking assumes
        return {"sample_weight": sample_weight}
    # TypeError, as scikit-learn's stacking raises for the same mistake.
    raise TypeError(
        f"branch {name!r} ({type(estimator).__name__}) does not accept "
        "sample_weight in fit; drop the branch or fit without sample_weight."
    )


def _takes_fit_kwargs(estimator):
    """Whether ``estimator.fit`` takes ``**kwargs``."""
    parameters = inspect.signature(estimator.fit).parameters.values()
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _check_smallest_class(y, n_splits, classes):
    counts = np.bincount(y, minlength=len(classes))
    smallest = int(counts.argmin())
    if counts[smallest] < n_splits:
        raise ValueError(
            f"cv={n_splits} folds is more than the {counts[smallest]} sample(s) of "
            f"the smallest class ({classes[smallest].tolist()!r}); lower 'cv' or "
            "give more samples of that class."
        )
