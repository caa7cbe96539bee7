"""Peak memory of learning from disk with ``partial_fit`` against ``fit``.

A synthetic binary classification data set (noisy, randomly shifted copies of
two smooth curves of 256 steps, float64) is written to disk as ``.npy`` files:
the training rows (about 1.1 GB at full size) and held-out rows. One
``MultiGranularityClassifier`` with two SGD branches at two granularities,

- ``raw``: ``StandardScaler`` + ``SGDClassifier``, on the 256 raw values;
- ``pooled``: ``Pooling(8)`` + ``StandardScaler`` + ``SGDClassifier``, on the
  means of windows of 8 steps (32 values);

(``SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=5, tol=None)``, and
``fusion="weighted"``) is trained in three ways:

- ``fit``: the training array is loaded in memory (``np.load``) and given to
  ``fit`` (``cv=3``: 3 folds and a refit per branch, 5 SGD epochs each);
- ``partial_fit``: 20 chunks, one ``partial_fit`` call each (one pass, one
  SGD epoch per chunk). Each chunk is read through a fresh memory map
  (``np.load(..., mmap_mode="r")``), copied to memory, and the map is closed
  before the chunk is learned, as a chunked reader does;
- ``partial_fit, one map``: the same 20 calls, but the file is mapped once and
  the slices of the map are passed straight to ``partial_fit``.

How it is measured
------------------
Every training runs in a fresh child process (this script with ``--child``),
so that each peak is that of one training. The child imports everything and
builds the estimator, then records its **baseline**: the resident set size
(RSS) of its process tree. A thread then polls, every 5 ms, the RSS of the
child and all its descendants (psutil) while the data are read and the model
trained, and keeps the largest sum; the child's own high-water mark
(``VmHWM`` of ``/proc/self/status`` on Linux, which no poll can miss) is
taken when larger (``ru_maxrss`` is not used: on Linux it keeps the peak of
the process image before ``exec``, here that of the parent). **Peak memory =
that peak minus the baseline.** RSS includes the file pages a process has
mapped and read: with one map kept open, every page of the file read so far
stays in its RSS (page cache the kernel can reclaim, but counted), which is
why the chunked reader closes its map. The peak of anonymous memory alone
(RSS minus file-backed and shared pages, polled) is reported too.

The held-out accuracy is measured after the peak, chunk by chunk, the same
way for all three. The three trainings run interleaved, in a rotating order
(A B C, B C A, ...), for several rounds; the table gives medians. Before
each child starts, the script waits (a bounded time) for other processes to
leave the CPUs.

Targets: peak of ``partial_fit`` (chunked reader) at most 0.3 x the peak of
``fit``; held-out accuracies within 0.02 of each other.

Usage::

    python benchmarks/bench_incremental.py            # full run, writes results/
    python benchmarks/bench_incremental.py --quick    # short run, writes nothing
    python benchmarks/bench_incremental.py --quick --out some/dir
"""

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil  # noqa: F401 (required: the memory is measured with it)
import sklearn
from _common import (
    RESULTS,
    TreeMemory,
    add_out_argument,
    command_line,
    fmt_num,
    log,
    machine_info,
    memory_gb,
    package_versions,
    print_child_result,
    run_child_script,
    tree_memory,
    utc_timestamp,
    write_results,
)
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmg import MultiGranularityClassifier
from skmg.granularity import Pooling

N_FEATURES = 256
N_CLASSES = 2
NOISE = 6.0  # standard deviation of the white noise (the curves have about 1)
MAX_SHIFT = 8  # each row is its class curve shifted by up to this many steps
N_CHUNKS = 20
CV = 3
FUSION = "weighted"
DTYPE = np.float64

# Targets.
MEMORY_TARGET = 0.3  # peak of partial_fit (chunked reader) / peak of fit
ACCURACY_GAP = 0.02  # |held-out accuracy of partial_fit - that of fit|

FULL = {"train_rows": 540_000, "test_rows": 60_000, "rounds": 3}
QUICK = {"train_rows": 60_000, "test_rows": 10_000, "rounds": 1}
WRITE_ROWS = 50_000  # rows generated and written at a time
POLL_SECONDS = 0.005
MAX_FOREIGN = 0.10  # share of all CPUs other processes may take before a run
QUIET_WAIT = 10.0  # longest wait, in seconds, for that
CHILD_TIMEOUT = 1800
RESULT_MARK = "BENCH_INCREMENTAL_RESULT "

