"""Scaling of MultiGranularityClassifier against scikit-learn's StackingClassifier.

One run measures, for skmg (``MultiGranularityClassifier``) and
``StackingClassifier`` side by side (same branches, same final estimator
``LogisticRegression``, ``cv=3``, ``n_jobs=-1``):

1. fit time and peak memory against the number of rows (1e3 to 2e5 rows of
   ``make_classification``: 20 features, 3 classes), four branches; at the
   largest size, each branch is also fitted alone (target: the peak memory of
   skmg at most 1.5 x that of the largest branch alone);
2. fit time with the dask backend (a ``LocalCluster`` of 2 single-threaded
   worker processes on 127.0.0.1) against the local loky backend, on the
   largest task (target: skmg within 1.5 x; StackingClassifier's ratio is
   reported); skmg with the threading backend is given too;
3. fit time and peak memory against the number of branches (1 to 8);
4. the time to predict one row with a fitted 4-branch model against the sum of
   the four branches' own ``predict`` times (target: at most 1.2 x).

The branches are views of the features (``skmg.Pooling`` and
``skmg.IntervalFeatures``, reading the features as a series) followed by a
model:

- ``linear``: ``StandardScaler`` + ``LogisticRegression``;
- ``boosting``: ``HistGradientBoostingClassifier`` (30 iterations);
- ``pooled_trees``: ``Pooling(2)`` + ``ExtraTreesClassifier`` (30 trees,
  ``min_samples_leaf=5``, ``n_jobs=1``: the parallelism is the
  meta-estimator's);
- ``interval_linear``: ``IntervalFeatures(8)`` + ``StandardScaler`` +
  ``LogisticRegression``;

and, for 5 to 8 branches, ``pooled4_boosting``, ``interval4_trees``,
``pooled2_linear`` and ``pooled4_knn`` (the same models at other
granularities; ``KNeighborsClassifier(15)`` for the last).

How it is measured
------------------
Every fit runs in a fresh child process (this script with ``--child``), so
that a peak is that of one fit and nothing else. The child makes the data,
starts the backend (for dask, the ``LocalCluster``), fits a copy of the
estimator on 300 rows (this starts the workers and imports the libraries in
them, which is not counted), then fits on all rows while a thread polls, every
10 ms, the resident set size (RSS, with psutil) of the child and of all its
descendants (loky workers and their resource tracker, dask nannies and
workers), keeping the largest sum: **peak memory is the peak RSS of the whole
process tree**, the interpreters of the workers included. A page that several
processes map (a shared library, a memory-mapped array) counts once per
process, as RSS does. The memory table also gives the RSS of the tree just before
the fit, and the peak summed PSS (proportional set size, sampled every 0.25 s),
which shares each page among the processes that map it: a library or the
memory-mapped X then counts once for the tree. Fit time is the wall-clock time
of ``fit``.

Contenders run interleaved, in a rotating order (A B, B A, ...), and the
tables give medians over the rounds (one round at the two largest sizes).
Before each child starts, the script waits (at most 5 s) for other processes
to leave the CPUs; the share of the CPUs that other processes took during
each fit is given in the tables and in the JSON. On a shared machine, read
the ratios rather than the seconds.

Prediction: one child fits skmg and ``StackingClassifier`` on 20 000 rows,
then calls ``predict`` on one row for skmg, ``StackingClassifier`` and each
refitted branch of skmg, interleaved in a rotating order, 500 rounds, with
BLAS and OpenMP limited to one thread (as when serving one row at a time).
It reports the medians of the wall-clock time and of the CPU time of the
calling thread (which other processes do not inflate).

Usage::

    python benchmarks/bench_scale.py            # full run, writes results/
    python benchmarks/bench_scale.py --quick    # short run, writes nothing
    python benchmarks/bench_scale.py --quick --out some/dir
"""

import argparse
import gc
import json
import statistics
import sys
import time

import joblib
import psutil  # noqa: F401 (required: the load and memory are measured with it)
import sklearn
from _common import (
    RESULTS,
    TreeMemory,
    add_out_argument,
    command_line,
    cpu_busy,
    cpu_shares,
    fmt_num,
    log,
    machine_info,
    memory_gb,
    package_versions,
    print_child_result,
    process_tree,
    run_child_script,
    tree_cpu,
    tree_memory,
    utc_timestamp,
    write_results,
)
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    StackingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skmg import IntervalFeatures, MultiGranularityClassifier, Pooling

