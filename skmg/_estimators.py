"""MultiGranularityClassifier and MultiGranularityRegressor."""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

from ._base import (
    _BaseMultiGranularity,
    _fusion_has,
)
from ._compat import StrOptions
from ._incremental import partial_fit_available
from ._validation import is_drop
from .fusion import fused_predict

_COMMON_PARAMETERS = """
    granularities : list of (str, estimator)
        One branch per granularity: a name and an estimator, usually a
        :class:`~sklearn.pipeline.Pipeline` of a view (a transformer that
        shows the data at one granularity) and a model. A branch set to
        ``"drop"`` (for example with :meth:`set_params`) is left out.

    fusion : {fusions}, BaseFusion or estimator, default="stacking"
        How the branch outputs are combined: a strategy of
        :mod:`skmg.fusion` (tuned as ``fusion__param``), one of its string
        shortcuts (the strategy with its defaults), or any other estimator
        (stacking with it as final estimator):

        - ``"stacking"`` (:class:`~skmg.fusion.StackingFusion`):
          ``final_estimator`` is fitted on the out-of-fold outputs;
        - ``"average"`` (:class:`~skmg.fusion.AverageFusion`): the mean of the
          branch outputs ({average}), optionally with fixed weights;
        - ``"weighted"`` (:class:`~skmg.fusion.WeightedFusion`): a weighted
          mean whose non-negative weights, summing to one, minimise the
          {loss} of the out-of-fold outputs;
        - ``"greedy"`` (:class:`~skmg.fusion.GreedyFusion`): Caruana's
          ensemble selection with replacement on the out-of-fold outputs;{cawpe}
        - ``"cascade"`` (:class:`~skmg.fusion.CascadeFusion`): gcForest-style
          levels: level ``l`` fits every branch again on its view plus the
          out-of-fold outputs of level ``l - 1`` while the out-of-fold score
          improves; the last level is averaged;{residual}
        - ``"auto"`` (:class:`~skmg.fusion.AutoFusion`): the best of several
          strategies by a cross-validation of the fusion step on the
          out-of-fold outputs (no branch is refitted).

    final_estimator : estimator, default=None
        The final estimator of a stacking fusion (``fusion="stacking"``, and
        the stacking candidate of ``"auto"``), where the strategy has none of
        its own. Defaults to :class:`~sklearn.linear_model.{default_final}`.

    cv : int, cross-validation generator or iterable, default=5
        How the out-of-fold outputs are made: an int is the number of folds
        ({splitter}), or any scikit-learn splitter, or an iterable of
        ``(train, test)`` index arrays. ``groups`` passed to :meth:`fit`
        reaches the splitter. Every branch sees the same folds. Splitters that
        do not put every row in a test fold (such as
        :class:`~sklearn.model_selection.TimeSeriesSplit`) are fine: the fusion
        stage is trained on the rows that have out-of-fold outputs.
"""

