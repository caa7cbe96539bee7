"""Fit time of MultiGranularityClassifier against scikit-learn's StackingClassifier.

Both meta-estimators get the same three branches, the same final estimator
(``LogisticRegression``), ``cv=5`` and ``n_jobs=-1``:

- ``linear``: ``StandardScaler`` + ``LogisticRegression``;
- ``trees``: ``ExtraTreesClassifier`` (``n_jobs=1``: the parallelism is the
  meta-estimator's);
- ``boosting``: ``HistGradientBoostingClassifier``.

The sizes of the two ensembles are set per dataset so that neither dominates
the fit (see ``DATASETS``).

skmg runs every (branch, fold) fit and every refit in one flat ``Parallel``
call; ``StackingClassifier`` runs a ``Parallel`` of the refits, then a
``Parallel`` of one ``cross_val_predict`` per branch, each a nested
``Parallel`` over the folds. skmg is measured with ``refit=True`` (the same
models as ``StackingClassifier``) and with ``refit=False`` (no refit: each
branch predicts with the mean of its fold models).

Protocol: one warm-up round (it starts the worker processes), then rounds of
the three fits (skmg ``refit=True``, skmg ``refit=False``, StackingClassifier)
interleaved in a rotating order; the table gives the medians and the ratio
skmg / StackingClassifier against the targets. On digits, the predictions of
skmg ``refit=True`` must equal those of StackingClassifier.

On a machine shared with other work, the CPU time that other processes take
during each fit is measured (all CPU busy time minus that of this process and
its workers). Before each fit the script waits (a bounded time) for the other
load to drop; a round in which another process took more than
``--max-foreign`` of the CPUs is recorded but not counted, and another round
is run, within a time budget per dataset. If too few clean rounds were
obtained, the medians are over all rounds and the output says so (on a busy
machine, the budget may also cut the number of rounds). A full run takes about
five minutes on an idle 2-core machine.

Usage::

    python benchmarks/bench_fit.py               # full run, writes results/
    python benchmarks/bench_fit.py --quick       # short run, writes nothing
    python benchmarks/bench_fit.py --repeats 9 --out some/dir
"""

import argparse
import gc
import statistics
import time

import joblib
import numpy as np
import sklearn
from _common import (
    RESULTS,
    add_out_argument,
    command_line,
    cpu_busy,
    cpu_model,
    cpu_shares,
    log,
    machine_info,
    package_versions,
    tree_cpu,
    utc_timestamp,
    wait_for_quiet,
    write_results,
)
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    StackingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmg import MultiGranularityClassifier

try:
    import psutil
except ImportError:  # no load measurement: every round counts
    psutil = None

CV = 5
N_JOBS = -1
PEER = "StackingClassifier"
# Targets on the ratio of median fit times skmg / StackingClassifier, by refit.
TARGETS = {True: 0.85, False: 0.70}
REPEATS, REPEATS_QUICK = 5, 2
SYNTHETIC_ROWS, SYNTHETIC_ROWS_QUICK = 20_000, 5_000
# Per dataset: ensemble sizes (so that neither branch dominates the fit) and
# the time budget of its rounds in seconds (full run, quick run). After the
# budget no extra round is started to replace disturbed rounds; after twice
# the budget no round at all (on a busy machine: fewer rounds, flagged).
DATASETS = {
    "digits": {"n_trees": 300, "boosting_iter": 30, "budget": (100, 30)},
    "make_classification": {
        "n_trees": 100,
        "boosting_iter": 100,
        "budget": (200, 45),
    },
}
MAX_FOREIGN = 0.10  # share of all CPUs other processes may take in a clean run
QUIET_WAIT = 5.0  # longest wait, in seconds, before a fit for the others to stop


# -- the estimators ----------------------------------------------------------


def branches(n_trees, boosting_iter):
    """The three branches, unfitted; the same for both meta-estimators."""
    return [
        (
            "linear",
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        ),
        (
            "trees",
            ExtraTreesClassifier(n_estimators=n_trees, n_jobs=1, random_state=0),
        ),
        (
            "boosting",
            HistGradientBoostingClassifier(max_iter=boosting_iter, random_state=0),
        ),
    ]


def final_estimator():
    return LogisticRegression(max_iter=1000)


def contenders(n_trees, boosting_iter):
    """Key -> (label, factory of a fresh unfitted estimator)."""

    def make_skmg(refit):
        return lambda: MultiGranularityClassifier(
            branches(n_trees, boosting_iter),
            final_estimator=final_estimator(),
            cv=CV,
            refit=refit,
            n_jobs=N_JOBS,
        )

    def make_peer():
        return StackingClassifier(
            branches(n_trees, boosting_iter),
            final_estimator=final_estimator(),
            cv=CV,
            n_jobs=N_JOBS,
        )

    return {
        "skmg_refit": ("skmg refit=True", make_skmg(True)),
        "skmg_norefit": ("skmg refit=False", make_skmg(False)),
        "peer": (PEER, make_peer),
    }


