"""Cross-validation folds: cell-line-blind and tissue-blind, seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modrp.errors import InputError
from modrp.splits import make_folds, validation_lines

CV = {"folds": 3, "seed": 0, "split": "cell_line"}


def lines(n=31, tissues=("lung", "breast", "skin", "blood", "bone")):
    rng = np.random.default_rng(5)
    return pd.DataFrame({"cell_line": [f"{1000 + i}" for i in range(n)],
                         "tissue": rng.choice(tissues, n)})


def test_each_line_in_exactly_one_balanced_fold():
    folds = make_folds(lines(), CV, repeat=0)
    assert sorted(folds["cell_line"]) == sorted(lines()["cell_line"])
    assert folds["cell_line"].is_unique
    assert sorted(folds["fold"].value_counts().tolist()) == [10, 10, 11]
    assert (folds["repeat"] == 0).all()


def test_seeded_and_repeats_differ():
    first = make_folds(lines(), CV, repeat=0)
    again = make_folds(lines(), CV, repeat=0)
    other = make_folds(lines(), CV, repeat=1)
    pd.testing.assert_frame_equal(first, again)
    assert not (first["fold"].to_numpy() == other["fold"].to_numpy()).all()
    assert not make_folds(lines(), {**CV, "seed": 7}, 0)["fold"].equals(first["fold"])


def test_tissue_blind_keeps_tissues_together():
    table = lines(60)
    folds = make_folds(table, {**CV, "split": "tissue"}, repeat=0).merge(table, on="cell_line")
    assert (folds.groupby("tissue")["fold"].nunique() == 1).all()
    assert folds["fold"].nunique() == 3
    # balanced as documented: largest tissue first, each into the currently smallest fold
    expected = greedy_fold_sizes(table["tissue"].value_counts().tolist(), 3)
    assert sorted(folds["fold"].value_counts().tolist()) == expected == [15, 22, 23]


def greedy_fold_sizes(tissue_sizes: list[int], n_folds: int) -> list[int]:
    """Largest tissue first, each into the fold with the fewest lines so far (sorted)."""
    loads = [0] * n_folds
    for size in sorted(tissue_sizes, reverse=True):
        loads[loads.index(min(loads))] += size
    return sorted(loads)


@pytest.mark.parametrize("repeat", [0, 1, 2])
def test_tissue_blind_balances_folds_largest_tissue_first(repeat):
    # 10, 8, 7, 5, 3, 3, 2, 1 lines: largest first fills the folds to 13, 13, 13; smallest
    # first would give 10, 12, 17. Tied sizes (3, 3) or tied folds do not change the sizes.
    sizes = {"lung": 10, "breast": 8, "skin": 7, "blood": 5, "bone": 3, "liver": 3,
             "kidney": 2, "eye": 1}
    tissues = [tissue for tissue, n in sizes.items() for _ in range(n)]
    table = pd.DataFrame({"cell_line": [f"{1000 + i}" for i in range(len(tissues))],
                          "tissue": tissues})
    assert greedy_fold_sizes(list(sizes.values()), 3) == [13, 13, 13]
    folds = make_folds(table, {**CV, "split": "tissue"}, repeat).merge(table, on="cell_line")
    assert (folds.groupby("tissue")["fold"].nunique() == 1).all()
    assert sorted(folds["fold"].value_counts().tolist()) == [13, 13, 13]


def test_too_few_tissues():
    with pytest.raises(InputError, match="only 2 tissue"):
        make_folds(lines(tissues=("a", "b")), {**CV, "split": "tissue"}, 0)


def test_validation_lines_come_from_training_folds_and_are_seeded():
    folds = make_folds(lines(60), CV, repeat=0)
    val = validation_lines(folds, fold=1, fraction=0.2, seed=0)
    test = set(folds.loc[folds["fold"] == 1, "cell_line"])
    assert len(val) == 8 and not val & test
    assert val == validation_lines(folds, fold=1, fraction=0.2, seed=0)
    assert val != validation_lines(folds, fold=2, fraction=0.2, seed=0)
