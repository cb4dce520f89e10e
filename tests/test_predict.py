"""Final models and ``modrp predict``: the folder is self-contained and loads with
weights_only; predicting the training lines' own profiles reproduces the saved
predictions; input checks (missing omic, duplicated ids, missing features, NaN);
the real-source reader encodes files as preprocessing does; the ranking CSV."""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import pickle
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from modrp import steps
from modrp.cli import main
from modrp.config import validate_config
from modrp.demo import write_demo_dataset
from modrp.errors import InputError
from modrp.predict import (
    ABSENT_IS_ZERO,
    _held_out_lines,
    check_ranking_target,
    drug_ranking,
    far_value_z,
    load_final_model,
    predict_lines,
    predict_with_report,
    read_new_profiles,
    report_lines,
    scale_slopes,
    train_final_model,
    write_ranking,
)

COMBINATION = ["exp", "mut", "rppa"]


def small_config():
    return validate_config({
        "dataset": "t", "data": {"source": "demo"},
        "embedding": {"exp": "graph", "mut": "graph", "cnv": "graph", "rppa": "dense",
                      "metabolites": "dense"},
        "train": {"max_epochs": {"graph": 12, "dense": 12}, "patience": 5, "batch_size": 16,
                  "device": "cpu", "log_every": 0},
        "fusion": {"max_epochs": 25, "patience": 10},
    })


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A tiny demo, preprocessed, with graphs, and its final exp-mut-rppa model."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("final")
    config = small_config()
    write_demo_dataset(root / "raw", seed=0, n_lines=60, n_genes=220, n_edges=600)
    steps.preprocess(config, root / "raw", root / "data")
    for omic in ("exp", "mut"):
        steps.build_graph(omic, root / "data", root / "graph" / f"{omic}.npz",
                          root / "graph" / f"{omic}.json", drop_isolated=True)
    meta = train_final_model(COMBINATION, root / "data", root / "graph", config,
                             root / "results" / "final")
    return root, meta


def study_omics(root, omics=COMBINATION):
    return {o: pd.read_parquet(root / "data" / "omics" / f"{o}.parquet") for o in omics}


def saved_predictions(root):
    frame = pd.read_parquet(root / "results" / "final" / "predictions.parquet")
    return frame.pivot(index="cell_line", columns="drug", values="predicted")


def test_final_model_folder_holds_everything_it_needs(study):
    root, meta = study
    folder = root / "results" / "final"
    for name in ("model.json", "exp.pt", "mut.pt", "rppa.pt", "fusion.pt", "graph/exp.npz",
                 "graph/mut.npz", "standardization.parquet", "drugs.parquet",
                 "predictions.parquet", "attention.parquet"):
        assert (folder / name).is_file(), name
    assert not (folder / "graph" / "rppa.npz").exists()  # dense embedding: no graph
    # the folder is made private while it is written, and opened up as mkdir would
    umask = os.umask(0)
    os.umask(umask)
    assert folder.stat().st_mode & 0o777 == 0o777 & ~umask
    on_disk = json.loads((folder / "model.json").read_text())
    assert on_disk == json.loads(json.dumps(meta))
    response = pd.read_parquet(root / "data" / "response.parquet")
    assert meta["combination"] == COMBINATION and meta["drugs"] == response.columns.tolist()
    assert meta["embeddings"] == {"exp": "graph", "mut": "graph", "rppa": "dense"}
    assert meta["max_missing_features"] == 0.2
    omics = study_omics(root)
    complete = sorted(set(omics["exp"].index) & set(omics["mut"].index)
                      & set(omics["rppa"].index))
    lacking = {o: int((~response.index.isin(m.index)).sum()) for o, m in omics.items()}
    assert meta["lines"]["with_all_omics"] == len(complete)
    assert meta["lines"]["lacking_omic"] == lacking and max(lacking.values()) > 0
    for omic in COMBINATION:  # every study line of the omic: trained on or held out
        spec = meta["omics"][omic]
        assert spec["n_train"] + spec["n_validation"] == len(omics[omic])
    assert meta["fusion"]["n_fit"] + meta["fusion"]["n_stop"] <= meta["lines"]["held_out"]
    predictions = pd.read_parquet(folder / "predictions.parquet")
    assert predictions.columns.tolist() == ["cell_line", "drug", "predicted", "observed", "role"]
    assert sorted(predictions["cell_line"].unique()) == complete
    assert len(predictions) == len(complete) * len(meta["drugs"])
    assert (predictions.groupby("role")["cell_line"].nunique()
            == pd.Series({"fusion_fit": meta["fusion"]["n_fit"],
                          "fusion_stop": meta["fusion"]["n_stop"],
                          "train": len(complete) - meta["fusion"]["n_fit"]
                          - meta["fusion"]["n_stop"]})).all()
    attention = pd.read_parquet(folder / "attention.parquet")
    assert np.allclose(attention.groupby("drug")["weight"].sum(), 1.0)
    scaling = pd.read_parquet(folder / "standardization.parquet")
    exp_stats = scaling[scaling["omic"] == "exp"].set_index("feature")
    assert exp_stats.index.tolist() == meta["omics"]["exp"]["features"]
    features = meta["omics"]["exp"]["features"]
    assert np.allclose(exp_stats["mean"], omics["exp"][features].mean(), atol=1e-5)


def test_checkpoints_load_with_weights_only_and_refuse_pickles(study, tmp_path, capsys):
    root, _ = study
    folder = root / "results" / "final"
    for name in ("exp.pt", "mut.pt", "rppa.pt", "fusion.pt"):
        checkpoint = torch.load(folder / name, map_location="cpu", weights_only=True)
        assert set(checkpoint) >= {"state_dict", "meta"}
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)

    class Payload:
        def __reduce__(self):
            return (print, ("ran while loading",))

    torch.save({"state_dict": {}, "meta": Payload()}, copy / "fusion.pt")
    with pytest.raises(InputError, match="fusion.pt cannot be loaded .*Weights only load "
                                         "failed.*not written by this version") as info:
        load_final_model(copy)
    assert isinstance(info.value.__cause__, pickle.UnpicklingError)
    assert "ran while loading" not in capsys.readouterr().out


def test_predicting_the_training_profiles_reproduces_the_saved_predictions(study, tmp_path):
    root, meta = study
    moved = tmp_path / "elsewhere"  # self-contained: works away from data/ and graph/
    shutil.copytree(root / "results" / "final", moved)
    model = load_final_model(moved)
    predicted = predict_lines(model, study_omics(root, COMBINATION + ["cnv"]))
    expected = saved_predictions(root)
    assert predicted.columns.tolist() == meta["drugs"]
    assert sorted(predicted.index) == sorted(expected.index)
    np.testing.assert_allclose(predicted.loc[expected.index, expected.columns].to_numpy(),
                               expected.to_numpy(), rtol=0, atol=1e-5)


