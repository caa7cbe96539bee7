"""
==========================================
Learning from a stream, batch after batch
==========================================

When the data do not fit in memory, or arrive over time, a multi-granularity
model can learn one batch at a time with
:meth:`~skmg.MultiGranularityClassifier.partial_fit`. Every branch must then
learn incrementally (here, :class:`~sklearn.linear_model.SGDClassifier` after
stateless views and a :class:`~sklearn.preprocessing.StandardScaler`, which
has ``partial_fit`` too), and the fusion must learn online:
``"average"`` or ``"weighted"``.

Each batch is first *scored* by every branch, before any branch learns from
it (prequential evaluation), and then learned. With ``fusion="weighted"``,
those scores drive the weights: the log-losses of each branch are discounted
by ``WeightedFusion(decay=...)`` from batch to batch and summed, and the
weights are the softmax of minus those sums (the Hedge rule). A branch that
keeps predicting badly loses its weight; one that improves gains it back.

This example streams the digits data set through three branches, one of
which is deliberately noisy, and follows the accuracy and the weights batch by
batch, then compares the result with :meth:`~skmg.MultiGranularityClassifier.fit`
on all the data at once.
"""

# %%
# Data
# ----
# The 8x8 images of handwritten digits: 70% to learn from, streamed in
# batches, 30% held out to check the model after every batch.
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
classes = np.unique(y)
print(f"stream: {X_train.shape}, held out: {X_test.shape}")

# %%
# Three granularities, one of them noisy
# --------------------------------------
# Every branch ends with the same incremental model, a logistic regression
# trained by stochastic gradient descent.
#
# - ``pixels``: the 64 pixels, standardised;
# - ``pooled``: the image at half the resolution (the mean of every 2x2
#   patch, 16 values), with :class:`~skmg.granularity.Pooling`;
# - ``noisy``: the pixels seen through a very noisy sensor (Gaussian noise
#   with a standard deviation of 20, when pixels range from 0 to 16). It
#   still carries a little information, much less than the others.
#
# ``Pooling`` and ``FunctionTransformer`` are stateless views: ``partial_fit``
# fits them on the first batch and afterwards only transforms. The scalers
# learn their means and variances batch after batch.
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmg import MultiGranularityClassifier
from skmg.fusion import WeightedFusion
from skmg.granularity import Pooling


def noisy_sensor(X, rng):
    """The pixels plus strong Gaussian noise."""
    return X + rng.normal(scale=20.0, size=X.shape)


def sgd(seed):
    return SGDClassifier(loss="log_loss", alpha=1e-3, random_state=seed)


def granularities():
    return [
        ("pixels", make_pipeline(StandardScaler(), sgd(0))),
        ("pooled", make_pipeline(Pooling(2, shape=(8, 8)), StandardScaler(), sgd(1))),
        (
            "noisy",
            make_pipeline(
                FunctionTransformer(
                    noisy_sensor, kw_args={"rng": np.random.default_rng(0)}
                ),
                StandardScaler(),
                sgd(2),
            ),
        ),
    ]


stream_model = MultiGranularityClassifier(
    granularities(), fusion=WeightedFusion(decay=0.9)
)
names = [name for name, _ in stream_model.granularities]

# %%
# Streaming
# ---------
# Three passes over the stream, 20 batches of about 63 images per pass, the
# order shuffled at each pass. Before each batch is learned we record
#
# - the *prequential* accuracy of the fused model on that batch (it has not
#   learned the batch yet; from the second pass on, it has learned the same
#   images in an earlier pass, so this accuracy becomes optimistic);
# - the accuracy of each branch alone on that batch;
#
# and after each batch, the accuracy on the held-out images and the weights.
n_passes, n_batches = 3, 20
rng = np.random.default_rng(0)
prequential, held_out, weights = [], [], []
branch_prequential = {name: [] for name in names}
for _ in range(n_passes):
    order = rng.permutation(len(X_train))
    for batch in np.array_split(order, n_batches):
        X_batch, y_batch = X_train[batch], y_train[batch]
        if hasattr(stream_model, "estimators_"):  # nothing to score before
            prequential.append(stream_model.score(X_batch, y_batch))
            for name, branch in stream_model.named_estimators_.items():
                branch_prequential[name].append(branch.score(X_batch, y_batch))
        else:
            prequential.append(np.nan)
            for name in names:
                branch_prequential[name].append(np.nan)
        stream_model.partial_fit(X_batch, y_batch, classes=classes)
        held_out.append(stream_model.score(X_test, y_test))
        weights.append(stream_model.fusion_.weights_.copy())
