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


def tissue_table(sizes: dict[str, int]) -> pd.DataFrame:
    tissues = [tissue for tissue, n in sizes.items() for _ in range(n)]
    return pd.DataFrame({"cell_line": [f"{1000 + i}" for i in range(len(tissues))],
                         "tissue": tissues})


# 10, 8, 7, 5, 3, 3, 2, 1 lines: largest first would give 13, 13, 13 in every repeat
SIZES = {"lung": 10, "breast": 8, "skin": 7, "blood": 5, "bone": 3, "liver": 3,
         "kidney": 2, "eye": 1}


@pytest.mark.parametrize("repeat", range(6))
def test_tissue_blind_folds_differ_by_at_most_the_largest_tissue(repeat):
    """Each tissue goes to the fold with the fewest lines so far, so when the last line
    arrives no fold is more than one tissue (at most 10 lines) ahead of another."""
    table = tissue_table(SIZES)
    folds = make_folds(table, {**CV, "split": "tissue"}, repeat).merge(table, on="cell_line")
    assert (folds.groupby("tissue")["fold"].nunique() == 1).all()
    loads = folds["fold"].value_counts()
    assert len(loads) == 3 and loads.sum() == 39
    last = {fold: max(SIZES[t] for t in group["tissue"]) for fold, group in folds.groupby("fold")}
    assert loads.max() - loads.min() <= max(last.values()) <= 10


def test_tissue_blind_repeats_draw_different_partitions():
    """Repeats are new draws of which tissues share a fold, not the same partition under
    other fold numbers (as largest-first placement would give)."""
    table = tissue_table(SIZES)
    partitions = set()
    for repeat in range(4):
        folds = make_folds(table, {**CV, "split": "tissue"}, repeat).merge(table, on="cell_line")
        groups = folds.groupby("fold")["tissue"].agg(lambda t: tuple(sorted(set(t))))
        partitions.add(tuple(sorted(groups)))
    assert len(partitions) >= 3
    # and the same seed and repeat give the same folds, whatever the row order
    first = make_folds(table, {**CV, "split": "tissue"}, 1)
    again = make_folds(table.sample(frac=1, random_state=5), {**CV, "split": "tissue"}, 1)
    assert again.set_index("cell_line")["fold"].sort_index().equals(
        first.set_index("cell_line")["fold"].sort_index())


def test_too_few_tissues():
    with pytest.raises(InputError, match=r"only 2 tissue\(s\)$"):
        make_folds(lines(tissues=("a", "b")), {**CV, "split": "tissue"}, 0)


@pytest.mark.parametrize("repeat", [0, 1])
def test_lines_of_unknown_tissue_are_placed_one_by_one(repeat, caplog):
    """Lines without a tissue are not one tissue: held together, 15 of them would make a
    fold of their own; placed one by one they go where the folds have fewest lines."""
    tissues = ["lung"] * 12 + ["skin"] * 9 + ["unknown"] * 14 + [""]
    table = pd.DataFrame({"cell_line": [f"{1000 + i}" for i in range(len(tissues))],
                          "tissue": tissues})
    with caplog.at_level("WARNING", logger="modrp.splits"):
        folds = make_folds(table, {**CV, "split": "tissue"}, repeat).merge(table, on="cell_line")
    assert "15 of 36 line(s) have no tissue" in caplog.text
    known = folds[folds["tissue"].isin(["lung", "skin"])]
    assert (known.groupby("tissue")["fold"].nunique() == 1).all()
    loads = folds["fold"].value_counts()
    assert len(loads) == 3 and loads.max() - loads.min() <= 12
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
    # had the 15 been one tissue, it would fill a fold on its own
    loads = folds["fold"].value_counts()
    assert len(loads) == 3 and loads.max() - loads.min() <= 12


def test_cell_line_folds_do_not_depend_on_the_row_order():
    table = lines(40)
    first = make_folds(table, CV, 0).set_index("cell_line")["fold"]
    shuffled = make_folds(table.sample(frac=1, random_state=3), CV, 0)
    assert shuffled.set_index("cell_line")["fold"].sort_index().equals(first.sort_index())
