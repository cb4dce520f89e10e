"""Score every per-fold prediction file, with the per-drug mean baseline beside each.

The baseline of a (repeat, fold) is fit on that fold's training lines (all lines
outside the test fold) and scored on exactly the (cell line, drug) pairs the
model was scored on, so the two numbers differ only by the model.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from modrp import metrics
from modrp.baselines import PerDrugMean


def baseline_predictions(response: pd.DataFrame, folds: pd.DataFrame) -> pd.DataFrame:
    """Long per-drug-mean predictions for every test line of every fold of one repeat."""
    parts = []
    repeat = int(folds["repeat"].iloc[0])
    assignment = folds.set_index("cell_line")["fold"]
    lines = response.index.intersection(assignment.index)
    for fold in sorted(folds["fold"].unique()):
        test = [c for c in lines if assignment[c] == fold]
        train = [c for c in lines if assignment[c] != fold]
        predicted = PerDrugMean().fit(None, response.loc[train]).predict(None, test)
        long = predicted.stack().reset_index()
        long.columns = ["cell_line", "drug", "predicted"]
        long["observed"] = response.loc[test].stack(future_stack=True).to_numpy()
        parts.append(long.dropna(subset=["observed"]).assign(fold=int(fold), repeat=repeat))
    return pd.concat(parts, ignore_index=True)


def prediction_files(models_dir: Path) -> list[tuple[str, str, Path]]:
    """(kind, model, path) of every per-fold prediction file under a model tree:
    ``<kind>/<model>/r<r>-f<f>/`` for single, fusion and concatenation models, and
    ``baseline/<method>/<omics>/r<r>-f<f>/`` for comparators (model ``<method>:<omics>``)."""
    models_dir = Path(models_dir)
    found = [(p.parts[-4], p.parts[-3], p)
             for p in models_dir.glob("*/*/r*-f*/predictions.parquet")]
    found += [("baseline", f"{p.parts[-4]}:{p.parts[-3]}", p)
              for p in models_dir.glob("baseline/*/*/r*-f*/predictions.parquet")]
    return sorted(found, key=lambda item: str(item[2]))


def score_models(models_dir: Path, response: pd.DataFrame,
                 folds: dict[int, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, per_drug): one row per (model, repeat, fold) and per (model, repeat, fold,
    drug), model and per-drug-mean baseline side by side."""
    baseline = pd.concat([baseline_predictions(response, f) for f in folds.values()])
    baseline = baseline.set_index(["repeat", "fold", "cell_line", "drug"])["predicted"]
    rows, per_drug = [], []
    for kind, name, path in prediction_files(models_dir):
        predictions = pd.read_parquet(path)
        key = pd.MultiIndex.from_frame(predictions[["repeat", "fold", "cell_line", "drug"]])
        reference = predictions.assign(predicted=baseline.reindex(key).to_numpy())
        repeat, fold = int(predictions["repeat"].iloc[0]), int(predictions["fold"].iloc[0])
        row = {"kind": kind, "model": name, "repeat": repeat, "fold": fold}
        row |= metrics.summary(predictions)
        row |= {f"baseline_{k}": v for k, v in metrics.summary(reference).items()
                if not k.startswith("n_")}
        rows.append(row)
        drug_table = pd.DataFrame({
            "r2": metrics.per_drug_r2(predictions),
            "mse": metrics.per_drug_mse(predictions),
            "pearson": metrics.per_drug_pearson(predictions),
            "baseline_r2": metrics.per_drug_r2(reference),
            "baseline_mse": metrics.per_drug_mse(reference),
        }).rename_axis("drug").reset_index()
        per_drug.append(drug_table.assign(kind=kind, model=name, repeat=repeat, fold=fold))
    if not rows:
        raise FileNotFoundError(f"no predictions.parquet under {models_dir}")
    return pd.DataFrame(rows), pd.concat(per_drug, ignore_index=True)


def model_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std over repeats x folds per model, best per-drug R^2 first."""
    columns = ["mse", "baseline_mse", "r2_per_drug_mean", "baseline_r2_per_drug_mean",
               "r2_pooled", "baseline_r2_pooled", "top1", "top3"]
    grouped = summary.groupby(["kind", "model"])[columns]
    table = grouped.mean().join(grouped.std(ddof=0), rsuffix="_std")
    table["folds"] = summary.groupby(["kind", "model"]).size()
    return table.sort_values("r2_per_drug_mean", ascending=False).reset_index()
