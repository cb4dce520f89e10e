"""Per-fold pretraining and fusion jobs: no leakage from test lines, bit-repeatable CPU runs,
checkpoints that refuse pickled payloads."""

from __future__ import annotations

import copy
import logging
import pickle
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from modrp.config import validate_config
from modrp.errors import InputError
from modrp.graph import FeatureGraph, save_feature_graph
from modrp.splits import make_folds, validation_lines
from modrp.train import (
    Adam,
    Batch,
    FitSettings,
    ReadsInput,
    Standardization,
    evaluate,
    fit,
    fold_lines,
    fuse_combination,
    fusion_fit_and_stop_lines,
    fusion_holdout,
    fusion_settings,
    job_seed,
    load_checkpoint,
    load_subnetwork,
    long_predictions,
    masked_mse,
    predict,
    pretrain_subnetwork,
    resolve_device,
    training_drug_means,
)

N_LINES, N_DRUGS = 90, 4


def write_study(root, alter_test_fold: int | None = None):
    """A small study: mut (binary, graph) and exp (dense); ln IC50 driven by two genes."""
    rng = np.random.default_rng(0)
    lines = [f"{100000 + i}" for i in range(N_LINES)]
    mut = pd.DataFrame((rng.random((N_LINES, 12)) < 0.3).astype(np.float32), index=lines,
                       columns=[f"G{i}" for i in range(12)])
    exp = pd.DataFrame(rng.normal(size=(N_LINES, 8)).astype(np.float32), index=lines,
                       columns=[f"G{i}" for i in range(8)])
    signal = 3.0 * mut["G0"].to_numpy() - 1.0 * exp["G1"].to_numpy()
    response = pd.DataFrame(signal[:, None] + rng.normal(0, 0.5, (N_LINES, N_DRUGS)),
                            index=lines, columns=[f"drug{j}" for j in range(N_DRUGS)],
                            dtype=np.float32)
    response.iloc[3, 1] = np.nan
    cell_lines = pd.DataFrame({"cell_line": lines, "tissue": "lung"})
    folds = make_folds(cell_lines, {"folds": 3, "seed": 0, "split": "cell_line"}, repeat=0)
    if alter_test_fold is not None:
        test = folds.loc[folds["fold"] == alter_test_fold, "cell_line"].tolist()
        mut.loc[test] = 1.0 - mut.loc[test]
        exp.loc[test] = exp.loc[test] * 10 + 3
        response.loc[test] = response.loc[test] + 5
    for name, frame in (("mut", mut), ("exp", exp)):
        frame.index.name = "cell_line"
        (root / "data" / "omics").mkdir(parents=True, exist_ok=True)
        frame.to_parquet(root / "data" / "omics" / f"{name}.parquet")
    response.index.name = "cell_line"
    response.to_parquet(root / "data" / "response.parquet")
    (root / "splits").mkdir(exist_ok=True)
    folds.to_parquet(root / "splits" / "r0.parquet")
    chain = sp.diags([np.ones(11), np.ones(11)], [-1, 1], shape=(12, 12)) + sp.identity(12)
    save_feature_graph(FeatureGraph(list(mut.columns), sp.csr_matrix(chain, dtype=np.float32)),
                       root / "graph" / "mut.npz")
    return folds


def config():
    return validate_config({
        "dataset": "t", "data": {"source": "demo"}, "omics": ["exp", "mut"],
        "embedding": {"exp": "dense", "mut": "graph"},
        "train": {"max_epochs": {"graph": 80, "dense": 80}, "patience": 15, "batch_size": 16,
                  "device": "cpu", "log_every": 0},
        "fusion": {"max_epochs": 60, "patience": 20},
    })


def run_fold(root, fold=0, protocol="strict", cfg=None):
    cfg = cfg or config()
    metas = {}
    for omic, kind in (("mut", "graph"), ("exp", "dense")):
        metas[omic] = pretrain_subnetwork(
            omic, kind, root / "data", root / "splits" / "r0.parquet", fold, cfg,
            root / "single" / omic, graph_path=root / "graph" / "mut.npz" if kind == "graph"
            else None, protocol=protocol)
    metas["fusion"] = fuse_combination(
        ["exp", "mut"], {o: root / "single" / o / "model.pt" for o in ("exp", "mut")},
        {"mut": root / "graph" / "mut.npz"}, root / "data", root / "splits" / "r0.parquet",
        fold, cfg, root / "fusion")
    return metas


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    write_study(root)
    return root, run_fold(root)


def test_outputs_have_the_documented_columns(clean_run):
    root, metas = clean_run
    predictions = pd.read_parquet(root / "single" / "mut" / "predictions.parquet")
    assert predictions.columns.tolist() == ["cell_line", "drug", "observed", "predicted", "fold",
                                            "repeat"]
    assert predictions["observed"].notna().all()
    folds = pd.read_parquet(root / "splits" / "r0.parquet").set_index("cell_line")["fold"]
    assert (predictions["cell_line"].map(folds) == 0).all()  # test lines only
    attention = pd.read_parquet(root / "fusion" / "attention.parquet")
    assert attention.columns.tolist() == ["drug", "omic", "weight", "fold", "repeat"]
    assert np.allclose(attention.groupby("drug")["weight"].sum(), 1.0)
    for part in ("single/exp", "fusion"):
        history = pd.read_parquet(root / part / "history.parquet")
        assert history.columns.tolist() == ["epoch", "train_mse", "validation_mse", "seconds",
                                            "best"]
        assert history["epoch"].tolist() == list(range(1, len(history) + 1))
        assert history["best"].sum() == 1
    assert history.loc[history["best"], "epoch"].item() == metas["fusion"]["best_epoch"]
    assert metas["mut"]["n_test"] == 30


