"""Scores of outputs computed already: every scorer sees the user's labels, as
it would score the user's own estimator (``pos_label``, ``classes_``)."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    make_scorer,
    roc_auc_score,
)
from sklearn.model_selection import KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from skmg import MultiGranularityClassifier
from skmg.fusion import AutoFusion, BranchOutputs, cross_val_fuse, make_fusion
from skmg.fusion._base import second_level_folds

X, Y01 = make_classification(
    n_samples=300, n_features=8, n_informative=4, flip_y=0.2, random_state=0
)
LABELS = {"0/1": np.array([0, 1]), "1/2": np.array([1, 2]), "str": np.array(["a", "b"])}


def _branches():
    return [
        ("linear", LogisticRegression()),
        ("nb", GaussianNB()),
        ("knn", KNeighborsClassifier(15)),
    ]


def _scorings(classes):
    """(scoring, metric on the user's labels and the probabilities of the
    classes in the order of ``classes``) pairs, as scikit-learn defines them."""

    def predicted(proba):
        return classes[proba.argmax(axis=1)]

    pairs = {
        "accuracy": (None, lambda y, p: accuracy_score(y, predicted(p))),
        "f1 pos_label=first": (
            make_scorer(f1_score, pos_label=classes[0]),
            lambda y, p: f1_score(y, predicted(p), pos_label=classes[0]),
        ),
        "f1 pos_label=second": (
            make_scorer(f1_score, pos_label=classes[1]),
            lambda y, p: f1_score(y, predicted(p), pos_label=classes[1]),
        ),
        "roc_auc": ("roc_auc", lambda y, p: roc_auc_score(y, p[:, 1])),
        "neg_log_loss": (
            "neg_log_loss",
            lambda y, p: -log_loss(y, p, labels=classes),
        ),
    }
    if classes.dtype.kind in "iu":  # "f1": pos_label=1, a label of 0/1 and 1/2
        pairs["f1"] = ("f1", lambda y, p: f1_score(y, predicted(p)))
    return pairs


def _binary_proba(column):
    """Both probability columns from the kept (second) one."""
    return np.column_stack([1 - column, column])


@pytest.mark.parametrize("labels", LABELS)
def test_scores_are_those_of_scikit_learn_on_the_users_labels(labels):
    """granularity_scores_ and fusion_score_ are scikit-learn's metrics of the
    out-of-fold predictions in the user's labels, whatever the labels: "f1"
    scores class 1, pos_label names a user's label, roc_auc and log-loss take
    the probability of classes_[1]."""
    classes = LABELS[labels]
    y = classes[Y01]
    for name, (scoring, metric) in _scorings(classes).items():
        clf = MultiGranularityClassifier(_branches(), scoring=scoring).fit(X, y)
        assert clf.oof_mask_.all()
        for b, branch in enumerate(clf.granularity_scores_):
            expected = metric(y, _binary_proba(clf.oof_predictions_[:, b]))
            assert clf.granularity_scores_[branch] == pytest.approx(
                expected, rel=1e-12
            ), (name, branch)
        fused = clf.fusion_oof_predictions_
        rows = ~np.isnan(fused[:, 0])
        assert rows.all()
        assert clf.fusion_score_ == pytest.approx(
            metric(y[rows], fused[rows]), rel=1e-12
        ), name


def test_f1_scores_class_1_of_labels_1_2():
    """With labels 1 and 2, "f1" and make_scorer(f1_score, pos_label=1) score
    class 1, as scikit-learn's "f1" does, and pos_label=2 scores class 2."""
    y = np.array([1, 2])[Y01]
    scores = {}
    for name, scoring in {
        "f1": "f1",
        "pos 1": make_scorer(f1_score, pos_label=1),
        "pos 2": make_scorer(f1_score, pos_label=2),
    }.items():
        clf = MultiGranularityClassifier(_branches(), scoring=scoring).fit(X, y)
        scores[name] = clf.granularity_scores_["linear"]
    proba = clf.oof_predictions_[:, 0]
    predicted = np.where(proba > 0.5, 2, 1)
    assert scores["f1"] == scores["pos 1"] == f1_score(y, predicted, pos_label=1)
    assert scores["pos 2"] == f1_score(y, predicted, pos_label=2)
    assert scores["pos 1"] != scores["pos 2"]


def test_f1_of_string_labels_raises_as_scikit_learn_does():
    """The scorer "f1" (pos_label=1) is refused on string labels, as it is
    for the user's own estimator, instead of scoring the second class
    silently."""
    y = np.array(["a", "b"])[Y01]
    with pytest.raises(ValueError, match="pos_label=1 is not a valid label"):
        MultiGranularityClassifier(_branches(), scoring="f1").fit(X, y)