def test_cli_ranks_drugs_from_custom_files(study, tmp_path, capsys):
    root, meta = study
    omics = study_omics(root, COMBINATION + ["cnv"])
    omics["exp"].to_csv(tmp_path / "exp.csv")
    omics["mut"].to_csv(tmp_path / "mut.tsv", sep="\t")
    omics["rppa"].to_parquet(tmp_path / "rppa.parquet")
    omics["cnv"].to_csv(tmp_path / "cnv.csv")
    out = tmp_path / "ranking.csv"
    code = main(["predict", "--model", str(root / "results" / "final"), "--omics",
                 str(tmp_path / "exp.csv"), f"mut={tmp_path / 'mut.tsv'}",
                 "--omics", str(tmp_path / "rppa.parquet"), str(tmp_path / "cnv.csv"),
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "ignored omics (not read by this model): cnv" in printed
    assert f"{meta['lines']['with_all_omics']} cell line(s) x 22 drugs" in printed
    ranking = pd.read_csv(out, dtype={"cell_line": str})
    assert ranking.columns.tolist() == ["cell_line", "rank", "drug", "predicted_ln_ic50",
                                        "target", "pathway"]
    expected = saved_predictions(root).stack().rename("saved").reset_index()
    merged = ranking.merge(expected, on=["cell_line", "drug"], validate="one_to_one")
    assert len(merged) == len(ranking) == len(expected)
    np.testing.assert_allclose(merged["predicted_ln_ic50"], merged["saved"], atol=1e-4)
    for _, group in ranking.groupby("cell_line", sort=False):
        assert group["rank"].tolist() == list(range(1, len(meta["drugs"]) + 1))
        assert group["predicted_ln_ic50"].is_monotonic_increasing  # most effective first
    drugs = pd.read_parquet(root / "data" / "drugs.parquet").set_index("drug")
    assert (ranking["target"] == ranking["drug"].map(drugs["target"])).all()


def test_drug_ranking_puts_the_lowest_ln_ic50_first(study):
    root, _ = study
    model = load_final_model(root / "results" / "final")
    drugs = model.drugs
    values = np.tile(np.arange(len(drugs), dtype=float), (2, 1))
    values[1] = values[1][::-1]
    ranking = drug_ranking(model, pd.DataFrame(values, index=["b", "a"], columns=drugs))
    assert ranking["cell_line"].tolist()[:1] == ["b"]  # input order of the lines kept
    assert ranking.loc[ranking["cell_line"] == "b", "drug"].tolist() == drugs
    assert ranking.loc[ranking["cell_line"] == "a", "drug"].tolist() == drugs[::-1]


def test_missing_features_and_nan_get_the_training_mean_and_are_counted(study):
    root, meta = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    features = meta["omics"]["exp"]["features"]
    dropped = features[:5]
    stats = pd.read_parquet(root / "results" / "final" / "standardization.parquet")
    mean = stats[stats["omic"] == "exp"].set_index("feature")["mean"]
    filled = omics["exp"].copy()
    filled[dropped] = mean[dropped].to_numpy()  # what the model should assume
    lines = filled.index[:2]
    filled.loc[lines, features[10]] = mean[features[10]]
    holey = omics["exp"].drop(columns=dropped)
    holey.loc[lines, features[10]] = np.nan
    holey["NOT_A_MODEL_GENE"] = 1.0
    expected = predict_lines(model, {**omics, "exp": filled})
    got, report = predict_with_report(model, {**omics, "exp": holey})
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-5)
    counts = report["omics"]["exp"]
    assert counts["features_missing"] == 5 and counts["missing_examples"] == dropped
    extra_in_study = len(omics["exp"].columns) - len(features)  # not in the graph
    assert counts["features_extra_ignored"] == extra_in_study + 1
    assert counts["nan_values_filled"] == sum(line in got.index for line in lines)
    assert report["omics"]["mut"]["features_missing"] == 0
    # the fill matters: zeros instead of the means would predict differently
    zeros = predict_lines(model, {**omics, "exp": omics["exp"].assign(**dict.fromkeys(dropped,
                                                                                       0.0))})
    assert not np.allclose(zeros.to_numpy(), expected.to_numpy(), atol=1e-4)


def test_values_far_outside_the_training_data_are_warned_about(study):
    """Expression given unlogged (TPM, not log2(TPM + 1)) or standardized per gene, and a
    mutation value 25 training SDs from its mean are predicted, but the report warns about
    those lines and that value (not one 19 SDs away); the study's own profiles raise no
    warning."""
    root, _ = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    _, clean = predict_with_report(model, omics)
    assert all(c["lines_far_from_training"] == c["values_far_from_training"]
               == c["lines_off_scale"] == 0 for c in clean["omics"].values())
    assert not any("WARNING" in line for line in report_lines(model, clean))
    unlogged = omics["exp"].copy()
    unlogged.iloc[:4] = 2.0 ** unlogged.iloc[:4] - 1
    mutated = omics["mut"].copy()
    scaler, feature = model.scalers["mut"], model.features("mut")[3]
    assert far_value_z(model, "mut") == 20  # the floor: sqrt(n - 1) is smaller here
    mutated.iloc[0, mutated.columns.get_loc(feature)] = scaler.mean[3] + 25 * scaler.scale[3]
    mutated.iloc[1, mutated.columns.get_loc(feature)] = scaler.mean[3] + 19 * scaler.scale[3]
    _, report = predict_with_report(model, {**omics, "exp": unlogged, "mut": mutated})
    exp, mut = report["omics"]["exp"], report["omics"]["mut"]
    assert exp["lines_far_from_training"] == 4
    assert exp["far_line_examples"][0].startswith(f"{omics['exp'].index[0]} (median |z| ")
    assert mut["lines_far_from_training"] == 0 and mut["values_far_from_training"] == 1
    assert exp["lines_off_scale"] == 4  # TPM: a slope of 10 and more on the training means
    warnings = [line for line in report_lines(model, report) if "WARNING" in line]
    assert len(warnings) == 4 and "4 line(s) lie far outside" in warnings[0]
    assert "exp: 4 line(s) on another scale than the training data" in warnings[1]

    # natural logs where the model was trained on log2: close enough to the training data
    # for the far-line check, but each line's slope on the training means is ln 2 times
    # its own, below the range of the model's lines (recorded when it was trained)
    low, high = model.meta["omics"]["exp"]["scale_slopes"]
    assert 0.85 < low < 1 < high < 1.2
    assert model.meta["omics"]["mut"]["scale_slopes"] is None  # 0/1 means do not spread
    natural = omics["exp"] * np.log(2.0)
    predicted, report = predict_with_report(model, {**omics, "exp": natural})
    exp = report["omics"]["exp"]
    assert exp["lines_far_from_training"] == 0
    assert exp["lines_off_scale"] == len(predicted) > 30
    assert re.fullmatch(r"\S+ \(slope 0\.[67]\d\)", exp["off_scale_examples"][0])
    warning = [line for line in report_lines(model, report) if "WARNING" in line]
    assert len(warning) == 1 and f"own lines have slopes {low / 1.1:.2f}-" in warning[0]

    # expression standardized per gene (z-scores) instead of log2(TPM + 1): every line
    zscored = (omics["exp"] - omics["exp"].mean()) / omics["exp"].std()
    predicted, report = predict_with_report(model, {**omics, "exp": zscored})
    assert report["omics"]["exp"]["lines_far_from_training"] == len(predicted) > 30


def test_too_many_missing_features_is_an_error(study):
    root, meta = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    features = meta["omics"]["exp"]["features"]
    n_drop = int(0.3 * len(features))
    holey = omics["exp"].drop(columns=features[:n_drop])
    with pytest.raises(InputError, match=rf"input 'exp': {n_drop} of the model's "
                                         rf"{len(features)} features .* are absent"):
        predict_lines(model, {**omics, "exp": holey})
    assert len(predict_lines(model, {**omics, "exp": holey}, max_missing_features=0.5))
    rppa = omics["rppa"].copy()
    line = rppa.index[0]
    rppa.loc[line] = np.nan  # one line without any value
    with pytest.raises(InputError, match=rf"input 'rppa': 1 line\(s\) .*{line} \(100%\)"):
        predict_lines(model, {**omics, "rppa": rppa})


def test_features_named_otherwise_are_shown_beside_the_absent_ones(study):
    """Genes as Entrez ids (or in DepMap's 'SYMBOL (ENTREZ)' form) lack every model feature:
    the error shows the input's own names too, not only the model's."""
    root, _ = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    renamed = omics["exp"].rename(columns=lambda c: f"{c} (1)")
    with pytest.raises(InputError, match=r"are absent, e.g. \['ACACA', .*\] \(its own features "
                                         r"the model does not know are e.g. \['ACACA \(1\)', "):
        predict_lines(model, {**omics, "exp": renamed})


def test_missing_omic_and_duplicated_ids_are_errors_naming_them(study):
    root, _ = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    with pytest.raises(InputError, match=r"lacks \['mut'\]"):
        predict_lines(model, {"exp": omics["exp"], "rppa": omics["rppa"]})
    line = omics["mut"].index[3]
    twice = pd.concat([omics["mut"], omics["mut"].loc[[line]]])
    with pytest.raises(InputError, match=rf"duplicated cell-line ids \['{line}'\]"):
        predict_lines(model, {**omics, "mut": twice})


def test_lines_missing_from_an_omic_are_left_out_and_reported(study):
    root, _ = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    gone = omics["rppa"].index[:2].tolist()
    predicted, report = predict_with_report(model, {**omics,
                                                    "rppa": omics["rppa"].drop(index=gone)})
    assert not set(gone) & set(predicted.index)
    assert set(gone) <= set(report["dropped_lines"])
    with pytest.raises(InputError, match=r"no cell line is present in every omic .*; use "
                                         r"the same ids in every file$"):
        predict_lines(model, {**omics, "rppa": omics["rppa"].rename(index=lambda i: f"x{i}")})
    # the likely causes are named: a matrix with no line, one written transposed, DepMap ids
    with pytest.raises(InputError, match=r"^input 'rppa': the matrix holds no cell line$"):
        predict_lines(model, {**omics, "rppa": omics["rppa"].iloc[:0]})
    with pytest.raises(InputError, match=r"the 'exp' matrix looks transposed"):
        predict_lines(model, {**omics, "exp": omics["exp"].T})
    depmap = {o: m.rename(index=lambda i: f"ACH-{i}") for o, m in omics.items()}
    with pytest.raises(InputError, match=r"\['mut'\] use DepMap ids \(ACH-\.\.\.\) and the "
                                         r"others do not: .* through sample_info\.csv"):
        predict_lines(model, {**omics, "mut": depmap["mut"]})
    # a variant table whose lines carry no counted variant: lines, no columns, all wild type
    no_variants = omics["mut"].iloc[:, :0].copy()
    no_variants.attrs[ABSENT_IS_ZERO] = True
    _, report = predict_with_report(model, {**omics, "mut": no_variants})
    assert report["omics"]["mut"]["features_absent_set_to_zero"] == len(model.features("mut"))
    # all on DepMap ids, but other lines: no hint about sample_info
    with pytest.raises(InputError, match=r"every file$"):
        predict_lines(model, {**depmap, "rppa": depmap["rppa"].rename(index=lambda i: i + "x")})


def test_cli_passes_max_missing_features_on(study, tmp_path, capsys):
    root, meta = study
    omics = study_omics(root)
    features = meta["omics"]["exp"]["features"]
    omics["exp"].drop(columns=features[:int(0.3 * len(features))]).to_csv(tmp_path / "exp.csv")
    omics["mut"].to_csv(tmp_path / "mut.csv")
    omics["rppa"].to_csv(tmp_path / "rppa.csv")
    argv = ["predict", "--model", str(root / "results" / "final"), "--omics",
            *(str(tmp_path / f"{omic}.csv") for omic in COMBINATION),
            "--out", str(tmp_path / "ranking.csv")]
    assert main(argv) == 2  # the model's limit, 0.2
    assert re.search(r"input .exp.: \d+ of the model.s \d+ features .* are absent",
                     capsys.readouterr().err)
    assert main([*argv, "--max-missing-features", "0.5"]) == 0
    assert (tmp_path / "ranking.csv").is_file()


def test_cli_encodes_real_files_with_the_models_preprocess_settings(study, tmp_path, capsys):
    """A variant table is encoded with the model's mutation classes, not the defaults."""
    from modrp.demo import write_new_cell_lines

    root, _ = study
    paths = write_new_cell_lines(tmp_path / "new", n_lines=6, seed=1, base_seed=0,
                                 base_n_lines=60, n_genes=220, n_edges=600)
    every_class = tmp_path / "model"
    shutil.copytree(root / "results" / "final", every_class)
    model_json = every_class / "model.json"
    model = json.loads(model_json.read_text())
    model["config"]["preprocess"]["mutation_excluded_classes"] = []
    model_json.write_text(json.dumps(model))
    rankings = []
    for folder in (root / "results" / "final", every_class):
        out = tmp_path / f"{folder.name}.csv"
        assert main(["predict", "--model", str(folder), "--omics",
                     str(paths["expression"].parent), "--out", str(out)]) == 0
        rankings.append(pd.read_csv(out).set_index(["cell_line", "drug"]).sort_index())
    capsys.readouterr()
    expected = read_new_profiles(paths["mutations"], {"mutation_excluded_classes": []})["mut"]
    assert (expected.to_numpy().sum()
            > read_new_profiles(paths["mutations"])["mut"].to_numpy().sum())
    assert not np.allclose(rankings[0]["predicted_ln_ic50"], rankings[1]["predicted_ln_ic50"])


def test_cli_reports_input_errors_with_exit_status_2(study, tmp_path, capsys):
    root, _ = study
    omics = study_omics(root)
    omics["exp"].to_csv(tmp_path / "exp.csv")
    omics["rppa"].to_csv(tmp_path / "rppa.csv")
    code = main(["predict", "--model", str(root / "results" / "final"), "--omics",
                 str(tmp_path), "--out", str(tmp_path / "ranking.csv")])
    assert code == 2
    assert "lacks ['mut']" in capsys.readouterr().err
    assert not (tmp_path / "ranking.csv").exists()
    code = main(["predict", "--model", str(tmp_path), "--omics", str(tmp_path), "--out",
                 str(tmp_path / "ranking.csv")])
    assert code == 2 and "no model.json" in capsys.readouterr().err


def test_a_model_path_that_is_no_model_folder_says_what_it_is(study, tmp_path):
    """A missing path, the model.json itself, or the results folder above the model: each
    named for what it is, not only 'no model.json'."""
    root, _ = study
    final = root / "results" / "final"
    for given, expected in [
            (tmp_path / "absent", "does not exist"),
            (final / "model.json", f"is the model's model.json, not its folder ({final})"),
            (final / "exp.pt", "is a file, not a folder"),
            (root / "results", f"no model.json; the folder inside it {final} holds one")]:
        with pytest.raises(InputError, match=re.escape(f"model folder {given}: {expected}; "
                                                       "give the folder written by")):
            load_final_model(given)


def test_real_source_files_are_encoded_as_preprocessing_encodes_them(study):
    """The demo's raw files read as new profiles give preprocessing's matrices (ids mapped
    to DepMap ids), and predicting from them gives the saved predictions."""
    root, _ = study
    config = small_config()
    profiles = read_new_profiles(root / "raw", config["preprocess"])
    assert list(profiles) == ["exp", "mut", "cnv", "rppa", "metabolites"]
    lines = pd.read_parquet(root / "data" / "cell_lines.parquet")
    to_depmap = lines.dropna(subset=["depmap_id"]).set_index("cell_line")["depmap_id"]
    for omic, new in profiles.items():
        processed = pd.read_parquet(root / "data" / "omics" / f"{omic}.parquet")
        processed = processed[processed.index.isin(to_depmap.index)]
        processed.index = processed.index.map(to_depmap)
        common = processed.index.intersection(new.index)
        assert len(common) >= 0.9 * len(processed), omic
        # a gene absent from a variant table is not mutated; other omics keep every column
        same = new.reindex(columns=processed.columns, fill_value=0.0 if omic == "mut" else np.nan)
        np.testing.assert_array_equal(same.loc[common].to_numpy(),
                                      processed.loc[common].to_numpy(), err_msg=omic)
    model = load_final_model(root / "results" / "final")
    predicted = predict_lines(model, profiles)
    saved = saved_predictions(root)
    saved = saved[saved.index.isin(to_depmap.index)]
    saved.index = saved.index.map(to_depmap)
    assert len(saved) > 0 and set(saved.index) <= set(predicted.index)
    np.testing.assert_allclose(predicted.loc[saved.index, saved.columns].to_numpy(),
                               saved.to_numpy(), atol=1e-5)


def test_metabolomics_lines_take_the_files_own_depmap_ids(tmp_path):
    # without a cell-line table: the file's DepMap_ID column, else the CCLE name as given
    path = tmp_path / "CCLE_metabolomics_20190502.csv"
    path.write_text("CCLE_ID,DepMap_ID,alanine\nA_LUNG,ACH-000001,5.0\nB_SKIN,,4.0\n")
    profiles = read_new_profiles([path])
    assert profiles["metabolites"].index.tolist() == ["ACH-000001", "B_SKIN"]
    assert profiles["metabolites"]["alanine"].tolist() == [5.0, 4.0]
    # one line under two CCLE names (one DepMap id): averaged, as preprocessing does
    path.write_text("CCLE_ID,DepMap_ID,alanine\nA_LUNG,ACH-000001,5.0\n"
                    "A_LUNG_OLD,ACH-000001,6.0\n")
    assert read_new_profiles([path])["metabolites"]["alanine"].to_dict() == {"ACH-000001": 5.5}


def test_genes_absent_from_a_variant_table_count_as_not_mutated(study):
    root, meta = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    gene = meta["omics"]["mut"]["features"][0]
    mutated_once = omics["mut"].copy()
    mutated_once[gene] = 0.0
    expected = predict_lines(model, {**omics, "mut": mutated_once})
    from_table = omics["mut"].drop(columns=[gene])
    from_table.attrs[ABSENT_IS_ZERO] = True
    got, report = predict_with_report(model, {**omics, "mut": from_table})
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-6)
    assert report["omics"]["mut"]["features_missing"] == 0
    assert report["omics"]["mut"]["features_absent_set_to_zero"] == 1