CV = 3
N_JOBS = -1
N_FEATURES = 20
PEER = "StackingClassifier"
CONTENDERS = ("skmg", "stacking")
# Runs on other joblib backends than loky, at the largest size: dask for both
# meta-estimators; threading for skmg, to show what a plan without worker
# processes would cost.
OTHER_BACKENDS = [("skmg", "dask"), ("stacking", "dask"), ("skmg", "threading")]
LABELS = {"skmg": "skmg", "stacking": PEER}

# Targets.
MEMORY_TARGET = 1.5  # skmg peak / peak of the largest branch fitted alone
DASK_TARGET = 1.5  # dask fit time / loky fit time
PREDICT_TARGET = 1.2  # skmg 1-row predict / sum of the branches' predicts

FULL = {
    "rows": [1_000, 10_000, 50_000, 200_000],
    "branch_rows": 20_000,
    "n_branches": [1, 2, 4, 8],
    "predict_rows": 20_000,
    "predict_repeats": 500,
    "rounds": {1_000: 3, 10_000: 3, 20_000: 2, 50_000: 1, 200_000: 1},
}
QUICK = {
    "rows": [1_000, 20_000],
    "branch_rows": 5_000,
    "n_branches": [1, 4, 8],
    "predict_rows": 5_000,
    "predict_repeats": 200,
    "rounds": {1_000: 1, 5_000: 1, 20_000: 1},
}
POLL_SECONDS = 0.010  # RSS polling interval
PSS_SECONDS = 0.25  # PSS polling interval (reading it costs ~6 ms per process)
MAX_FOREIGN = 0.10  # share of all CPUs other processes may take before a fit
QUIET_WAIT = 5.0  # longest wait, in seconds, for that
CHILD_TIMEOUT = 900  # seconds; a child that takes longer is killed
RESULT_MARK = "BENCH_SCALE_RESULT "
WARMUP_ROWS = 300


# -- the estimators ----------------------------------------------------------


def _linear():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def _boosting():
    return HistGradientBoostingClassifier(
        max_iter=30, early_stopping=False, random_state=0
    )


def _trees():
    return ExtraTreesClassifier(
        n_estimators=30, min_samples_leaf=5, n_jobs=1, random_state=0
    )


BRANCHES = {
    "linear": _linear,
    "boosting": _boosting,
    "pooled_trees": lambda: make_pipeline(Pooling(2), _trees()),
    "interval_linear": lambda: make_pipeline(
        IntervalFeatures(8), StandardScaler(), LogisticRegression(max_iter=1000)
    ),
    "pooled4_boosting": lambda: make_pipeline(Pooling(4), _boosting()),
    "interval4_trees": lambda: make_pipeline(IntervalFeatures(4), _trees()),
    "pooled2_linear": lambda: make_pipeline(Pooling(2), _linear()),
    "pooled4_knn": lambda: make_pipeline(
        Pooling(4), KNeighborsClassifier(n_neighbors=15)
    ),
}
FOUR = list(BRANCHES)[:4]


def branches(names):
    return [(name, BRANCHES[name]()) for name in names]


def final_estimator():
    return LogisticRegression(max_iter=1000)


def make_estimator(kind, names):
    if kind == "skmg":
        return MultiGranularityClassifier(
            branches(names), final_estimator=final_estimator(), cv=CV, n_jobs=N_JOBS
        )
    if kind == "stacking":
        return StackingClassifier(
            branches(names), final_estimator=final_estimator(), cv=CV, n_jobs=N_JOBS
        )
    if kind == "branch":  # one branch alone, no meta-estimator
        (name,) = names
        return BRANCHES[name]()
    raise ValueError(kind)


def load_data(n_rows):
    return make_classification(
        n_samples=n_rows,
        n_features=N_FEATURES,
        n_informative=10,
        n_redundant=4,
        n_classes=3,
        n_clusters_per_class=2,
        random_state=0,
    )


# -- measuring (in the child) ------------------------------------------------


