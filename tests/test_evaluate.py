"""The per-drug mean baseline and the model scoring beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modrp.errors import InputError
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


def test_only_the_given_prediction_files_are_scored(tmp_path):
    response, folds = study()
    paths = {}
    for kind, model in (("single", "mut-graph"), ("fusion", "exp-mut"),
                        ("baseline", "mkl/exp-mut")):
        test = folds.loc[folds["fold"] == 0, "cell_line"].tolist()
        long = response.loc[test].stack().rename("observed").reset_index()
        long.columns = ["cell_line", "drug", "observed"]
        out = tmp_path / kind / model / "r0-f0"
        out.mkdir(parents=True)
        long.assign(predicted=long["observed"], fold=0, repeat=0).to_parquet(
            out / "predictions.parquet")
        paths[model] = out / "predictions.parquet"
    # an earlier configuration's fusion is still in the tree; the workflow declares the others
    declared = [str(paths["mut-graph"]), str(paths["mkl/exp-mut"])]
    summary, _ = score_models(tmp_path, response, {0: folds}, declared)
    assert sorted(zip(summary["kind"], summary["model"], strict=True)) == [
        ("baseline", "mkl:exp-mut"), ("single", "mut-graph")]
    everything, _ = score_models(tmp_path, response, {0: folds})
    assert len(everything) == 3
    with pytest.raises(InputError, match="not a per-fold prediction file"):
        score_models(tmp_path, response, {0: folds}, [str(tmp_path / "stray.parquet")])
