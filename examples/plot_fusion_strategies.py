"""
==========================================
Comparing the fusion strategies (digits)
==========================================

The same granularities, fused seven ways. Every strategy of
:mod:`skmg.fusion` learns, if it learns anything, from the out-of-fold outputs
of the branches, and every fitted model reports ``fusion_score_``: the
out-of-fold score of its fusion step, measured without test data. This example
puts that estimate next to the score on held-out rows, strategy by strategy.

The data are scikit-learn's digits: 1,797 handwritten digits as 8x8 images.
"""

# %%
# Three granularities
# -------------------
# - ``pixels``: the 64 pixels, standardised, with a logistic regression;
# - ``pooled``: the image pooled to 4x4 (the mean of every 2x2 block), with a
#   logistic regression: a coarser view;
# - ``patches``: mean, spread, slope and extremes of every 4x4 patch, with
#   extremely randomised trees.
#
# The branch fits are cached (``memory``): every strategy after the first
# fits only its fusion stage, except the cascade, whose later levels fit the
# branches again on their views plus the earlier outputs.
from tempfile import mkdtemp

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmg import IntervalFeatures, MultiGranularityClassifier, Pooling

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

granularities = [
    ("pixels", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
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
            ExtraTreesClassifier(n_estimators=100, random_state=0),
        ),
    ),
]

# %%
# Seven strategies
# ----------------
# ``"cascade"`` and ``"auto"`` are shortcuts for ``CascadeFusion()`` and
# ``AutoFusion()``; a strategy with other parameters is passed as an object.
cache = mkdtemp()
cv = StratifiedKFold(5, shuffle=True, random_state=0)
strategies = ["stacking", "average", "weighted", "greedy", "cawpe", "cascade", "auto"]
rows = []
for fusion in strategies:
    model = MultiGranularityClassifier(
        granularities, fusion=fusion, cv=cv, memory=cache
    ).fit(X_train, y_train)
    rows.append((fusion, model.fusion_score_, model.score(X_test, y_test)))
    if fusion == "auto":
        chosen = model.fusion_.best_name_

print(f"{'granularity':<12} out-of-fold accuracy")
for name, score in model.granularity_scores_.items():
    print(f"{name:<12} {score:.3f}")
print()
print(f"{'fusion':<12} {'out of fold':>11} {'test':>6}")
for fusion, oof, test in rows:
    print(f"{fusion:<12} {oof:>11.3f} {test:>6.3f}")
print(f"\n'auto' chose {chosen!r}")

# %%
# Out-of-fold estimate and held-out score
# ---------------------------------------
# The bars are the held-out accuracy of every strategy, the dots its
# ``fusion_score_``. The dashed line is the best granularity alone, out of
# fold: fusion is worth it where the dots stand to its right.
names = [fusion for fusion, _, _ in rows]
oof = np.array([score for _, score, _ in rows])
test = np.array([score for _, _, score in rows])
best_alone = max(model.granularity_scores_.values())

fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
positions = np.arange(len(names))
ax.barh(positions, test, color="tab:blue", alpha=0.6, label="held-out accuracy")
ax.plot(oof, positions, "o", color="black", label="fusion_score_ (out of fold)")
ax.axvline(best_alone, color="grey", linestyle="--", label="best granularity, oof")
ax.set_yticks(positions, names)
ax.invert_yaxis()
low = min(oof.min(), test.min(), best_alone)
ax.set_xlim(low - 0.02, 1.0)
ax.set_xlabel("accuracy")
ax.legend(loc="lower right", fontsize="small")
plt.show()

# %%
# Reading the figure
# ------------------
# ``fusion_score_`` is measured on the training rows only, by a second-level
# cross-validation of the fusion step (no branch refitted), so it costs a few
# fusion fits and needs no test data, and it is the kind of number ``"auto"``
# chooses by. See :ref:`user_guide_fusion` for every
# strategy's formula and cost.
import shutil

shutil.rmtree(cache, ignore_errors=True)