def test_new_profile_paths_name_their_omic(tmp_path, caplog):
    frame = pd.DataFrame({"id": ["a", "b"], "G1": [1.0, np.nan], "G2": [0.5, 2.0]})
    frame.to_csv(tmp_path / "expr_values.csv", index=False)
    frame.to_csv(tmp_path / "exp.csv", index=False)
    profiles = read_new_profiles([f"mut={tmp_path / 'expr_values.csv'}", tmp_path / "exp.csv"])
    assert list(profiles) == ["exp", "mut"]
    assert profiles["exp"].index.tolist() == ["a", "b"] and np.isnan(profiles["exp"].iloc[1, 0])
    with pytest.raises(InputError, match="cannot tell which omic"):
        read_new_profiles(tmp_path / "expr_values.csv")
    with pytest.raises(InputError, match="unknown omic 'methylation'"):
        read_new_profiles(f"methylation={tmp_path / 'exp.csv'}")
    with pytest.raises(InputError, match="omic 'exp' is given twice"):
        read_new_profiles([tmp_path, f"exp={tmp_path / 'expr_values.csv'}"])
    pd.concat([frame, frame.iloc[[0]]]).to_csv(tmp_path / "rppa.csv", index=False)
    with pytest.raises(InputError, match=r"duplicated cell-line ids, e.g. \['a'\]"):
        read_new_profiles(tmp_path / "rppa.csv")
    # a folder's files that name no omic are not read, and said so
    folder = tmp_path / "folder"
    folder.mkdir()
    frame.to_csv(folder / "exp.csv", index=False)
    (folder / "exp.xlsx").write_bytes(b"PK")
    frame.to_csv(folder / "proteome.csv", index=False)
    with caplog.at_level("WARNING", logger="modrp.predict"):
        assert list(read_new_profiles(folder)) == ["exp"]
    assert "2 file(s) not read, not named as an omic" in caplog.text
    assert caplog.text.rstrip().endswith("exp.xlsx, proteome.csv")
    # a folder with no file named for an omic: the error lists every suffix that is read
    (folder / "exp.csv").unlink()
    with pytest.raises(InputError, match=r"no omics file recognised; expected "
                                         r"<omic>\.csv\|\.tsv\|\.txt\|\.tab\|\.parquet\|"
                                         r"\.csv\.gz\|\.tsv\.gz\|\.txt\.gz \(omics"):
        read_new_profiles(folder)


