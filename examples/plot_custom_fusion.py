"""
================================
Writing your own fusion strategy
================================

A fusion strategy is a small scikit-learn estimator: a subclass of
:class:`~skmg.fusion.BaseFusion` with its hyperparameters in ``__init__``, a
``fit(outputs, y, sample_weight=None)`` that learns from the out-of-fold
outputs of the branches, and a ``predict_proba(outputs)`` (classification) or
``predict(outputs)`` (regression). skmg does the rest: the folds, the parallel
fits, ``predict``, ``score``, ``fusion_score_``, tuning with
:class:`~sklearn.model_selection.GridSearchCV` and the report.

Here we write the *power mean* of the branch probabilities,

.. math::

   \\hat p_c(x) \\propto \\Big(\\frac{1}{B} \\sum_b p_{b,c}(x)^{\\,q}\\Big)^{1/q},

which is the plain average for :math:`q = 1`, tends to the geometric mean
(a product of experts: every granularity must agree) as :math:`q \\to 0`, and
to the maximum (the most confident granularity wins) as :math:`q` grows.
The data are scikit-learn's handwritten digits.
"""

# %%
# The strategy
# ------------
# ``outputs`` is the list of per-branch blocks, here probabilities of shape
# (n_samples, n_classes). ``fit`` learns nothing; it could (weights, a
# temperature...) from ``outputs`` and ``y``. The class says nothing about
# the data in its constructor: classes and output kinds come at ``fit``.
import numpy as np

from skmg.fusion import BaseFusion


class PowerMeanFusion(BaseFusion):
    """The power mean of the branch probabilities, renormalised.

    Parameters
    ----------
    power : float, default=1.0
        The exponent q; 0 means the geometric mean.
    """

    def __init__(self, power=1.0):
        self.power = power

    def fit(self, outputs, y, sample_weight=None):
        self.n_branches_ = len(outputs)
        return self

    def predict_proba(self, outputs):
        proba = np.clip(np.stack(outputs), 1e-12, 1.0)
        if self.power == 0:
            mean = np.exp(np.log(proba).mean(axis=0))
        else:
            mean = (proba**self.power).mean(axis=0) ** (1 / self.power)
        return mean / mean.sum(axis=1, keepdims=True)


# %%
# Three granularities of the digits
# ---------------------------------
# The 8x8 images as pixels, pooled to 4x4 (:class:`~skmg.granularity.Pooling`)
# and summarised patch by patch (:class:`~skmg.granularity.IntervalFeatures`).
# Naive Bayes on the pixels is a confident, often wrong, expert: how much it
# may veto the others depends on the power.
from tempfile import mkdtemp

from sklearn.datasets import load_digits
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmg import MultiGranularityClassifier
from skmg.granularity import IntervalFeatures, Pooling

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

granularities = [
    ("pixels_nb", GaussianNB()),
    (
        "pooled",
        make_pipeline(
            Pooling(size=2, shape=(8, 8)),
            StandardScaler(),
            LogisticRegression(max_iter=1000),
        ),
    ),
    (
        "patches",
        make_pipeline(
            IntervalFeatures(window=4, shape=(8, 8)),
            ExtraTreesClassifier(n_estimators=50, random_state=0),
        ),
    ),
]
# The branch fits are cached: the grid search below fits each branch once per
# outer fold, whatever the number of powers tried.
cache = mkdtemp()
model = MultiGranularityClassifier(
    granularities,
    fusion=PowerMeanFusion(power=1.0),
    cv=StratifiedKFold(5, shuffle=True, random_state=0),
    memory=cache,
)

# %%
# Tuning the strategy's own parameter
# -----------------------------------
# A strategy is an estimator, so its parameters are addressed as
# ``fusion__<param>``, like ``final_estimator__C`` in scikit-learn's stacking.
from sklearn.model_selection import GridSearchCV

powers = [0, 0.5, 1, 2, 4, 8]
search = GridSearchCV(
    model,
    {"fusion__power": powers},
    cv=StratifiedKFold(3, shuffle=True, random_state=1),
).fit(X_train, y_train)
for power, score in zip(powers, search.cv_results_["mean_test_score"]):
    print(f"power={power:<4} cross-validated accuracy {score:.3f}")
best = search.best_estimator_
print(f"best: {best.fusion_!r}")
print(f"its out-of-fold score (fusion_score_): {best.fusion_score_:.3f}")
print(f"held-out accuracy: {best.score(X_test, y_test):.3f}")

# %%
# The report
# ----------
# :func:`~skmg.inspection.granularity_report` works on the custom strategy as
# on the built-in ones: one row per granularity and one for the fused model,
# out of fold and on the test rows. This strategy has no weights, so the
# weight column is empty (NaN). Compare the fused row with the best
# granularity: a mean without weights gives every granularity the same say,
# and when one of them is much weaker, a strategy that learns weights from
# the out-of-fold outputs (``"weighted"``, ``"cawpe"``, stacking) can do
# better.
from skmg.inspection import GranularityDisplay, granularity_report

print(granularity_report(best, X_test, y_test).round(3))

# %%
# And the display: bars for the granularities on the test rows, a dashed line
# for the fused model.
import matplotlib.pyplot as plt

GranularityDisplay.from_estimator(best, X_test, y_test)
plt.show()

# %%
# What else a strategy can declare
# --------------------------------
# - ``accepted_outputs`` (default ``("predict_proba",)``) and ``same_output``
#   say which branch outputs it combines;
# - ``accepts_features = True`` lets it learn from the original features too
#   (``passthrough``), in ``outputs.features``;
# - ``partial_fit(outputs, y, sample_weight=None)`` makes the meta-estimator's
#   ``partial_fit`` available (an online update);
# - ``next_level`` asks for several passes over the branches, as the cascade
#   does.
#
# See :ref:`user_guide_custom_fusion`.
import shutil

shutil.rmtree(cache, ignore_errors=True)
