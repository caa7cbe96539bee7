"""Coming from scikit-learn's stacking: every behaviour of StackingClassifier
and StackingRegressor that a user may rely on, compared with the peer on the
same input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import (
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.ensemble import StackingClassifier, StackingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import BayesianRidge, LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from skmg import MultiGranularityClassifier, MultiGranularityRegressor

X_BIN, Y_BIN = make_classification(n_samples=200, random_state=0)
X_REG, Y_REG = make_regression(n_samples=150, n_features=6, noise=5, random_state=0)
X_IRIS, Y_IRIS = load_iris(return_X_y=True)
NAMES_IRIS = np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]


def _binary_branches():
    return [
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("nb", GaussianNB()),
    ]


def test_binary_transform_is_the_final_estimators_design_matrix():
    """Item 1: with two classes, transform and oof_predictions_ give one
    probability column per branch, as scikit-learn's transform does, and the
    final estimator predicts from them."""
    ours = MultiGranularityClassifier(_binary_branches(), cv=4).fit(X_BIN, Y_BIN)
    theirs = StackingClassifier(_binary_branches(), cv=4).fit(X_BIN, Y_BIN)
    assert_allclose(ours.transform(X_BIN), theirs.transform(X_BIN))
    assert ours.oof_predictions_.shape == (200, 2)
    assert_array_equal(
        ours.final_estimator_.predict(ours.oof_predictions_),
        ours.final_estimator_.predict(ours.oof_predictions_[ours.oof_mask_]),
    )
    assert_array_equal(
        ours.final_estimator_.predict(ours.transform(X_BIN)), ours.predict(X_BIN)
    )
    assert list(ours.get_feature_names_out()) == ["tree_proba", "nb_proba"]


def test_predict_params_reach_the_final_estimator():
    """Item 2: predict(X, return_std=True) returns the final estimator's
    (mean, std), equal to scikit-learn's."""
    branches = [("ridge", Ridge()), ("strong", Ridge(alpha=100))]
    ours = MultiGranularityRegressor(
        branches, final_estimator=BayesianRidge(), cv=5
    ).fit(X_REG, Y_REG)
    theirs = StackingRegressor(branches, final_estimator=BayesianRidge(), cv=5)
    theirs.fit(X_REG, Y_REG)
    mean, std = ours.predict(X_REG[:10], return_std=True)
    their_mean, their_std = theirs.predict(X_REG[:10], return_std=True)
    assert_allclose(mean, their_mean)
    assert_allclose(std, their_std)
    average = MultiGranularityRegressor(branches, fusion="average").fit(X_REG, Y_REG)
    with pytest.raises(TypeError, match="return_std"):
        average.predict(X_REG, return_std=True)


def test_prefit_branches_are_used_as_they_are():
    """Item 3: cv="prefit" uses the fitted branches as given (labels of any
    type), fits only the fusion on their outputs, and predicts as
    scikit-learn's stacking does."""
    lr = LogisticRegression(max_iter=1000).fit(X_IRIS, NAMES_IRIS)
    nb = GaussianNB().fit(X_IRIS[::2], NAMES_IRIS[::2])
    branches = [("lr", lr), ("nb", nb)]
    ours = MultiGranularityClassifier(branches, cv="prefit").fit(X_IRIS, NAMES_IRIS)
    theirs = StackingClassifier(branches, cv="prefit").fit(X_IRIS, NAMES_IRIS)
    assert ours.estimators_[0] is lr and ours.estimators_[1] is nb
    assert_allclose(ours.predict_proba(X_IRIS), theirs.predict_proba(X_IRIS))
    assert_array_equal(ours.predict(X_IRIS), theirs.predict(X_IRIS))
    assert_allclose(ours.transform(X_IRIS), theirs.transform(X_IRIS))
    assert ours.fit_times_ == {"lr": 0.0, "nb": 0.0}
    assert ours.oof_mask_.all()
    # in-sample scores of the given branches on the given rows
    assert ours.granularity_scores_["lr"] == lr.score(X_IRIS, NAMES_IRIS)

    with pytest.raises(NotFittedError, match="branch 'tree' is not fitted"):
        MultiGranularityClassifier(
            [("lr", lr), ("tree", DecisionTreeClassifier())], cv="prefit"
        ).fit(X_IRIS, NAMES_IRIS)
    with pytest.raises(ValueError, match="cv='prefit' uses the branches as they"):
        MultiGranularityClassifier(branches, cv="prefit", fusion="cascade").fit(
            X_IRIS, NAMES_IRIS
        )
    only_two = LogisticRegression().fit(X_IRIS[:100], NAMES_IRIS[:100])
    wrong = np.where(NAMES_IRIS == "virginica", "other", NAMES_IRIS)
    with pytest.raises(ValueError, match=r"branch 'lr' was fitted on the classes"):
        MultiGranularityClassifier([("lr", lr)], cv="prefit").fit(X_IRIS, wrong)
    # a branch that knows fewer classes gets probability 0 for the others
    model = MultiGranularityClassifier(
        [("two", only_two), ("lr", lr)], cv="prefit", fusion="average"
    ).fit(X_IRIS, NAMES_IRIS)
    assert model.predict_proba(X_IRIS).shape == (150, 3)