def test_training_logs_a_progress_line_every_log_every_epochs(tmp_path, caplog):
    cfg = config()
    cfg["train"]["log_every"] = 7
    write_study(tmp_path)
    with caplog.at_level(logging.INFO, logger="modrp.train"):
        run_fold(tmp_path, cfg=cfg)
    for label, part in (("exp-dense r0 f0", "single/exp"), ("mut-graph r0 f0", "single/mut"),
                        ("attention exp-mut r0 f0", "fusion")):
        epochs = len(pd.read_parquet(tmp_path / part / "history.parquet"))
        pattern = re.compile(rf"{re.escape(label)} epoch (\d+): train MSE [\d.]+, "
                             r"validation MSE [\d.]+ \(best [\d.]+ at \d+\)$")
        progress = [pattern.match(r.getMessage()) for r in caplog.records]
        assert [int(m.group(1)) for m in progress if m] == list(range(7, epochs + 1, 7))


def test_models_learn_the_planted_genes(clean_run):
    root, _ = clean_run
    for omic in ("mut", "exp"):
        predictions = pd.read_parquet(root / "single" / omic / "predictions.parquet")
        baseline = predictions.groupby("drug")["observed"].transform("mean")
        model_mse = ((predictions["observed"] - predictions["predicted"]) ** 2).mean()
        mean_mse = ((predictions["observed"] - baseline) ** 2).mean()
        assert model_mse < 0.85 * mean_mse, omic


def test_each_fusion_layer_learns_at_its_own_rate(clean_run, tmp_path):
    """fusion.lr moves the attention layer only, fusion.concatenation_lr the concatenation
    layer only: each held at a negligible rate stays at its start, the plain average of
    the omics' predictions, while the other rate is large."""
    root, _ = clean_run
    assert (config()["fusion"]["lr"], config()["fusion"]["concatenation_lr"]) == (0.1, 0.01)

    def fuse(layer, lr, concatenation_lr):
        cfg = config()
        cfg["fusion"].update(lr=lr, concatenation_lr=concatenation_lr)
        fuse_combination(["exp", "mut"], {o: root / "single" / o / "model.pt"
                                          for o in ("exp", "mut")},
                         {"mut": root / "graph" / "mut.npz"}, root / "data",
                         root / "splits" / "r0.parquet", 0, cfg, tmp_path / f"{layer}-{lr}",
                         layer=layer)
        return pd.read_parquet(tmp_path / f"{layer}-{lr}" / "predictions.parquet")

    attention_held = fuse("attention", 1e-12, 0.5)
    concatenation_held = fuse("concatenation", 0.5, 1e-12)
    np.testing.assert_allclose(attention_held["predicted"], concatenation_held["predicted"],
                               rtol=1e-5, atol=1e-5)
    weights = pd.read_parquet(tmp_path / "attention-1e-12" / "attention.parquet")["weight"]
    np.testing.assert_allclose(weights, 0.5, atol=1e-6)
    attention_moved = fuse("attention", 0.5, 1e-12)
    assert np.abs(attention_moved["predicted"] - attention_held["predicted"]).max() > 1e-3
    with pytest.raises(ValueError, match="neither attention nor concatenation"):
        fusion_settings(config()["fusion"], 10, 0, 0, layer="gating")


def live_stopping_config():
    """config() with a learning rate at which both subnetworks stop early on this study,
    so the epoch they stop at is something test lines could move."""
    cfg = config()
    cfg["train"]["lr"] = 0.01
    return cfg


HISTORY_VALUES = ["epoch", "train_mse", "validation_mse", "best"]  # all but the seconds


def test_test_lines_cannot_change_what_is_learned(tmp_path):
    """Test lines' omics and responses altered: standardization, every weight, every
    epoch's training and validation (early-stopping) loss and the epoch kept are
    bit-identical, for both subnetworks and the fusion.  Both subnetworks stop early
    here, past their first epoch; the fusion, on its few held-out lines, keeps its first
    epoch, so for it the per-epoch losses are what could show a leak."""
    cfg = live_stopping_config()
    runs = {}
    for name, alter in (("clean", None), ("altered", 0)):
        write_study(tmp_path / name, alter_test_fold=alter)
        runs[name] = run_fold(tmp_path / name, cfg=cfg)
    for omic in ("mut", "exp"):  # the premise: both stop early, past their first epoch
        history = pd.read_parquet(tmp_path / "clean" / "single" / omic / "history.parquet")
        assert runs["clean"][omic]["best_epoch"] > 1
        assert len(history) < cfg["train"]["max_epochs"]["graph"] == 80
    for part in ("single/mut", "single/exp", "fusion"):
        before = load_checkpoint(tmp_path / "clean" / part / "model.pt")
        after = load_checkpoint(tmp_path / "altered" / part / "model.pt")
        assert before["state_dict"].keys() == after["state_dict"].keys()
        for key, tensor in before["state_dict"].items():
            assert torch.equal(tensor, after["state_dict"][key]), f"{part}: {key}"
        if "standardization" in before:
            assert torch.equal(before["standardization"]["mean"],
                               after["standardization"]["mean"])
            assert torch.equal(before["standardization"]["scale"],
                               after["standardization"]["scale"])
        histories = [pd.read_parquet(tmp_path / run / part / "history.parquet")[HISTORY_VALUES]
                     for run in ("clean", "altered")]
        pd.testing.assert_frame_equal(*histories, check_exact=True, obj=part)
    for name in ("mut", "exp", "fusion"):
        assert runs["clean"][name]["best_epoch"] == runs["altered"][name]["best_epoch"]
    # the test predictions themselves do change: the inputs did
    clean = pd.read_parquet(tmp_path / "clean" / "single" / "exp" / "predictions.parquet")
    moved = pd.read_parquet(tmp_path / "altered" / "single" / "exp" / "predictions.parquet")
    assert not np.allclose(clean["predicted"], moved["predicted"])