_TAIL_PARAMETERS = """
    passthrough : bool or list of str or int, default=False
        Whether the fusion stage also receives the original features, or the
        list of columns (names for DataFrames, else positions) it receives
        (``fusion="stacking"`` only).

    refit : bool, default=True
        If True, every branch is refitted on all rows after the folds, and the
        refitted branches predict (``k + 1`` fits per branch). If False, no
        refit: a branch predicts with the average of its ``k`` fold models
        (``k`` fits per branch).

    memory : str or object with the joblib.Memory interface, default=None
        Caches every (branch, fold) fit and its outputs, keyed on the branch's
        parameters and the data, as ``Pipeline(memory=...)`` does: tuning the
        fusion stage with :class:`~sklearn.model_selection.GridSearchCV` then
        fits each branch once per outer fold instead of once per candidate.

    n_jobs : int, default=None
        Number of jobs that run the fit plan: every (branch, fold) fit and
        every refit go to one :class:`joblib.Parallel` call. ``None`` means 1
        unless in a :func:`joblib.parallel_config` context; ``-1`` means all
        processors. Results do not depend on ``n_jobs`` nor on the backend.
        With more than one worker, each task runs under a thread budget of
        ``cpu_count // n_jobs`` threads (BLAS/OpenMP pools through
        threadpoolctl, the default ``n_jobs`` of joblib calls inside the
        branch, and on the task's clone the thread parameter left at its
        default of scikit-learn, LightGBM and XGBoost estimators, ``n_jobs``,
        and of CatBoost, ``thread_count``), so workers times inner threads
        stay at the core count. A branch with an explicit ``n_jobs=-1`` (a
        forest, say), or a thread setting under another name of the library
        (LightGBM's ``num_threads``, XGBoost's ``nthread``), keeps its own
        setting: leave it at its default to let the budget apply. A thread
        parameter documented as deprecated or without effect is left alone.

    verbose : int, default=0
        If non-zero, report every task of the fit plan (branch, fold, seconds)
        on stderr as it completes: a progress bar on a terminal, one line per
        task elsewhere. Nothing goes to stdout.

    scoring : str or callable, default=None
        The metric of ``granularity_scores_``, ``fusion_score_``, the choice
        of ``fusion="auto"`` and the report's out-of-fold column: a
        scikit-learn scorer name (``"neg_log_loss"``, ``"roc_auc"``,
        ``"neg_root_mean_squared_error"``...) or a callable
        ``scorer(estimator, X, y)``; higher is better. None means accuracy
        (classifier) or R² (regressor). The estimator's own ``score`` stays
        accuracy or R², as in scikit-learn. A classifier is scored in the
        labels of ``y`` as given, as scikit-learn scores any classifier:
        ``"f1"`` takes class ``1`` as the positive class, a scorer's
        ``pos_label`` is one of ``classes_``, and ``"roc_auc"`` scores the
        probability of ``classes_[1]``.

    early_stopping : {"inner", "fold"} or None, default=None
        Early stopping of gradient-boosting branches: LightGBM, XGBoost,
        CatBoost and scikit-learn's ``HistGradientBoosting*``, given or as the
        last step of a ``Pipeline`` (whose preceding steps, fitted on the
        training rows, transform the validation rows). Any other branch is
        fitted as given. None: every branch is fitted as given.

        - ``"inner"``: every fit, fold model or refit, early-stops on a
          ``validation_fraction`` of its own training rows (stratified for
          a classifier; the same split every run). A fold model never sees
          its fold's held-out rows, so the out-of-fold outputs stay honest;
          the model is trained on the other rows.
        - ``"fold"``: each fold model early-stops on its fold's held-out
          rows, the usual competition recipe, and the refit runs the mean
          number of rounds of its fold models (the refits then run after
          the folds). The held-out rows chose the fold model's number of
          rounds, so its out-of-fold outputs, and the scores computed from
          them, are slightly optimistic.

        The validation score is the library's default metric for the
        branch's objective (``metric`` of LightGBM, ``eval_metric`` of
        XGBoost and CatBoost, and ``scoring`` of ``HistGradientBoosting*``,
        set on the branch, change it; with several, the first decides).
        Before scikit-learn 1.7, ``HistGradientBoosting*`` cannot take
        validation rows and early-stops on its own internal split of the
        rows it is given, in both modes (the split follows its
        ``random_state``). Fit parameters that give validation rows of
        their own (``eval_set``...) are refused. The rounds are in
        ``best_iterations_``.

    n_iter_no_change : int, default=50
        With ``early_stopping``: the number of rounds without improvement of
        the validation score after which a branch stops.

    validation_fraction : float, default=0.1
        With ``early_stopping="inner"``: the share of each fit's training
        rows held out to early-stop on.

    oof_method : {"cv", "auto"}, default="cv"
        How the out-of-fold outputs of a branch are made. ``"cv"``: every
        branch is fitted on the folds of ``cv`` (and refitted). ``"auto"``: a
        branch whose model can estimate itself out of sample from one fit on
        all rows is fitted once, and that estimate is its out-of-fold
        output: the out-of-bag outputs of a bagged forest or bagging
        ensemble (``RandomForest*``, ``ExtraTrees*`` and ``Bagging*`` with
        ``bootstrap=True``), the exact leave-one-out outputs of ``RidgeCV``
        and ``RidgeClassifierCV`` (``cv=None``) and of k-neighbours, the
        train estimate of an aeon classifier that makes its own
        (``fit_predict_proba``, the ``capability:train_estimate`` tag). The
        model is the branch or the last step of a ``Pipeline``, whose
        earlier steps are then fitted once on all rows (a step that learns
        from ``y`` sees the row it estimates). Every other branch is
        cross-validated on ``cv``, in the same plan. A row in the bag of
        every tree has no out-of-fold output. With ``sample_weight`` or
        ``groups``, or a multilabel or multi-output target, every branch is
        cross-validated (with a warning for the first two). The method of
        each branch is in ``oof_methods_``.
"""

