"""The per-drug mean baseline and the model scoring beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modrp.errors import InputError
from modrp.evaluate import baseline_predictions, model_table, prediction_files, score_models


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
    # each row's observed value is the response of its own line and drug
    assert base["observed"].tolist() == [response.loc[c, d] for c, d in
                                         zip(base["cell_line"], base["drug"], strict=True)]
    assert (baseline_predictions(response, folds.assign(repeat=4))["repeat"] == 4).all()


def test_scores_model_and_baseline_on_the_same_pairs(tmp_path):
    response, folds = study()
    rng = np.random.default_rng(1)
    model_lines = {}
    for fold in range(3):
        test = folds.loc[folds["fold"] == fold, "cell_line"].tolist()[:-2]  # a model subset
        model_lines[fold] = test
        long = response.loc[test].stack().rename("observed").reset_index()
        long.columns = ["cell_line", "drug", "observed"]
        for model, predicted in (
                ("mut-graph", long["observed"] + 0.1),  # a near-perfect model
                ("exp-dense", long["observed"] + rng.normal(0, 0.6, len(long)))):  # a worse one
            out = tmp_path / "single" / model / f"r0-f{fold}"
            out.mkdir(parents=True)
            long.assign(predicted=predicted, fold=fold, repeat=0).to_parquet(
                out / "predictions.parquet")
    summary, per_drug = score_models(tmp_path, response, {0: folds})
    assert len(summary) == 6 and set(per_drug["drug"]) == {"A", "B", "C"}
    near = summary[summary["model"] == "mut-graph"].sort_values("fold")
    assert near["mse"].tolist() == pytest.approx([0.01] * 3)
    assert (near["r2_per_drug_mean"] > 0.9).all()
    assert (summary["baseline_r2_per_drug_mean"] < 0.1).all()

    # The baseline of fold 1 by hand: the drug means of the lines outside fold 1, scored
    # on the model's pairs only (its test lines less the last two).
    values = response.to_numpy()
    in_fold = (folds.set_index("cell_line").loc[response.index, "fold"] == 1).to_numpy()
    train_means = np.nanmean(values[~in_fold], axis=0)

    def baseline_mse(lines):
        rows = response.index.get_indexer(lines)
        errors = (values[rows] - train_means) ** 2
        return float(np.nanmean(errors))

    all_test_lines = folds.loc[folds["fold"] == 1, "cell_line"].tolist()
    expected = baseline_mse(model_lines[1])
    for model in ("mut-graph", "exp-dense"):
        row = summary[(summary["model"] == model) & (summary["fold"] == 1)].iloc[0]
        assert row["baseline_mse"] == pytest.approx(expected, rel=1e-12)
        assert row["baseline_mse"] != pytest.approx(baseline_mse(all_test_lines), rel=1e-6)
    drug_rows = per_drug[(per_drug["model"] == "mut-graph") & (per_drug["fold"] == 1)]
    rows = response.index.get_indexer(model_lines[1])
    expected_per_drug = np.nanmean((values[rows] - train_means) ** 2, axis=0)
    assert drug_rows.set_index("drug").loc[["A", "B", "C"], "baseline_mse"].tolist() == \
        pytest.approx(expected_per_drug.tolist(), rel=1e-12)

    # model_table: the better model first; mean and population std (ddof=0) over folds
    table = model_table(summary)
    assert table["model"].tolist() == ["mut-graph", "exp-dense"]
    assert table["folds"].tolist() == [3, 3]
    for i, model in enumerate(table["model"]):
        scores = summary[summary["model"] == model]
        for column in ("mse", "baseline_mse", "r2_per_drug_mean", "baseline_r2_per_drug_mean",
                       "r2_pooled", "baseline_r2_pooled", "top1", "top3"):
            fold_values = scores[column].to_numpy(float)  # top3: NaN, 3 drugs a line
            assert table.loc[i, column] == pytest.approx(np.mean(fold_values), rel=1e-12,
                                                         nan_ok=True)
            assert table.loc[i, f"{column}_std"] == pytest.approx(
                np.std(fold_values, ddof=0), rel=1e-9, abs=1e-12, nan_ok=True)
    # the folds really differ, so the mean is not any single fold's value
    worse = summary.loc[summary["model"] == "exp-dense", "r2_per_drug_mean"]
    assert worse.max() - worse.min() > 0.01


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


def write_predictions(root, kind, model, repeat, fold, long, predicted):
    out = root / kind / model / f"r{repeat}-f{fold}"
    out.mkdir(parents=True)
    path = out / "predictions.parquet"
    long.assign(predicted=predicted, fold=fold, repeat=repeat).to_parquet(path)
    return path


def test_each_repeat_is_scored_against_the_baseline_of_its_own_folds(tmp_path):
    """Two repeats assign the lines differently: the baseline of (repeat 1, fold f) is the
    drug means of the lines outside fold f in repeat 1, not in repeat 0.  The per-drug
    table gives each column of its own predictions."""
    response, first = study()
    second = first.assign(fold=np.arange(30) // 10, repeat=1)  # blocks, not a stride
    rng = np.random.default_rng(2)
    expected = {}
    for folds in (first, second):
        repeat = int(folds["repeat"].iloc[0])
        assignment = folds.set_index("cell_line")["fold"]
        for fold in range(3):
            test = assignment.index[assignment == fold].tolist()
            long = response.loc[test].stack().rename("observed").reset_index()
            long.columns = ["cell_line", "drug", "observed"]
            predicted = long["observed"] + rng.normal(0, 0.5, len(long))
            write_predictions(tmp_path, "single", "mut-graph", repeat, fold, long, predicted)
            means = response.loc[assignment.index[assignment != fold]].mean()
            baseline = long["drug"].map(means)
            rows = {}
            for drug in ("A", "B", "C"):
                d = (long["drug"] == drug).to_numpy()
                obs, pred, base = long["observed"][d], predicted[d], baseline[d]
                total = ((obs - obs.mean()) ** 2).sum()
                rows[drug] = {"r2": 1 - ((obs - pred) ** 2).sum() / total,
                              "mse": ((obs - pred) ** 2).mean(),
                              "pearson": np.corrcoef(obs, pred)[0, 1],
                              "baseline_r2": 1 - ((obs - base) ** 2).sum() / total,
                              "baseline_mse": ((obs - base) ** 2).mean()}
            expected[repeat, fold] = (float(((long["observed"] - baseline) ** 2).mean()), rows)
    summary, per_drug = score_models(tmp_path, response, {0: first, 1: second})
    assert len(summary) == 6 and sorted(set(summary["repeat"])) == [0, 1]
    for (repeat, fold), (baseline_mse, rows) in expected.items():
        row = summary[(summary["repeat"] == repeat) & (summary["fold"] == fold)]
        assert row["baseline_mse"].item() == pytest.approx(baseline_mse, rel=1e-12)
        table = per_drug[(per_drug["repeat"] == repeat) & (per_drug["fold"] == fold)]
        table = table.set_index("drug")
        for drug, values in rows.items():
            for column, value in values.items():
                assert table.loc[drug, column] == pytest.approx(value, rel=1e-9), \
                    (repeat, fold, drug, column)


def test_a_prediction_file_with_a_missing_prediction_is_an_input_error(tmp_path):
    response, folds = study()
    test = folds.loc[folds["fold"] == 0, "cell_line"].tolist()
    long = response.loc[test].stack().rename("observed").reset_index()
    long.columns = ["cell_line", "drug", "observed"]
    predicted = long["observed"].copy()
    predicted.iloc[4] = np.nan
    path = write_predictions(tmp_path, "fusion", "exp-mut", 0, 0, long, predicted)
    with pytest.raises(InputError, match=r"predictions.parquet: 1 measured .* diverged"):
        score_models(tmp_path, response, {0: folds}, [str(path)])


def test_an_empty_prediction_file_is_an_input_error(tmp_path):
    response, folds = study()
    long = pd.DataFrame({"cell_line": pd.Series(dtype=str), "drug": pd.Series(dtype=str),
                         "observed": pd.Series(dtype=float)})
    path = write_predictions(tmp_path, "fusion", "exp-mut", 0, 0, long, long["observed"])
    with pytest.raises(InputError, match=r"predictions.parquet: holds no predictions"):
        score_models(tmp_path, response, {0: folds}, [str(path)])


@pytest.mark.parametrize("where", ["single/mut-graph/extra/r0-f0", "baseline/mkl/r0-f0"])
def test_a_prediction_file_of_the_wrong_depth_is_refused(tmp_path, where):
    # five levels are a comparator's only, four any other model's only
    with pytest.raises(InputError, match="not a per-fold prediction file"):
        prediction_files(tmp_path, [tmp_path / where / "predictions.parquet"])


def test_score_all_models_scores_the_named_tree_with_every_repeats_folds(tmp_path):
    """The step behind rule metrics: the response and folds files in, the three tables
    out; the audit tree is scored, not the strict models beside it."""
    from types import SimpleNamespace

    from modrp.steps import score_all_models

    response, first = study()
    second = first.assign(fold=np.arange(30) // 10, repeat=1)
    (tmp_path / "data").mkdir()
    response.to_parquet(tmp_path / "data" / "response.parquet")
    folds_paths = []
    for folds in (first, second):
        repeat = int(folds["repeat"].iloc[0])
        folds_paths.append(str(tmp_path / f"r{repeat}.parquet"))
        folds.to_parquet(folds_paths[-1])
        for fold in range(3):
            test = folds.loc[folds["fold"] == fold, "cell_line"].tolist()
            long = response.loc[test].stack().rename("observed").reset_index()
            long.columns = ["cell_line", "drug", "observed"]
            write_predictions(tmp_path / "audit", "single", "mut-graph", repeat, fold, long,
                              long["observed"] + 0.5)
            write_predictions(tmp_path / "models", "single", "mut-graph", repeat, fold, long,
                              long["observed"])
    outputs = SimpleNamespace(summary=tmp_path / "m" / "summary.parquet",
                              per_drug=tmp_path / "m" / "per_drug.parquet",
                              models=tmp_path / "m" / "models.csv")
    score_all_models(tmp_path, folds_paths, outputs, tree="audit")
    summary = pd.read_parquet(outputs.summary)
    assert sorted(zip(summary["repeat"], summary["fold"], strict=True)) == [
        (r, f) for r in (0, 1) for f in range(3)]
    assert summary["mse"].tolist() == pytest.approx([0.25] * 6)
    assert len(pd.read_parquet(outputs.per_drug)) == 18
    table = pd.read_csv(outputs.models)
    assert table["folds"].tolist() == [6] and table["mse"].tolist() == [0.25]
    # without a models output only the two parquet tables are written
    outputs.models.unlink()
    score_all_models(tmp_path, folds_paths, SimpleNamespace(summary=outputs.summary,
                                                            per_drug=outputs.per_drug))
    assert pd.read_parquet(outputs.summary)["mse"].tolist() == pytest.approx([0.0] * 6)
    assert not outputs.models.exists()
    # given the declared files, only those are scored
    declared = [str(tmp_path / "models" / "single" / "mut-graph" / "r1-f2" /
                    "predictions.parquet")]
    score_all_models(tmp_path, folds_paths, outputs, prediction_paths=declared)
    assert pd.read_parquet(outputs.summary)[["repeat", "fold"]].values.tolist() == [[1, 2]]


@pytest.mark.parametrize("change", ["other fold", "other repeat"])
def test_predictions_outside_the_given_folds_are_refused(tmp_path, change):
    """A prediction file whose pairs are no test pairs of the folds given (a line of
    another fold, or a repeat without a folds file) says so, rather than that its
    model diverged."""
    response, folds = study()
    test = folds.loc[folds["fold"] == 0, "cell_line"].tolist()
    long = response.loc[test].stack().rename("observed").reset_index()
    long.columns = ["cell_line", "drug", "observed"]
    if change == "other fold":
        outsider = folds.loc[folds["fold"] == 1, "cell_line"].iloc[0]
        extra = response.loc[[outsider]].stack().rename("observed").reset_index()
        extra.columns = long.columns
        long = pd.concat([long, extra], ignore_index=True)
    path = write_predictions(tmp_path, "single", "mut-graph", 0 if change == "other fold" else 3,
                             0, long, long["observed"])
    message = "not test pairs of their repeat and fold"
    with pytest.raises(InputError, match=message):
        score_models(tmp_path, response, {0: folds}, [str(path)])


def test_a_drug_measured_on_no_training_line_of_a_fold_is_named(tmp_path):
    """Drug C measured on fold 0's lines only: in fold 0 the per-drug mean has nothing to
    predict it from.  The baseline leaves it unpredicted (it crashed on the mismatch) and
    scoring says which drug and fold, not that the predictions belong to other folds."""
    response, folds = study()
    response.loc[folds.loc[folds["fold"] != 0, "cell_line"].to_numpy(), "C"] = np.nan
    base = baseline_predictions(response, folds)
    unpredicted = base[base["predicted"].isna()]
    assert set(unpredicted["drug"]) == {"C"} and set(unpredicted["fold"]) == {0}
    assert len(unpredicted) == 10 and unpredicted["observed"].notna().all()
    test = folds.loc[folds["fold"] == 0, "cell_line"].tolist()
    long = response.loc[test].stack().rename("observed").reset_index()
    long.columns = ["cell_line", "drug", "observed"]
    path = write_predictions(tmp_path, "single", "mut-graph", 0, 0, long, long["observed"])
    with pytest.raises(InputError, match=r"drug\(s\) \['C'\] have no measured training "
                                         r"line in repeat 0, fold 0"):
        score_models(tmp_path, response, {0: folds}, [str(path)])