def test_the_fusion_learns_from_the_validation_lines_only(clean_run, tmp_path):
    """The fusion is fit on lines no subnetwork trained on: with the fold's subnetworks
    fixed, altering the training lines' responses leaves the fusion bit-identical, and
    altering the validation lines' changes it."""
    root, metas = clean_run
    cfg = config()
    folds = pd.read_parquet(root / "splits" / "r0.parquet")
    response = pd.read_parquet(root / "data" / "response.parquet")
    held_out = validation_lines(folds, 0, cfg["train"]["validation_fraction"], cfg["cv"]["seed"])
    not_test = set(folds.loc[folds["fold"] != 0, "cell_line"])
    fit_on = {"training": sorted(not_test - set(held_out)),
              "validation": sorted(not_test & set(held_out))}
    assert metas["fusion"]["n_fit"] + metas["fusion"]["n_stop"] == len(fit_on["validation"])
    subnetworks = {o: root / "single" / o / "model.pt" for o in ("exp", "mut")}
    fusions = {}
    for name, lines in fit_on.items():
        data = tmp_path / name / "data"
        shutil.copytree(root / "data", data)
        altered = response.copy()
        altered.loc[lines] = altered.loc[lines] * -2.0 + 3.0
        altered.to_parquet(data / "response.parquet")
        fuse_combination(["exp", "mut"], subnetworks, {"mut": root / "graph" / "mut.npz"},
                         data, root / "splits" / "r0.parquet", 0, cfg, tmp_path / name / "fusion")
        fusions[name] = load_checkpoint(tmp_path / name / "fusion" / "model.pt")["state_dict"]
    clean = load_checkpoint(root / "fusion" / "model.pt")["state_dict"]
    assert all(torch.equal(clean[key], fusions["training"][key]) for key in clean)
    assert not all(torch.equal(clean[key], fusions["validation"][key]) for key in clean)


def test_the_fusion_stop_lines_stop_it_and_train_nothing(clean_run, tmp_path):
    """Of the validation lines, the fit lines train the fusion and the stop lines only
    decide when it stops: shifting the stop lines' responses leaves every epoch's fit
    (its MSE on the fit lines) as it was and raises the MSE it stops on."""
    root, metas = clean_run
    cfg = config()
    response = pd.read_parquet(root / "data" / "response.parquet")
    folds = pd.read_parquet(root / "splits" / "r0.parquet")
    lines = fold_lines(response.index, folds, 0, cfg["train"]["validation_fraction"],
                       cfg["cv"]["seed"])
    fit_on, stop_on = fusion_fit_and_stop_lines(lines.validation, cfg, 0, 0, "test fusion")
    assert (len(fit_on), len(stop_on)) == (metas["fusion"]["n_fit"], metas["fusion"]["n_stop"])
    clean = pd.read_parquet(root / "fusion" / "history.parquet")
    histories = {}
    for name, shifted in (("stop", stop_on), ("fit", fit_on)):
        data = tmp_path / name / "data"
        shutil.copytree(root / "data", data)
        altered = response.copy()
        altered.loc[shifted] += 7.0
        altered.to_parquet(data / "response.parquet")
        fuse_combination(["exp", "mut"], {o: root / "single" / o / "model.pt" for o in
                                          ("exp", "mut")}, {"mut": root / "graph" / "mut.npz"},
                         data, root / "splits" / "r0.parquet", 0, cfg, tmp_path / name / "fusion")
        histories[name] = pd.read_parquet(tmp_path / name / "fusion" / "history.parquet")
    epochs = min(len(clean), len(histories["stop"]))  # the stop may come at another epoch
    assert epochs > 1
    assert histories["stop"]["train_mse"][:epochs].tolist() == clean["train_mse"][:epochs].tolist()
    assert (histories["stop"]["validation_mse"][:epochs] > clean["validation_mse"][:epochs]).all()
    assert histories["fit"]["train_mse"].iloc[0] > clean["train_mse"].iloc[0]


def test_paper_protocol_audit_trains_on_the_test_lines(clean_run, tmp_path):
    """The audit's leak is real: under protocol="paper" the test fold's values reach the
    subnetworks' weights, and the fusion records which protocol its subnetworks had."""
    root, _ = clean_run
    write_study(tmp_path / "clean")
    leaky = run_fold(tmp_path / "clean", protocol="paper")
    write_study(tmp_path / "altered", alter_test_fold=0)
    run_fold(tmp_path / "altered", protocol="paper")
    assert leaky["mut"]["n_train"] == N_LINES - leaky["mut"]["n_validation"]
    assert leaky["mut"]["protocol"] == "paper" and leaky["fusion"]["protocol"] == "paper"
    before = load_checkpoint(tmp_path / "clean" / "single" / "exp" / "model.pt")
    after = load_checkpoint(tmp_path / "altered" / "single" / "exp" / "model.pt")
    assert not torch.equal(before["standardization"]["mean"], after["standardization"]["mean"])
    changed = [k for k, t in before["state_dict"].items()
               if not torch.equal(t, after["state_dict"][k])]
    assert changed
    # the same fold's strict model never saw these lines
    strict = load_checkpoint(root / "single" / "exp" / "model.pt")
    assert strict["meta"]["protocol"] == "strict"
    assert strict["meta"]["n_train"] < leaky["exp"]["n_train"]
    with pytest.raises(ValueError, match="protocol must be one of"):
        pretrain_subnetwork("exp", "dense", root / "data", root / "splits" / "r0.parquet", 0,
                            config(), tmp_path / "x", protocol="loose")