CONTENDERS = ("fit", "partial_fit", "partial_fit_one_map")
LABELS = {
    "fit": "`fit` (array in memory)",
    "partial_fit": "`partial_fit`, 20 chunks (a map per chunk)",
    "partial_fit_one_map": "`partial_fit`, 20 chunks (one map kept open)",
}


# -- the estimator and the data ------------------------------------------------


def _sgd():
    return SGDClassifier(
        loss="log_loss", alpha=1e-4, max_iter=5, tol=None, random_state=0
    )


def make_estimator():
    return MultiGranularityClassifier(
        [
            ("raw", make_pipeline(StandardScaler(), _sgd())),
            ("pooled", make_pipeline(Pooling(8), StandardScaler(), _sgd())),
        ],
        fusion=FUSION,
        cv=CV,
    )


def _curves():
    """One smooth curve per class: a sum of three random sine waves."""
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, N_FEATURES)
    curves = np.zeros((N_CLASSES, N_FEATURES))
    for c in range(N_CLASSES):
        for k in range(1, 4):
            curves[c] += rng.normal() * np.sin(2 * np.pi * (k * t + rng.random()))
    return curves


def _rows(n, seed, curves):
    """``n`` rows: the class curve, shifted, scaled, plus white noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(N_CLASSES, size=n)
    shift = rng.integers(-MAX_SHIFT, MAX_SHIFT + 1, size=n)
    steps = (np.arange(N_FEATURES)[None, :] + shift[:, None]) % N_FEATURES
    X = curves[y[:, None], steps] * rng.uniform(0.5, 1.5, size=(n, 1))
    X += rng.normal(scale=NOISE, size=(n, N_FEATURES))
    return X.astype(DTYPE, copy=False), y


def write_data(directory, settings):
    """Write the training and held-out rows as .npy files; return the paths."""
    curves = _curves()
    paths = {}
    seed = 1
    for part in ("train", "test"):
        n = settings[f"{part}_rows"]
        x_path = Path(directory) / f"X_{part}.npy"
        y_path = Path(directory) / f"y_{part}.npy"
        X = np.lib.format.open_memmap(
            x_path, mode="w+", dtype=DTYPE, shape=(n, N_FEATURES)
        )
        y = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.int64, shape=(n,))
        for start in range(0, n, WRITE_ROWS):
            stop = min(start + WRITE_ROWS, n)
            X[start:stop], y[start:stop] = _rows(stop - start, seed, curves)
            seed += 1
        X.flush()
        y.flush()
        del X, y
        paths[f"X_{part}"], paths[f"y_{part}"] = str(x_path), str(y_path)
    return paths


def _bounds(n, n_chunks):
    edges = np.linspace(0, n, n_chunks + 1).astype(int)
    return list(zip(edges[:-1], edges[1:]))


def _read_chunk(path, start, stop):
    """Rows ``start:stop`` of a .npy file, through a map closed afterwards."""
    mapped = np.load(path, mmap_mode="r")
    chunk = np.array(mapped[start:stop])
    del mapped  # unmaps the file: its pages leave this process's RSS
    return chunk


# -- measuring (in the child) ----------------------------------------------------


def _high_water_mark():
    """Peak RSS of this process in bytes (``VmHWM``; Linux), or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return None


def _train(kind, paths, classes):
    """Read the training rows and train; return the fitted model."""
    model = make_estimator()
    if kind == "fit":
        X = np.load(paths["X_train"])
        y = np.load(paths["y_train"])
        return model.fit(X, y)
    y_all = np.load(paths["y_train"], mmap_mode="r")
    bounds = _bounds(len(y_all), N_CHUNKS)
    if kind == "partial_fit":
        for start, stop in bounds:
            X = _read_chunk(paths["X_train"], start, stop)
            y = np.array(y_all[start:stop])
            model.partial_fit(X, y, classes=classes)
            del X, y
        return model
    if kind == "partial_fit_one_map":
        X_all = np.load(paths["X_train"], mmap_mode="r")
        for start, stop in bounds:
            model.partial_fit(X_all[start:stop], y_all[start:stop], classes=classes)
        return model
    raise ValueError(kind)


def _held_out_accuracy(model, paths):
    """Accuracy on the held-out rows, read and predicted chunk by chunk."""
    y_test = np.load(paths["y_test"])
    correct = 0
    for start, stop in _bounds(len(y_test), N_CHUNKS):
        X = _read_chunk(paths["X_test"], start, stop)
        correct += int((model.predict(X) == y_test[start:stop]).sum())
    return correct / len(y_test)