_COMMON_ATTRIBUTES = """
    estimators_ : list
        The fitted branches, in the order of ``granularities`` without the
        dropped ones. With ``refit=False``, each element is the list of the
        branch's fold models.

    named_estimators_ : :class:`~sklearn.utils.Bunch`
        ``estimators_`` by branch name.

    final_estimator_ : estimator
        The fitted final estimator (``fusion="stacking"`` only).

    fusion_ : BaseFusion
        The fitted fusion strategy (see :mod:`skmg.fusion`); for example
        ``fusion_.weights_`` holds the branch weights of the averaging
        strategies, ``fusion_.level_scores_`` the out-of-fold score of each
        cascade level and ``fusion_.scores_`` the score of each candidate of
        ``"auto"``.

    fusion_oof_predictions_ : ndarray of shape (n_samples,) or (n_samples, n_columns)
        The fused model's out-of-fold predictions, from the cross-validation
        that gives ``fusion_score_``: class probabilities when the fusion
        gives them (else decision values, else positions in ``classes_``),
        predictions for a regressor; NaN in rows without (see
        ``oof_mask_``). For blending, or to check a leaderboard.

    fusion_score_ : float
        The fused model's out-of-fold score (``scoring``; {metric} by
        default): a second-level
        cross-validation of the fusion step on the out-of-fold outputs (five
        shuffled folds, no branch refitted), comparable with
        ``granularity_scores_``. NaN when no second-level fold could be used.

    levels_ : list of list
        The fitted branches of each level kept (one level unless the
        strategy fits several, as the cascade and residual ones do).

    record_ : FitRecord
        What the fit learned about the branches, in one place: their names
        and output methods, the fitted models of each kept level with the
        branches they belong to, each branch's first-fitted model, the rows
        with out-of-fold outputs, the timings and boosting rounds, and the
        columns of the fusion's input. :meth:`predict`, :meth:`transform`,
        :meth:`get_feature_names_out`, ``named_estimators_`` and inspection
        read it.

    stack_method_ : list of str
        The output method used for each branch.

    oof_methods_ : dict of str to str
        How the out-of-fold outputs of each branch were made (see
        ``oof_method``): ``"cv"``, ``"oob"`` (out of bag), ``"loo"``
        (leave-one-out), ``"train_estimate"`` (an aeon classifier's own), or
        ``"prefit"`` with ``cv="prefit"``.

    oof_predictions_ : ndarray of shape (n_samples, n_outputs)
        The out-of-fold outputs of the branches (its rows ``oof_mask_``; NaN
        in rows no test fold covered), in the columns of :meth:`transform`
        without the passed-through features: for a binary problem, one
        probability column per branch. With stacking, the branch columns of
        the final estimator's design matrix.

    oof_mask_ : ndarray of bool of shape (n_samples,)
        The rows that have out-of-fold outputs.

    granularity_scores_ : dict of str to float
        Out-of-fold score of each branch with ``scoring`` ({metric} by
        default), weighted by ``sample_weight`` if given. With
        ``fusion="residual"``, the score of the sum of the stages so far.

    fit_times_ : dict of str to float
        Seconds spent fitting each branch, summed over its folds and refit.

    best_iterations_ : dict of str to list of int
        With ``early_stopping``: for each branch that early-stopped, the
        best number of rounds of each fold model, in fold order, where its
        validation score peaked (LightGBM, XGBoost and CatBoost predict with
        that many; ``HistGradientBoosting*`` keeps the rounds after it too).
        For a multi-level fusion, those of the level in which the branch was
        first fitted.

    refit_iterations_ : dict of str to int
        With ``early_stopping`` and ``refit=True``: for each branch that
        early-stopped, the rounds of its refit (its own early stopping with
        ``"inner"``, the mean of ``best_iterations_`` with ``"fold"``).

    fit_wall_time_ : float
        Seconds that :meth:`fit` took, from start to end: with parallel
        workers, less than the sum of ``fit_times_``; the fusion stage and
        its ``fusion_score_`` included.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has
        feature names that are all strings.
"""