def test_the_fusion_refuses_subnetworks_of_another_fold_or_protocol(clean_run, tmp_path):
    """A subnetwork of another fold has trained on this fold's test lines; subnetworks of
    both protocols would mix a leaky model into a strict fusion."""
    root, _ = clean_run
    subnetworks = {o: root / "single" / o / "model.pt" for o in ("exp", "mut")}

    def fuse(paths, fold=0):
        fuse_combination(["exp", "mut"], paths, {"mut": root / "graph" / "mut.npz"},
                         root / "data", root / "splits" / "r0.parquet", fold, config(),
                         tmp_path / "fusion")

    with pytest.raises(ValueError, match="trained for another fold"):
        fuse(subnetworks, fold=1)
    checkpoint = load_checkpoint(subnetworks["mut"])
    checkpoint["meta"]["protocol"] = "paper"
    torch.save(checkpoint, tmp_path / "paper-mut.pt")
    with pytest.raises(ValueError, match=r"different protocols \['paper', 'strict'\]"):
        fuse({**subnetworks, "mut": tmp_path / "paper-mut.pt"})
    assert not (tmp_path / "fusion" / "model.pt").exists()


def test_the_fusion_uses_the_lines_that_have_every_omic_of_it(clean_run, tmp_path):
    """Lines one omic lacks are left out of the fusion's lines (not looked up and refused)."""
    root, metas = clean_run
    folds = pd.read_parquet(root / "splits" / "r0.parquet")
    test_lines = sorted(folds.loc[folds["fold"] == 0, "cell_line"])
    shutil.copytree(root / "data", tmp_path / "data")
    mut = pd.read_parquet(root / "data" / "omics" / "mut.parquet")
    mut.drop(index=test_lines[:2]).to_parquet(tmp_path / "data" / "omics" / "mut.parquet")
    meta = fuse_combination(["exp", "mut"], {o: root / "single" / o / "model.pt"
                                             for o in ("exp", "mut")},
                            {"mut": root / "graph" / "mut.npz"}, tmp_path / "data",
                            root / "splits" / "r0.parquet", 0, config(), tmp_path / "fusion")
    assert meta["n_test"] == metas["fusion"]["n_test"] - 2
    predictions = pd.read_parquet(tmp_path / "fusion" / "predictions.parquet")
    assert set(predictions["cell_line"]) == set(test_lines[2:])


def test_attention_table_labels_each_weight_with_its_drug_and_omic(clean_run):
    """Each row's weight is the fused model's W(d, m, d) for that row's drug d and omic m
    (eq. 7: a softmax over the omics of W3), recomputed from the saved W3."""
    root, _ = clean_run
    attention = pd.read_parquet(root / "fusion" / "attention.parquet")
    w3 = load_checkpoint(root / "fusion" / "model.pt")["state_dict"]["w3"].double()
    drugs = pd.read_parquet(root / "data" / "response.parquet").columns.tolist()
    omics = ["exp", "mut"]
    for row in attention.itertuples():
        d, m = drugs.index(row.drug), omics.index(row.omic)
        expected = torch.softmax(w3[d, :, d], dim=0)[m].item()
        assert row.weight == pytest.approx(expected, rel=1e-5), (row.drug, row.omic)
    assert len(attention) == len(drugs) * len(omics)
    assert attention["weight"].nunique() > 2  # the weights moved apart: labels matter
    # and the fused test prediction is the weighted sum of the subnetworks' own test
    # predictions under those labels, plus the fusion's bias
    bias = pd.Series(load_checkpoint(root / "fusion" / "model.pt")["state_dict"]["bias"].numpy(),
                     index=drugs)
    fused = pd.read_parquet(root / "fusion" / "predictions.parquet").set_index(
        ["cell_line", "drug"])["predicted"]
    combined = bias.reindex(fused.index.get_level_values("drug")).to_numpy()
    for omic in omics:
        single = pd.read_parquet(root / "single" / omic / "predictions.parquet").set_index(
            ["cell_line", "drug"])["predicted"].reindex(fused.index)
        weight = attention[attention["omic"] == omic].set_index("drug")["weight"]
        combined = combined + weight.reindex(fused.index.get_level_values("drug")).to_numpy() \
            * single.to_numpy()
    np.testing.assert_allclose(fused.to_numpy(), combined, rtol=1e-5, atol=1e-5)


