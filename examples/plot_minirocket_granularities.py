"""
=================================================
MiniRocket at several granularities of the series
=================================================

MiniRocket (Dempster, Schmidt and Webb, 2021) turns every series into
thousands of features, each the proportion of positive values of a dilated
convolution, and a ridge classifier learns from them. It is one of the
fastest accurate time-series classifiers. Here aeon's ``MiniRocket`` is the
model of every branch of a :class:`~skmg.MultiGranularityClassifier`, and
skmg's views show it the series at other granularities: its first
difference (:class:`~skmg.granularity.Differences`) and its means over
windows of 2 and 4 steps (:class:`~skmg.granularity.Pooling`). The branches
are fused four ways and compared with MiniRocket alone, on two data sets that
aeon ships with their default train/test split:

- GunPoint: 150 steps of the position of an actor's hand, who draws a gun or
  points a finger; 50 series to train on, 150 to test on;
- ArrowHead: the outlines of arrowheads, read as series of 251 values, in
  3 classes; 36 series to train on, 175 to test on.

``pip install "skmg[timeseries]"`` installs aeon.
"""

# %%
# Data
# ----
# Both sets load from files inside aeon as 2-D arrays, one series per row:
# skmg's views and aeon's transformers both take them as they are.
import matplotlib.pyplot as plt
import numpy as np
from aeon.datasets import load_arrow_head, load_gunpoint

loaders = {"GunPoint": load_gunpoint, "ArrowHead": load_arrow_head}
data = {}
for name, load in loaders.items():
    X_train, y_train = load(split="train", return_type="numpy2d")
    X_test, y_test = load(split="test", return_type="numpy2d")
    data[name] = X_train, X_test, y_train, y_test
    print(f"{name}: train {X_train.shape}, test {X_test.shape}")

# %%
# Four granularities
# ------------------
# Every branch is a ``Pipeline`` of a view, MiniRocket and
# ``RidgeClassifierCV``; the ``raw`` branch has no view. Every MiniRocket has
# the same ``random_state``, so the ``raw`` branch is MiniRocket alone, and
# whatever the fusion adds comes from the other granularities.
from aeon.transformations.collection.convolution_based import MiniRocket
from sklearn.linear_model import RidgeClassifierCV
from sklearn.pipeline import Pipeline

from skmg.granularity import Differences, Pooling


def minirocket(view=None):
    """MiniRocket and a ridge classifier, behind ``view`` if one is given."""
    steps = [
        ("rocket", MiniRocket(random_state=0)),
        ("ridge", RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))),
    ]
    return Pipeline(([("view", view)] if view is not None else []) + steps)


views = {
    "raw": None,
    "diff": Differences(),
    "pool2": Pooling(2),
    "pool4": Pooling(4),
}
granularities = [(name, minirocket(view)) for name, view in views.items()]

# %%
# What each branch sees: the first training series of GunPoint at the four
# granularities. The difference is the speed of the hand rather than its
# position; the pooled series are shorter and smoother, so MiniRocket's
# kernels of 9 steps span 18 and 36 steps of the original series.
X_train = data["GunPoint"][0]
fig, axes = plt.subplots(4, 1, figsize=(7, 6), sharex=True, layout="constrained")
for ax, (name, view) in zip(axes, views.items()):
    series = X_train[:1] if view is None else view.fit_transform(X_train[:1])
    step = X_train.shape[1] / series.shape[1]
    ax.plot(np.arange(series.shape[1]) * step, series[0], marker=".", markersize=3)
    ax.set_title(f"{name}: {series.shape[1]} values", loc="left", fontsize="medium")
axes[-1].set_xlabel("time step of the original series")

# %%
# Fits
# ----
# On each set: MiniRocket alone, then skmg fusing the four branches with
# ``"average"`` (temperature-scaled ridge decisions, averaged), ``"cawpe"``
# (weighted by out-of-fold accuracy), ``"auto"`` (the strategy with the best
# out-of-fold score) and ``"stacking"``. ``RidgeClassifierCV`` has no
# ``predict_proba``: skmg fuses its decision values. The out-of-fold outputs
# come from 10 stratified folds of the training series, and ``memory`` caches
# the branch fits, so the four fusions fit the branches once.
import shutil
import time
from tempfile import mkdtemp

from skmg import MultiGranularityClassifier
from skmg.inspection import granularity_report