def test_multilabel_targets_with_stacking():
    """Item 4: a 2-D indicator y works with stacking, branches and a final
    estimator that support it, as in scikit-learn; other fusions refuse it."""
    X, Y = make_multilabel_classification(n_samples=200, n_classes=3, random_state=0)
    branches = [
        ("knn", KNeighborsClassifier()),
        ("tree", DecisionTreeClassifier(random_state=0)),
    ]
    ours = MultiGranularityClassifier(
        branches, final_estimator=KNeighborsClassifier(), cv=KFold(5)
    ).fit(X, Y)
    theirs = StackingClassifier(
        branches, final_estimator=KNeighborsClassifier(), cv=KFold(5)
    ).fit(X, Y)
    assert_allclose(ours.transform(X), theirs.transform(X))
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).shape == (200, 3)
    assert len(ours.classes_) == 3
    assert 0 < ours.fusion_score_ < 1
    assert ours.score(X, Y) == theirs.score(X, Y)
    with pytest.raises(ValueError, match="y is a multilabel indicator matrix"):
        MultiGranularityClassifier(branches, fusion="average").fit(X, Y)


def test_regressor_branch_in_a_classifier():
    """Item 5: a regressor branch's predict is a stacking feature, as in
    scikit-learn; fusions that need class outputs refuse it, naming it."""
    branches = [("ridge", Ridge()), ("tree", DecisionTreeClassifier(random_state=0))]
    ours = MultiGranularityClassifier(branches).fit(X_BIN, Y_BIN)
    theirs = StackingClassifier(branches).fit(X_BIN, Y_BIN)
    assert_allclose(ours.transform(X_BIN), theirs.transform(X_BIN))
    assert_allclose(ours.predict_proba(X_BIN), theirs.predict_proba(X_BIN))
    assert ours.stack_method_ == ["predict_value", "predict_proba"]
    assert 0.5 < ours.granularity_scores_["ridge"] <= 1
    with pytest.raises(ValueError, match=r"branch\(es\) \['ridge'\] are regressors"):
        MultiGranularityClassifier(branches, fusion="average").fit(X_BIN, Y_BIN)


def test_branch_without_sample_weight_raises_type_error():
    """Item 6: TypeError, as scikit-learn's stacking, naming the branch."""
    branches = [("knn", KNeighborsClassifier()), ("nb", GaussianNB())]
    sw = np.ones(len(Y_BIN))
    with pytest.raises(TypeError):
        StackingClassifier(branches).fit(X_BIN, Y_BIN, sample_weight=sw)
    with pytest.raises(TypeError, match="branch 'knn'"):
        MultiGranularityClassifier(branches).fit(X_BIN, Y_BIN, sample_weight=sw)


def test_routing_fit_and_predict_metadata():
    """Item 7: with metadata routing, a sample_weight requested by the
    branches but not by the final estimator does not raise (scikit-learn's
    stacking gives the same model), and predict routes return_std to a final
    estimator that requests it."""
    sw = np.linspace(0.5, 2.0, len(Y_BIN))
    with config_context(enable_metadata_routing=True):
        branches = [
            ("lr", LogisticRegression().set_fit_request(sample_weight=True)),
            ("nb", GaussianNB().set_fit_request(sample_weight=True)),
        ]
        ours = MultiGranularityClassifier(branches, cv=5).fit(
            X_BIN, Y_BIN, sample_weight=sw
        )
        theirs = StackingClassifier(branches, cv=5).fit(X_BIN, Y_BIN, sample_weight=sw)
        assert_allclose(ours.predict_proba(X_BIN), theirs.predict_proba(X_BIN))

        final = BayesianRidge().set_predict_request(return_std=True)
        reg = MultiGranularityRegressor(
            [("ridge", Ridge()), ("strong", Ridge(alpha=100))], final_estimator=final
        ).fit(X_REG, Y_REG)
        mean, std = reg.predict(X_REG[:5], return_std=True)
        assert_allclose(mean, reg.predict(X_REG[:5]))
        assert std.shape == (5,) and (std > 0).all()
        unrequested = clone(reg).set_params(final_estimator=BayesianRidge())
        unrequested.fit(X_REG, Y_REG)
        with pytest.raises(ValueError, match="return_std"):
            unrequested.predict(X_REG[:5], return_std=True)