def test_two_cpu_runs_are_bit_identical(clean_run, tmp_path):
    root, _ = clean_run
    write_study(tmp_path)
    run_fold(tmp_path)
    for part in ("single/mut", "single/exp", "fusion"):
        a = pd.read_parquet(root / part / "predictions.parquet")
        b = pd.read_parquet(tmp_path / part / "predictions.parquet")
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def validation_batch(root, omic, fold=0):
    """The fold's validation lines of ``omic`` as a Batch, read back from its checkpoint."""
    cfg = config()
    model, standardization, meta = load_subnetwork(
        root / "single" / omic / "model.pt",
        root / "graph" / "mut.npz" if omic == "mut" else None, torch.device("cpu"))
    matrix = pd.read_parquet(root / "data" / "omics" / f"{omic}.parquet")
    response = pd.read_parquet(root / "data" / "response.parquet")
    folds = pd.read_parquet(root / "splits" / "r0.parquet")
    held_out = validation_lines(folds, fold, cfg["train"]["validation_fraction"],
                                cfg["cv"]["seed"])
    rows = [line for line in matrix.index if line in held_out]
    assert len(rows) == meta["n_validation"]
    batch = Batch.from_arrays({omic: standardization.transform(matrix.loc[rows])},
                              response.loc[rows, meta["drugs"]].to_numpy(np.float32),
                              torch.device("cpu"))
    return ReadsInput(model, omic), batch


def test_the_saved_model_is_the_best_epoch_not_the_last(tmp_path):
    cfg = config()
    cfg["train"]["lr"] = 0.02  # overfits the 8 features within a few dozen epochs
    cfg["train"]["max_epochs"] = {"graph": 300, "dense": 300}
    write_study(tmp_path)
    pretrain_subnetwork("exp", "dense", tmp_path / "data", tmp_path / "splits" / "r0.parquet",
                        0, cfg, tmp_path / "single" / "exp")
    history = pd.read_parquet(tmp_path / "single" / "exp" / "history.parquet")
    best = history.loc[history["best"]].iloc[0]
    assert history["epoch"].max() == best["epoch"] + cfg["train"]["patience"]  # stopped early
    assert history["validation_mse"].iloc[-1] > best["validation_mse"]
    model, validation = validation_batch(tmp_path, "exp")
    assert evaluate(model, validation) == pytest.approx(best["validation_mse"], rel=1e-6)


def test_validation_responses_do_not_train_the_subnetwork(tmp_path):
    """The fusion fits on the validation lines, so nothing the subnetwork learns may come
    from their ln IC50 except when to stop: with stopping out of play (patience = max
    epochs), altering those responses leaves every training loss bit-identical."""
    cfg = config()
    cfg["train"]["max_epochs"] = {"graph": 12, "dense": 12}
    cfg["train"]["patience"] = 12
    histories = {}
    for name in ("clean", "altered"):
        root = tmp_path / name
        folds = write_study(root)
        if name == "altered":
            held_out = validation_lines(folds, 0, cfg["train"]["validation_fraction"],
                                        cfg["cv"]["seed"])
            response = pd.read_parquet(root / "data" / "response.parquet")
            response.loc[sorted(held_out)] += 7.0
            response.to_parquet(root / "data" / "response.parquet")
        pretrain_subnetwork("exp", "dense", root / "data", root / "splits" / "r0.parquet", 0,
                            cfg, root / "single" / "exp")
        histories[name] = pd.read_parquet(root / "single" / "exp" / "history.parquet")
    clean, altered = histories["clean"], histories["altered"]
    assert len(clean) == len(altered) == 12
    assert clean["train_mse"].tolist() == altered["train_mse"].tolist()
    assert (altered["validation_mse"] > clean["validation_mse"]).all()


def test_each_embedding_trains_for_its_own_max_epochs(tmp_path):
    cfg = config()
    cfg["train"]["max_epochs"] = {"graph": 3, "dense": 5}
    cfg["train"]["patience"] = 10  # no early stop within these epochs
    write_study(tmp_path)
    for omic, kind, epochs in (("mut", "graph", 3), ("exp", "dense", 5)):
        pretrain_subnetwork(omic, kind, tmp_path / "data", tmp_path / "splits" / "r0.parquet",
                            0, cfg, tmp_path / "single" / omic,
                            graph_path=tmp_path / "graph" / "mut.npz" if kind == "graph" else None)
        history = pd.read_parquet(tmp_path / "single" / omic / "history.parquet")
        assert len(history) == epochs, kind


def test_a_graph_subnetwork_reads_the_graphs_features_in_the_graphs_order(tmp_path):
    """The graph may keep some of the omic's features, in its own order (drop_isolated):
    the subnetwork, its standardization and its checkpoint follow the graph's features."""
    folds = write_study(tmp_path)
    kept = [f"G{i}" for i in range(11, 1, -1)]  # ten of twelve, reversed
    chain = sp.diags([np.ones(9), np.ones(9)], [-1, 1], shape=(10, 10)) + sp.identity(10)
    save_feature_graph(FeatureGraph(kept, sp.csr_matrix(chain, dtype=np.float32)),
                       tmp_path / "graph" / "kept.npz")
    cfg = config()
    cfg["train"]["max_epochs"] = {"graph": 2, "dense": 2}
    meta = pretrain_subnetwork("mut", "graph", tmp_path / "data",
                               tmp_path / "splits" / "r0.parquet", np.int64(0), cfg,
                               tmp_path / "single" / "mut",
                               graph_path=tmp_path / "graph" / "kept.npz")
    checkpoint = load_checkpoint(tmp_path / "single" / "mut" / "model.pt")  # numpy fold: int
    assert meta["features"] == checkpoint["standardization"]["features"] == kept
    assert type(checkpoint["meta"]["fold"]) is int
    mut = pd.read_parquet(tmp_path / "data" / "omics" / "mut.parquet")
    fitted_on = folds.loc[folds["fold"] != 0, "cell_line"]  # training + validation lines
    np.testing.assert_allclose(checkpoint["standardization"]["mean"].numpy(),
                               mut.loc[fitted_on, kept].mean().to_numpy(), rtol=1e-6)


