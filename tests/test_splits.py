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
    # as many lines as folds: one line each (leave one out), not an error
    assert sorted(make_folds(lines(3), CV, repeat=0)["fold"]) == [0, 1, 2]


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
    with pytest.raises(InputError, match=r"only 2 tissue\(s\)$"):
        make_folds(lines(tissues=("a", "b")), {**CV, "split": "tissue"}, 0)


@pytest.mark.parametrize("repeat", [0, 1])
def test_lines_of_unknown_tissue_are_placed_one_by_one(repeat, caplog):
    """Lines without a tissue are not one tissue: held together, 15 of them would make a
    fold of their own; placed one by one they fill the folds up to 12, 12, 12."""
    tissues = ["lung"] * 12 + ["skin"] * 9 + ["unknown"] * 14 + [""]
    table = pd.DataFrame({"cell_line": [f"{1000 + i}" for i in range(len(tissues))],
                          "tissue": tissues})
    with caplog.at_level("WARNING", logger="modrp.splits"):
        folds = make_folds(table, {**CV, "split": "tissue"}, repeat).merge(table, on="cell_line")
    assert "15 of 36 line(s) have no tissue" in caplog.text
    known = folds[folds["tissue"].isin(["lung", "skin"])]
    assert (known.groupby("tissue")["fold"].nunique() == 1).all()
    assert sorted(folds["fold"].value_counts().tolist()) == [12, 12, 12]
    assert folds.loc[~folds["tissue"].isin(["lung", "skin"]), "fold"].nunique() >= 2
    with pytest.raises(InputError, match=r"only 1 tissue\(s\) and 1 line\(s\) of unknown"):
        make_folds(table.iloc[[*range(12), 21]], {**CV, "split": "tissue"}, repeat)


def test_validation_lines_come_from_training_folds_and_are_seeded():
    folds = make_folds(lines(60), CV, repeat=0)
    val = validation_lines(folds, fold=1, fraction=0.2, seed=0)
    test = set(folds.loc[folds["fold"] == 1, "cell_line"])
    assert len(val) == 8 and not val & test
    # the share is rounded, not cut: 0.19 of 40 training lines is 7.6, so 8
    assert len(validation_lines(folds, fold=1, fraction=0.19, seed=0)) == 8
    # drawn without replacement: half of the 40 training lines are 20 distinct lines
    assert len(validation_lines(folds, fold=1, fraction=0.5, seed=0)) == 20
    assert val == validation_lines(folds, fold=1, fraction=0.2, seed=0)
    assert val != validation_lines(folds, fold=2, fraction=0.2, seed=0)


def test_as_many_tissues_as_folds_gives_a_tissue_per_fold():
    table = lines(30, tissues=("lung", "breast", "skin"))
    folds = make_folds(table, {**CV, "split": "tissue"}, 0).merge(table, on="cell_line")
    assert (folds.groupby("tissue")["fold"].nunique() == 1).all()
    assert sorted(folds.groupby("tissue")["fold"].first()) == [0, 1, 2]


def test_a_missing_tissue_is_unknown_too(caplog):
    """A null tissue is no tissue named 'nan' or 'None': those lines are placed one by one."""
    tissues = ["lung"] * 12 + ["skin"] * 9 + [None] * 14 + [np.nan]
    table = pd.DataFrame({"cell_line": [f"{1000 + i}" for i in range(len(tissues))],
                          "tissue": tissues})
    with caplog.at_level("WARNING", logger="modrp.splits"):
        folds = make_folds(table, {**CV, "split": "tissue"}, 0)
    assert "15 of 36 line(s) have no tissue" in caplog.text
    assert sorted(folds["fold"].value_counts().tolist()) == [12, 12, 12]


def test_cell_line_folds_do_not_depend_on_the_row_order():
    table = lines(40)
    first = make_folds(table, CV, 0).set_index("cell_line")["fold"]
    shuffled = make_folds(table.sample(frac=1, random_state=3), CV, 0)
    assert shuffled.set_index("cell_line")["fold"].sort_index().equals(first.sort_index())
