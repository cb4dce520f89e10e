"""The per-drug mean baseline and the model scoring beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modrp.evaluate import baseline_predictions, model_table, score_models


def study(seed=0):
    rng = np.random.default_rng(seed)
    lines = [f"c{i}" for i in range(30)]
    response = pd.DataFrame(rng.normal(size=(30, 3)) + [0.0, 2.0, 4.0], index=lines,
                            columns=["A", "B", "C"])
    response.iloc[0, 0] = np.nan
    folds = pd.DataFrame({"cell_line": lines, "fold": np.arange(30) % 3, "repeat": 0})
    return response, folds


def test_baseline_uses_training_lines_only():
    response, folds = study()
    base = baseline_predictions(response, folds)
    test_lines = folds.loc[folds["fold"] == 1, "cell_line"]
    train_lines = folds.loc[folds["fold"] != 1, "cell_line"]
    fold1 = base[base["fold"] == 1]
    assert set(fold1["cell_line"]) == set(test_lines)
    assert fold1.loc[fold1["drug"] == "B", "predicted"].iloc[0] == pytest.approx(
        response.loc[train_lines, "B"].mean())
    changed = response.copy()
    changed.loc[test_lines] += 100  # test lines must not move their own baseline
    again = baseline_predictions(changed, folds)
    assert np.allclose(again[again["fold"] == 1]["predicted"], fold1["predicted"])
    assert len(base) == int(response.notna().sum().sum())


def test_scores_model_and_baseline_on_the_same_pairs(tmp_path):
    response, folds = study()
    for fold in range(3):
        test = folds.loc[folds["fold"] == fold, "cell_line"].tolist()[:-2]  # a model subset
        long = response.loc[test].stack().rename("observed").reset_index()
        long.columns = ["cell_line", "drug", "observed"]
        long["predicted"] = long["observed"] + 0.1  # a near-perfect model
        out = tmp_path / "single" / "mut-graph" / f"r0-f{fold}"
        out.mkdir(parents=True)
        long.assign(fold=fold, repeat=0).to_parquet(out / "predictions.parquet")
    summary, per_drug = score_models(tmp_path, response, {0: folds})
    assert len(summary) == 3 and set(per_drug["drug"]) == {"A", "B", "C"}
    assert summary["mse"].tolist() == pytest.approx([0.01] * 3)
    assert (summary["r2_per_drug_mean"] > 0.9).all()
    assert (summary["baseline_r2_per_drug_mean"] < 0.1).all()
    table = model_table(summary)
    assert table.loc[0, "model"] == "mut-graph" and table.loc[0, "folds"] == 3