class _Payload:
    def __reduce__(self):
        return (print, ("this ran while loading a checkpoint",))


def test_a_drug_no_training_line_measured_stops_pretraining(tmp_path):
    folds = write_study(tmp_path)
    response = pd.read_parquet(tmp_path / "data" / "response.parquet")
    not_test = folds.loc[folds["fold"] != 0, "cell_line"]
    response.loc[not_test, "drug2"] = np.nan
    response.to_parquet(tmp_path / "data" / "response.parquet")
    with pytest.raises(InputError, match=r"fold 0: no training line .* 1 drug\(s\) \(drug2\)"):
        pretrain_subnetwork("exp", "dense", tmp_path / "data", tmp_path / "splits" / "r0.parquet",
                            0, config(), tmp_path / "single" / "exp")
    assert not (tmp_path / "single" / "exp" / "model.pt").exists()


def test_fusion_holdout_keeps_lines_to_fit_and_to_stop_on():
    rng = np.random.default_rng(0)
    fit_lines, stop_lines = fusion_holdout(["a", "b", "c"], 0.9, rng, "test fusion")
    assert len(fit_lines) == 1 and len(stop_lines) == 2
    assert sorted(fit_lines + stop_lines) == ["a", "b", "c"]
    fit_lines, stop_lines = fusion_holdout([f"l{i}" for i in range(20)], 0.3, rng, "test fusion")
    assert (len(fit_lines), len(stop_lines)) == (14, 6)
    fit_lines, stop_lines = fusion_holdout([f"l{i}" for i in range(9)], 0.3, rng, "test fusion")
    assert (len(fit_lines), len(stop_lines)) == (6, 3)  # 2.7 rounds to 3
    with pytest.raises(InputError, match="test fusion: only 1 held-out line"):
        fusion_holdout(["a"], 0.3, rng, "test fusion")


def test_fold_lines_split_the_available_lines_and_refuse_an_empty_part():
    folds = pd.DataFrame({"cell_line": [f"c{i}" for i in range(9)], "fold": [0, 1, 2] * 3,
                          "repeat": 0})
    everyone = pd.Index(folds["cell_line"])
    lines = fold_lines(everyone, folds, 0, 0.5, 0)
    assert lines.test == ["c0", "c3", "c6"]
    assert (len(lines.train), len(lines.validation)) == (3, 3)  # half of the 6 others
    assert sorted(lines.train + lines.validation) == ["c1", "c2", "c4", "c5", "c7", "c8"]
    with pytest.raises(InputError, match=r"fold 0: too few cell lines \(6 train, 0 validation, "
                                         r"3 test\) among the 9"):
        fold_lines(everyone, folds, 0, 0.0, 0)
    with pytest.raises(InputError, match=r", 0 test\) among the 6"):  # no fold-0 line has them
        fold_lines(pd.Index(["c1", "c2", "c4", "c5", "c7", "c8"]), folds, 0, 0.5, 0)
    with pytest.raises(InputError, match=r"\(0 train, 6 validation"):  # all others held out
        fold_lines(everyone, folds, 0, 1.0, 0)


def test_fusion_settings_fit_the_whole_fit_set_as_one_batch():
    fusion_cfg = config()["fusion"]
    for layer, lr in (("attention", fusion_cfg["lr"]),
                      ("concatenation", fusion_cfg["concatenation_lr"])):
        settings = fusion_settings(fusion_cfg, 137, seed=5, log_every=3, layer=layer)
        assert settings == FitSettings(lr=lr, max_epochs=fusion_cfg["max_epochs"],
                                       patience=fusion_cfg["patience"], batch_size=137, seed=5,
                                       log_every=3)


def test_job_seeds_differ_for_labels_sharing_a_prefix():
    seeds = {job_seed(0, "attention", combination, 0, 0)
             for combination in ("exp-mut", "exp-cnv", "exp-cnv-rppa", "exp-mut-cnv")}
    assert len(seeds) == 4
    assert job_seed(0, "attention", "exp-mut", 0, 0) == job_seed(0, "attention", "exp-mut", 0, 0)
    assert job_seed(0, "a", "b") != job_seed(1, "a", "b")


def test_checkpoint_with_pickled_payload_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "meta": _Payload()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(path)


def test_a_device_this_machine_cannot_give_is_an_input_error_naming_train_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    for name in ("gpu", "mps", "meta"):
        with pytest.raises(InputError, match=rf"train\.device: '{name}' is not"):
            resolve_device(name)
    missing = "cuda" if not torch.cuda.is_available() else f"cuda:{torch.cuda.device_count()}"
    with pytest.raises(InputError, match=rf"train\.device is '{missing}', but"):
        resolve_device(missing)


def test_masked_mse_ignores_missing_pairs():
    predicted = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    observed = torch.tensor([[1.0, 0.0], [5.0, 4.0]])
    measured = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    assert masked_mse(predicted, observed, measured).item() == pytest.approx(4.0 / 3)
    # a batch with nothing measured: a loss of 0 and a zero gradient, not 0 / 0
    predicted.requires_grad_()
    loss = masked_mse(predicted, observed, torch.zeros_like(measured))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(predicted.grad, torch.zeros_like(predicted))