@pytest.mark.parametrize("labels", ["1/2", "str"])
@pytest.mark.parametrize(
    "scoring", ["f1 pos_label=first", "f1 pos_label=second", "roc_auc", "neg_log_loss"]
)
def test_auto_chooses_by_scikit_learns_score_in_the_users_labels(labels, scoring):
    """AutoFusion (fusion="auto") scores every candidate with scikit-learn's
    metric of its second-level out-of-fold predictions in the user's labels,
    and chooses the best of them."""
    classes = LABELS[labels]
    y = classes[Y01]
    scorer, metric = _scorings(classes)[scoring]
    # every candidate but "weighted", whose optimiser would not give the same
    # weights to the probabilities rebuilt from oof_predictions_ to the last bit
    fusion = AutoFusion(candidates=["average", "greedy", "cawpe", "stacking"])
    clf = MultiGranularityClassifier(_branches(), fusion=fusion, scoring=scorer)
    clf.fit(X, y)
    auto = clf.fusion_
    outputs = BranchOutputs(
        [_binary_proba(column) for column in clf.oof_predictions_.T],
        kinds=clf.stack_method_,
        n_classes=2,
    )
    y_encoded = np.searchsorted(classes, y)
    folds = second_level_folds(y_encoded, True, auto.cv)
    expected = {}
    for name in auto.scores_:
        candidate = make_fusion(name)
        if "final_estimator" in candidate.get_params():
            candidate.set_params(final_estimator=auto.final_estimator)
        response, covered = cross_val_fuse(candidate, outputs, y_encoded, folds=folds)
        assert covered.all()
        expected[name] = metric(y, response["predict_proba"])
    assert auto.scores_ == pytest.approx(expected, rel=1e-9)
    assert auto.best_name_ == max(expected, key=expected.get)


def test_multiclass_scores_in_the_users_labels():
    """A multiclass problem with string labels: macro F1 and log-loss of the
    out-of-fold probabilities, columns in the order of classes_."""
    X3, y3 = make_classification(
        n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    classes = np.array(["x", "y", "z"])
    y = classes[y3]
    for scoring, metric in {
        "f1_macro": lambda p: f1_score(y, classes[p.argmax(axis=1)], average="macro"),
        "neg_log_loss": lambda p: -log_loss(y, p, labels=classes),
    }.items():
        clf = MultiGranularityClassifier(_branches(), scoring=scoring).fit(X3, y)
        for b, branch in enumerate(clf.granularity_scores_):
            proba = clf.oof_predictions_[:, 3 * b : 3 * b + 3]
            assert clf.granularity_scores_[branch] == pytest.approx(
                metric(proba), rel=1e-12
            )
        assert clf.fusion_score_ == pytest.approx(
            metric(clf.fusion_oof_predictions_), rel=1e-12
        )


def test_multilabel_scores_are_those_of_the_indicator_matrix():
    """A multilabel target is scored as the 0/1 indicator matrix it is: the
    branch's and the fused model's out-of-fold label probabilities above
    one half."""
    Xm, Ym = make_multilabel_classification(n_samples=200, n_classes=3, random_state=0)
    clf = MultiGranularityClassifier(
        [("tree", DecisionTreeClassifier(max_depth=4, random_state=0))],
        final_estimator=KNeighborsClassifier(5),
        cv=KFold(5),
        scoring="f1_micro",
    ).fit(Xm, Ym)
    for name, proba in [
        ("tree", clf.oof_predictions_),
        ("fused", clf.fusion_oof_predictions_),
    ]:
        expected = f1_score(Ym, (proba > 0.5).astype(int), average="micro")
        score = clf.granularity_scores_.get(name, clf.fusion_score_)
        assert score == pytest.approx(expected, rel=1e-12), name


@pytest.mark.parametrize(
    "scoring, needs",
    [("neg_log_loss", "predict_proba"), ("roc_auc", "decision_function or")],
)
def test_a_scoring_of_probabilities_on_predicted_labels_names_the_parameters(
    scoring, needs
):
    """A scoring that needs probabilities or decision values, with
    stack_method="predict" (labels only), is refused naming scoring and
    stack_method (it named an internal class)."""
    model = MultiGranularityClassifier(
        _branches(), scoring=scoring, stack_method="predict", fusion="average"
    )
    with pytest.raises(
        ValueError,
        match=rf"scoring='{scoring}' scores {needs}.* predicted labels only "
        r"\(stack_method='predict'\)",
    ):
        model.fit(X, Y01)
