"""Branches that estimate themselves: out-of-bag and leave-one-out outputs.

With ``oof_method="auto"``, a branch whose model can give out-of-sample
outputs for its own training rows from one fit on all rows is fitted once
(one task of the plan, on all rows) instead of once per fold and once more
for the refit. A *provider* says which models can, fits them and reads the
estimate:

- :class:`OutOfBagProvider`: bagged forests and bagging
  (``RandomForest*``, ``ExtraTrees*`` and ``Bagging*`` with
  ``bootstrap=True``), the out-of-bag outputs;
- :class:`RidgeLeaveOneOutProvider`: ``RidgeCV`` and ``RidgeClassifierCV``
  with ``cv=None``, the exact leave-one-out outputs at the selected alpha;
- :class:`NeighborsLeaveOneOutProvider`: ``KNeighborsClassifier`` and
  ``KNeighborsRegressor``, the leave-one-out outputs;
- :class:`TrainEstimateProvider`: aeon classifiers with their own train
  estimate (the ``capability:train_estimate`` tag; ``fit_predict_proba``).

A provider has three members (a third party can add one to ``PROVIDERS``):
``method`` (its name in ``oof_methods_``), ``matches(model, output)`` and
``fit_estimate(model, output, n_classes, X, y, **fit_params)``, which fits
the model on ``X, y`` and returns the block of ``output`` for every row and
the mask of the rows it covers. The model is the branch itself or the last
step of a ``Pipeline``, whose earlier steps are fitted once on all rows
first; ``X`` is then their output.
"""

import warnings

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.ensemble import BaggingClassifier, BaggingRegressor
from sklearn.ensemble._forest import BaseForest
from sklearn.linear_model import RidgeClassifierCV, RidgeCV
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline

from ._outputs import PREDICT, PROBA, check_output, output_width
from ._params import fit_view
from ._samplers import has_samplers


class OutOfBagProvider:
    """Out-of-bag outputs of bagged forests and bagging ensembles.

    The task's clone is fitted with ``oob_score=True`` (the trees of a
    given ``random_state`` are the same); a row in the bag of every tree has
    no estimate and is left out of the covered rows.
    """

    method = "oob"

    def matches(self, model, output):
        bagged = isinstance(
            model, (BaseForest, BaggingClassifier, BaggingRegressor)
        ) and (is_classifier(model) or is_regressor(model))
        return bool(bagged and getattr(model, "bootstrap", False) is True)

    def fit_estimate(self, model, output, n_classes, X, y, **fit_params):
        if not model.oob_score:
            model.set_params(oob_score=True)
        model.fit(X, y, **fit_params)
        n_samples = len(y)
        in_bag = np.zeros(n_samples)
        for rows in model.estimators_samples_:
            in_bag[np.unique(rows)] += 1
        covered = in_bag < len(model.estimators_samples_)
        if is_regressor(model):
            return np.asarray(model.oob_prediction_).reshape(n_samples, -1), covered
        proba = np.asarray(model.oob_decision_function_, dtype=np.float64)
        return _from_proba(proba, model.classes_, output), covered


class RidgeLeaveOneOutProvider:
    """Exact leave-one-out outputs of ``RidgeCV`` and ``RidgeClassifierCV``
    (``cv=None``: efficient leave-one-out), at the alpha the model selects.

    The task's clone is fitted with ``store_cv_results=True``, which changes
    neither the selected alpha nor the coefficients. Without ``scoring`` the stored
    values are the squared leave-one-out residuals; the residual has the
    sign of the in-sample residual (the leave-one-out residual is it divided
    by ``1 - h_ii`` > 0), so the prediction is recovered exactly.
    """

    method = "loo"

    def matches(self, model, output):
        if not isinstance(model, (RidgeCV, RidgeClassifierCV)) or model.cv is not None:
            return False
        if getattr(model, "alpha_per_target", False):
            return False
        return getattr(model, "class_weight", None) is None

    def fit_estimate(self, model, output, n_classes, X, y, **fit_params):
        params = model.get_params(deep=False)
        if "store_cv_results" in params:
            model.set_params(store_cv_results=True)
        else:  # scikit-learn < 1.5
            model.set_params(store_cv_values=True)
        model.fit(X, y, **fit_params)
        stored = getattr(model, "cv_results_", None)
        if stored is None:
            stored = model.cv_values_
        alphas = np.atleast_1d(np.asarray(model.alphas, dtype=np.float64))
        index = int(np.flatnonzero(alphas == model.alpha_)[0])
        values = np.asarray(stored)[..., index].reshape(len(y), -1)
        if is_classifier(model):
            classes = np.asarray(model.classes_)
            target = np.where(y[:, None] == classes[None, :], 1.0, -1.0)
            target = target[:, 1:] if len(classes) == 2 else target
            fitted = model.decision_function(X).reshape(len(y), -1)
        else:
            target = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
            fitted = model.predict(X).reshape(len(y), -1)
        if model.scoring is None:  # squared residuals: the sign of the fit's
            values = target - np.sign(target - fitted) * np.sqrt(values)
        covered = np.ones(len(y), dtype=bool)
        if not is_classifier(model):
            return values, covered
        if output == PREDICT:
            if values.shape[1] == 1:
                return (values[:, 0] > 0).astype(np.float64), covered
            return values.argmax(axis=1).astype(np.float64), covered
        return values, covered


