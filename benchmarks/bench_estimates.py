"""One fit per branch: ``oof_method="auto"`` against scikit-learn's stacking.

The same four branches are stacked three ways on five datasets:

- ``StackingClassifier`` / ``StackingRegressor`` with ``cv=5`` (five fold
  fits and a refit per branch);
- :class:`~skmg.MultiGranularityClassifier` / ``Regressor`` with
  ``oof_method="cv"`` and ``cv=5`` (the same fits);
- the same with ``oof_method="auto"``: the forest and the bagged extra trees
  give their out-of-bag outputs, ``RidgeCV`` / ``RidgeClassifierCV`` and
  k-neighbours their leave-one-out outputs, each from one fit on all rows.

Branches: ``RandomForest*`` and ``ExtraTrees*(bootstrap=True)`` (``N_TREES``
trees), ``StandardScaler`` + ``RidgeCV`` / ``RidgeClassifierCV`` (13 alphas),
``StandardScaler`` + ``KNeighbors*(10)``. The final estimator is each
library's default (``LogisticRegression``, ``RidgeCV``).

Datasets: digits, breast cancer and wine (classification, held-out accuracy),
diabetes and ``make_friedman1`` (2,000 rows, noise 1; regression, held-out
R²); a quarter of the rows is held out (stratified for classification).

Protocol: every variant runs once per round, the order rotated each round
(interleaved), in this process, BLAS and OpenMP limited to one thread,
``n_jobs=None``. The table gives the median process CPU time of ``fit``, the
ratio auto / stacking, and the held-out score of each (the same every round:
every estimator has a fixed ``random_state``).

Targets: auto takes at most 0.3 of stacking's CPU time, and its held-out score
is at most 0.003 (accuracy) / 0.005 (R²) below stacking's.

Run from the repository root, with skmg installed::

    python benchmarks/bench_estimates.py           # full run, writes results/
    python benchmarks/bench_estimates.py --quick   # short run, writes nothing
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
from _common import add_out_argument, package_versions, publish, run_note
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
    make_friedman1,
)
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    StackingClassifier,
    StackingRegressor,
)
from sklearn.linear_model import RidgeClassifierCV, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skmg import MultiGranularityClassifier, MultiGranularityRegressor

SEED = 0
CV = 5
ALPHAS = np.logspace(-3, 3, 13)
TARGET_RATIO = 0.3  # CPU time of auto / stacking, at most
TARGET_SCORE = {"accuracy": 0.003, "R²": 0.005}  # auto below stacking, at most
# full run, quick run
REPEATS = {False: 3, True: 1}
N_TREES = {False: 100, True: 30}
DATASETS = ("digits", "breast_cancer", "wine", "diabetes", "friedman1")
VARIANTS = ("stacking", "skmg cv", "skmg auto")


def load(name):
    """``(X_train, X_test, y_train, y_test, classification)`` of a dataset."""
    if name == "friedman1":
        X, y = make_friedman1(2000, noise=1.0, random_state=SEED)
    else:
        loader = {
            "digits": load_digits,
            "breast_cancer": load_breast_cancer,
            "wine": load_wine,
            "diabetes": load_diabetes,
        }[name]
        X, y = loader(return_X_y=True)
    classification = name not in ("diabetes", "friedman1")
    split = train_test_split(
        X,
        y,
        test_size=0.25,
        random_state=SEED,
        stratify=y if classification else None,
    )
    return (*split, classification)


def branches(classification, n_trees):
    """The four branches, each able to estimate itself."""
    if classification:
        forest, extra, ridge, knn = (
            RandomForestClassifier,
            ExtraTreesClassifier,
            RidgeClassifierCV,
            KNeighborsClassifier,
        )
    else:
        forest, extra, ridge, knn = (
            RandomForestRegressor,
            ExtraTreesRegressor,
            RidgeCV,
            KNeighborsRegressor,
        )
    return [
        ("rf", forest(n_estimators=n_trees, random_state=SEED)),
        ("et", extra(n_estimators=n_trees, bootstrap=True, random_state=SEED)),
        ("ridge", make_pipeline(StandardScaler(), ridge(alphas=ALPHAS))),
        ("knn", make_pipeline(StandardScaler(), knn(n_neighbors=10))),
    ]


def make(variant, classification, n_trees):
    """The estimator of one variant."""
    estimators = branches(classification, n_trees)
    if variant == "stacking":
        stacking = StackingClassifier if classification else StackingRegressor
        return stacking(estimators, cv=CV)
    skmg = MultiGranularityClassifier if classification else MultiGranularityRegressor
    method = "auto" if variant == "skmg auto" else "cv"
    return skmg(estimators, cv=CV, oof_method=method)


def run(variant, data, n_trees):
    """One fit: its CPU and wall seconds and the held-out score."""
    X_train, X_test, y_train, y_test, classification = data
    model = make(variant, classification, n_trees)
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(X_train, y_train)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = {"cpu_s": cpu, "wall_s": wall, "score": model.score(X_test, y_test)}
    if variant == "skmg auto":
        result["oof_methods"] = model.oof_methods_
    return result


def markdown(report):
    """The Markdown table of a report."""
    yes = {True: "yes", False: "**no**"}
    rows = []
    for name, entry in report["datasets"].items():
        med = entry["medians"]
        metric = entry["metric"]
        diff = entry["score_auto_minus_stacking"]
        rows.append(
            f"| {name} ({entry['n_train']} rows) | {metric} "
            f"| {med['stacking']['cpu_s']:.2f} | {med['skmg cv']['cpu_s']:.2f} "
            f"| {med['skmg auto']['cpu_s']:.2f} | {entry['cpu_ratio']:.3f} "
            f"| <= {TARGET_RATIO} | {yes[entry['cpu_ratio'] <= TARGET_RATIO]} "
            f"| {med['stacking']['score']:.4f} | {med['skmg cv']['score']:.4f} "
            f"| {med['skmg auto']['score']:.4f} | {diff:+.4f} "
            f"| >= -{TARGET_SCORE[metric]} | {yes[diff >= -TARGET_SCORE[metric]]} |"
        )
    return "\n".join(
        [
            f'`oof_method="auto"` against scikit-learn\'s stacking (cv={CV}) on '
            f"the same four branches ({report['n_trees']} trees per forest); "
            f"process CPU time of `fit` in seconds, medians of "
            f"{report['repeats']} interleaved rounds, one thread; held-out "
            "score on a quarter of the rows.",
            "",
            "| dataset | metric | stacking CPU | skmg cv CPU | skmg auto CPU "
            "| auto / stacking | target | met | stacking score | skmg cv score "
            "| skmg auto score | auto - stacking | target | met |",
            "|---|---|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|:---:|",
            *rows,
            "",
            f"Out-of-fold methods of `skmg auto`: {report['oof_methods']}.",
            "",
            run_note(report),
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run, no files")
    parser.add_argument("--repeats", type=int, default=None, help="rounds")
    add_out_argument(parser, "bench_estimates.json and .md")
    args = parser.parse_args()
    repeats = args.repeats or REPEATS[args.quick]
    n_trees = N_TREES[args.quick]
    start = time.perf_counter()
    data = {name: load(name) for name in DATASETS}
    runs = {name: {v: [] for v in VARIANTS} for name in DATASETS}
    oof_methods = {}
    with threadpool_limits(limits=1):
        for r in range(repeats):
            for name in DATASETS:
                shift = r % len(VARIANTS)
                for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                    result = run(variant, data[name], n_trees)
                    oof_methods.update(result.pop("oof_methods", {}))
                    runs[name][variant].append(result)
                    print(
                        f"round {r + 1}/{repeats} {name:13s} {variant:9s} "
                        f"{result['cpu_s']:6.2f} s CPU, score {result['score']:.4f}",
                        flush=True,
                    )
    datasets = {}
    for name in DATASETS:
        classification = data[name][4]
        medians = {
            v: {
                key: statistics.median(r[key] for r in runs[name][v])
                for key in ("cpu_s", "wall_s", "score")
            }
            for v in VARIANTS
        }
        datasets[name] = {
            "metric": "accuracy" if classification else "R²",
            "n_train": int(len(data[name][2])),
            "medians": medians,
            "cpu_ratio": medians["skmg auto"]["cpu_s"] / medians["stacking"]["cpu_s"],
            "score_auto_minus_stacking": medians["skmg auto"]["score"]
            - medians["stacking"]["score"],
            "runs": runs[name],
        }
    report = {
        "benchmark": "bench_estimates",
        "quick": args.quick,
        "repeats": repeats,
        "n_trees": n_trees,
        "cv": CV,
        "threads": "BLAS and OpenMP limited to 1 thread; n_jobs=None",
        "targets": {
            "cpu_ratio_at_most": TARGET_RATIO,
            "score_below_at_most": TARGET_SCORE,
        },
        "oof_methods": oof_methods,
        "datasets": datasets,
        "versions": package_versions(
            "python", "numpy", "scipy", "scikit-learn", "joblib", "skmg"
        ),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "total_seconds": time.perf_counter() - start,
    }
    return publish(report, markdown(report), "bench_estimates", args)


if __name__ == "__main__":
    sys.exit(main())