fusions = ["average", "cawpe", "auto", "stacking"]
results = {}
cpu_seconds = {}  # data set -> CPU seconds of MiniRocket alone, of "average"
for name, (X_train, X_test, y_train, y_test) in data.items():
    start = time.process_time()
    alone = minirocket().fit(X_train, y_train)
    cpu_seconds[name] = [time.process_time() - start]
    alone = alone.score(X_test, y_test)
    cache = mkdtemp()
    fused = {}
    for fusion in fusions:
        start = time.process_time()
        model = MultiGranularityClassifier(
            granularities, fusion=fusion, cv=10, memory=cache
        ).fit(X_train, y_train)
        if fusion == "average":  # the first: it fills the cache
            cpu_seconds[name].append(time.process_time() - start)
        fused[fusion] = model.score(X_test, y_test)
        if fusion == "auto":
            chosen = model.fusion_.best_name_
            # the weights of the branches, where the chosen strategy has some
            weights = getattr(model.fusion_, "weights_", None)
    report = granularity_report(model, X_test, y_test)
    branches = {g: report.loc[g, "test_score"] for g in views}
    results[name] = alone, branches, fused
    print(f"\n{name}: MiniRocket alone {alone:.3f}")
    print(report.loc[list(views), ["oof_score", "test_score"]].round(3))
    print(f"'auto' chose {chosen!r}", end="")
    if weights is not None:
        print(", weights", dict(zip(views, weights.round(2).tolist())), end="")
    print()
    print("fused:", {fusion: round(score, 3) for fusion, score in fused.items()})
    shutil.rmtree(cache, ignore_errors=True)

# %%
# Test accuracy of every granularity and every fusion
# ---------------------------------------------------
# Each bar is a test accuracy: in grey the granularities alone (``raw`` is
# MiniRocket alone), in blue the fused models; the dashed line is MiniRocket
# alone.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
for ax, (name, (alone, branches, fused)) in zip(axes, results.items()):
    labels = [*branches, *fused]
    scores = [*branches.values(), *fused.values()]
    colors = ["0.6"] * len(branches) + ["tab:blue"] * len(fused)
    positions = np.arange(len(labels))
    ax.barh(positions, scores, color=colors)
    ax.axvline(alone, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xlim(min(scores) - 0.03, 1.0)
    ax.set_title(name)
    ax.set_xlabel("test accuracy")
plt.show()

# %%
# Reading the figure
# ------------------
# In this run, MiniRocket alone classifies every test series of GunPoint
# correctly: there is nothing left to gain, and two of the fusions lose one
# series. On ArrowHead, with 12 training series per class, the first
# difference is the weakest granularity and the pooled series score a little
# below the raw one. The plain average and CAWPE, which give every branch a
# sizeable weight, score below MiniRocket alone. ``"auto"`` chose the learned
# weights (``"weighted"``), which give the raw branch nearly all the weight,
# and scores slightly above it; stacking, which learns from four decision
# values per class with 36 training series, scores lowest.
#
# ``benchmarks/bench_specialists.py`` (see :ref:`benchmarks`) makes the same
# comparison on seven data sets, against a control that fits as many
# MiniRockets, with other seeds, on the raw series.

# %%
# One fit per branch
# ------------------
# With 10 folds, each branch above is fitted 11 times. ``RidgeClassifierCV``
# can do without: its exact leave-one-out decision values come with one fit
# on all training series. With ``oof_method="auto"``, skmg fits each branch
# once (MiniRocket on all series, the ridge's estimate of each series made
# without it) and fuses those values; ``oof_methods_`` says what each branch
# used. MiniRocket does not learn from the labels, so fitting it on all
# series leaks nothing into the estimates.
for name, (X_train, X_test, y_train, y_test) in data.items():
    start = time.process_time()
    once = MultiGranularityClassifier(
        granularities, fusion="average", oof_method="auto"
    ).fit(X_train, y_train)
    seconds = time.process_time() - start
    alone_s, folds_s = cpu_seconds[name]
    print(f"\n{name}: {once.oof_methods_}")
    print(
        f"'average', 10 folds: {results[name][2]['average']:.3f} in "
        f"{folds_s / alone_s:.0f}x the CPU time of MiniRocket alone; "
        f"leave-one-out: {once.score(X_test, y_test):.3f} in "
        f"{seconds / alone_s:.0f}x"
    )

# %%
# The fused model is the same kind of model (four branches fitted on all
# series, averaged with temperatures), learned at a fraction of the cost. In
# ``bench_specialists.py``, ``"average"`` on the leave-one-out values scored
# as it does with 10 folds on all seven data sets, at 3.2 to 4.3 times the
# CPU time of MiniRocket alone instead of 24 to 44 (9 on PigCVP, with 2
# folds); CAWPE and ``"auto"`` lost
# 0.004 on average, ``"stacking"`` gained. The comparisons above keep the 10
# folds, on which every fusion was measured.