class NeighborsLeaveOneOutProvider:
    """Leave-one-out outputs of ``KNeighborsClassifier`` and
    ``KNeighborsRegressor``: each training row's neighbours among the other
    rows (``kneighbors(X=None)``), weighted as the model weighs them
    (``"uniform"`` or ``"distance"``)."""

    method = "loo"

    def matches(self, model, output):
        return isinstance(model, (KNeighborsClassifier, KNeighborsRegressor)) and (
            model.weights in ("uniform", "distance")
        )

    def fit_estimate(self, model, output, n_classes, X, y, **fit_params):
        model.fit(X, y, **fit_params)
        distances, neighbours = model.kneighbors()
        weights = _neighbour_weights(distances, model.weights)
        covered = np.ones(len(y), dtype=bool)
        if is_regressor(model):
            values = np.asarray(y, dtype=np.float64)[neighbours]
            return (values * weights).sum(axis=1) / weights.sum(axis=1), covered
        classes = np.asarray(model.classes_)
        labels = np.searchsorted(classes, np.asarray(y)[neighbours])
        votes = np.zeros((len(y), len(classes)))
        rows = np.repeat(np.arange(len(y)), neighbours.shape[1])
        np.add.at(votes, (rows, labels.ravel()), weights.ravel())
        total = votes.sum(axis=1, keepdims=True)
        total[total == 0] = 1.0
        return _from_proba(votes / total, classes, output), covered


class TrainEstimateProvider:
    """The train estimate of an aeon classifier that has its own (the
    ``capability:train_estimate`` tag: out-of-bag for DrCIF, Arsenal, TSF,
    STC; leave-one-out for TDE, ...): ``fit_predict_proba`` fits the task's
    clone on all rows and returns the probabilities of every row.

    A classifier without that tag would cross-validate itself (aeon's default
    ``fit_predict_proba`` runs 10 folds), at more cost than ``cv``: it is
    cross-validated by skmg like any other branch. ``fit_predict_proba``
    takes no fit parameters.

    Every row counts as covered: aeon gives a row it cannot estimate (an
    interval forest's row in the bag of every tree) uniform probabilities,
    which cannot be told apart from a tie; with a few estimators, such rows
    are frequent (use tens of them, or ``oof_method="cv"``). Only aeon's
    classifiers qualify: sktime's ``fit_predict_proba`` of the same name
    predicts in sample unless given a ``cv``.
    """

    method = "train_estimate"

    def matches(self, model, output):
        # aeon's only: sktime's fit_predict_proba (cv=None) predicts in sample
        if not _is_aeon_classifier(model):
            return False
        get_tag = getattr(model, "get_tag", None)
        if output not in (PROBA, PREDICT) or not callable(get_tag):
            return False
        if not hasattr(model, "fit_predict_proba"):
            return False
        tag = get_tag("capability:train_estimate", raise_error=False)
        return tag is True

    def fit_estimate(self, model, output, n_classes, X, y, **fit_params):
        if fit_params:
            raise TypeError(
                f"{type(model).__name__}.fit_predict_proba takes no fit "
                f"parameters; got {sorted(fit_params)}. Use oof_method='cv' "
                "to pass them to its fit."
            )
        proba = np.asarray(model.fit_predict_proba(X, y), dtype=np.float64)
        covered = np.ones(len(y), dtype=bool)
        return _from_proba(proba, model.classes_, output), covered


def _is_aeon_classifier(model):
    """Whether ``model`` is an aeon classifier (without importing aeon)."""
    return any(
        cls.__module__ == "aeon.classification.base"
        and cls.__name__ == "BaseClassifier"
        for cls in type(model).__mro__
    )