def _tree_cpu():
    """CPU seconds of this process and its descendants (live and reaped)."""
    return sum(tree_cpu().values())


def _start_backend(backend, stack):
    """Start the workers of ``backend``; return the joblib backend name."""
    if backend == "dask":
        from distributed import Client, LocalCluster

        cluster = stack.enter_context(
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        )
        stack.enter_context(Client(cluster))
    return backend


def child_fit(spec):
    """Fit one estimator; return time, peak memory and CPU shares."""
    from contextlib import ExitStack

    X, y = load_data(spec["rows"])
    estimator = make_estimator(spec["kind"], spec["branches"])
    with ExitStack() as stack:
        backend = _start_backend(spec["backend"], stack)
        with joblib.parallel_config(backend=backend):
            # Warm-up on a few rows: starts the workers and imports the
            # libraries in them, so that neither is counted.
            clone(estimator).fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS])
            gc.collect()
            time.sleep(0.2)
            baseline = tree_memory().rss
            baseline_pss = TreeMemory.pss(process_tree())
            memory = TreeMemory(POLL_SECONDS, pss_seconds=PSS_SECONDS)
            cpu0, busy0 = _tree_cpu(), cpu_busy()
            memory.start()
            start = time.perf_counter()
            estimator.fit(X, y)
            seconds = time.perf_counter() - start
            peak = memory.stop()
            own, busy = _tree_cpu() - cpu0, cpu_busy() - busy0
    own_cpu, foreign_cpu = cpu_shares(seconds, own, busy)
    return {
        "fit_s": seconds,
        "peak_rss_mb": peak / 1e6,
        "peak_parent_rss_mb": memory.peak_parent / 1e6,
        "baseline_rss_mb": baseline / 1e6,
        "peak_pss_mb": None if memory.peak_pss is None else memory.peak_pss / 1e6,
        "baseline_pss_mb": None if baseline_pss is None else baseline_pss / 1e6,
        "memory_samples": memory.samples,
        "own_cpu": own_cpu,
        "foreign_cpu": foreign_cpu,
    }


def _timed(function, X):
    """Wall-clock and CPU seconds (of this thread) of ``function(X)``."""
    cpu, wall = time.thread_time(), time.perf_counter()
    function(X)
    return time.perf_counter() - wall, time.thread_time() - cpu


def child_predict(spec):
    """Time 1-row predictions of skmg, StackingClassifier and the branches.

    One thread for BLAS and OpenMP, as for serving one row at a time (and so
    that the CPU time of this thread is the CPU time of the call).
    """
    X, y = load_data(spec["rows"] + 1)
    X_fit, y_fit, row = X[:-1], y[:-1], X[-1:]
    skmg_model = make_estimator("skmg", spec["branches"]).fit(X_fit, y_fit)
    peer = make_estimator("stacking", spec["branches"]).fit(X_fit, y_fit)
    callers = {"skmg": skmg_model.predict, "stacking": peer.predict}
    for name, fitted in skmg_model.named_estimators_.items():
        callers[f"branch:{name}"] = fitted.predict
    keys = list(callers)
    wall = {key: [] for key in keys}
    cpu = {key: [] for key in keys}
    busy0 = cpu_busy()
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        for _ in range(5):  # warm-up
            for key in keys:
                callers[key](row)
        for i in range(spec["repeats"]):
            order = keys[i % len(keys) :] + keys[: i % len(keys)]
            for key in order:
                seconds, cpu_seconds = _timed(callers[key], row)
                wall[key].append(seconds)
                cpu[key].append(cpu_seconds)
    elapsed = time.perf_counter() - start
    own = sum(sum(v) for v in cpu.values())
    _, foreign = cpu_shares(elapsed, own, cpu_busy() - busy0)
    return {"wall": wall, "cpu": cpu, "foreign_cpu": foreign}


def child_main(spec):
    result = child_predict(spec) if spec["kind"] == "predict" else child_fit(spec)
    print_child_result(result, RESULT_MARK)


# -- orchestrating (in the parent) ---------------------------------------------


def run_child(spec, log):
    """Run ``spec`` in a fresh interpreter; return its result dict or None."""
    return run_child_script(
        __file__,
        spec,
        log,
        result_mark=RESULT_MARK,
        timeout=CHILD_TIMEOUT,
        max_foreign=MAX_FOREIGN,
        quiet_wait=QUIET_WAIT,
    )