def test_a_source_file_given_as_omic_equals_path_is_read_as_that_source(study):
    """exp=CCLE_expression.csv read as a custom matrix had 'SYMBOL (ENTREZ)' columns and
    lacked every model feature; mut=CCLE_mutations.csv, a variant table, had 'duplicated
    cell-line ids' that were genes."""
    root, _ = study
    raw = root / "raw"
    by_name = read_new_profiles([raw / "CCLE_expression.csv", raw / "CCLE_mutations.csv",
                                 raw / "sample_info.csv"])
    by_omic = read_new_profiles([f"exp={raw / 'CCLE_expression.csv'}",
                                 f"mut={raw / 'CCLE_mutations.csv'}", raw / "sample_info.csv"])
    for omic in ("exp", "mut"):
        pd.testing.assert_frame_equal(by_omic[omic], by_name[omic])
    with pytest.raises(InputError, match=r"CCLE_mutations\.csv is the source file of the omic "
                                         r"'mut', not 'exp'"):
        read_new_profiles(f"exp={raw / 'CCLE_mutations.csv'}")


def test_gzipped_text_source_files_are_read_by_their_names(study, tmp_path):
    """A folder of source files gzipped as downloaded (CCLE_expression.csv.gz,
    sample_info.csv.gz) gives what the plain files give; they were skipped as unknown."""
    root, _ = study
    raw = root / "raw"
    names = ["CCLE_expression.csv", "CCLE_mutations.csv", "CCLE_RPPA_20181003.csv",
             "sample_info.csv"]
    for name in names:
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress((raw / name).read_bytes()))
    plain = read_new_profiles([raw / name for name in names])
    gzipped = read_new_profiles(tmp_path)
    assert sorted(gzipped) == sorted(plain) == ["exp", "mut", "rppa"]
    for omic in plain:
        pd.testing.assert_frame_equal(gzipped[omic], plain[omic])