def load_dataset(name, n_synthetic):
    if name == "digits":
        return load_digits(return_X_y=True)
    return make_classification(
        n_samples=n_synthetic,
        n_features=20,
        n_informative=10,
        n_redundant=4,
        n_classes=3,
        n_clusters_per_class=2,
        random_state=0,
    )


# -- measuring ---------------------------------------------------------------


def timed_fit(factory, X, y):
    """Fit a fresh estimator.

    Returns the fitted estimator and a dict: ``seconds`` (wall clock of
    ``fit``), ``own_cpu`` (share of all CPUs used by this process and its
    workers during the fit) and ``foreign_cpu`` (share taken by other
    processes), the last two None without psutil.
    """
    estimator = factory()
    gc.collect()
    if psutil is not None:
        own0, busy0 = tree_cpu(), cpu_busy()
    start = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - start
    run = {"seconds": seconds, "own_cpu": None, "foreign_cpu": None}
    if psutil is not None:
        busy = cpu_busy() - busy0
        own1 = tree_cpu()
        own = sum(v - own0.get(k, 0.0) for k, v in own1.items())
        # A worker that ended meanwhile is now in "reaped" with its whole
        # lifetime: take off what it had used before the fit.
        own -= sum(v for k, v in own0.items() if k not in own1)
        run["own_cpu"], run["foreign_cpu"] = cpu_shares(seconds, own, busy)
    return estimator, run


def check_identical(skmg_model, peer_model, X):
    """skmg refit=True must predict exactly as StackingClassifier."""
    ours, theirs = skmg_model.predict(X), peer_model.predict(X)
    assert np.array_equal(ours, theirs), (
        f"{int((ours != theirs).sum())} of {len(X)} predictions differ"
    )
    return float(
        np.abs(skmg_model.predict_proba(X) - peer_model.predict_proba(X)).max()
    )


def _fmt_run(label, run):
    line = f"{label:<18} {run['seconds']:7.2f} s"
    if run["foreign_cpu"] is not None:
        line += (
            f"   own CPU {run['own_cpu']:4.0%}  other processes "
            f"{run['foreign_cpu']:4.0%}"
        )
    return line


def bench_dataset(name, X, y, spec, args, log):
    """The warm-up round, then interleaved rounds until enough clean ones."""
    entrants = contenders(spec["n_trees"], spec["boosting_iter"])
    keys = list(entrants)
    budget = spec["budget"][1 if args.quick else 0]
    max_rounds = 3 * args.repeats
    log(
        f"\n{name}: {X.shape[0]} rows x {X.shape[1]} features, "
        f"{len(np.unique(y))} classes; ExtraTrees n_estimators={spec['n_trees']}, "
        f"HistGradientBoosting max_iter={spec['boosting_iter']}"
    )

    warm = {}
    for key in keys:
        wait_for_quiet(args.max_foreign, QUIET_WAIT)
        warm[key], run = timed_fit(entrants[key][1], X, y)
        log(f"  warm-up     {_fmt_run(entrants[key][0], run)}")

    proba_gap = None
    if name == "digits":
        proba_gap = check_identical(warm["skmg_refit"], warm["peer"], X)
        log(
            "  identical predictions: yes "
            f"(max |predict_proba difference| = {proba_gap:.1e})"
        )
    del warm

    rounds = []
    start = time.perf_counter()
    while len(rounds) < max_rounds:
        n_clean = sum(r["clean"] for r in rounds)
        elapsed = time.perf_counter() - start
        if n_clean >= args.repeats:
            break
        if len(rounds) >= args.repeats and elapsed > budget:
            break
        if rounds and elapsed > 2 * budget:
            break
        i = len(rounds)
        order = keys[i % len(keys) :] + keys[: i % len(keys)]
        runs = {}
        for key in order:
            waited = wait_for_quiet(args.max_foreign, QUIET_WAIT)
            model, run = timed_fit(entrants[key][1], X, y)
            run["waited_s"] = waited
            if key != "peer":
                # Seconds inside the branch fits, summed over the tasks.
                run["task_fit_s"] = sum(model.fit_times_.values())
            runs[key] = run
            log(f"  round {i + 1:<2}    {_fmt_run(entrants[key][0], run)}")
        del model
        clean = all(
            r["foreign_cpu"] is None or r["foreign_cpu"] <= args.max_foreign
            for r in runs.values()
        )
        if not clean:
            log("              (not counted: other processes were busy)")
        rounds.append({"order": order, "clean": clean, "runs": runs})

    counted = [r for r in rounds if r["clean"]]
    all_clean = len(counted) >= args.repeats
    if not all_clean:
        log(
            f"  only {len(counted)} clean round(s) of {args.repeats} within the "
            f"time budget: the medians are over all {len(rounds)} rounds"
        )
        counted = rounds
    medians = {
        key: statistics.median(r["runs"][key]["seconds"] for r in counted)
        for key in keys
    }

    rows = []
    for key, refit in (("skmg_refit", True), ("skmg_norefit", False)):
        ratio = medians[key] / medians["peer"]
        rows.append(
            {
                "dataset": name,
                "n_samples": int(X.shape[0]),
                "n_features": int(X.shape[1]),
                "skmg_setting": f"refit={refit}",
                "skmg_median_s": medians[key],
                "peer_median_s": medians["peer"],
                "ratio": ratio,
                "target": TARGETS[refit],
                "met": ratio <= TARGETS[refit],
                "n_rounds_counted": len(counted),
                "clean": all_clean,
            }
        )
    detail = {
        "dataset": name,
        "n_trees": spec["n_trees"],
        "boosting_iter": spec["boosting_iter"],
        "rounds": rounds,
        "clean_rounds": sum(r["clean"] for r in rounds),
        "medians_over": (
            f"{len(counted)} clean rounds"
            if all_clean
            else f"all {len(counted)} rounds, other processes busy"
        ),
    }
    return rows, detail, proba_gap


