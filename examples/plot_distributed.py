"""
=====================================
Fitting on a dask cluster with joblib
=====================================

A multi-granularity model is many independent fits: every branch on every
cross-validation fold, and every branch once more on all rows. skmg hands all
of them to **one** :class:`joblib.Parallel` call, so whichever joblib backend
is active runs the whole plan. With the ``"dask"`` backend of
`dask.distributed <https://distributed.dask.org>`_, the fits run on the workers
of a cluster, and nothing in the model changes.

This example starts a small cluster on this machine (on the loopback
interface: nothing is reachable from outside), fits a model on it, and checks
that it predicts as the same model fitted locally.
"""

# %%
# Data and granularities
# ----------------------
# The digits are 8 x 8 images. Each branch sees them at one resolution:
# every pixel (a logistic regression), the 4 x 4 image of the means of 2 x 2
# patches (gradient boosting) and the 2 x 2 image of the means of 4 x 4
# patches (a logistic regression), made by :class:`~skmg.Pooling` with
# ``shape``. Every model with randomness gets a fixed ``random_state``, so that
# two fits give the same model wherever they run.
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skmg import MultiGranularityClassifier, Pooling

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)


def make_model():
    return MultiGranularityClassifier(
        [
            ("pixels", LogisticRegression(max_iter=2000)),
            (
                "pooled_2",
                make_pipeline(
                    Pooling(2, shape=(8, 8)),
                    HistGradientBoostingClassifier(max_iter=20, random_state=0),
                ),
            ),
            (
                "pooled_4",
                make_pipeline(
                    Pooling(4, shape=(8, 8)), LogisticRegression(max_iter=2000)
                ),
            ),
        ],
        cv=5,
        n_jobs=-1,
    )


# %%
# A cluster on this machine
# -------------------------
# :class:`~distributed.LocalCluster` starts a scheduler and two worker
# processes with one thread each, listening on ``127.0.0.1`` only; no
# dashboard. The :class:`~distributed.Client` connects to it and becomes the
# cluster that joblib's ``"dask"`` backend uses.
#
# The workers are new Python processes. In a script (rather than a notebook
# or this gallery), start them under ``if __name__ == "__main__":``, as for any
# code that starts processes with the ``spawn`` method.
from distributed import Client, LocalCluster

cluster = LocalCluster(
    n_workers=2,
    threads_per_worker=1,
    processes=True,
    host="127.0.0.1",
    dashboard_address=None,
)
client = Client(cluster)
print(f"{len(client.scheduler_info()['workers'])} workers")

# %%
# Fitting on the cluster
# ----------------------
# Inside :func:`joblib.parallel_config`, the plan's 18 fits (3 branches x (5
# folds + 1 refit)) become tasks of the cluster (joblib may batch short fits
# into one task). The training data go to the workers once for the whole plan,
# not once per fit: every task receives the full ``X`` and the row indices of
# its fold. The fitted branches come back to this process, so the fitted model
# is an ordinary local object: predicting, pickling or inspecting it needs no
# cluster.
#
# :func:`distributed.get_task_stream` records the tasks the cluster ran.
import time

import joblib
from distributed import get_task_stream

with joblib.parallel_config(backend="dask"), get_task_stream(client) as tasks:
    start = time.perf_counter()
    on_cluster = make_model().fit(X_train, y_train)
    print(f"fitted on the cluster in {time.perf_counter() - start:.1f} s")
workers = {task["worker"] for task in tasks.data}
print(f"{len(tasks.data)} tasks ran on {len(workers)} workers")

# %%
# The same model as a local fit
# -----------------------------
# The same model fitted with the default local backend (loky worker processes
# on this machine) makes the same predictions. The probabilities agree too,
# at worst in the last bits of floating point: the workers receive the data
# through the network layer of dask, and a numerical library may add numbers
# in another order when they sit at other places in memory.
import numpy as np

local = make_model().fit(X_train, y_train)
same = np.array_equal(on_cluster.predict(X_test), local.predict(X_test))
gap = np.abs(on_cluster.predict_proba(X_test) - local.predict_proba(X_test)).max()
print(f"same predictions: {same}; largest difference of probabilities: {gap:.1e}")
print(f"test accuracy: {on_cluster.score(X_test, y_test):.3f}")

# %%
# Closing the cluster
# -------------------
# Close the client, then the cluster (a ``with`` block around both does the
# same).
client.close()
cluster.close()

# %%
# On a real cluster
# -----------------
# Nothing above depends on the cluster being local. To use a running cluster,
# connect a client to its scheduler instead of starting a ``LocalCluster``
# (the address is that of your scheduler; the workers need skmg and the
# libraries of your branches installed)::
#
#     from distributed import Client
#
#     client = Client("tcp://scheduler:8786")
#     with joblib.parallel_config(backend="dask"):
#         model = make_model().fit(X_train, y_train)
#
# What ``n_jobs`` means there: the dask backend sends every task of the plan
# to the scheduler, which runs as many at once as the cluster has worker
# threads, so ``n_jobs`` does not cap it; ``n_jobs=-1`` says so plainly.
# (Under the local backends, ``n_jobs`` is the number of local workers:
# processes with loky, threads with the threading backend.)
# A plan has ``n_branches x (n_folds + 1)`` tasks, which bounds how many
# worker threads one fit can use. Inside a task, a branch's own
# multithreading (BLAS, OpenMP) is what each worker allows; dask workers
# start with one such thread each, so give a worker as many threads
# (``--nthreads``) as it has cores.
