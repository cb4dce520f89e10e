"""Cross-validation folds over cell lines, repeated with different seeds.

``cell_line`` splits put every line in exactly one test fold per repeat
(cell-line-blind).  ``tissue`` splits keep all lines of a tissue in the same
fold, so a model is always tested on tissues it never saw (tissue-blind).
Every model of a (repeat, fold) uses the same assignment, restricted to the
lines it has data for, so their test predictions can be compared pair by pair.
Every per-fold job, network or comparator, also shares :func:`job_seed`,
:class:`Standardization` (fit on the training lines only) and the long table of
:func:`long_predictions`; none of them needs torch, so a comparator job that runs
none does not load it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from modrp.errors import InputError

log = logging.getLogger(__name__)


def repeat_seed(seed: int, repeat: int) -> int:
    """The seed of one repeat, derived so repeats differ and runs are reproducible."""
    return int(np.random.SeedSequence([seed, repeat]).generate_state(1)[0])


def cell_line_folds(cell_lines: pd.Series, n_folds: int, seed: int) -> pd.Series:
    """Assign lines to ``n_folds`` folds of (nearly) equal size at random."""
    lines = np.sort(cell_lines.astype(str).unique())
    if len(lines) < n_folds:
        raise InputError(f"cv.folds is {n_folds} but only {len(lines)} cell lines are available")
    rng = np.random.default_rng(seed)
    folds = np.arange(len(lines)) % n_folds
    rng.shuffle(folds)
    return pd.Series(folds, index=pd.Index(lines, name="cell_line"), name="fold")


#: What data/cell_lines.parquet says of a line without a tissue annotation.
UNKNOWN_TISSUES = ("unknown", "")


def tissue_folds(tissues: pd.Series, n_folds: int, seed: int) -> pd.Series:
    """Assign whole tissues to folds: in a random (seeded) order, each tissue to the fold
    with the fewest lines so far (ties at random).

    The folds' sizes then differ by at most the largest tissue's.  The order is random
    rather than largest first, which balances the folds best but gives nearly the same
    partition whatever the seed, so repeats would differ only in their fold numbers.  A
    line without a tissue ("unknown") is placed on its own, as in a cell-line split:
    lines whose tissue nobody recorded are not one tissue, and held together they would
    fill a fold.
    """
    tissues = tissues.astype(object)
    unknown = tissues.isna() | tissues.astype(str).isin(UNKNOWN_TISSUES)
    if unknown.any():
        log.warning("cv.split 'tissue': %d of %d line(s) have no tissue; each is placed in a "
                    "fold on its own", int(unknown.sum()), len(tissues))
    # a group per tissue, and one per line of unknown tissue (names no tissue can have)
    groups = tissues.astype(str).where(~unknown, "\0" + tissues.index.astype(str))
    sizes = groups.value_counts()
    if len(sizes) < n_folds:
        known = int(groups[~unknown].nunique())
        raise InputError(f"cv.split is 'tissue' with {n_folds} folds, but the data has only "
                         f"{known} tissue(s)"
                         + (f" and {int(unknown.sum())} line(s) of unknown tissue"
                            if unknown.any() else ""))
    tissues = groups
    rng = np.random.default_rng(seed)
    order = rng.permutation(np.sort(sizes.index.to_numpy().astype(str)))
    load = np.zeros(n_folds, dtype=int)
    fold_of = {}
    for tissue in order:
        fold = int(np.argmin(load + rng.random(n_folds) * 1e-3))
        fold_of[tissue] = fold
        load[fold] += sizes[tissue]
    folds = tissues.map(fold_of).astype(int)
    folds.index = folds.index.astype(str)
    folds.index.name = "cell_line"
    return folds.rename("fold").sort_index()


def make_folds(cell_lines: pd.DataFrame, cv: dict, repeat: int) -> pd.DataFrame:
    """Fold assignment of one repeat: columns ``cell_line, fold, repeat``.

    ``cell_lines`` is ``data/cell_lines.parquet`` (columns ``cell_line``, ``tissue``).
    """
    seed = repeat_seed(cv["seed"], repeat)
    if cv["split"] == "tissue":
        folds = tissue_folds(cell_lines.set_index("cell_line")["tissue"], cv["folds"], seed)
    else:
        folds = cell_line_folds(cell_lines["cell_line"], cv["folds"], seed)
    return folds.reset_index().assign(repeat=repeat)


def validation_lines(folds: pd.DataFrame, fold: int, fraction: float, seed: int) -> set[str]:
    """The training lines of ``fold`` set aside for early stopping (and for fitting the fusion).

    Drawn from all study lines of the repeat, not from one omic's lines, so every
    subnetwork of a (repeat, fold) holds out the same lines: the fusion layer is then
    fit on predictions that no subnetwork was trained on.
    """
    training = np.sort(folds.loc[folds["fold"] != fold, "cell_line"].astype(str).to_numpy())
    repeat = int(folds["repeat"].iloc[0]) if "repeat" in folds else 0
    rng = np.random.default_rng([repeat_seed(seed, repeat), fold])
    n = int(round(fraction * len(training)))
    return set(rng.choice(training, size=n, replace=False).tolist())


# ------------------------------------------------- what every per-fold job shares


def job_seed(seed: int, *labels) -> int:
    """A seed for one job, derived from the config seed and the job's labels.

    Each label enters as 64 bits of its SHA-256, so labels that share a prefix
    (``exp-mut``, ``exp-cnv-rppa``) give different seeds.
    """
    entropy = [seed] + [int.from_bytes(hashlib.sha256(str(label).encode()).digest()[:8], "little")
                        for label in labels]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@dataclass
class Standardization:
    """Per-feature mean and scale, fit on the training fold's lines only (their features,
    the validation lines' included; scale 1 for constant features)."""

    features: list[str]
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, matrix: pd.DataFrame) -> Standardization:
        values = matrix.to_numpy(dtype=np.float64)
        mean = values.mean(axis=0)
        scale = values.std(axis=0)
        scale[scale < 1e-8] = 1.0
        return cls(list(matrix.columns), mean.astype(np.float32), scale.astype(np.float32))

    def transform(self, matrix: pd.DataFrame) -> np.ndarray:
        values = matrix[self.features].to_numpy(dtype=np.float32)
        return (values - self.mean) / self.scale

    def state(self) -> dict:
        """The mean and scale as torch tensors, for a checkpoint."""
        import torch

        return {"mean": torch.from_numpy(self.mean), "scale": torch.from_numpy(self.scale)}


def long_predictions(lines: list[str], drugs: list[str], observed: pd.DataFrame,
                     predicted: np.ndarray, fold: int, repeat: int) -> pd.DataFrame:
    """Long table ``cell_line, drug, observed, predicted, fold, repeat`` (measured pairs only)."""
    frame = pd.DataFrame({
        "cell_line": np.repeat(lines, len(drugs)),
        "drug": np.tile(drugs, len(lines)),
        "observed": observed.loc[lines, drugs].to_numpy(dtype=np.float64).ravel(),
        "predicted": predicted.astype(np.float64).ravel(),
    })
    frame = frame[frame["observed"].notna()].reset_index(drop=True)
    return frame.assign(fold=fold, repeat=repeat)
