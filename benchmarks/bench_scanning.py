"""Multi-grained scanning: ScanningClassifier against a naive implementation.

The naive implementation copies every window of every sample into one array, fits
on the kept windows, predicts every window at once and averages. Both fit the same
``ExtraTreesClassifier`` on the same window instances (the same `max_windows`
draw), so their predictions must be identical.

Each phase (fit, predict) of each implementation runs in a fresh process started
with ``multiprocessing`` (spawn). Its peak memory is the process's peak resident
set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) at the end of the phase
minus its resident set size just before the phase, after the data (and, for
predict, the fitted model) were loaded. Runs alternate skmg, naive, skmg, naive...
and the table reports medians.

Run from the repository root, with skmg installed::

    python benchmarks/bench_scanning.py           # 20,000 series of length 256
    python benchmarks/bench_scanning.py --quick   # 2,000 series
    python benchmarks/bench_scanning.py --quick --out some/dir
"""

import argparse
import os
import pickle
import resource
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
from _common import RESULTS, add_out_argument, package_versions, write_results
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesClassifier

from skmg.granularity._scanning import ScanningClassifier

N_FEATURES = 256
WINDOW = 32
MAX_WINDOWS = 32
PATTERN_LENGTH = 24
SEED = 0
ESTIMATOR = ExtraTreesClassifier(n_estimators=10, max_depth=10, random_state=0)
# Peak memory during predict, as a fraction of the naive implementation's.
PREDICT_MEMORY_TARGET = 0.25


def make_series(n_samples, seed=SEED):
    """Noisy series of three classes, told apart by a short local pattern.

    Class 0 has no pattern, class 1 a sine bump and class 2 a square wave, each of
    length `PATTERN_LENGTH` at a random place.
    """
    rng = np.random.RandomState(seed)
    X = rng.normal(scale=0.5, size=(n_samples, N_FEATURES))
    y = rng.randint(0, 3, size=n_samples)
    t = np.arange(PATTERN_LENGTH)
    half = PATTERN_LENGTH // 2
    patterns = np.array(
        [
            np.zeros(PATTERN_LENGTH),
            1.5 * np.sin(np.pi * t / (PATTERN_LENGTH - 1)),
            np.r_[np.full(half, 1.5), np.full(PATTERN_LENGTH - half, -1.5)],
        ]
    )
    starts = rng.randint(0, N_FEATURES - PATTERN_LENGTH + 1, size=n_samples)
    X[np.arange(n_samples)[:, np.newaxis], starts[:, np.newaxis] + t] += patterns[y]
    return X, y


class NaiveScanning:
    """Scanning that materialises all windows of all samples at once."""

    def __init__(self, estimator, window, max_windows, random_state):
        self.estimator = estimator
        self.window = window
        self.max_windows = max_windows
        self.random_state = random_state

    def _all_windows(self, X):
        return np.ascontiguousarray(sliding_window_view(X, self.window, axis=1))

    def fit(self, X, y):
        windows = self._all_windows(X)
        n_samples, n_windows, _ = windows.shape
        # The same draw as ScanningClassifier: for each sample, the windows with
        # the `max_windows` smallest random keys, in window order.
        keys = np.random.RandomState(self.random_state).random_sample(
            (n_samples, n_windows)
        )
        kept = np.sort(np.argsort(keys, axis=1)[:, : self.max_windows], axis=1)
        windows = windows[np.arange(n_samples)[:, np.newaxis], kept]
        self.classes_ = np.unique(y)
        self.estimator_ = clone(self.estimator).fit(
            windows.reshape(-1, self.window),
            np.repeat(np.searchsorted(self.classes_, y), self.max_windows),
        )
        return self

    def predict(self, X):
        windows = self._all_windows(X)
        proba = self.estimator_.predict_proba(windows.reshape(-1, self.window))
        proba = proba.reshape(windows.shape[0], windows.shape[1], -1).mean(axis=1)
        return self.classes_[proba.argmax(axis=1)]


def make_model(name):
    """A fresh, unfitted model of the named implementation."""
    if name == "skmg":
        return ScanningClassifier(
            ESTIMATOR, window=WINDOW, max_windows=MAX_WINDOWS, random_state=SEED
        )
    return NaiveScanning(
        ESTIMATOR, window=WINDOW, max_windows=MAX_WINDOWS, random_state=SEED
    )