class Runs:
    """Fit measurements by configuration, so a configuration measured for one
    table is reused by another."""

    def __init__(self, log):
        self.log = log
        self.results = {}

    @staticmethod
    def key(spec):
        return json.dumps(spec, sort_keys=True)

    def measure(self, specs, rounds):
        """Run ``specs`` interleaved, ``rounds`` times (rotating order)."""
        for r in range(rounds):
            todo = [s for s in specs if len(self.results.get(self.key(s), [])) <= r]
            if not todo:
                continue
            shift = r % len(todo)
            for spec in todo[shift:] + todo[:shift]:
                result = run_child(spec, self.log)
                if result is None:
                    result = {"fit_s": None, "peak_rss_mb": None, "failed": True}
                self.results.setdefault(self.key(spec), []).append(result)
                self.log(f"  {_describe(spec):<48} {_fmt(result)}")

    def median(self, spec, field):
        values = [
            r[field] for r in self.results.get(self.key(spec), []) if r.get(field)
        ]
        return statistics.median(values) if values else None

    def all(self, spec):
        return self.results.get(self.key(spec), [])


def fit_spec(kind, names, rows, backend="loky"):
    return {"kind": kind, "branches": list(names), "rows": rows, "backend": backend}


def _describe(spec):
    if spec["kind"] == "branch":
        what = f"branch {spec['branches'][0]} alone"
    else:
        what = f"{LABELS[spec['kind']]} {len(spec['branches'])} branches"
    return f"{what}, {spec['rows']} rows, {spec['backend']}"


def _fmt(result):
    if result.get("failed"):
        return "FAILED"
    return (
        f"{result['fit_s']:7.2f} s  peak {result['peak_rss_mb']:7.0f} MB "
        f"(before fit {result['baseline_rss_mb']:.0f})  "
        f"other processes {result['foreign_cpu']:.0%} CPU"
    )


def _ratio(a, b):
    return None if a is None or b is None else a / b


def _met(value, target):
    return "n/a" if value is None else ("yes" if value <= target else "no")


# -- the four benchmarks -------------------------------------------------------


def _fit_row(runs, kind, names, rows, backend="loky"):
    spec = fit_spec(kind, names, rows, backend)
    return {
        "fit_s": runs.median(spec, "fit_s"),
        "peak_mb": runs.median(spec, "peak_rss_mb"),
        "before_fit_mb": runs.median(spec, "baseline_rss_mb"),
        "peak_pss_mb": runs.median(spec, "peak_pss_mb"),
        "foreign_cpu": runs.median(spec, "foreign_cpu"),
    }


def _side_by_side(runs, names, n_rows, **extra):
    row = dict(extra)
    for kind in CONTENDERS:
        for field, value in _fit_row(runs, kind, names, n_rows).items():
            row[f"{kind}_{field}"] = value
    row["time_ratio"] = _ratio(row["skmg_fit_s"], row["stacking_fit_s"])
    row["memory_ratio"] = _ratio(row["skmg_peak_mb"], row["stacking_peak_mb"])
    return row


def bench_rows(runs, settings, log):
    """Fit against the number of rows; the largest size on every backend and
    every branch alone."""
    log("\n## fit against the number of rows (4 branches)")
    largest = settings["rows"][-1]
    for n in settings["rows"]:
        specs = [fit_spec(kind, FOUR, n) for kind in CONTENDERS]
        if n == largest:
            specs += [
                fit_spec(kind, FOUR, n, backend) for kind, backend in OTHER_BACKENDS
            ]
            specs += [fit_spec("branch", [name], n) for name in FOUR]
        runs.measure(specs, settings["rounds"].get(n, 1))
    return [_side_by_side(runs, FOUR, n, rows=n) for n in settings["rows"]]