def child_main(spec):
    paths = spec["paths"]
    classes = np.arange(N_CLASSES)
    make_estimator()  # every import and class is loaded before the baseline
    gc.collect()
    time.sleep(0.2)
    before = tree_memory()
    baseline, baseline_anon = before.rss, before.anon
    memory = TreeMemory(POLL_SECONDS)
    memory.start()
    start = time.perf_counter()
    model = _train(spec["kind"], paths, classes)
    seconds = time.perf_counter() - start
    memory.stop()
    hwm = _high_water_mark()  # exact for this process; a poll can miss a peak
    peak = max(memory.peak, hwm or 0)
    accuracy = _held_out_accuracy(model, paths)
    result = {
        "train_s": seconds,
        "peak_mb": (peak - baseline) / 1e6,
        "peak_anon_mb": (memory.peak_anon - baseline_anon) / 1e6,
        "baseline_mb": baseline / 1e6,
        "polled_peak_mb": memory.peak / 1e6,
        "high_water_mark_mb": None if hwm is None else hwm / 1e6,
        "memory_samples": memory.samples,
        "accuracy": accuracy,
        "load_average_1min": os.getloadavg()[0],
        "granularity_scores": {
            k: float(v) for k, v in model.granularity_scores_.items()
        },
        "weights": [float(w) for w in model.fusion_.weights_],
    }
    print_child_result(result, RESULT_MARK)


# -- orchestrating (in the parent) -------------------------------------------------


def _median(runs, field):
    values = [r[field] for r in runs if r is not None]
    return statistics.median(values) if values else None


def _yes(condition):
    return "n/a" if condition is None else ("yes" if condition else "no")


def summarise(runs):
    """Medians per contender, ratios to fit and the targets."""
    rows = {}
    for kind in CONTENDERS:
        done = [r for r in runs[kind] if r is not None]
        rows[kind] = {
            "label": LABELS[kind],
            "runs": len(done),
            "peak_mb": _median(done, "peak_mb"),
            "peak_anon_mb": _median(done, "peak_anon_mb"),
            "baseline_mb": _median(done, "baseline_mb"),
            "train_s": _median(done, "train_s"),
            "accuracy": _median(done, "accuracy"),
            "weights": done[-1]["weights"] if done else None,
            "granularity_scores": done[-1]["granularity_scores"] if done else None,
        }
    fit = rows["fit"]
    for row in rows.values():
        for field in ("peak_mb", "peak_anon_mb", "train_s"):
            a, b = row[field], fit[field]
            row[f"{field}_ratio"] = None if a is None or not b else a / b
        a, b = row["accuracy"], fit["accuracy"]
        row["accuracy_gap"] = None if a is None or b is None else a - b
    main = rows["partial_fit"]
    targets = {
        "memory_ratio": MEMORY_TARGET,
        "memory_met": None
        if main["peak_mb_ratio"] is None
        else main["peak_mb_ratio"] <= MEMORY_TARGET,
        "accuracy_gap": ACCURACY_GAP,
        "accuracy_met": None
        if main["accuracy_gap"] is None
        else abs(main["accuracy_gap"]) <= ACCURACY_GAP,
    }
    return rows, targets