class MultiGranularityClassifier(ClassifierMixin, _BaseMultiGranularity):
    __doc__ = f"""Multi-granularity classifier: one model per granularity, fused.

    Each branch of ``granularities`` sees the data at one granularity (a raw
    resolution, a pooled or binned view, a window scale...) and learns its own
    model. Out-of-fold outputs of the branches, made on the same folds for all
    of them, train the fusion stage; every (branch, fold) fit and every refit
    run in one flat parallel task list.

    Parameters
    ----------
    {
        _COMMON_PARAMETERS.format(
            fusions='{"stacking", "average", "weighted", "greedy", "cawpe", '
            '"cascade", "auto"}',
            average="soft voting over probabilities, or majority vote over labels",
            loss="log-loss",
            cawpe='''
        - ``"cawpe"`` (:class:`~skmg.fusion.CAWPEFusion`): probabilities
          averaged with weights proportional to each branch's out-of-fold
          accuracy to the fourth power (the HIVE-COTE weighting);''',
            residual="",
            default_final="LogisticRegression",
            splitter="stratified",
        ).strip()
    }

    stack_method : {{"auto", "predict_proba", "decision_function", "predict"}}, \
default="auto"
        The output each branch gives the fusion stage. ``"auto"`` tries
        ``predict_proba``, ``decision_function`` and ``predict`` in turn (for
        ``fusion="average"``, the first that every branch has). For stacking
        on a binary problem, the redundant first probability column of each
        branch is dropped.
    {_TAIL_PARAMETERS.strip()}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    {_COMMON_ATTRIBUTES.format(metric="accuracy").strip()}

    See Also
    --------
    MultiGranularityRegressor : The same for regression.
    sklearn.ensemble.StackingClassifier : Stacking of estimators on the same
        input.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import KBinsDiscretizer, StandardScaler
    >>> from skmg import MultiGranularityClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MultiGranularityClassifier([
    ...     ("raw", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))),
    ...     ("binned", make_pipeline(
    ...         KBinsDiscretizer(n_bins=3, encode="onehot", strategy="uniform"),
    ...         LogisticRegression(max_iter=500))),
    ... ], cv=3)
    >>> clf.fit(X[:1000], y[:1000]).score(X[1000:], y[1000:]) > 0.9
    True
    >>> sorted(clf.granularity_scores_)
    ['binned', 'raw']
    """

    _parameter_constraints: dict = {
        **_BaseMultiGranularity._parameter_constraints,
        "stack_method": [
            StrOptions({"auto", "predict_proba", "decision_function", "predict"})
        ],
    }

    def __init__(
        self,
        granularities,
        *,
        fusion="stacking",
        final_estimator=None,
        cv=5,
        stack_method="auto",
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
        super().__init__(
            granularities,
            fusion=fusion,
            final_estimator=final_estimator,
            cv=cv,
            passthrough=passthrough,
            refit=refit,
            memory=memory,
            n_jobs=n_jobs,
            verbose=verbose,
            scoring=scoring,
            early_stopping=early_stopping,
            n_iter_no_change=n_iter_no_change,
            validation_fraction=validation_fraction,
            oof_method=oof_method,
        )
        self.stack_method = stack_method

    @staticmethod
    def _default_final_estimator():
        return LogisticRegression()

    @staticmethod
    def _is_classifier():
        return True

    @staticmethod
    def _check_branch_type(name, estimator):
        # A regressor branch is a feature for stacking, as in scikit-learn's
        # stacking; the fusion strategy says whether it takes one.
        if not (is_classifier(estimator) or is_regressor(estimator)):
            raise ValueError(
                f"branch {name!r} of 'granularities' must be a classifier (or, "
                f"for stacking, a regressor); got {type(estimator).__name__}."
            )

    @staticmethod
    def _validate_target(X, y):
        """The encoded target and what is learned of it (``classes_``)."""
        check_consistent_length(X, y)
        if type_of_target(y, input_name="y") == "multilabel-indicator":
            # One binary problem per column, as scikit-learn's stacking takes
            # them: classes_ is the list of each column's classes.
            y = np.asarray(y.toarray() if hasattr(y, "toarray") else y)
            classes = [np.unique(column) for column in y.T]
            encoded = np.column_stack(
                [np.searchsorted(c, col) for c, col in zip(classes, y.T)]
            )
            return encoded, {"classes_": classes, "_multilabel": True}
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has one class only ({classes[0].tolist()!r}); a "
                "classifier needs samples of at least 2 classes."
            )
        return encoded, {"classes_": classes, "_multilabel": False}

    @available_if(partial_fit_available)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Learn incrementally from one batch.

        Available when every non-dropped branch can learn incrementally (its
        estimator, or the final step of its ``Pipeline``, has ``partial_fit``,
        and every earlier step is a stateless view — ``IntervalFeatures``,
        ``Pooling``, ``FunctionTransformer`` — or has ``partial_fit`` itself)
        and the fusion strategy learns online (it has ``partial_fit``:
        ``"average"`` and ``"weighted"`` do). Each batch first scores every
        branch (prequential evaluation: the strategy's online update, such as
        the Hedge weights of :class:`~skmg.fusion.WeightedFusion`, learns from
        these outputs, and so does ``granularity_scores_``), then every
        branch learns from it. After :meth:`fit`, learning continues from the
        fitted state. ``granularity_scores_`` becomes the mean prequential
        score over the batches (each batch counts once, whatever its size;
        from a second pass over the data on, the batches were seen before, so
        the score is optimistic).

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            The batch.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            Every class of the stream; required on the first call unless the
            model was fitted before.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the batch's rows.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, classes, sample_weight)

    def _partial_fit_target(self, X, y, classes, first):
        check_consistent_length(X, y)
        self._multilabel = False
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first and not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            self.classes_ = np.unique(classes)
            if len(self.classes_) < 2:
                raise ValueError("'classes' must hold at least 2 classes.")
        elif classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"'classes' must be the classes of the first call {self.classes_}; "
                f"got {np.unique(classes)}."
            )
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(
                f"y holds labels that are not in classes_: {unseen.tolist()}."
            )
        return np.searchsorted(self.classes_, y)

    def predict(self, X, **predict_params):
        """Predict class labels for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input samples.

        **predict_params : dict
            Passed to the ``predict`` of the final estimator of a stacking
            fusion (for example ``return_std=True`` of a
            :class:`~sklearn.linear_model.BayesianRidge`); only its
            uncertainty is reported, not the branches'. With metadata routing
            enabled, routed to it as it requests them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        predict_params = self._predict_params(predict_params)
        outputs = self._branch_outputs(X)  # checks that the model is fitted
        if predict_params:
            encoded = self.fusion_.predict(outputs, **predict_params)
        else:
            encoded = fused_predict(self.fusion_, outputs)
        encoded = np.asarray(encoded, dtype=np.intp)
        if self._multilabel:
            return np.column_stack(
                [classes[column] for classes, column in zip(self.classes_, encoded.T)]
            )
        return self.classes_[encoded]

    @available_if(_fusion_has("predict_proba"))
    def predict_proba(self, X):
        """Predict class probabilities for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns in the order of ``classes_``.
        """
        return self._fuse("predict_proba", X)

    @available_if(_fusion_has("decision_function"))
    def decision_function(self, X):
        """Decision values for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values; 1-D for binary problems.
        """
        return self._fuse("decision_function", X)


class MultiGranularityRegressor(RegressorMixin, _BaseMultiGranularity):
    __doc__ = f"""Multi-granularity regressor: one model per granularity, fused.

    Each branch of ``granularities`` sees the data at one granularity and
    learns its own model. Out-of-fold predictions of the branches, made on the
    same folds for all of them, train the fusion stage; every (branch, fold)
    fit and every refit run in one flat parallel task list. Multi-output
    targets are supported when the branches support them.

    Parameters
    ----------
    {
        _COMMON_PARAMETERS.format(
            fusions='{"stacking", "average", "weighted", "greedy", "cascade", '
            '"residual", "auto"}',
            average="the mean prediction",
            loss="squared error",
            cawpe="",
            residual='''
        - ``"residual"`` (:class:`~skmg.fusion.ResidualFusion`): coarse to
          fine: each branch, in the given order, fits the residual of the
          scaled out-of-fold predictions of the previous ones; the prediction
          is the sum of the scaled stages;''',
            default_final="RidgeCV",
            splitter="not shuffled",
        ).strip()
    }
    {_TAIL_PARAMETERS.strip()}

    Attributes
    ----------
    {_COMMON_ATTRIBUTES.format(metric="R²").strip()}

    See Also
    --------
    MultiGranularityClassifier : The same for classification.
    sklearn.ensemble.StackingRegressor : Stacking of estimators on the same
        input.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import RidgeCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import SplineTransformer
    >>> from skmg import MultiGranularityRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MultiGranularityRegressor([
    ...     ("linear", RidgeCV()),
    ...     ("coarse", make_pipeline(SplineTransformer(n_knots=3), RidgeCV())),
    ...     ("fine", make_pipeline(SplineTransformer(n_knots=8), RidgeCV())),
    ... ], fusion="average")
    >>> reg.fit(X[:300], y[:300]).score(X[300:], y[300:]) > 0.4
    True
    """

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
        super().__init__(
            granularities,
            fusion=fusion,
            final_estimator=final_estimator,
            cv=cv,
            passthrough=passthrough,
            refit=refit,
            memory=memory,
            n_jobs=n_jobs,
            verbose=verbose,
            scoring=scoring,
            early_stopping=early_stopping,
            n_iter_no_change=n_iter_no_change,
            validation_fraction=validation_fraction,
            oof_method=oof_method,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            branches = [e for _, e in self.granularities if not is_drop(e)]
            final = getattr(self._make_strategy(), "final_estimator", None)
            if final is not None:
                branches.append(final)
            tags.target_tags.multi_output = bool(branches) and all(
                get_tags(e).target_tags.multi_output for e in branches
            )
        except Exception:  # invalid granularities: fit will say why
            pass
        return tags

    @staticmethod
    def _default_final_estimator():
        return RidgeCV()

    @staticmethod
    def _is_classifier():
        return False

    @staticmethod
    def _check_branch_type(name, estimator):
        if not is_regressor(estimator):
            raise ValueError(
                f"branch {name!r} of 'granularities' must be a regressor; got "
                f"{type(estimator).__name__}."
            )

    @staticmethod
    def _validate_target(X, y):
        """The target and what is learned of it (its number of dimensions)."""
        check_consistent_length(X, y)
        y = check_array(
            y, ensure_2d=False, dtype="numeric", input_name="y", ensure_min_samples=1
        )
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D; got an array of shape {y.shape}.")
        return y, {"_y_ndim": y.ndim}

    @available_if(partial_fit_available)
    def partial_fit(self, X, y, sample_weight=None):
        """Learn incrementally from one batch.

        Available when every non-dropped branch can learn incrementally (its
        estimator, or the final step of its ``Pipeline``, has ``partial_fit``,
        and every earlier step is a stateless view — ``IntervalFeatures``,
        ``Pooling``, ``FunctionTransformer`` — or has ``partial_fit`` itself)
        and the fusion strategy learns online (it has ``partial_fit``:
        ``"average"`` and ``"weighted"`` do). Each batch first scores every
        branch (prequential evaluation: the strategy's online update, such as
        the Hedge weights of :class:`~skmg.fusion.WeightedFusion`, learns from
        these outputs, and so does ``granularity_scores_``), then every
        branch learns from it. After :meth:`fit`, learning continues from the
        fitted state. ``granularity_scores_`` becomes the mean prequential
        score over the batches (each batch counts once, whatever its size;
        from a second pass over the data on, the batches were seen before, so
        the score is optimistic).

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            The batch.
        y : array-like of shape (n_samples,)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the batch's rows.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, None, sample_weight)

    def _partial_fit_target(self, X, y, classes, first):
        y, state = self._validate_target(X, y)
        vars(self).update(state)
        if y.ndim != 1:
            raise ValueError("partial_fit takes a 1-D target.")
        return y

    def predict(self, X, **predict_params):
        """Predict targets for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input samples.

        **predict_params : dict
            Passed to the ``predict`` of the final estimator of a stacking
            fusion (for example ``return_std=True`` of a
            :class:`~sklearn.linear_model.BayesianRidge`); only its
            uncertainty is reported, not the branches'. With metadata routing
            enabled, routed to it as it requests them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted targets, 2-D when ``y`` was 2-D in fit.
        """
        predict_params = self._predict_params(predict_params)
        if predict_params:  # what the final estimator returns, e.g. (mean, std)
            return self._fuse("predict", X, **predict_params)
        prediction = np.asarray(self._fuse("predict", X))
        if self._y_ndim == 2 and prediction.ndim == 1:
            return prediction.reshape(-1, 1)
        if self._y_ndim == 1 and prediction.ndim == 2 and prediction.shape[1] == 1:
            return prediction.ravel()
        return prediction
