"""Score every per-fold prediction file, with the per-drug mean baseline beside each.

The baseline of a (repeat, fold) is fit on that fold's training lines (all lines
outside the test fold) and scored on exactly the (cell line, drug) pairs the
model was scored on, so the two numbers differ only by the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from modrp import metrics
from modrp.baselines import PerDrugMean
from modrp.errors import InputError


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
        long = predicted.stack(future_stack=True).reset_index()  # NaN: drug unmeasured
        long.columns = ["cell_line", "drug", "predicted"]
        long["observed"] = response.loc[test].stack(future_stack=True).to_numpy()
        parts.append(long.dropna(subset=["observed"]).assign(fold=int(fold), repeat=repeat))
    return pd.concat(parts, ignore_index=True)


def prediction_files(models_dir: Path, paths=None) -> list[tuple[str, str, Path]]:
    """(kind, model, path) of per-fold prediction files under a model tree:
    ``<kind>/<model>/r<r>-f<f>/`` for single, fusion and concatenation models, and
    ``baseline/<method>/<omics>/r<r>-f<f>/`` for comparators (model ``<method>:<omics>``).

    ``paths``: exactly these files (the workflow's declared inputs), so models an
    earlier configuration left in the tree are not scored; None: every file found.
    """
    models_dir = Path(models_dir)
    if paths is None:
        paths = [*models_dir.glob("*/*/r*-f*/predictions.parquet"),
                 *models_dir.glob("baseline/*/*/r*-f*/predictions.parquet")]
    found = []
    for path in map(Path, paths):
        try:
            parts = path.relative_to(models_dir).parts
        except ValueError:
            parts = ()
        if len(parts) == 5 and parts[0] == "baseline":
            found.append(("baseline", f"{parts[1]}:{parts[2]}", path))
        elif len(parts) == 4 and parts[0] != "baseline":
            found.append((parts[0], parts[1], path))
        else:
            raise InputError(f"{path}: not a per-fold prediction file of {models_dir} "
                             "(<kind>/<model>/r<r>-f<f>/ or baseline/<method>/<omics>/"
                             "r<r>-f<f>/)")
    return sorted(found, key=lambda item: str(item[2]))


def score_models(models_dir: Path, response: pd.DataFrame, folds: dict[int, pd.DataFrame],
                 paths=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, per_drug): one row per (model, repeat, fold) and per (model, repeat, fold,
    drug), model and per-drug-mean baseline side by side; ``paths`` as for
    :func:`prediction_files`."""
    baseline = pd.concat([baseline_predictions(response, f) for f in folds.values()])
    baseline = baseline.set_index(["repeat", "fold", "cell_line", "drug"])["predicted"]
    rows, per_drug = [], []
    for kind, name, path in prediction_files(models_dir, paths):
        predictions = pd.read_parquet(path)
        if predictions.empty:
            raise InputError(f"{path}: holds no predictions (no test line of its fold); "
                             "the model that wrote it failed, rerun it")
        unpredicted = metrics.unpredicted_pairs(predictions)
        if len(unpredicted):
            raise InputError(f"{path}: {len(unpredicted)} measured (cell line, drug) pair(s) "
                             "have no finite prediction (NaN or infinite); the model that "
                             "wrote this file diverged or failed, rerun it")
        key = pd.MultiIndex.from_frame(predictions[["repeat", "fold", "cell_line", "drug"]])
        reference = predictions.assign(predicted=baseline.reindex(key).to_numpy())
        repeat, fold = int(predictions["repeat"].iloc[0]), int(predictions["fold"].iloc[0])
        measured = predictions["observed"].notna().to_numpy()
        foreign = predictions[measured & ~key.isin(baseline.index)]
        if len(foreign):
            example = foreign.iloc[0]
            raise InputError(
                f"{path}: {len(foreign)} measured pair(s) are not test pairs of their repeat "
                f"and fold in the folds files given, e.g. line {example['cell_line']!r} in "
                f"repeat {int(example['repeat'])}, fold {int(example['fold'])} (folds "
                f"given for repeats {sorted(folds)}); the file belongs to other folds, rerun "
                "the model that wrote it")
        unlearnable = metrics.unpredicted_pairs(reference)
        if len(unlearnable):
            raise InputError(
                f"{path}: drug(s) {sorted(unlearnable['drug'].unique())[:5]} have no measured "
                f"training line in repeat {repeat}, fold {fold}: the per-drug mean (and any "
                "model) has nothing to learn them from; raise drugs.min_coverage")
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
    """Mean ± std over repeats x folds per model (population std, ddof=0, as every table and
    figure), best per-drug R^2 first."""
    columns = ["mse", "baseline_mse", "r2_per_drug_mean", "baseline_r2_per_drug_mean",
               "r2_pooled", "baseline_r2_pooled", "top1", "top3"]
    grouped = summary.groupby(["kind", "model"])[columns]
    table = grouped.mean().join(grouped.std(ddof=0), rsuffix="_std")
    table["folds"] = summary.groupby(["kind", "model"]).size()
    return table.sort_values("r2_per_drug_mean", ascending=False).reset_index()


# Goals of the demo's known-answer check (issue: "the model and its training").
KNOWN_ANSWER_ORACLE_SHARE = 0.7  # fused per-drug R^2 >= this x the oracle's
KNOWN_ANSWER_ATTENTION_SHARE = 0.8  # drugs whose largest attention is on the strongest omic


def known_answer(summary: pd.DataFrame, attention: pd.DataFrame, truth: dict,
                 combination: str) -> pd.DataFrame:
    """Check the cross-validated models against the demo generator's planted signal.

    ``summary`` is :func:`score_models`' table, ``attention`` the fusion of
    ``combination``'s attention files (every repeat and fold), ``truth`` the demo's
    truth.json.  Three checks, one row each (``check, model, value, goal, passed``):
    the fusion of ``combination`` reaches 0.7 x the oracle per-drug R^2 (mean over the
    drugs kept); every single-omics model of the planted strongest omic beats the
    per-drug mean on the same pairs; the largest attention weight (mean over folds) sits
    on the strongest omic for at least 80% of drugs.  Values are means over repeats x
    folds.  A model that is absent counts as failed, never as skipped.
    """
    strongest = truth["strongest_omic"]
    drugs = sorted(attention["drug"].unique()) if len(attention) else []
    oracle = float(np.mean([truth["oracle_r2"][d] for d in drugs])) if drugs else float("nan")
    by_model = summary.groupby(["kind", "model"])[
        ["r2_per_drug_mean", "baseline_r2_per_drug_mean"]].mean()
    rows = []
    fused = by_model.loc[("fusion", combination), "r2_per_drug_mean"] \
        if ("fusion", combination) in by_model.index else float("nan")
    goal = KNOWN_ANSWER_ORACLE_SHARE * oracle
    rows.append({"check": f"fused per-drug R2 >= {KNOWN_ANSWER_ORACLE_SHARE} x oracle "
                          f"({oracle:.3f})",
                 "model": f"fusion:{combination}", "value": fused, "goal": goal,
                 "passed": bool(fused >= goal)})
    singles = [m for k, m in by_model.index if k == "single" and m.split("-")[0] == strongest]
    for model in singles or [f"{strongest}-?"]:
        value, reference = (by_model.loc[("single", model)].tolist()
                            if model in singles else (float("nan"), float("nan")))
        rows.append({"check": f"single {strongest} model beats the per-drug mean",
                     "model": f"single:{model}", "value": value, "goal": reference,
                     "passed": bool(value > reference)})
    mean_weight = attention.groupby(["drug", "omic"])["weight"].mean().unstack()
    share = float((mean_weight.idxmax(axis=1) == strongest).mean()) if drugs else float("nan")
    rows.append({"check": f"largest attention on {strongest} for >= "
                          f"{KNOWN_ANSWER_ATTENTION_SHARE:.0%} of drugs",
                 "model": f"fusion:{combination}", "value": share,
                 "goal": KNOWN_ANSWER_ATTENTION_SHARE,
                 "passed": bool(share >= KNOWN_ANSWER_ATTENTION_SHARE)})
    return pd.DataFrame(rows)