def test_final_model_never_overwrites_a_folder_that_is_not_a_model(study, tmp_path):
    root, _ = study
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("precious")
    with pytest.raises(InputError, match="not a model folder"):
        train_final_model(["mut", "exp"], root / "data", root / "graph", small_config(), keep)
    assert (keep / "notes.txt").read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # no staging folder left


def test_new_demo_lines_are_predicted_from_their_raw_files(study, tmp_path, capsys, caplog):
    """Lines the model never saw, in the real files' formats, ids mapped to DepMap ids."""
    from modrp.demo import write_new_cell_lines

    root, meta = study
    paths = write_new_cell_lines(tmp_path / "new", n_lines=6, seed=1, base_seed=0,
                                 base_n_lines=60, n_genes=220, n_edges=600)
    out = tmp_path / "ranking.csv"
    with caplog.at_level("WARNING", logger="modrp.predict"):
        assert main(["predict", "--model", str(root / "results" / "final"), "--omics",
                     str(paths["expression"].parent), "--out", str(out)]) == 0
    # the folder's antibody table, responses and truth are no profiles, nor misnamed ones
    assert {"responses", "new_lines", "rppa_antibodies"} <= set(paths)
    assert "not read" not in caplog.text
    printed = capsys.readouterr().out
    assert "ignored omics (not read by this model): cnv, metabolites" in printed
    truth = pd.read_csv(paths["responses"], dtype=str)
    ranking = pd.read_csv(out)
    assert set(ranking["cell_line"]) == set(truth["depmap_id"])
    assert len(ranking) == 6 * len(meta["drugs"]) and ranking["predicted_ln_ic50"].notna().all()


def test_cli_checks_out_before_the_work(study, tmp_path, capsys):
    root, _ = study
    omics = study_omics(root)
    inputs = []
    for omic in COMBINATION:
        omics[omic].to_csv(tmp_path / f"{omic}.csv")
        inputs.append(str(tmp_path / f"{omic}.csv"))
    folder = tmp_path / "a_folder"
    folder.mkdir()
    # --out is checked first: a folder is named although --model is not a model either
    code = main(["predict", "--model", str(tmp_path / "nowhere"), "--omics", *inputs,
                 "--out", str(folder)])
    assert code == 2
    assert f"error: --out: {folder} is a folder; expected the name of a file" in \
        capsys.readouterr().err
    plain = tmp_path / "plain.txt"
    plain.write_text("keep")
    for out in (plain / "ranking.csv", plain / "sub" / "ranking.csv"):
        code = main(["predict", "--model", str(root / "results" / "final"), "--omics",
                     *inputs, "--out", str(out)])
        assert code == 2
        err = capsys.readouterr().err
        assert f"error: --out: cannot write {out}: {plain} is a file, not a folder" in err
    assert plain.read_text() == "keep" and list(folder.iterdir()) == []