# -- reporting ---------------------------------------------------------------


def markdown_table(rows):
    lines = [
        f"| dataset | skmg setting | skmg median s | {PEER} median s | ratio "
        "| target | met |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['dataset']} ({row['n_samples']} x {row['n_features']}) "
            f"| {row['skmg_setting']} | {row['skmg_median_s']:.2f} "
            f"| {row['peer_median_s']:.2f} | {row['ratio']:.2f} "
            f"| <= {row['target']:.2f} | {'yes' if row['met'] else 'no'} |"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Fit time of skmg against StackingClassifier."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{REPEATS_QUICK} rounds and {SYNTHETIC_ROWS_QUICK} synthetic rows; "
        "writes no results unless --out is given",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help=f"clean interleaved rounds after the warm-up (default {REPEATS}, "
        f"{REPEATS_QUICK} with --quick)",
    )
    parser.add_argument(
        "--max-foreign",
        type=float,
        default=MAX_FOREIGN,
        help="share of all CPUs other processes may take during a counted "
        f"round (default {MAX_FOREIGN}); 1 counts every round",
    )
    add_out_argument(parser, "bench_fit.json and bench_fit.md")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = REPEATS_QUICK if args.quick else REPEATS
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.out is None and not args.quick:
        args.out = RESULTS
    return args


def main(argv=None):
    args = parse_args(argv)
    n_synthetic = SYNTHETIC_ROWS_QUICK if args.quick else SYNTHETIC_ROWS

    info = machine_info(
        package_versions("skmg", "scikit-learn", "joblib", "numpy", "scipy", "psutil"),
        joblib_cpu_count=joblib.cpu_count(),
        cpu_model=cpu_model(),
    )
    log(
        f"{info['usable_cpus']} usable CPUs, n_jobs={N_JOBS}, cv={CV}, "
        f"{args.repeats} rounds after one warm-up; scikit-learn "
        f"{sklearn.__version__}, joblib {joblib.__version__}"
    )
    if psutil is None:
        log("psutil is not installed: the load of other processes is not measured")

    start = time.perf_counter()
    rows, details = [], []
    proba_gap = None
    for name, spec in DATASETS.items():
        X, y = load_dataset(name, n_synthetic)
        dataset_rows, detail, gap = bench_dataset(name, X, y, spec, args, log)
        rows.extend(dataset_rows)
        details.append(detail)
        if gap is not None:
            proba_gap = gap
    total = time.perf_counter() - start

    table = markdown_table(rows)
    log("\nidentical predictions: yes\n")
    log(table)
    log(f"\ntotal {total:.0f} s")

    if args.out is None:
        return
    counted = "; ".join(f"{d['dataset']}: {d['medians_over']}" for d in details)
    record = {
        "benchmark": "fit time, skmg vs StackingClassifier",
        "date": utc_timestamp(),
        "command": command_line(),
        "machine": info,
        "settings": {
            "quick": args.quick,
            "repeats": args.repeats,
            "warmup_rounds": 1,
            "order": "interleaved, rotating order per round",
            "cv": CV,
            "n_jobs": N_JOBS,
            "synthetic_rows": n_synthetic,
            "max_foreign_cpu": args.max_foreign,
            "branches": {
                name: [
                    repr(est) for _, est in branches(s["n_trees"], s["boosting_iter"])
                ]
                for name, s in DATASETS.items()
            },
            "final_estimator": repr(final_estimator()),
            "targets": {f"refit={k}": v for k, v in TARGETS.items()},
        },
        "identical_predictions_digits": True,
        "max_predict_proba_difference_digits": proba_gap,
        "results": rows,
        "rounds": details,
        "total_seconds": total,
    }
    caption = (
        "\nMedian fit time of interleaved rounds after one warm-up "
        f"({counted}); cv={CV}, n_jobs={N_JOBS} on "
        f"{info['usable_cpus']} CPUs; scikit-learn {sklearn.__version__}, "
        f"joblib {joblib.__version__}. Ratio = skmg / StackingClassifier.\n"
    )
    json_path, md_path = write_results(
        args.out, "bench_fit", record, table + "\n" + caption
    )
    log(f"wrote {json_path} and {md_path}")


if __name__ == "__main__":
    main()