def table(rows, targets, data_mb):
    out = [
        f"Training data {data_mb:,.0f} MB on disk; held-out accuracy on separate "
        "rows.\n",
        "| training | peak MB | / fit | target | met | peak anonymous MB "
        "| / fit | train s | held-out accuracy | - fit | target | met |",
        "|---|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for kind, row in rows.items():
        main = kind == "partial_fit"
        out.append(
            f"| {row['label']} | {fmt_num(row['peak_mb'], 0)} "
            f"| {fmt_num(row['peak_mb_ratio'])} "
            f"| {f'<= {MEMORY_TARGET}' if main else ''} "
            f"| {_yes(targets['memory_met']) if main else ''} "
            f"| {fmt_num(row['peak_anon_mb'], 0)} "
            f"| {fmt_num(row['peak_anon_mb_ratio'])} "
            f"| {fmt_num(row['train_s'], 1)} | {fmt_num(row['accuracy'], 4)} "
            f"| {'' if kind == 'fit' else fmt_num(row['accuracy_gap'], 4)} "
            f"| {f'within {ACCURACY_GAP}' if main else ''} "
            f"| {_yes(targets['accuracy_met']) if main else ''} |"
        )
    return "\n".join(out)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Peak memory of partial_fit on chunks of a memory-mapped "
        "array against fit on the array in memory."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small data set and one round; writes no results unless --out",
    )
    add_out_argument(parser, "bench_incremental.json and bench_incremental.md")
    parser.add_argument(
        "--tmpdir",
        type=Path,
        default=None,
        help="where the temporary data files go (default: the system's)",
    )
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

    info = machine_info(
        package_versions("skmg", "scikit-learn", "numpy", "psutil"),
        memory_gb=memory_gb(),
    )
    log(
        f"{info['usable_cpus']} usable CPUs, {info['memory_gb']} GB; "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}"
    )
    start = time.perf_counter()
    runs = {kind: [] for kind in CONTENDERS}
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as directory:
        t0 = time.perf_counter()
        paths = write_data(directory, settings)
        data_mb = os.path.getsize(paths["X_train"]) / 1e6
        log(
            f"wrote {settings['train_rows']:,} training rows ({data_mb:,.0f} MB) "
            f"and {settings['test_rows']:,} held-out rows in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        for r in range(settings["rounds"]):
            shift = r % len(CONTENDERS)
            for kind in CONTENDERS[shift:] + CONTENDERS[:shift]:
                result = run_child_script(
                    __file__,
                    {"kind": kind, "paths": paths},
                    log,
                    result_mark=RESULT_MARK,
                    timeout=CHILD_TIMEOUT,
                    max_foreign=MAX_FOREIGN,
                    quiet_wait=QUIET_WAIT,
                    label=kind,
                )
                runs[kind].append(result)
                if result is None:
                    continue
                log(
                    f"  round {r + 1} {kind:<20} peak {result['peak_mb']:7.0f} MB "
                    f"(anonymous {result['peak_anon_mb']:6.0f}, baseline "
                    f"{result['baseline_mb']:4.0f})  {result['train_s']:6.1f} s  "
                    f"accuracy {result['accuracy']:.4f}"
                )
    total = time.perf_counter() - start

    rows, targets = summarise(runs)
    loads = [r["load_average_1min"] for kind in CONTENDERS for r in runs[kind] if r]
    load = statistics.median(loads) if loads else None
    text = table(rows, targets, data_mb)
    log("\n" + text)
    log(f"\ntotal {total:.0f} s")
    if args.out is None:
        return
    record = {
        "benchmark": "peak memory of partial_fit on 20 chunks of a memory-mapped "
        "array against fit on the array in memory; held-out accuracy",
        "date": utc_timestamp(),
        "command": command_line(),
        "machine": info,
        "settings": {
            "quick": args.quick,
            "train_rows": settings["train_rows"],
            "test_rows": settings["test_rows"],
            "n_features": N_FEATURES,
            "n_classes": N_CLASSES,
            "dtype": np.dtype(DTYPE).name,
            "train_data_mb": data_mb,
            "n_chunks": N_CHUNKS,
            "rounds": settings["rounds"],
            "cv": CV,
            "estimator": repr(make_estimator()),
            "memory": "peak RSS of the child process tree (psutil, polled every "
            f"{POLL_SECONDS * 1e3:.0f} ms; the child's VmHWM when larger) "
            "minus the tree's RSS after imports, before the data are read; "
            "anonymous = RSS minus file-backed and shared pages (polled)",
            "order": "interleaved, rotating order per round; medians",
            "targets": {
                "partial_fit_peak_vs_fit_peak": MEMORY_TARGET,
                "held_out_accuracy_gap": ACCURACY_GAP,
            },
        },
        "results": rows,
        "targets": targets,
        "median_load_average_1min": load,
        "runs": runs,
        "total_seconds": total,
    }
    caption = (
        f"\nMedians over {settings['rounds']} interleaved round"
        f"{'s' if settings['rounds'] > 1 else ''}, each training in a fresh "
        "process. Peak MB: peak RSS of the process tree while the data "
        "are read and the model trained, minus the RSS after imports; anonymous: "
        "the same without file-backed and shared pages. Two SGD branches (raw, "
        f"Pooling(8)), fusion={FUSION!r}; fit with cv={CV}, 5 SGD epochs per fit; "
        f"partial_fit one pass over {N_CHUNKS} chunks. Train s: wall-clock "
        "seconds of reading the data and training (not a target; median 1-min "
        f"load average at the end of the trainings {fmt_num(load)} on "
        f"{info['usable_cpus']} CPUs). scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}. "
        f"Command: `{record['command']}`.\n"
    )
    json_path, md_path = write_results(
        args.out, "bench_incremental", record, text + "\n" + caption
    )
    log(f"wrote {json_path} and {md_path}")


if __name__ == "__main__":
    main()
