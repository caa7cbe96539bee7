"""``python -m skmg``: a multi-granularity classifier on the digits data.

Three granularities of the same 8x8 images: the raw pixels, the image pooled
to 4x4 (a coarser resolution) and the pixels binned to three grey levels (a
coarser value scale). Each branch learns its own model; stacking fuses them.
With ``oof_method="auto"``, the bagged extra trees of the grey-level branch
are fitted once and give their out-of-bag outputs; the other branches are
cross-validated. Run it with ``python -m skmg``; it takes a few seconds.
"""

import sys
import time

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from skmg import MultiGranularityClassifier
from skmg.inspection import granularity_report


def _pool_2x2(X):
    """Mean of every 2x2 block of the 8x8 images: a 4x4 image."""
    return X.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16)


def _grey_levels(X):
    """The 17 grey levels of the digits binned to 3: dark, mid, bright."""
    return np.digitize(X, [5.5, 10.5]).astype(np.float64)


def _svc():
    # Calibrated so that the branch gives probabilities to the fusion stage.
    return CalibratedClassifierCV(SVC(), ensemble=False)


def make_model(n_jobs=None):
    """The demo's model: three granularities of a digit image, stacked."""
    return MultiGranularityClassifier(
        [
            ("pixels_8x8", make_pipeline(StandardScaler(), _svc())),
            (
                "pooled_4x4",
                make_pipeline(FunctionTransformer(_pool_2x2), StandardScaler(), _svc()),
            ),
            (
                "grey_3_levels",
                make_pipeline(
                    FunctionTransformer(_grey_levels),
                    ExtraTreesClassifier(
                        n_estimators=300, bootstrap=True, random_state=0
                    ),
                ),
            ),
        ],
        cv=5,
        oof_method="auto",
        n_jobs=n_jobs,
    )


def main(argv=None):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    model = make_model(n_jobs=-1)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start

    report = granularity_report(model, X_test, y_test)
    print(f"skmg demo: digits, {len(X_train)} training and {len(X_test)} test images")
    print(
        f"{'granularity':<16}{'out-of-fold acc.':>18}{'estimate':>10}"
        f"{'held-out acc.':>16}{'weight':>9}{'fit time (s)':>14}"
    )
    # the report is a DataFrame with pandas, else a dict of arrays
    columns = ["oof_score", "oof_method", "test_score", "weight", "fit_time"]
    oof, method, test, weight, fit_time = (np.asarray(report[c]) for c in columns)
    rows = list(report.index)
    for i, name in enumerate(rows):
        oof_text = "-" if np.isnan(oof[i]) else f"{oof[i]:.4f}"
        weight_text = "-" if np.isnan(weight[i]) else f"{weight[i]:.2f}"
        label = f"{name} (stacking)" if i == len(rows) - 1 else name
        print(
            f"{label:<16}{oof_text:>18}{method[i]:>10}{test[i]:>16.4f}"
            f"{weight_text:>9}{fit_time[i]:>14.2f}"
        )
    fits = sum(
        model.cv + 1 if how == "cv" else 1 for how in model.oof_methods_.values()
    )
    print(
        f"fit in {seconds:.1f} s: {fits} fits in one parallel task list (a "
        "cross-validated granularity 5 folds + refit, an out-of-bag one 1)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