def _neighbour_weights(distances, weights):
    """The weights of the neighbours, as scikit-learn's k-neighbours give
    them: uniform, or the inverse distance (a row with neighbours at distance
    zero weighs those only)."""
    if weights == "uniform":
        return np.ones_like(distances)
    with np.errstate(divide="ignore"):
        inverse = 1.0 / distances
    exact = np.isinf(inverse)
    rows = exact.any(axis=1)
    inverse[rows] = exact[rows]
    return inverse


def _from_proba(proba, classes, output):
    """Probabilities, or the labels of their largest column (``predict``)."""
    if output == PREDICT:
        return np.asarray(classes)[proba.argmax(axis=1)].astype(np.float64)
    return proba


PROVIDERS = [
    OutOfBagProvider(),
    RidgeLeaveOneOutProvider(),
    NeighborsLeaveOneOutProvider(),
    TrainEstimateProvider(),
]


def final_model(estimator):
    """The model a provider looks at: the branch, or the last step of a
    Pipeline; for a branch of a level fed the previous outputs, that of the
    branch it wraps (once fitted, its fitted model)."""
    if getattr(estimator, "wraps_branch", False):
        fitted = getattr(estimator, "model_", None)
        return fitted if fitted is not None else final_model(estimator.estimator)
    if isinstance(estimator, Pipeline):
        return estimator.steps[-1][1]
    return estimator


def find_provider(estimator, output, providers=None):
    """The first provider that estimates ``estimator``'s ``output``, or None.

    A Pipeline with a sampler is never estimated: its model is trained on
    other rows than the branch's.
    """
    wraps = getattr(estimator, "wraps_branch", False)
    if has_samplers(estimator.estimator if wraps else estimator):
        return None
    model = final_model(estimator)
    for provider in PROVIDERS if providers is None else providers:
        if provider.matches(model, output):
            return provider
    return None


def choose_estimates(meta, record, estimators, sample_weight, split_params):
    """Which branches estimate themselves: the provider of each branch (None:
    cross-validated), and ``record.oof_methods`` set by branch name.

    Only with ``meta.oof_method="auto"``, for a single-label classifier or a
    single-target regressor. With ``sample_weight`` or ``groups``, every
    branch is cross-validated, with a warning naming the branches that could
    have estimated themselves. With ``cv="prefit"``, nothing is fitted.
    """
    n = len(record.names)
    if meta._prefit():
        record.oof_methods = dict.fromkeys(record.names, "prefit")
        return [None] * n
    single = not record.multilabel and (record.n_targets or 1) == 1
    providers = [None] * n
    if meta.oof_method != "cv" and single:  # "auto"
        providers = [
            find_provider(estimator, method)
            for estimator, method in zip(estimators, record.methods)
        ]
    able = [name for name, p in zip(record.names, providers) if p is not None]
    why = None
    if able and sample_weight is not None:
        why = "sample_weight (an estimate from one fit does not weigh its rows)"
    elif able and split_params.get("groups") is not None:
        why = "groups (rows of a group must be held out together)"
    if why is not None:
        warnings.warn(
            f"oof_method='auto': the branches {able} are cross-validated on "
            f"'cv' like the others, because of {why}.",
            UserWarning,
            stacklevel=3,
        )
        providers = [None] * n
    record.oof_methods = {
        name: "cv" if p is None else p.method
        for name, p in zip(record.names, providers)
    }
    return providers


def fit_estimated(provider, estimator, X, y, params, output, n_classes, n_targets):
    """Fit a branch that estimates itself on all rows: its view, then its
    model by the provider. Returns the estimate through the gate: a block for
    every row (NaN in rows it does not cover) and the covered rows.
    """
    view = fit_view(estimator, X, y, params)
    block, covered = provider.fit_estimate(
        view.model, output, n_classes, view.X, view.y, **view.params
    )
    view.done()
    covered = np.asarray(covered, dtype=bool).reshape(-1)
    block = np.asarray(block, dtype=np.float64)
    if block.ndim == 1:
        block = block.reshape(-1, 1)
    width = output_width(output, n_classes, n_targets or 1)
    values = check_output(
        block[covered],
        output,
        int(covered.sum()),
        width,
        n_classes if output == PREDICT else None,
    )
    full = np.full((len(y), width), np.nan)
    full[covered] = values
    return full, covered