def test_cli_refuses_to_write_the_ranking_over_its_inputs(study, tmp_path, capsys):
    """--out naming an --omics file (plain or omic=path) or a file of the model folder
    is refused before anything is read or written."""
    root, _ = study
    model = root / "results" / "final"
    exp = tmp_path / "exp.csv"
    study_omics(root)["exp"].to_csv(exp)
    before = exp.read_bytes()
    around = tmp_path / ".." / tmp_path.name / "exp.csv"  # pathlib drops a ".", not a ".."
    for omics, out in (([str(exp)], exp), ([f"exp={exp}"], around),
                       ([str(exp)], model / "model.json"), ([str(exp)], model / "new.csv")):
        code = main(["predict", "--model", str(model), "--omics", *omics, "--out", str(out)])
        assert code == 2
        err = capsys.readouterr().err
        assert "write the ranking elsewhere" in err, err
    assert exp.read_bytes() == before
    assert not (model / "new.csv").exists()
    # a file the folder given as input holds, and would be read from it
    code = main(["predict", "--model", str(model), "--omics", str(tmp_path), "--out",
                 str(tmp_path / "exp.csv")])
    assert code == 2 and "write the ranking elsewhere" in capsys.readouterr().err
    assert exp.read_bytes() == before
    # beside its input, the ranking is written
    inputs = []
    for omic, matrix in study_omics(root).items():
        if omic in COMBINATION:
            matrix.to_csv(tmp_path / f"{omic}.csv")
            inputs.append(str(tmp_path / f"{omic}.csv"))
    code = main(["predict", "--model", str(model), "--omics", *inputs, "--out",
                 str(tmp_path / "ranking.csv")])
    assert code == 0 and (tmp_path / "ranking.csv").is_file()