def test_a_batch_masks_the_missing_responses_and_zeroes_them():
    batch = Batch.from_arrays({"x": np.zeros((2, 1))},
                              np.array([[1.0, np.nan], [np.nan, 2.0]]), torch.device("cpu"))
    assert batch.measured.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert batch.observed.tolist() == [[1.0, 0.0], [0.0, 2.0]]


def test_drug_means_average_the_measured_lines_only():
    response = pd.DataFrame({"d1": [1.0, np.nan, 3.0], "d2": [np.nan, np.nan, -2.0]})
    assert training_drug_means(response, "test").tolist() == [2.0, -2.0]


def test_long_predictions_pair_each_value_with_its_line_and_drug():
    observed = pd.DataFrame([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]], index=["a", "b"],
                            columns=["x", "y", "z"])
    # rows follow the lines given, columns the drugs given: (b, z) = 1, (b, x) = 2, ...
    predicted = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    frame = long_predictions(["b", "a"], ["z", "x", "y"], observed, predicted, fold=2, repeat=1)
    assert frame[["cell_line", "drug", "observed", "predicted"]].values.tolist() == [
        ["b", "z", 6.0, 1.0], ["b", "x", 4.0, 2.0], ["b", "y", 5.0, 3.0],
        ["a", "z", 3.0, 4.0], ["a", "x", 1.0, 5.0]]  # (a, y) was not measured
    assert set(frame["fold"]) == {2} and set(frame["repeat"]) == {1}


class InputsSeen(torch.nn.Module):
    """A linear layer that records the input values of each batch it trains on."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(1, 1)
        self.batches = []

    def forward(self, x):
        if self.training:
            self.batches.append(x[:, 0].round().long().tolist())
        return self.linear(x)


def training_batches(seed: int) -> list[list[int]]:
    """The batches of lines (0-9, as their input) two epochs of fit train on."""
    layer = InputsSeen()
    lines = Batch.from_arrays({"x": np.arange(10.0)[:, None]}, np.zeros((10, 1)),
                              torch.device("cpu"))
    fit(ReadsInput(layer, "x"), lines, lines,
        FitSettings(max_epochs=2, patience=5, batch_size=3, seed=seed, log_every=0))
    return layer.batches


def test_each_epoch_trains_on_every_line_once_in_a_new_seeded_order():
    batches = training_batches(seed=0)
    assert [len(batch) for batch in batches] == [3, 3, 3, 1] * 2
    first, second = sum(batches[:4], []), sum(batches[4:], [])
    assert sorted(first) == sorted(second) == list(range(10))
    assert first != second
    assert training_batches(seed=0) == batches
    assert sum(training_batches(seed=1)[:4], []) != first


def test_an_epochs_training_mse_pools_its_measured_pairs():
    # at lr 0 the model stays as it is, so the epoch's MSE is its MSE on all the lines;
    # the batches measure 1 to 6 pairs each, so an average of their MSEs would differ
    response = np.array([[1, 2], [np.nan, 3], [np.nan, np.nan], [4, 5], [6, np.nan], [0, 1],
                         [2, 2]])
    lines = Batch.from_arrays({"x": np.arange(7.0)[:, None]}, response, torch.device("cpu"))
    torch.manual_seed(0)
    model = ReadsInput(torch.nn.Linear(1, 2), "x")
    history = fit(model, lines, lines,
                  FitSettings(lr=0.0, max_epochs=1, patience=5, batch_size=3, log_every=0))
    assert history["train_mse"].iloc[0] == pytest.approx(evaluate(model, lines), rel=1e-6)


def test_fit_steps_adam_on_each_batch_gradient_alone():
    """One full batch per epoch: fit takes the steps of a plain torch.optim.Adam loop
    (gradients zeroed before each), so epoch e's training MSE is the loss before its
    step and its validation MSE (here on the same lines) the loss after it."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3))
    y = x @ rng.normal(size=(3, 2)) + rng.normal(0, 0.1, (12, 2))
    lines = Batch.from_arrays({"x": x}, y, torch.device("cpu"))
    torch.manual_seed(0)
    ours = torch.nn.Linear(3, 2)
    theirs = copy.deepcopy(ours)
    history = fit(ReadsInput(ours, "x"), lines, lines,
                  FitSettings(lr=0.05, max_epochs=6, patience=10, batch_size=12, log_every=0))
    optimizer = torch.optim.Adam(theirs.parameters(), lr=0.05, foreach=False)
    inputs = torch.as_tensor(x, dtype=torch.float32)
    targets = torch.as_tensor(y, dtype=torch.float32)
    losses = []
    for _ in range(7):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(theirs(inputs), targets)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    assert history["train_mse"].tolist() == pytest.approx(losses[:6], rel=1e-5)
    assert history["validation_mse"].tolist() == pytest.approx(losses[1:], rel=1e-5)


def test_a_flat_validation_loss_keeps_the_first_epoch_and_stops_after_patience():
    # at lr 0 no epoch improves on the first: it is kept, and the fit stops 3 epochs on
    lines = Batch.from_arrays({"x": np.arange(4.0)[:, None]}, np.ones((4, 1)),
                              torch.device("cpu"))
    history = fit(ReadsInput(torch.nn.Linear(1, 1), "x"), lines, lines,
                  FitSettings(lr=0.0, max_epochs=50, patience=3, batch_size=4, log_every=0))
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert history["best"].tolist() == [True, False, False, False]