def _rss_bytes():
    """Current resident set size of this process."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes():
    """Peak resident set size of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_phase(name, phase, n_samples, model_path):
    """Run one phase in this (fresh) process; return its time and memory."""
    X, y = make_series(n_samples)
    if phase == "predict":
        with open(model_path, "rb") as file:
            model = pickle.load(file)
    baseline = _rss_bytes()
    start = time.perf_counter()
    if phase == "fit":
        model = make_model(name).fit(X, y)
        output = None
    else:
        output = model.predict(X)
    elapsed = time.perf_counter() - start
    peak = _peak_rss_bytes() - baseline
    if phase == "fit":
        with open(model_path, "wb") as file:
            pickle.dump(model, file)
    return {"time_s": elapsed, "peak_mb": max(peak, 0) / 2**20, "output": output}


def run_in_child(*args):
    """Run `run_phase` in a new spawned process."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(run_phase, *args).result()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 series only")
    parser.add_argument("--repeats", type=int, default=3, help="runs per model")
    add_out_argument(
        parser,
        "bench_scanning.json, or bench_scanning_quick.json with --quick",
        default="benchmarks/results",
    )
    args = parser.parse_args()
    if args.out is None:
        args.out = RESULTS
    n_samples = 2_000 if args.quick else 20_000
    names = ("skmg", "naive")
    metrics = ("fit_time_s", "fit_peak_mb", "predict_time_s", "predict_peak_mb")
    runs = {name: {metric: [] for metric in metrics} for name in names}
    predictions = {}

    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for name in names:  # interleaved: A B A B ...
                model_path = os.path.join(tmp, f"{name}.pkl")
                fit = run_in_child(name, "fit", n_samples, model_path)
                predict = run_in_child(name, "predict", n_samples, model_path)
                for phase, result in (("fit", fit), ("predict", predict)):
                    runs[name][f"{phase}_time_s"].append(result["time_s"])
                    runs[name][f"{phase}_peak_mb"].append(result["peak_mb"])
                predictions.setdefault(name, predict["output"])
                print(
                    f"run {repeat + 1}/{args.repeats} {name:5s}: "
                    f"fit {fit['time_s']:.2f} s, {fit['peak_mb']:.0f} MB; "
                    f"predict {predict['time_s']:.2f} s, {predict['peak_mb']:.0f} MB",
                    flush=True,
                )

    identical = bool(np.array_equal(predictions["skmg"], predictions["naive"]))
    assert identical, "skmg and naive predictions differ"
    _, y = make_series(n_samples)
    medians = {
        name: {metric: statistics.median(runs[name][metric]) for metric in metrics}
        for name in names
    }
    ratios = {
        metric: medians["skmg"][metric] / medians["naive"][metric] for metric in metrics
    }
    targets = {"predict_peak_mb": PREDICT_MEMORY_TARGET}
    report = {
        "benchmark": "bench_scanning",
        "quick": args.quick,
        "n_samples": n_samples,
        "n_features": N_FEATURES,
        "window": WINDOW,
        "stride": 1,
        "n_windows_per_sample": N_FEATURES - WINDOW + 1,
        "max_windows": MAX_WINDOWS,
        "estimator": repr(ESTIMATOR),
        "repeats": args.repeats,
        "memory": (
            "peak RSS (getrusage ru_maxrss) of a fresh spawned process minus its RSS "
            "after loading the data (and the model, for predict)"
        ),
        "medians": medians,
        "ratio_skmg_over_naive": ratios,
        "targets_ratio_at_most": targets,
        "targets_met": {
            metric: ratios[metric] <= target for metric, target in targets.items()
        },
        "predictions_identical": identical,
        "training_accuracy": float(np.mean(predictions["skmg"] == y)),
        "runs": runs,
        "versions": package_versions("python", "numpy", "scikit-learn"),
        "cpu_count": os.cpu_count(),
    }

    labels = {
        "fit_time_s": "fit time (s)",
        "fit_peak_mb": "fit peak memory (MB)",
        "predict_time_s": "predict time (s)",
        "predict_peak_mb": "predict peak memory (MB)",
    }
    print()
    print(
        f"{n_samples:,} series x {N_FEATURES}, window {WINDOW} "
        f"({N_FEATURES - WINDOW + 1} windows per series), max_windows "
        f"{MAX_WINDOWS}, {ESTIMATOR!r}; medians of {args.repeats} runs"
    )
    print()
    print("| metric | skmg | naive | skmg/naive | target | met |")
    print("|---|---:|---:|---:|---:|:---:|")
    for metric in metrics:
        target = targets.get(metric)
        goal, met = "", ""
        if target is not None:
            goal, met = f"<= {target}", "yes" if ratios[metric] <= target else "no"
        print(
            f"| {labels[metric]} | {medians['skmg'][metric]:.2f} "
            f"| {medians['naive'][metric]:.2f} | {ratios[metric]:.3f} "
            f"| {goal} | {met} |"
        )
    print()
    print(f"predictions identical: {identical}")

    name = "bench_scanning_quick" if args.quick else "bench_scanning"
    (path,) = write_results(args.out, name, report)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