def test_a_classifiers_final_estimator_must_be_a_classifier():
    """A regressor as final estimator would have its predictions cut to class
    labels: refused, as scikit-learn's stacking refuses it."""
    branches = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    with pytest.raises(ValueError, match="must be a classifier; got Ridge"):
        MultiGranularityClassifier(branches, final_estimator=Ridge()).fit(
            X_IRIS, Y_IRIS
        )
    with pytest.raises(ValueError, match="must be a classifier; got Ridge"):
        MultiGranularityClassifier(branches, fusion=Ridge()).fit(X_IRIS, Y_IRIS)


def test_multilabel_label_without_positives_in_a_fold():
    """A fold whose training rows hold no positive of a label gives that label
    probability 0 (not the probability of its only class, 'absent')."""
    from sklearn.ensemble import RandomForestClassifier

    X, Y = make_multilabel_classification(n_samples=200, n_classes=3, random_state=0)
    Y[:, 2] = 0
    Y[:30, 2] = 1  # all positives in the first fold
    model = MultiGranularityClassifier(
        [("forest", RandomForestClassifier(n_estimators=10, random_state=0))],
        final_estimator=KNeighborsClassifier(),
        cv=KFold(5),
    ).fit(X, Y)
    assert_array_equal(model.oof_predictions_[:40, 2], 0.0)


def test_prefit_with_sample_weight_and_no_partial_fit():
    """With cv="prefit" the branches are not fitted, so a branch that cannot
    take sample_weight is fine (only the fusion takes the weights); the
    branches are not updated by partial_fit either."""
    branches = [
        ("knn", KNeighborsClassifier().fit(X_BIN, Y_BIN)),
        ("nb", GaussianNB().fit(X_BIN, Y_BIN)),
    ]
    sw = np.linspace(0.5, 2, len(Y_BIN))
    ours = MultiGranularityClassifier(branches, cv="prefit").fit(
        X_BIN, Y_BIN, sample_weight=sw
    )
    theirs = StackingClassifier(branches, cv="prefit").fit(
        X_BIN, Y_BIN, sample_weight=sw
    )
    assert_allclose(ours.predict_proba(X_BIN), theirs.predict_proba(X_BIN))
    averaged = MultiGranularityClassifier(branches, cv="prefit", fusion="average")
    assert not hasattr(averaged, "partial_fit")


def test_branch_passing_sample_weight_through_kwargs():
    """A meta-estimator branch whose fit takes **kwargs (here
    TransformedTargetRegressor) gets sample_weight, as in scikit-learn."""
    from sklearn.compose import TransformedTargetRegressor

    branches = [("ttr", TransformedTargetRegressor(Ridge())), ("ridge", Ridge())]
    sw = np.linspace(0.5, 2, len(Y_REG))
    ours = MultiGranularityRegressor(branches, cv=5).fit(X_REG, Y_REG, sample_weight=sw)
    theirs = StackingRegressor(branches, cv=5).fit(X_REG, Y_REG, sample_weight=sw)
    assert_allclose(ours.predict(X_REG), theirs.predict(X_REG))


def test_report_of_prefit_multilabel_and_regressor_branch_models():
    """The report works on the models these behaviours make: prefit branches
    with string labels, a multilabel target, a regressor branch."""
    pytest.importorskip("pandas")
    from skmg.inspection import granularity_report

    lr = LogisticRegression(max_iter=1000).fit(X_IRIS, NAMES_IRIS)
    prefit = MultiGranularityClassifier(
        [("lr", lr)], cv="prefit", stack_method="predict"
    ).fit(X_IRIS, NAMES_IRIS)
    report = granularity_report(prefit, X_IRIS, NAMES_IRIS)
    assert report.loc["lr", "test_score"] == lr.score(X_IRIS, NAMES_IRIS)

    X, Y = make_multilabel_classification(n_samples=150, n_classes=3, random_state=0)
    multilabel = MultiGranularityClassifier(
        [("knn", KNeighborsClassifier())], final_estimator=KNeighborsClassifier()
    ).fit(X, Y)
    report = granularity_report(multilabel, X, Y)
    assert report.loc["fused", "test_score"] == multilabel.score(X, Y)

    mixed = MultiGranularityClassifier(
        [("lr", LogisticRegression(max_iter=1000)), ("ridge", Ridge())]
    ).fit(X_IRIS, Y_IRIS)
    weights = granularity_report(mixed)["weight"].to_numpy()[:2]
    assert np.isfinite(weights).all() and weights.sum() == pytest.approx(1.0)