def test_predict_and_evaluate_switch_dropout_off():
    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 2)
    model = ReadsInput(torch.nn.Sequential(layer, torch.nn.Dropout(0.5)), "x").train()
    x = torch.randn(50, 3)
    with torch.no_grad():
        expected = layer(x)
    np.testing.assert_array_equal(predict(model, {"x": x}), expected.numpy())
    data = Batch({"x": x}, torch.zeros_like(expected), torch.ones_like(expected))
    assert evaluate(model.train(), data) == pytest.approx(float((expected ** 2).mean()),
                                                          rel=1e-6)


def test_standardization_fit_on_given_rows_only():
    frame = pd.DataFrame({"a": [1.0, 3.0, 100.0], "b": [2.0, 2.0, 2.0]})
    scaler = Standardization.fit(frame.iloc[:2])
    assert scaler.mean.tolist() == [2.0, 2.0]
    assert scaler.scale.tolist() == [1.0, 1.0]  # constant column keeps scale 1
    assert scaler.transform(frame)[2].tolist() == [98.0, 0.0]
    # columns are read by name: another order or an extra column changes nothing
    shuffled = frame[["b", "a"]].assign(c=5.0)
    np.testing.assert_array_equal(scaler.transform(shuffled), scaler.transform(frame))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_adam_matches_torch_optim(dtype):
    torch.manual_seed(0)
    ours_net = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(),
                                   torch.nn.Linear(4, 2)).to(dtype)
    theirs_net = copy.deepcopy(ours_net)
    initial = copy.deepcopy(ours_net)
    ours = Adam(ours_net.parameters(), lr=0.01)
    theirs = torch.optim.Adam(theirs_net.parameters(), lr=0.01, foreach=False)
    x, y = torch.randn(16, 5, dtype=dtype), torch.randn(16, 2, dtype=dtype)
    for step in range(25):
        for net, optimizer in ((ours_net, ours), (theirs_net, theirs)):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(net(x), y).backward()
            if step % 3 == 1:
                # no gradient this step: left alone, and its step count does not advance
                net[2].bias.grad = None
            optimizer.step()
    for a, b in zip(ours_net.parameters(), theirs_net.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert not torch.allclose(ours_net[0].weight, initial[0].weight)  # it did train
    assert [int(s) for s in ours.steps] == [25, 25, 25, 17]


def test_adam_updates_parameters_and_gradients_of_any_layout():
    # The fused kernel reads flat memory: a transposed gradient, or a parameter that is
    # a transposed view, must still be paired element by element.
    torch.manual_seed(0)
    start = torch.randn(3, 4)
    cases = {"contiguous parameter, transposed gradient": (start.clone(), True),
             "transposed parameter, contiguous gradient": (start.t().contiguous().t(), False),
             "transposed parameter and gradient": (start.t().contiguous().t(), True)}
    for case, (initial, transpose_grad) in cases.items():
        ours, theirs = torch.nn.Parameter(initial.clone()), torch.nn.Parameter(initial.clone())
        ours_adam = Adam([ours], lr=0.01)
        theirs_adam = torch.optim.Adam([theirs], lr=0.01, foreach=False)
        for _ in range(10):
            grad = torch.randn(3, 4)
            ours.grad = grad.t().contiguous().t() if transpose_grad else grad.clone()
            theirs.grad = grad.clone()
            ours_adam.step()
            theirs_adam.step()
        torch.testing.assert_close(ours.detach(), theirs.detach(), rtol=1e-6, atol=1e-7,
                                   msg=case)
        assert ours.stride() == initial.stride(), case  # updated in place


def test_adam_steps_parameters_of_mixed_dtypes():
    single = torch.nn.Parameter(torch.ones(3))
    double = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    optimizer = Adam([single, double], lr=0.1)
    single.grad, double.grad = torch.ones(3), -torch.ones(2, dtype=torch.float64)
    optimizer.step()
    # Adam's first step moves every coordinate by lr against its gradient's sign
    torch.testing.assert_close(single.detach(), torch.full((3,), 0.9))
    torch.testing.assert_close(double.detach(), torch.full((2,), 1.1, dtype=torch.float64))


PAGE_FAULT_PROBE = """
import resource, sys
import numpy as np, scipy.sparse as sp, torch
from modrp.model import GraphEmbedding
from modrp.train import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else False
torch.manual_seed(0)
n = 6000
rng = np.random.default_rng(0)
a = sp.random(n, n, density=8 / n, random_state=0, format="csr")
a = ((a + a.T + sp.eye(n)) != 0).astype(np.float32)
layer = GraphEmbedding(a)
x = torch.randn(n, 256).t()
def step():
    layer.zero_grad()
    layer(x).sum().backward()
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")
def test_keeping_freed_memory_spares_the_page_faults_of_each_step():
    """With glibc's defaults every graph-layer step faults its n x batch buffers back in;
    after keep_freed_memory() the steps reuse them."""
    faults = {}
    for mode in ("default", "keep"):
        result = subprocess.run([sys.executable, "-c", PAGE_FAULT_PROBE, mode],
                                capture_output=True, text=True, check=True)
        kept, count = result.stdout.split()
        faults[mode] = int(count)
        assert kept == str(mode == "keep")
    # Buffers of 6,000 x 256 floats are 1,500 pages each; by default a good part of
    # them comes back through page faults at every step (3.4k-17k faults over the 20
    # steps on the 2-core CI machine, varying from run to run), after it almost none.
    assert faults["default"] > 20 * 50, faults
    assert faults["keep"] < faults["default"] / 20, faults
