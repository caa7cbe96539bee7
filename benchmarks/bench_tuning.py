"""Tuning the fusion stage with GridSearchCV, with and without ``memory``.

A :class:`~sklearn.model_selection.GridSearchCV` (``cv=3``) searches 8 fusion
settings of a :class:`~skmg.MultiGranularityClassifier` (``cv=5``) on digits:

- ``fusion="average"``, ``"weighted"``, ``"greedy"``;
- stacking with ``LogisticRegression(C=c)``, ``c`` in 0.01, 0.1, 1, 10, 100
  (``fusion=LogisticRegression(C=c)``: an estimator instance means stacking
  with it).

The three branches (pixels + ``LogisticRegression``, 4x4 pooled image +
k-NN, patch statistics + ``ExtraTreesClassifier``) are the same for every
candidate and only the fusion changes, so with ``memory`` every
(branch, fold) fit of an outer fold is computed for the first candidate and
read from the cache for the other seven. Without ``memory`` each candidate
fits every branch again.

Protocol: each run uses a fresh temporary directory as ``memory``, so the
cache is cold at the start of every run (nothing is shared between runs).
Runs alternate without / with memory (the order rotated each round), and the
table gives the median wall time of the whole ``GridSearchCV.fit`` (search and
refit of the best candidate), its process CPU time, and the ratio
with / without. Both searches must give the same ``best_params_`` (compared by
``repr``, since the stacking candidates are estimator instances) and the same
``cv_results_["mean_test_score"]``. Everything runs in this process
(``n_jobs=None``), BLAS and OpenMP limited to one thread.

Target: the search with ``memory`` takes at most 0.35 of the time without.

Run from the repository root, with skmg installed::

    python benchmarks/bench_tuning.py           # full run, writes results/
    python benchmarks/bench_tuning.py --quick   # short run, writes nothing
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import joblib
from _common import RESULTS, package_versions, run_note, write_results
from sklearn.datasets import load_digits
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, ParameterGrid
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skmg import MultiGranularityClassifier
from skmg.granularity import IntervalFeatures, Pooling

SEED = 0
INNER_CV = 5
SEARCH_CV = 3
C_VALUES = (0.01, 0.1, 1.0, 10.0, 100.0)
TARGET = 0.35  # time with memory / time without, at most
# full run, quick run
REPEATS = {False: 3, True: 2}
N_SAMPLES = {False: None, True: 600}  # None: all 1,797 digits
N_TREES = {False: 100, True: 50}


def branches(n_trees):
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
                ExtraTreesClassifier(n_estimators=n_trees, random_state=SEED),
            ),
        ),
    ]


def param_grid():
    """8 candidates; every one is a valid setting of the same estimator."""
    return {
        "fusion": [
            "average",
            "weighted",
            "greedy",
            *(LogisticRegression(C=c, max_iter=1000) for c in C_VALUES),
        ]
    }


def run_search(X, y, n_trees, use_memory):
    """One GridSearchCV.fit; a fresh cache directory when ``use_memory``."""
    with tempfile.TemporaryDirectory(prefix="skmg-bench-tuning-") as tmp:
        memory = joblib.Memory(tmp, verbose=0) if use_memory else None
        search = GridSearchCV(
            MultiGranularityClassifier(branches(n_trees), cv=INNER_CV, memory=memory),
            param_grid(),
            cv=SEARCH_CV,
        )
        wall, cpu = time.perf_counter(), time.process_time()
        search.fit(X, y)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        cache_bytes = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "cache_mb": cache_bytes / 2**20,
        "best_params": repr(search.best_params_),
        "best_score": float(search.best_score_),
        "mean_test_score": search.cv_results_["mean_test_score"].tolist(),
        "params": [repr(p) for p in search.cv_results_["params"]],
        "mean_fit_time": search.cv_results_["mean_fit_time"].tolist(),
    }


def markdown(report):
    """The Markdown table of a report."""
    yes = {True: "yes", False: "**no**"}
    medians, ratio = report["medians"], report["ratio_with_over_without"]
    target = report["target_ratio_at_most"]
    identical = report["identical_best_params"] and report["identical_mean_test_score"]
    rows = []
    for key, label in (("wall_s", "wall time (s)"), ("cpu_s", "process CPU time (s)")):
        rows.append(
            f"| {label} | {medians['without'][key]:.1f} | {medians['with'][key]:.1f} "
            f"| {ratio[key]:.3f} | <= {target} | {yes[ratio[key] <= target]} |"
        )
    return "\n".join(
        [
            f"GridSearchCV (cv={report['search_cv']}) over "
            f"{len(report['candidates'])} fusion settings of "
            f"MultiGranularityClassifier (cv={report['inner_cv']}, "
            f"{len(report['branches'])} branches) on digits "
            f"({report['n_samples']} samples); medians of {report['repeats']} "
            "interleaved runs, each with a cold cache. The target is on the wall "
            "time.",
            "",
            "| | without memory | with memory | with / without | target | met |",
            "|---|---:|---:|---:|---:|:---:|",
            *rows,
            "",
            f"Identical `best_params_` ({report['best_params']}, score "
            f"{report['best_score']:.4f}) and `mean_test_score` in every run: "
            f"{yes[identical]}. Cache size per run: {report['cache_mb']:.1f} MB.",
            "",
            run_note(report),
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run, no files")
    parser.add_argument("--repeats", type=int, default=None, help="runs per variant")
    args = parser.parse_args()
    repeats = args.repeats or REPEATS[args.quick]
    n_trees = N_TREES[args.quick]
    X, y = load_digits(return_X_y=True)
    if N_SAMPLES[args.quick] is not None:
        X, y = X[: N_SAMPLES[args.quick]], y[: N_SAMPLES[args.quick]]

    variants = {"without": False, "with": True}
    runs = {name: [] for name in variants}
    with threadpool_limits(limits=1):
        for r in range(repeats):
            order = list(variants) if r % 2 == 0 else list(variants)[::-1]
            for name in order:  # interleaved: A B, B A, ...
                result = run_search(X, y, n_trees, variants[name])
                runs[name].append(result)
                print(
                    f"run {r + 1}/{repeats} {name:7s} memory: "
                    f"{result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU, "
                    f"best {result['best_params']} ({result['best_score']:.4f})",
                    flush=True,
                )

    reference = runs["without"][0]
    for name in variants:
        for result in runs[name]:
            assert result["best_params"] == reference["best_params"], (
                name,
                result["best_params"],
                reference["best_params"],
            )
            assert result["mean_test_score"] == reference["mean_test_score"], name
    medians = {
        name: {
            key: statistics.median(r[key] for r in runs[name])
            for key in ("wall_s", "cpu_s")
        }
        for name in variants
    }
    ratio = {
        key: medians["with"][key] / medians["without"][key]
        for key in ("wall_s", "cpu_s")
    }
    met = ratio["wall_s"] <= TARGET
    report = {
        "benchmark": "bench_tuning",
        "quick": args.quick,
        "dataset": "digits",
        "n_samples": int(len(y)),
        "branches": {n: repr(e) for n, e in branches(n_trees)},
        "candidates": [repr(p) for p in ParameterGrid(param_grid())],
        "inner_cv": INNER_CV,
        "search_cv": SEARCH_CV,
        "repeats": repeats,
        "threads": "BLAS and OpenMP limited to 1 thread; n_jobs=None",
        "memory": "joblib.Memory on a fresh temporary directory per run (cold cache)",
        "medians": medians,
        "ratio_with_over_without": ratio,
        "target_ratio_at_most": TARGET,
        "target_met": met,
        "identical_best_params": True,
        "identical_mean_test_score": True,
        "best_params": reference["best_params"],
        "best_score": reference["best_score"],
        "cv_results": {
            "params": reference["params"],
            "mean_test_score": reference["mean_test_score"],
            "mean_fit_time_without_memory": runs["without"][0]["mean_fit_time"],
            "mean_fit_time_with_memory": runs["with"][0]["mean_fit_time"],
        },
        "cache_mb": statistics.median(r["cache_mb"] for r in runs["with"]),
        "runs": {
            name: [
                {k: r[k] for k in ("wall_s", "cpu_s", "cache_mb")} for r in runs[name]
            ]
            for name in variants
        },
        "versions": package_versions(
            "python", "numpy", "scipy", "scikit-learn", "joblib", "skmg"
        ),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
    }

    table = markdown(report)
    print()
    print(table)
    if args.quick:
        return 0
    json_path, _ = write_results(RESULTS, "bench_tuning", report, table + "\n")
    print(f"written to {json_path} and bench_tuning.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
