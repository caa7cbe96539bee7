"""scikit-learn's own estimator checks over every public estimator."""

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmg import MultiGranularityClassifier, MultiGranularityRegressor


def _classifier_branches():
    return [
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("linear", make_pipeline(StandardScaler(), LogisticRegression())),
    ]


def _regressor_branches():
    return [
        ("shallow", DecisionTreeRegressor(max_depth=2, random_state=0)),
        ("deep", DecisionTreeRegressor(max_depth=4, random_state=1)),
    ]


INSTANCES = [
    MultiGranularityClassifier(_classifier_branches(), cv=3),
    MultiGranularityClassifier(_classifier_branches(), fusion="average", cv=3),
    MultiGranularityClassifier(_classifier_branches(), cv=3, refit=False),
    MultiGranularityClassifier(
        _classifier_branches(), fusion="average", cv=3, refit=False
    ),
    MultiGranularityRegressor(_regressor_branches(), cv=3),
    MultiGranularityRegressor(_regressor_branches(), fusion="average", cv=3),
    MultiGranularityRegressor(_regressor_branches(), cv=3, refit=False),
    MultiGranularityRegressor(
        _regressor_branches(), fusion="average", cv=3, refit=False
    ),
]

# Every entry needs a written reason; the goal is none.
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    INSTANCES,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(repr(est), {}),
)
def test_sklearn_compatible(estimator, check):
    """Each estimator passes scikit-learn's check of the same name."""
    check(estimator)