def memory_table(runs, settings):
    """Peak memory at the largest size against the largest branch alone."""
    n = settings["rows"][-1]
    alone = {name: _fit_row(runs, "branch", [name], n) for name in FOUR}
    measured = {k: v for k, v in alone.items() if v["peak_mb"] is not None}
    largest = max(measured, key=lambda k: measured[k]["peak_mb"], default=None)
    reference = measured[largest]["peak_mb"] if largest else None
    reference_pss = measured[largest]["peak_pss_mb"] if largest else None
    fits = []
    for name, row in alone.items():
        label = f"branch `{name}` alone" + (" (largest)" if name == largest else "")
        fits.append({"fit": label, "processes": 1, **row})
    for kind, backend, processes in (
        ("skmg", "loky", 3),
        (
            "stacking",
            "loky",
            3,
        ),
        ("skmg", "threading", 1),
    ):
        label = f"{LABELS[kind]}, 4 branches, {backend}"
        fits.append(
            {
                "fit": label,
                "processes": processes,
                **_fit_row(runs, kind, FOUR, n, backend),
            }
        )
    for row in fits:
        row["ratio"] = _ratio(row["peak_mb"], reference)
        row["pss_ratio"] = _ratio(row["peak_pss_mb"], reference_pss)
    target_row = fits[len(alone)]  # skmg, loky: the default
    target_row["target"] = MEMORY_TARGET
    target_row["met"] = target_row["ratio"] is not None and (
        target_row["ratio"] <= MEMORY_TARGET
    )
    return {
        "rows": n,
        "largest_branch": largest,
        "reference_mb": reference,
        "fits": fits,
    }


def bench_branches(runs, settings, log):
    n = settings["branch_rows"]
    log(f"\n## fit against the number of branches ({n} rows)")
    names = list(BRANCHES)
    for k in settings["n_branches"]:
        specs = [fit_spec(kind, names[:k], n) for kind in CONTENDERS]
        runs.measure(specs, settings["rounds"].get(n, 1))
    return [
        _side_by_side(runs, names[:k], n, n_branches=k, rows=n)
        for k in settings["n_branches"]
    ]


def backend_table(runs, settings):
    """dask (and threading) against loky on the largest task."""
    n = settings["rows"][-1]
    out = []
    for kind, backend in OTHER_BACKENDS:
        loky = _fit_row(runs, kind, FOUR, n, "loky")
        other = _fit_row(runs, kind, FOUR, n, backend)
        row = {
            "estimator": LABELS[kind],
            "backend": backend,
            "rows": n,
            "loky_fit_s": loky["fit_s"],
            "fit_s": other["fit_s"],
            "ratio": _ratio(other["fit_s"], loky["fit_s"]),
            "loky_peak_mb": loky["peak_mb"],
            "peak_mb": other["peak_mb"],
        }
        if (kind, backend) == ("skmg", "dask"):
            row["target"] = DASK_TARGET
            row["met"] = row["ratio"] is not None and row["ratio"] <= DASK_TARGET
        out.append(row)
    return out


def bench_predict(settings, log):
    n = settings["predict_rows"]
    log(f"\n## predicting one row (4 branches fitted on {n} rows)")
    spec = {
        "kind": "predict",
        "branches": FOUR,
        "rows": n,
        "repeats": settings["predict_repeats"],
    }
    result = run_child(spec, log)
    if result is None:
        return None, None
    out = {
        "rows_fitted": n,
        "repeats": settings["predict_repeats"],
        "threads": 1,
        "foreign_cpu": result["foreign_cpu"],
        "target": PREDICT_TARGET,
    }
    for clock in ("wall", "cpu"):
        times = result[clock]
        medians = {key: statistics.median(values) for key, values in times.items()}
        branch_keys = [k for k in times if k.startswith("branch:")]
        branch_sum = sum(medians[k] for k in branch_keys)
        out[clock] = {
            "medians_ms": {k: v * 1e3 for k, v in medians.items()},
            "branch_sum_ms": branch_sum * 1e3,
            "skmg_ratio": medians["skmg"] / branch_sum,
            "stacking_ratio": medians["stacking"] / branch_sum,
        }
        for key in times:
            log(f"  {clock:<4} {key:<28} median {medians[key] * 1e3:8.3f} ms")
    out["met"] = out["wall"]["skmg_ratio"] <= PREDICT_TARGET
    log(f"  other processes {result['foreign_cpu']:.0%} CPU")
    return out, result


# -- reporting -----------------------------------------------------------------


def _load(value):
    return "n/a" if value is None else f"{value:.0%}"


