"""The record of a fit: what the meta-estimator learned about its branches.

One object, built level by level while the branches are fitted, and read by
everything that comes after: the scores, the fusion's fit, ``predict``,
``transform``, ``get_feature_names_out``, ``named_estimators_``, inspection
and ``partial_fit``. Nothing re-derives what it holds.
"""

import numpy as np

from ._outputs import BranchOutputs, output_names


class FittedLevel:
    """One level of a fit: the branches it fitted and their models.

    Parameters
    ----------
    branches : list of int
        Positions of the branches fitted in this level (in ``names``).
    models : list
        The fitted model of each of them (with ``refit=False``, the list of
        its fold models).
    augment : bool
        Whether the level's input is the original features plus the
        previous level's outputs.
    """

    def __init__(self, branches, models, augment=False):
        self.branches = list(branches)
        self.models = list(models)
        self.augment = bool(augment)


class FitRecord:
    """What a fit learned about its branches.

    Parameters
    ----------
    names : list of str
        The names of the (non-dropped) branches, in order.
    methods : list of str
        The output method of each branch.
    n_classes : int or None
        The number of classes (None: a regressor or a multilabel target).
    multilabel : bool, default=False
        Whether the target is a multilabel indicator matrix.
    n_targets : int or None, default=None
        The number of columns of a regressor's outputs (None: any).
    classes : ndarray or None, default=None
        The user's class labels behind the encoded labels of a single-label
        classifier (scorers see them); None otherwise.

    Attributes
    ----------
    levels : list of FittedLevel
        The levels the fused model keeps, in order.
    first_models : list
        Each branch's model as the first level that fitted it predicts with
        (for ``cv="prefit"``, the branch seen in the encoded labels).
    first_blocks : list of ndarray or None
        Each branch's out-of-fold block from that level (dropped once the
        fit is committed).
    level_outputs : list of BranchOutputs or None
        The out-of-fold outputs of every fitted level (dropped likewise).
    covered : ndarray of bool
        The rows with out-of-fold outputs in every level.
    oof_methods : dict of str to str
        How each branch's out-of-fold outputs were made: ``"cv"`` (fitted on
        the folds), ``"oob"`` (out of bag) or ``"loo"`` (leave-one-out) from
        one fit on all rows, or ``"prefit"`` (``cv="prefit"``).
    fit_times : dict of str to float
        Seconds spent fitting each branch, over every fold, refit and level.
    best_iterations, refit_iterations : dict
        With early stopping, the rounds of each branch's fold models and
        refit, in the level it was first fitted in.
    design_branches, design_widths : list of int
        Which branch gives each block of the fusion's input, and the width of
        that block in the design matrix (:meth:`transform`).
    """

    def __init__(
        self, names, methods, n_classes, multilabel=False, n_targets=None, classes=None
    ):
        self.names = list(names)
        self.methods = list(methods)
        self.n_classes = n_classes
        self.multilabel = multilabel
        self.n_targets = n_targets
        self.classes = classes
        self.levels = []
        self.first_models = [None] * len(self.names)
        self.first_blocks = [None] * len(self.names)
        self.level_outputs = []
        self.covered = None
        self.oof_methods = dict.fromkeys(self.names, "cv")
        self.fit_times = dict.fromkeys(self.names, 0.0)
        self.best_iterations = {}
        self.refit_iterations = {}
        self.design_branches = list(range(len(self.names)))
        self.design_widths = []

    def outputs(self, blocks, branches=None):
        """Blocks of the branches at ``branches`` (default: all, in order),
        as :class:`~skmg.fusion.BranchOutputs`."""
        branches = range(len(blocks)) if branches is None else branches
        return BranchOutputs(
            blocks,
            kinds=[self.methods[b] for b in branches],
            n_classes=self.n_classes,
            names=[self.names[b] for b in branches],
            multilabel=self.multilabel,
            classes=self.classes,
        )

    def add_level(self, level, blocks, covered):
        """Record a fitted level, its out-of-fold blocks and their rows."""
        self.levels.append(level)
        self.level_outputs.append(self.outputs(blocks, level.branches))
        for b, model, block in zip(level.branches, level.models, blocks):
            if self.first_models[b] is None:
                self.first_models[b] = model
                self.first_blocks[b] = block
        self.covered = covered if self.covered is None else self.covered & covered

    def oof_levels(self):
        """The out-of-fold outputs of every fitted level, on the covered rows."""
        return [outputs.take(self.covered) for outputs in self.level_outputs]

    def keep(self, n_levels):
        """Keep the first ``n_levels`` levels (the strategy's choice)."""
        del self.levels[n_levels:]
        del self.level_outputs[n_levels:]

    def first_outputs(self):
        """Every branch's out-of-fold block from the level that first fitted it."""
        return self.outputs(self.first_blocks)

    def set_design(self, outputs, blocks):
        """The branches and widths of the fusion's input (its design blocks)."""
        self.design_branches = [self.names.index(name) for name in outputs.names]
        self.design_widths = [block.shape[1] for block in blocks]

    def design_names(self, classes=None):
        """Names of the columns of the fusion's input: ``{branch}_{output}``
        (see :func:`~skmg._outputs.output_names`).

        Parameters
        ----------
        classes : ndarray or list of ndarray or None
            The meta-estimator's ``classes_`` (None for a regressor; a list,
            one per label, for a multilabel target: columns are named by
            label position).
        """
        if self.multilabel:
            classes = np.arange(len(classes))
        names = []
        for b, width in zip(self.design_branches, self.design_widths):
            names.extend(output_names(self.names[b], self.methods[b], width, classes))
        return names

    def committed(self):
        """The record as the fitted estimator keeps it: without the out-of-fold
        blocks (``oof_predictions_`` holds what is public of them)."""
        self.first_blocks = None
        self.level_outputs = None
        self.covered = np.asarray(self.covered, dtype=bool)
        return self


def problem_of(state, y):
    """``(n_classes, multilabel, n_targets[, classes])`` of the problem being
    fitted: the number of classes (None for a regressor and a multilabel
    target), the number of output columns of a regressor or labels of a
    multilabel target, and a single-label classifier's class labels."""
    classes = state.get("classes_")
    multilabel = bool(state.get("_multilabel", False))
    if classes is None:  # a regressor: one column per target
        return None, False, (y.shape[1] if y.ndim == 2 else 1)
    if multilabel:
        return None, True, len(classes)
    return len(classes), False, None, classes
