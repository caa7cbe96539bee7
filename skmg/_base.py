"""The shared machinery of the multi-granularity meta-estimators."""

import numbers
from abc import ABCMeta, abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn.base import MetaEstimatorMixin, TransformerMixin
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
    StrOptions,
    _BaseComposition,
    _check_feature_names_in,
    _check_sample_weight,
    _num_samples,
    _raise_for_params,
    _routing_enabled,
    _VisualBlock,
)
from ._plan import Task, aggregate, branch_output, run_plan


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
        "fusion": [StrOptions(set(_fusion.FUSIONS))],
        "final_estimator": [None, HasMethods("fit")],
        "cv": ["cv_object"],
        "passthrough": ["boolean"],
        "refit": ["boolean"],
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
        refit=True,
        n_jobs=None,
        verbose=0,
    ):
        self.granularities = granularities
        self.fusion = fusion
        self.final_estimator = final_estimator
        self.cv = cv
        self.passthrough = passthrough
        self.refit = refit
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
            final = self.final_estimator
            if final is None:
                final = self._default_final_estimator()
            label = "final_estimator"
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
                final = self.final_estimator or self._default_final_estimator()
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
                dict(routed.final_estimator.fit)
                if "final_estimator" in routed
                else {}
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
        return self.fusion

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
        if not self.passthrough:
            return None
        X = check_array(X, accept_sparse=True, ensure_all_finite=False)
        return X.tocsr() if sp.issparse(X) else X

    def _fit(self, X, y, sample_weight, groups, fit_params):
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
        n_samples = _num_samples(X)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        n_classes = len(self.classes_) if self._is_classifier() else None

        branch_params, split_params, fusion_params = self._route(
            names, estimators, sample_weight, groups, fit_params
        )
        active = [(n, e) for n, e in zip(names, estimators) if not _is_drop(e)]
        active_names = [n for n, _ in active]
        active_estimators = [e for _, e in active]
        methods = self._resolve_methods(active_names, active_estimators)

        folds = self._make_folds(X, y, split_params)
        tasks = [
            Task(b, name, fold)
            for b, name in enumerate(active_names)
            for fold in [*range(len(folds)), *([None] if self.refit else [])]
        ]
        results = run_plan(
            tasks,
            active_estimators,
            X,
            y,
            folds,
            methods=methods,
            n_classes=n_classes,
            fit_params=branch_params,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )

        fold_models = [[] for _ in active]
        fold_outputs = [[] for _ in active]
        refitted = [None] * len(active)
        self.fit_times_ = dict.fromkeys(active_names, 0.0)
        for task, (fitted, output, seconds) in zip(tasks, results):
            self.fit_times_[task.name] += seconds
            if task.fold is None:
                refitted[task.branch] = fitted
            else:
                fold_models[task.branch].append(fitted)
                fold_outputs[task.branch].append(output)

        test_rows = [test for _, test in folds]
        oof_blocks = []
        covered = np.ones(n_samples, dtype=bool)
        for b in range(len(active)):
            block, rows = aggregate(
                fold_outputs[b], test_rows, n_samples, methods[b], n_classes
            )
            oof_blocks.append(block)
            covered &= rows
        if not covered.any():
            raise ValueError(
                "'cv' left every row out of the test folds; the fusion stage "
                "needs out-of-fold outputs for at least one row."
            )

        self.estimators_ = refitted if self.refit else fold_models
        self.named_estimators_ = Bunch(**dict(zip(active_names, self.estimators_)))
        self.stack_method_ = methods
        self._n_outputs_per_branch = [block.shape[1] for block in oof_blocks]
        self.oof_predictions_ = np.hstack(oof_blocks)
        self.oof_mask_ = covered

        y_fit = y[covered]
        sw_fit = None if sample_weight is None else sample_weight[covered]
        self.granularity_scores_ = {
            name: self._score_output(block[covered], methods[b], y_fit, sw_fit)
            for b, (name, block) in enumerate(zip(active_names, oof_blocks))
        }

        passthrough = self._passthrough_block(X)
        if passthrough is not None:
            passthrough = passthrough[covered]
        fusion = self._make_fusion(methods, n_classes)
        fusion.fit(
            [block[covered] for block in oof_blocks],
            y_fit,
            sample_weight=sw_fit,
            passthrough=passthrough,
            **fusion_params,
        )
        self.fusion_ = fusion
        if isinstance(fusion, _fusion.StackingFusion):
            self.final_estimator_ = fusion.final_estimator_
        return self

    def _make_fusion(self, methods, n_classes):
        name = self._fusion_name()
        if name == "stacking":
            final = self.final_estimator
            if final is None:
                final = self._default_final_estimator()
            return _fusion.StackingFusion(final, methods, n_classes)
        return _fusion.AverageFusion(methods[0], n_classes)

    def _configured_fusion_has(self, method):
        """Before fit: would the configured fusion offer ``method``?"""
        if self._fusion_name() == "stacking":
            final = self.final_estimator
            if final is None:
                final = self._default_final_estimator()
            return hasattr(final, method)
        return self._average_has(method)

    # -- prediction -------------------------------------------------------

    def _branch_outputs(self, X):
        """The output block of every fitted branch for ``X``."""
        check_is_fitted(self)
        _check_2d_not_empty(X)
        validate_data(self, X=X, reset=False, skip_check_array=True)
        n_classes = len(self.classes_) if self._is_classifier() else None
        n_samples = _num_samples(X)
        blocks = []
        for fitted, method in zip(self.estimators_, self.stack_method_):
            if self.refit:
                blocks.append(branch_output(fitted, X, method, n_classes))
            else:
                outputs = [branch_output(m, X, method, n_classes) for m in fitted]
                rows = [np.arange(n_samples)] * len(outputs)
                blocks.append(aggregate(outputs, rows, n_samples, method, n_classes)[0])
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
            self, input_features, generate_names=self.passthrough
        )
        names = []
        for name, method, width in zip(
            self.named_estimators_, self.stack_method_, self._n_outputs_per_branch
        ):
            names.extend(self._output_names(name, method, width))
        if self.passthrough:
            names.extend(input_features)
        return np.asarray(names, dtype=object)


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
            f"the smallest class ({classes[smallest]!r}); lower 'cv' or give more "
            "samples of that class."
        )