def test_an_out_below_a_folder_that_is_no_model_is_left_to_the_model_error(tmp_path, capsys,
                                                                           monkeypatch):
    """--model naming the results folder above the model, --out beside the model: the
    error is about --model (the folder inside holds the model), not 'inside the model
    folder' for a folder that is none."""
    results = tmp_path / "results"
    (results / "final").mkdir(parents=True)
    (results / "final" / "model.json").write_text("{}")
    exp = tmp_path / "exp.csv"
    exp.write_text("id,TP53\nc1,1.0\n")
    code = main(["predict", "--model", str(results), "--omics", str(exp), "--out",
                 str(results / "ranking.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "the folder inside it" in err and "elsewhere" not in err, err
    with pytest.raises(InputError, match="inside the model folder"):
        check_ranking_target(results / "final" / "ranking.csv", results / "final", [exp])
    monkeypatch.chdir(results / "final")  # --model . --out ranking.csv: in the model
    with pytest.raises(InputError, match="inside the model folder"):
        check_ranking_target(Path("ranking.csv"), Path("."), [exp])


def test_a_ranking_that_cannot_be_written_is_an_input_error(study, tmp_path, monkeypatch):
    root, _ = study
    model = load_final_model(root / "results" / "final")
    ranking = drug_ranking(model, predict_lines(model, study_omics(root)).iloc[:2])

    @contextlib.contextmanager
    def full_disk(path):
        raise OSError(errno.ENOSPC, "No space left on device")
        yield path

    monkeypatch.setattr("modrp.io.atomic_path", full_disk)
    with pytest.raises(InputError, match=r"ranking: cannot write .*r\.csv: No space left"):
        write_ranking(ranking, tmp_path / "r.csv")
    with pytest.raises(InputError, match="is a folder"):
        write_ranking(ranking, tmp_path)


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit_json(change):
    def edit(path):
        meta = json.loads(path.read_text())
        path.write_text(json.dumps(change(meta)))
    return edit


def _without(*keys):
    def change(meta):
        holder = meta
        for key in keys[:-1]:
            holder = holder[key]
        del holder[keys[-1]]
        return meta
    return change


DAMAGES = {
    "truncated checkpoint": ("exp.pt", _truncate, "exp.pt cannot be loaded"),
    "garbage checkpoint": ("fusion.pt", lambda p: p.write_bytes(b"not a checkpoint\n" * 8),
                           "fusion.pt cannot be loaded"),
    "truncated graph": ("graph/mut.npz", _truncate, "graph/mut.npz cannot be loaded"),
    "graph without a matrix": ("graph/exp.npz", lambda p: np.savez(p, a=np.arange(3)),
                               "graph/exp.npz cannot be loaded"),
    "garbage drug table": ("drugs.parquet", lambda p: p.write_bytes(b"xx"),
                           "drugs.parquet cannot be loaded"),
    "model.json a list": ("model.json", lambda p: p.write_text("[]"),
                          "model.json holds a JSON list, expected an object"),
    "model.json without combination": ("model.json", _edit_json(_without("combination")),
                                       "model.json lacks the entry 'combination'"),
    "model.json without a checkpoint": ("model.json",
                                        _edit_json(_without("omics", "rppa", "checkpoint")),
                                        "model.json lacks the entry 'omics.rppa.checkpoint'"),
    "model.json with text for drugs": ("model.json",
                                       _edit_json(lambda m: {**m, "drugs": "all"}),
                                       "model.json: the entry 'drugs' is 'all', expected a list"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_model_folder_is_an_input_error_naming_the_file(study, tmp_path, capsys,
                                                                  damage):
    root, _ = study
    copy = tmp_path / "model"
    shutil.copytree(root / "results" / "final", copy)
    name, spoil, expected = DAMAGES[damage]
    spoil(copy / name)
    with pytest.raises(InputError, match=re.escape(f"model folder {copy}: {expected}")) as info:
        load_final_model(copy)
    assert "the folder is damaged or was not written by this version of modrp" in \
        str(info.value)
    omics = study_omics(root)
    omics["exp"].to_csv(tmp_path / "exp.csv")
    code = main(["predict", "--model", str(copy), "--omics", str(tmp_path / "exp.csv"),
                 "--out", str(tmp_path / "ranking.csv")])
    assert code == 2 and capsys.readouterr().err.startswith(f"error: model folder {copy}: ")
    assert not (tmp_path / "ranking.csv").exists()


# ------------------------------------------------------------ predicted values, line order


def test_predictions_follow_each_line_whatever_the_row_and_column_order(study):
    """Rows in a different order in every omic, columns shuffled, and more lines than one
    prediction batch: every line still gets its own saved prediction."""
    root, meta = study
    model = load_final_model(root / "results" / "final")
    saved = saved_predictions(root)
    omics = study_omics(root)
    copies = -(-1100 // len(saved))  # > 1024 lines: more than one batch
    rng = np.random.default_rng(7)
    shuffled, expected = {}, []
    for k in range(copies):
        expected.append(saved.rename(index=lambda i, k=k: f"{i}~{k}"))
    expected = pd.concat(expected)
    for omic, matrix in omics.items():
        many = pd.concat([matrix.loc[saved.index].rename(index=lambda i, k=k: f"{i}~{k}")
                          for k in range(copies)])
        rows = rng.permutation(len(many))
        columns = rng.permutation(many.shape[1])
        shuffled[omic] = many.iloc[rows, columns]
    assert len(expected) > 1024
    assert shuffled["exp"].index.tolist() != shuffled["mut"].index.tolist()
    predicted = predict_lines(model, shuffled)
    assert sorted(predicted.index) == sorted(expected.index)
    np.testing.assert_allclose(predicted.loc[expected.index, meta["drugs"]].to_numpy(),
                               expected[meta["drugs"]].to_numpy(), rtol=0, atol=1e-5)


def test_drug_ranking_breaks_ties_by_drug_name_and_adds_the_pathway(study):
    root, _ = study
    model = load_final_model(root / "results" / "final")
    drugs = model.drugs
    reversed_drugs = drugs[::-1]  # columns not in name order
    values = np.zeros((1, len(drugs)))
    values[0, -1] = -1.0  # the last column is the most effective; the others tie
    ranking = drug_ranking(model, pd.DataFrame(values, index=["x"], columns=reversed_drugs))
    assert ranking["drug"].tolist() == [reversed_drugs[-1]] + sorted(reversed_drugs[:-1])
    assert ranking["rank"].tolist() == list(range(1, len(drugs) + 1))
    annotations = pd.read_parquet(root / "data" / "drugs.parquet").set_index("drug")
    assert annotations["pathway"].nunique() > 1
    assert ranking["pathway"].tolist() == annotations.loc[ranking["drug"], "pathway"].tolist()
    assert ranking["target"].tolist() == annotations.loc[ranking["drug"], "target"].tolist()


def test_exactly_the_allowed_share_of_missing_features_is_accepted(study):
    root, meta = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    features = meta["omics"]["exp"]["features"]
    k = 7
    holey = omics["exp"].drop(columns=features[:k])
    assert len(predict_lines(model, {**omics, "exp": holey},
                             max_missing_features=k / len(features)))
    with pytest.raises(InputError, match=rf"{k + 1} of the model's"):
        predict_lines(model, {**omics, "exp": omics["exp"].drop(columns=features[:k + 1])},
                      max_missing_features=k / len(features))
    rppa_features = meta["omics"]["rppa"]["features"]
    rppa = omics["rppa"].copy()
    line = rppa.index[0]
    rppa.loc[line, rppa_features[:2]] = np.nan  # 2 of the line's features: at the limit
    got, report = predict_with_report(model, {**omics, "rppa": rppa},
                                      max_missing_features=2 / len(rppa_features))
    assert line in got.index and report["omics"]["rppa"]["nan_values_filled"] == 2
    rppa.loc[line, rppa_features[2]] = np.nan
    with pytest.raises(InputError, match=rf"1 line\(s\) .*{line}"):
        predict_lines(model, {**omics, "rppa": rppa}, max_missing_features=2 / len(rppa_features))


def test_infinite_values_and_limits_out_of_range_are_input_errors(study, tmp_path):
    root, _ = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    exp = omics["exp"].copy()
    exp.iloc[2, 4] = np.inf
    with pytest.raises(InputError, match=rf"infinite value at line '{exp.index[2]}', feature "
                                         rf"'{exp.columns[4]}'"):
        predict_lines(model, {**omics, "exp": exp})
    for limit in (-0.1, 1.5):
        with pytest.raises(InputError, match="max-missing-features must be between 0 and 1"):
            predict_lines(model, omics, max_missing_features=limit)
    with pytest.raises(InputError, match="max_missing_features must be between 0 and 1"):
        train_final_model(COMBINATION, root / "data", root / "graph", small_config(),
                          tmp_path / "final", max_missing_features=1.5)
    assert not (tmp_path / "final").exists()


def test_saved_predictions_hold_the_observed_response_and_the_held_out_share(study):
    root, meta = study
    predictions = pd.read_parquet(root / "results" / "final" / "predictions.parquet")
    response = pd.read_parquet(root / "data" / "response.parquet")
    response.index = response.index.astype(str)
    observed = [response.loc[c, d] for c, d in zip(predictions["cell_line"],
                                                     predictions["drug"], strict=True)]
    np.testing.assert_array_equal(predictions["observed"].to_numpy(), np.asarray(observed))
    with_response = int(response.notna().any(axis=1).sum())
    assert meta["lines"]["with_response"] == with_response
    # train.validation_fraction (0.2) of the study lines are held out
    assert meta["lines"]["held_out"] == round(0.2 * with_response)


def test_variants_without_a_depmap_id_are_mapped_through_sample_info(study, tmp_path):
    root, _ = study
    raw = root / "raw"
    shutil.copyfile(raw / "sample_info.csv", tmp_path / "sample_info.csv")
    variants = pd.read_csv(raw / "CCLE_mutations.csv", dtype=str, keep_default_na=False)
    expected = read_new_profiles([raw / "CCLE_mutations.csv", raw / "sample_info.csv"])["mut"]
    assert expected.index.str.startswith("ACH-").all()
    # only the CCLE name is left
    variants.assign(DepMap_ID="").to_csv(tmp_path / "CCLE_mutations.csv", index=False)
    got = read_new_profiles(tmp_path)["mut"]
    pd.testing.assert_frame_equal(got.loc[expected.index, expected.columns], expected)
    # Where both are given, the DepMap id decides, whatever CCLE name stands beside it.
    names = variants["Tumor_Sample_Barcode"].unique()
    assert len(names) > 1
    rotated = dict(zip(names, np.roll(names, 1), strict=True))
    variants.assign(Tumor_Sample_Barcode=variants["Tumor_Sample_Barcode"].map(rotated)) \
        .to_csv(tmp_path / "CCLE_mutations.csv", index=False)
    pd.testing.assert_frame_equal(read_new_profiles(tmp_path)["mut"], expected)


# Pinned by a mutation pass over predict.py: each fails on a mutant the tests above let by.


def _model_copy(root, tmp_path, change):
    copy = tmp_path / "model"
    shutil.copytree(root / "results" / "final", copy)
    meta = json.loads((copy / "model.json").read_text())
    change(meta)
    (copy / "model.json").write_text(json.dumps(meta))
    return copy


def test_a_checkpoint_whose_features_differ_from_model_json_is_refused(study, tmp_path):
    root, _ = study

    def swap(meta):
        features = meta["omics"]["rppa"]["features"]
        features[0], features[1] = features[1], features[0]

    copy = _model_copy(root, tmp_path, swap)
    with pytest.raises(InputError, match=r"rppa\.pt does not match model\.json"):
        load_final_model(copy)


def test_a_model_json_of_another_format_is_refused(study, tmp_path):
    root, _ = study
    copy = _model_copy(root, tmp_path, lambda meta: meta.update(format=2))
    with pytest.raises(InputError, match="has format 2; this modrp reads format 1"):
        load_final_model(copy)


def test_duplicated_feature_columns_are_an_input_error(study):
    root, _ = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    exp = omics["exp"]
    twice = pd.concat([exp, exp.iloc[:, :1]], axis=1)
    with pytest.raises(InputError, match=rf"duplicated feature columns \['{exp.columns[0]}'\]"):
        predict_lines(model, {**omics, "exp": twice})


def test_the_far_value_limit_counts_every_line_the_scaler_was_fit_on(study):
    root, _ = study
    model = load_final_model(root / "results" / "final")
    model.meta["omics"]["exp"].update(n_train=500, n_validation=401)
    assert far_value_z(model, "exp") == pytest.approx(30.0)  # sqrt(901 - 1), not sqrt(499)


def test_every_far_value_is_counted_not_every_line_holding_one(study):
    root, _ = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    line = saved_predictions(root).index[0]
    scaler, features = model.scalers["mut"], model.features("mut")
    mutated = omics["mut"].copy()
    for j in (3, 4):
        mutated.loc[line, features[j]] = scaler.mean[j] + 25 * scaler.scale[j]
    _, report = predict_with_report(model, {**omics, "mut": mutated})
    assert report["omics"]["mut"]["values_far_from_training"] == 2


def test_scale_slopes_are_taken_over_the_features_a_line_gives():
    mean = np.linspace(0.0, 10.0, 40)
    scaler = SimpleNamespace(mean=mean, scale=np.ones(40))
    raw = pd.DataFrame([mean, mean])
    raw.iloc[1, 30:] = np.nan  # the line at the training means, a quarter not given
    np.testing.assert_allclose(scale_slopes(raw, scaler), [1.0, 1.0])


def test_a_line_far_out_in_both_directions_is_far_from_training(study):
    """Median |z|, not |median z|: values 5 SDs above and below the means (e.g. columns
    mislabelled) are far from the training data although their signed median is 0."""
    root, _ = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    line = saved_predictions(root).index[0]
    scaler, features = model.scalers["exp"], model.features("exp")
    z = np.resize([5.0, -5.0, 0.0, 5.0, -5.0], len(features))  # median |z| 5, median z 0
    exp = omics["exp"].copy()
    exp.loc[line, features] = (scaler.mean + z * scaler.scale).astype(np.float32)
    _, report = predict_with_report(model, {**omics, "exp": exp})
    assert report["omics"]["exp"]["lines_far_from_training"] == 1


def test_a_lines_missing_share_counts_absent_features_and_nan_together(study):
    root, meta = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    features = meta["omics"]["exp"]["features"]
    n_absent, n_nan = int(0.1 * len(features)), int(0.15 * len(features))
    line = saved_predictions(root).index[0]
    holey = omics["exp"].drop(columns=features[:n_absent])
    holey.loc[line, features[n_absent:n_absent + n_nan]] = np.nan  # 25% of the line
    with pytest.raises(InputError, match=rf"1 line\(s\) lack more than 20% .*{line} \(2[45]%\)"):
        predict_lines(model, {**omics, "exp": holey})


def test_the_models_own_missing_feature_limit_is_the_default(study):
    root, meta = study
    model = load_final_model(root / "results" / "final")
    model.meta["max_missing_features"] = 0.5
    omics = study_omics(root)
    features = meta["omics"]["exp"]["features"]
    holey = omics["exp"].drop(columns=features[:int(0.3 * len(features))])
    assert len(predict_lines(model, {**omics, "exp": holey}))


def test_line_ids_are_matched_as_text_whatever_their_dtype(study):
    """COSMIC ids read by pandas as integers in one matrix meet the same ids as text."""
    root, _ = study
    model = load_final_model(root / "results" / "final")
    omics = study_omics(root)
    expected = predict_lines(model, omics)
    as_ints = omics["exp"].copy()
    as_ints.index = as_ints.index.astype(np.int64)
    got = predict_lines(model, {**omics, "exp": as_ints})
    pd.testing.assert_frame_equal(got, expected)


def test_the_models_preprocess_settings_encode_the_variant_table(study):
    root, _ = study
    table = root / "raw" / "CCLE_mutations.csv"
    default = read_new_profiles(table)["mut"]
    every_class = read_new_profiles(table, {"mutation_excluded_classes": []})["mut"]
    assert every_class.to_numpy().sum() > default.to_numpy().sum()  # Silent, UTR ... count


def test_only_a_variant_table_sets_absent_genes_to_zero(study):
    """A gene missing from a copy-number file is unknown (training mean, counted as
    missing), not neutral: only a variant table's absent genes are 0."""
    root, _ = study
    profiles = read_new_profiles([root / "raw" / "CCLE_mutations.csv",
                                  root / "raw" / "Gene_level_CN.xlsx"])
    assert profiles["mut"].attrs[ABSENT_IS_ZERO] is True
    assert profiles["cnv"].attrs[ABSENT_IS_ZERO] is False


def test_an_existing_path_with_an_equals_sign_is_a_path(tmp_path, monkeypatch):
    folder = tmp_path / "batch=2"
    folder.mkdir()
    pd.DataFrame({"id": ["a"], "G1": [1.0]}).to_csv(folder / "exp.csv", index=False)
    monkeypatch.chdir(tmp_path)
    assert list(read_new_profiles("batch=2")) == ["exp"]


def test_ids_made_duplicate_by_the_mapping_name_the_cell_line_table(study, tmp_path):
    root, _ = study
    raw = root / "raw"
    shutil.copyfile(raw / "sample_info.csv", tmp_path / "sample_info.csv")
    info = pd.read_csv(raw / "sample_info.csv", dtype=str)
    rows = (raw / "CCLE_RPPA_20181003.csv").read_text().splitlines()
    name = rows[1].split(",", 1)[0]
    depmap_id = info.loc[info["CCLE Name"] == name, "DepMap_ID"].iloc[0]
    rows[2] = depmap_id + "," + rows[2].split(",", 1)[1]  # already the first line's DepMap id
    (tmp_path / "CCLE_RPPA_20181003.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError, match=rf"after mapping ids with sample_info\.csv, the ids "
                                         rf"\['{depmap_id}'\] appear more than once"):
        read_new_profiles(tmp_path)


def test_a_folder_reads_matrices_of_every_documented_suffix(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b"], "G1": [1.0, 2.0]})
    frame.to_csv(tmp_path / "exp.csv", index=False)
    frame.to_csv(tmp_path / "mut.tsv", sep="\t", index=False)
    frame.set_index("id").to_parquet(tmp_path / "rppa.parquet")
    assert list(read_new_profiles(tmp_path)) == ["exp", "mut", "rppa"]


def test_an_empty_combination_is_an_input_error(study, tmp_path):
    root, _ = study
    with pytest.raises(InputError, match="must name omics"):
        train_final_model([], root / "data", root / "graph", small_config(), tmp_path / "f")


def test_the_held_out_share_is_rounded_as_a_folds_is():
    lines = [f"L{i}" for i in range(9)]
    assert len(_held_out_lines(lines, 0.2, 0)) == 2  # round(1.8), as splits.validation_lines
