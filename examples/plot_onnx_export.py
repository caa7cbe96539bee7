"""
=====================================================
Exporting a multi-granularity model to ONNX (digits)
=====================================================

A fitted multi-granularity model becomes an `ONNX <https://onnx.ai>`_ graph
with skl2onnx's ``to_onnx``, as any scikit-learn model, once
:mod:`skmg.onnx` has registered skmg's converters. The graph runs in
onnxruntime (or any ONNX runtime, from other languages) without Python,
scikit-learn or skmg. This example exports a classifier of three
granularities of the digits images, checks that the graph predicts what the
model predicts, compares their prediction times, and shows what happens with
a fusion that does not convert.

It needs the ``onnx`` extra: ``pip install "skmg[onnx]"`` (skl2onnx and
onnxruntime).
"""

# %%
# Three granularities of the digits
# ---------------------------------
# The 8x8 pixels; the image pooled to 4x4 (:class:`~skmg.Pooling`); the mean,
# spread, slopes and extremes of every 4x4 patch
# (:class:`~skmg.IntervalFeatures`). A logistic regression stacks their
# out-of-fold probabilities.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
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
            StandardScaler(),
            LogisticRegression(max_iter=1000),
        ),
    ),
]
model = MultiGranularityClassifier(granularities).fit(X_train, y_train)
print(f"held-out accuracy: {model.score(X_test, y_test):.3f}")

# %%
# Conversion
# ----------
# ``import skmg.onnx`` registers the converters with skl2onnx (``import skmg``
# does not import skl2onnx, which takes about a second). ``to_onnx`` takes
# one row of the input, in float32 as ONNX graphs usually are, to learn the
# input's type. ``zipmap=False`` makes the probabilities a plain matrix rather
# than one dictionary per row.
import onnxruntime as rt
from skl2onnx import to_onnx

import skmg.onnx  # noqa: F401  (registers skmg's converters)

onx = to_onnx(model, X_train[:1].astype(np.float32), options={"zipmap": False})
print("inputs: ", [i.name for i in onx.graph.input])
print("outputs:", [o.name for o in onx.graph.output])
print(
    f"size: {len(onx.SerializeToString()) / 1024:.0f} KiB, {len(onx.graph.node)} nodes"
)

# %%
# The graph predicts what the model predicts
# ------------------------------------------
# Each branch is converted by skl2onnx's own converters, skmg's views by
# skmg's; the stacking design (the three probability blocks side by side) and
# the final logistic regression follow. In float32 the probabilities differ
# from ``predict_proba`` by rounding only.
session = rt.InferenceSession(
    onx.SerializeToString(), providers=["CPUExecutionProvider"]
)
X_test32 = X_test.astype(np.float32)
labels, proba = session.run(None, {"X": X_test32})
print("same labels:", bool((labels == model.predict(X_test)).all()))
gap = np.abs(proba - model.predict_proba(X_test)).max()
print(f"largest probability gap: {gap:.1e}")


# %%
# Prediction time
# ---------------
# onnxruntime runs the whole graph in one call, with no input validation and
# no Python between the steps: for one row at a time, the case of a service
# answering requests, it is much faster than ``predict_proba``.
def best_time(predict, rows, repeat=30):
    """The best of ``repeat`` runs of ``predict(rows)``, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        predict(rows)
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


runners = {
    "skmg predict_proba": model.predict_proba,
    "onnxruntime": lambda rows: session.run(None, {"X": rows}),
}
sizes = {"1 row": X_test32[:1], f"{len(X_test32)} rows": X_test32}
timings = {
    name: [best_time(run, rows) for rows in sizes.values()]
    for name, run in runners.items()
}
for name, times in timings.items():
    print(f"{name:<20}" + "".join(f"{t:>9.2f} ms" for t in times))

fig, ax = plt.subplots(figsize=(6.4, 3.0), layout="constrained")
positions = np.arange(len(sizes))
for k, (name, times) in enumerate(timings.items()):
    ax.barh(positions + 0.4 * k, times, height=0.4, label=name)
ax.set_yticks(positions + 0.2, list(sizes))
ax.set_xscale("log")
ax.set_xlabel("time of one call (ms, best of 30, log scale)")
ax.legend(loc="lower right", fontsize="small")
plt.show()

# %%
# What does not convert
# ---------------------
# The single-pass fusions convert: ``"stacking"`` (with ``passthrough``),
# ``"average"``, ``"weighted"``, ``"greedy"``, ``"cawpe"``, and ``"auto"`` as
# the strategy it chose. A cascade refits the branches on the outputs of the
# previous level, which has no converter: the export says so, naming the
# fusion.
cascade = MultiGranularityClassifier(granularities, fusion="cascade", cv=3)
cascade.fit(X_train, y_train)
try:
    to_onnx(cascade, X_train[:1].astype(np.float32))
except NotImplementedError as error:
    print(error)

# %%
# See :ref:`user_guide_onnx` for the options, the supported models and what
# the float32 graph can change.