def tables(rows, memory, by_branches, backends, predict):
    out = ["### Fit time and peak memory against the number of rows (4 branches)\n"]
    header = (
        f"| {{first}} | skmg fit s | {PEER} fit s | time ratio | skmg peak MB "
        f"| {PEER} peak MB | memory ratio | other processes' CPU |"
    )
    rule = "|---:|---:|---:|---:|---:|---:|---:|---:|"

    def side_by_side(r, first):
        load = max(
            (v for v in (r["skmg_foreign_cpu"], r["stacking_foreign_cpu"]) if v),
            default=None,
        )
        return (
            f"| {first} | {fmt_num(r['skmg_fit_s'])} | {fmt_num(r['stacking_fit_s'])} "
            f"| {fmt_num(r['time_ratio'])} | {fmt_num(r['skmg_peak_mb'], 0)} "
            f"| {fmt_num(r['stacking_peak_mb'], 0)} | {fmt_num(r['memory_ratio'])} "
            f"| {_load(load)} |"
        )

    out += [header.format(first="rows"), rule]
    out += [side_by_side(r, f"{r['rows']:,}") for r in rows]

    out.append(
        f"\n### Peak memory at {memory['rows']:,} rows against the largest "
        "branch fitted alone\n"
    )
    out.append(
        "| fit | processes | fit s | before fit MB | peak MB "
        "| peak / largest branch alone | target | met | peak PSS MB "
        "| PSS / largest branch alone |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for f in memory["fits"]:
        target = f"<= {f['target']}" if "target" in f else ""
        met = ("yes" if f["met"] else "no") if "target" in f else ""
        out.append(
            f"| {f['fit']} | {f['processes']} | {fmt_num(f['fit_s'])} "
            f"| {fmt_num(f['before_fit_mb'], 0)} | {fmt_num(f['peak_mb'], 0)} "
            f"| {fmt_num(f['ratio'])} | {target} | {met} "
            f"| {fmt_num(f['peak_pss_mb'], 0)} | {fmt_num(f['pss_ratio'])} |"
        )

    n = by_branches[0]["rows"]
    out.append(
        f"\n### Fit time and peak memory against the number of branches ({n:,} rows)\n"
    )
    out += [header.format(first="branches"), rule]
    out += [side_by_side(r, str(r["n_branches"])) for r in by_branches]

    out.append(
        f"\n### Other joblib backends against loky ({backends[0]['rows']:,} rows, "
        "4 branches; dask: LocalCluster of 2 workers x 1 thread on 127.0.0.1)\n"
    )
    out.append(
        "| estimator | backend | loky fit s | fit s | / loky | target | met "
        "| loky peak MB | peak MB |"
    )
    out.append("|---|---|---:|---:|---:|---:|---|---:|---:|")
    for b in backends:
        target = f"<= {b['target']}" if "target" in b else ""
        met = ("yes" if b["met"] else "no") if "target" in b else ""
        out.append(
            f"| {b['estimator']} | {b['backend']} | {fmt_num(b['loky_fit_s'])} "
            f"| {fmt_num(b['fit_s'])} | {fmt_num(b['ratio'])} | {target} | {met} "
            f"| {fmt_num(b['loky_peak_mb'], 0)} | {fmt_num(b['peak_mb'], 0)} |"
        )

    if predict is not None:
        out.append(
            f"\n### Predicting one row (4 branches fitted on "
            f"{predict['rows_fitted']:,} rows; 1 thread; medians of "
            f"{predict['repeats']} interleaved rounds; other processes took "
            f"{predict['foreign_cpu']:.0%} of the CPUs)\n"
        )
        out.append(
            "| predict of | wall ms | / sum of branches | target | met "
            "| CPU ms | / sum of branches (CPU) |"
        )
        out.append("|---|---:|---:|---:|---|---:|---:|")
        wall, cpu = predict["wall"], predict["cpu"]
        for key, ms in wall["medians_ms"].items():
            if key.startswith("branch:"):
                out.append(
                    f"| branch `{key[7:]}` | {ms:.3f} | | | "
                    f"| {cpu['medians_ms'][key]:.3f} | |"
                )
        out.append(
            f"| sum of the 4 branches | {wall['branch_sum_ms']:.3f} | 1.00 | | "
            f"| {cpu['branch_sum_ms']:.3f} | 1.00 |"
        )
        out.append(
            f"| skmg | {wall['medians_ms']['skmg']:.3f} "
            f"| {wall['skmg_ratio']:.2f} | <= {PREDICT_TARGET} "
            f"| {_met(wall['skmg_ratio'], PREDICT_TARGET)} "
            f"| {cpu['medians_ms']['skmg']:.3f} | {cpu['skmg_ratio']:.2f} |"
        )
        out.append(
            f"| {PEER} | {wall['medians_ms']['stacking']:.3f} "
            f"| {wall['stacking_ratio']:.2f} | | "
            f"| {cpu['medians_ms']['stacking']:.3f} | {cpu['stacking_ratio']:.2f} |"
        )
    return "\n".join(out)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Fit time, peak memory and 1-row predict time of skmg "
        "against StackingClassifier."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes and one round; writes no results unless --out",
    )
    add_out_argument(parser, "bench_scale.json and bench_scale.md")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.out is None and not args.quick:
        args.out = RESULTS
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child is not None:
        child_main(json.loads(args.child))
        return
    settings = QUICK if args.quick else FULL

    try:
        import distributed  # noqa: F401
    except ImportError:
        sys.exit("bench_scale.py needs distributed (pip install distributed)")

    info = machine_info(
        package_versions(
            "skmg", "scikit-learn", "joblib", "numpy", "psutil", "distributed"
        ),
        memory_gb=memory_gb(),
    )
    log(
        f"{info['usable_cpus']} usable CPUs, {info['memory_gb']} GB; cv={CV}, "
        f"n_jobs={N_JOBS}; scikit-learn {sklearn.__version__}, joblib "
        f"{joblib.__version__}, distributed {info['versions']['distributed']}"
    )
    start = time.perf_counter()
    runs = Runs(log)
    rows = bench_rows(runs, settings, log)
    memory = memory_table(runs, settings)
    backends = backend_table(runs, settings)
    by_branches = bench_branches(runs, settings, log)
    predict, predict_raw = bench_predict(settings, log)
    total = time.perf_counter() - start

    table = tables(rows, memory, by_branches, backends, predict)
    log("\n" + table)
    log(f"\ntotal {total:.0f} s")
    if args.out is None:
        return
    record = {
        "benchmark": "scaling: fit time and peak memory against rows, branches "
        "and backend; 1-row predict time",
        "date": utc_timestamp(),
        "command": command_line(),
        "machine": info,
        "settings": {
            "quick": args.quick,
            "cv": CV,
            "n_jobs": N_JOBS,
            "n_features": N_FEATURES,
            "sizes": settings,
            "branches": {name: repr(factory()) for name, factory in BRANCHES.items()},
            "final_estimator": repr(final_estimator()),
            "memory": "peak of the summed RSS of the child process and all its "
            f"descendants, polled every {POLL_SECONDS * 1e3:.0f} ms with psutil",
            "order": "interleaved, rotating order per round; medians",
            "targets": {
                "memory_vs_largest_branch_alone": MEMORY_TARGET,
                "dask_vs_loky": DASK_TARGET,
                "predict_1_row_vs_sum_of_branches": PREDICT_TARGET,
            },
        },
        "rows": rows,
        "memory": memory,
        "n_branches": by_branches,
        "backends": backends,
        "predict": predict,
        "predict_times_s": predict_raw,
        "runs": [
            {"spec": json.loads(key), "results": value}
            for key, value in runs.results.items()
        ],
        "total_seconds": total,
    }
    caption = (
        f"\nMedians over interleaved rounds in fresh processes; cv={CV}, "
        f"n_jobs={N_JOBS} on {info['usable_cpus']} CPUs; peak memory is the "
        "peak summed RSS of the process tree (workers included). "
        f"scikit-learn {sklearn.__version__}, joblib {joblib.__version__}, "
        f"distributed {info['versions']['distributed']}. Command: "
        f"`{record['command']}`.\n"
    )
    json_path, md_path = write_results(
        args.out, "bench_scale", record, table + "\n" + caption
    )
    log(f"wrote {json_path} and {md_path}")


if __name__ == "__main__":
    main()