weights = np.array(weights)

print(f"held-out accuracy after the stream: {held_out[-1]:.3f}")
print("mean prequential accuracy of each branch (granularity_scores_):")
for name, score in stream_model.granularity_scores_.items():
    print(f"  {name:>7}: {score:.3f}")
print("final weights:", {n: round(float(w), 3) for n, w in zip(names, weights[-1])})

# %%
# The same branches fitted on all the data
# ----------------------------------------
# :meth:`~skmg.MultiGranularityClassifier.fit` sees every image at once: each
# branch is fitted on 5 folds for out-of-fold outputs, the weights are those
# that minimise the out-of-fold log-loss, and the branches are refitted on
# all the images (SGD makes several epochs, until it converges).
batch_model = MultiGranularityClassifier(granularities(), fusion="weighted", cv=5)
batch_model.fit(X_train, y_train)
batch_accuracy = batch_model.score(X_test, y_test)
print(f"held-out accuracy of fit: {batch_accuracy:.3f}")
print(
    "weights of fit:",
    {n: round(float(w), 3) for n, w in zip(names, batch_model.fusion_.weights_)},
)

# %%
# Accuracy batch after batch
# --------------------------
# The held-out accuracy climbs within the first pass and ends close to that
# of ``fit``. The prequential accuracy is noisier (each batch has only about
# 63 images) and tracks it during the first pass, when every batch is new; in
# the later passes it runs above it, because those batches have been learned
# before.
import matplotlib.pyplot as plt

steps = np.arange(1, len(held_out) + 1)
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(steps, prequential, ".-", color="tab:gray", label="prequential (fused)")
ax.plot(steps, held_out, "-", color="tab:blue", lw=2, label="held-out (fused)")
ax.axhline(batch_accuracy, color="tab:red", ls="--", label="held-out, fit on all")
for p in range(1, n_passes):
    ax.axvline(p * n_batches + 0.5, color="k", lw=0.5, alpha=0.4)
ax.set(
    xlabel="batch",
    ylabel="accuracy",
    title="Streaming the digits: accuracy after every batch",
)
ax.set_ylim(top=1.01)
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# The weights move away from the noisy branch
# -------------------------------------------
# All branches start with equal weights. The first batch only teaches; from
# the second on, each batch's log-loss moves the weights. The noisy branch
# predicts much worse than the others, and confidently so: its log-loss on the
# second batch is enough to bring its weight to almost nothing, where it
# stays. Between the two good branches, the weight goes to the
# one with the lower recent log-loss, and it can swing back: with
# ``decay=0.9``, the weights remember about the last ten batches. The weights
# learned by ``fit`` are marked on the right.
fig, (ax_w, ax_b) = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
colors = {"pixels": "tab:blue", "pooled": "tab:green", "noisy": "tab:orange"}
for b, name in enumerate(names):
    ax_w.plot(steps, weights[:, b], color=colors[name], lw=2, label=name)
    ax_w.plot(
        steps[-1] + 2,
        batch_model.fusion_.weights_[b],
        "D",
        color=colors[name],
        clip_on=False,
    )
    ax_b.plot(steps, branch_prequential[name], ".-", color=colors[name], label=name)
for ax in (ax_w, ax_b):
    for p in range(1, n_passes):
        ax.axvline(p * n_batches + 0.5, color="k", lw=0.5, alpha=0.4)
ax_w.set(
    xlabel="batch",
    ylabel="weight",
    ylim=(-0.02, 1.02),
    title="Weights after every batch (diamonds: fit)",
)
ax_b.set(
    xlabel="batch",
    ylabel="accuracy on the batch",
    ylim=(0, 1.01),
    title="Prequential accuracy of each branch",
)
ax_w.legend(loc="center right")
fig.tight_layout()
plt.show()

# %%
# Takeaways
# ---------
# - ``partial_fit`` holds one batch in memory at a time; with a few passes it
#   comes close to the accuracy of ``fit`` on all the data.
# - ``granularity_scores_`` is the mean prequential score of every branch, a
#   score on data the branch had not learned yet (during the first pass).
# - With ``fusion="weighted"``, the weights follow the recent log-loss of the
#   branches, so a useless granularity is silenced within a few batches
#   without being removed; ``decay`` sets how fast the weights forget.
