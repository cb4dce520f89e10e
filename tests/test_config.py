"""Config validation: defaults, schema errors naming the key, cross-key rules."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pandas as pd
import pytest

from modrp.cli import main
from modrp.config import (
    _load_schema,
    buildable_graph_omics,
    declared_values,
    graph_omics,
    job_config,
    load_config,
    raw_files,
    validate_config,
)
from modrp.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["demo.yaml", "config.yaml"])
def test_shipped_configs_are_valid(name):
    config = load_config(ROOT / "config" / name)
    assert config["drugs"] == {"min_coverage": 0.95, "max_drugs": 22}
    assert graph_omics(config) == ["exp", "mut", "cnv"]


def test_defaults_are_filled():
    config = validate_config({"dataset": "x", "data": {"source": "demo"}})
    assert config["omics"] == ["exp", "mut", "cnv", "rppa", "metabolites"]
    assert config["cv"] == {"folds": 3, "repeats": 3, "seed": 0, "split": "cell_line"}
    assert config["data"]["files"]["copy_number"] == "Gene_level_CN.xlsx"
    assert config["protocol"] == "strict"


@pytest.mark.parametrize("change, message", [
    ({"omics": ["exp", "proteomics"]}, r"config key omics\.1: 'proteomics' is not one of"),
    ({"drugs": {"min_coverage": 1.5}}, r"config key drugs\.min_coverage: 1\.5 is greater"),
    # a drug is kept when measured on *more* than this share: 1 could keep none
    ({"drugs": {"min_coverage": 1}}, r"config key drugs\.min_coverage: 1 is greater than or "
                                     r"equal to the maximum of 1"),
    ({"dataset": ".."}, r"config key dataset: '\.\.' names no folder of its own"),
    ({"dataset": "."}, r"config key dataset: '\.' names no folder of its own"),
    # braces would be read as wildcards in every output path
    ({"results_dir": "out/{run}"}, r"config key results_dir: 'out/\{run\}' is no folder .* "
                                   r"without braces \(Snakemake reads them as wildcards"),
    ({"results_dir": " "}, r"config key results_dir: ' ' is no folder"),
    ({"baselines": {"settings": {"mkl": {"bogus": 1}}}},
     r"config key baselines\.settings\.mkl: Additional properties are not allowed "
     r"\('bogus' was unexpected\)"),
    ({"baselines": {"settings": {"elastic_net": {"l1_ratio": "x"}}}},
     r"config key baselines\.settings\.elastic_net\.l1_ratio"),
    ({"baselines": {"settings": {"elastic_net": {"l1_ratio": [0.5, 0]}}}},
     r"config key baselines\.settings\.elastic_net\.l1_ratio"),
    ({"baselines": {"settings": {"random_forest": {"max_features": 1.5}}}},
     r"config key baselines\.settings\.random_forest\.max_features"),
    ({"baselines": {"settings": {"deepdr": {"encoder_sizes": []}}}},
     r"config key baselines\.settings\.deepdr\.encoder_sizes"),
    ({"protocol": "loose"}, r"config key protocol: 'loose' is not one of"),
    ({"embedding": {"metabolites": "graph"}}, r"config key embedding\.metabolites"),
    ({"cv": {"folds": 1}}, r"config key cv\.folds: 1 is less than the minimum of 2"),
    ({"cv": {"seed": -1}}, r"config key cv\.seed: -1 is less than the minimum of 0"),
    ({"typo_key": 1}, r"config key \(top level\): Additional properties"),
    ({"cv": {"folds": 3.0}}, r"config key cv\.folds: 3\.0 is not of type 'integer'"),
    ({"train": {"device": "gpu"}}, r"config key train\.device: 'gpu' does not match"),
    ({"train": {"device": "cuda:x"}}, r"config key train\.device: 'cuda:x' does not match"),
    ({"train": {"device": "cuda:01"}}, r"config key train\.device: 'cuda:01' does not match"),
    ({"data": {"source": "download", "urls": {1: "x", "expression": ["y"]}}},
     r"config key data\.urls"),
    # a misspelt key would leave the file on the URLs of the config it overrides
    ({"data": {"source": "download", "urls": {"expresion": ["https://x/y.csv"]}}},
     r"config key data\.urls: 'expresion' is not one of \['expression', "),
    ({"data": {"source": "demo", "files": {"expression": "a.csv", "mutations": "a.csv"}}},
     r"config key data\.files: \['a\.csv'\] named twice"),
    ({"data": {"source": "demo", "files": {"expression": "truth.json"}}},
     r"config key data\.files: \['truth\.json'\] named twice or reserved"),
    ({"data": {"source": "demo", "files": {"sample_info": "MANIFEST.tsv"}}},
     r"config key data\.files: \['MANIFEST\.tsv'\] named twice or reserved"),
    ({"data": {"source": "demo", "files": {"expression": ""}}},
     r"config key data\.files\.expression: '' is not a plain file name"),
    ({"data": {"source": "download", "files": {"mutations": "../../outside.csv"}}},
     r"config key data\.files\.mutations: '\.\./\.\./outside\.csv' is not a plain file name"),
    ({"data": {"source": "demo", "files": {"expression": "sub/truth.json"}}},
     r"config key data\.files\.expression: 'sub/truth\.json' is not a plain file name"),
    ({"data": {"source": "demo", "files": {"rppa": ".."}}},
     r"config key data\.files\.rppa: '\.\.' is not a plain file name"),
    ({"data": {"source": "custom"}},
     r"config key data\.custom: required when data\.source is 'custom'"),
    ({"omics": ["exp", "mut"], "final": {"combination": ["exp", "cnv"]}},
     r"config key final\.combination: \['cnv'\] not among the configured omics "
     r"\['exp', 'mut'\]"),
])
def test_schema_violations_name_the_key(change, message):
    config = {"dataset": "x", "data": {"source": "demo"}, **change}
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


@pytest.mark.parametrize("change, key", [
    ({"train": {"lr": float("nan")}}, "train.lr"),
    ({"fusion": {"holdout_fraction": float("inf")}}, "fusion.holdout_fraction"),
    ({"drugs": {"min_coverage": float("-inf")}}, "drugs.min_coverage"),
])
def test_nan_and_infinite_settings_are_refused(change, key, tmp_path):
    """YAML's .nan passes every bound of the schema (it compares false with them all)."""
    with pytest.raises(ConfigError, match=rf"config key {re.escape(key)}: .* is not a "
                                          "finite number"):
        validate_config({"dataset": "x", "data": {"source": "demo"}, **change})
    path = tmp_path / "nan.yaml"
    path.write_text("dataset: x\ndata: {source: demo}\ntrain: {lr: .nan}\n")
    with pytest.raises(ConfigError, match=r"config key train\.lr: nan is not a finite"):
        load_config(path)


def test_custom_without_interactome_cannot_use_graphs():
    config = {"dataset": "x", "omics": ["mut"], "embedding": {"mut": "graph"},
              "data": {"source": "custom",
                       "custom": {"omics": {"mut": "m.csv"}, "response": "r.csv"}}}
    with pytest.raises(ConfigError, match=r"graph embedding is asked for \['mut'\]"):
        validate_config(config)
    config["embedding"]["mut"] = "dense"
    assert validate_config(config)["omics"] == ["mut"]


def test_custom_must_cover_configured_omics():
    config = {"dataset": "x", "omics": ["mut", "exp"],
              "embedding": {"mut": "dense", "exp": "dense"},
              "data": {"source": "custom",
                       "custom": {"omics": {"mut": "m.csv"}, "response": "r.csv"}}}
    with pytest.raises(ConfigError, match=r"no matrix given for the configured omics \['exp'\]"):
        validate_config(config)


def test_custom_data_without_tissues_cannot_split_by_tissue_nor_run_the_tissue_mean():
    custom = {"omics": {"mut": "m.csv"}, "response": "r.csv"}
    config = {"dataset": "x", "omics": ["mut"], "embedding": {"mut": "dense"},
              "data": {"source": "custom", "custom": custom}}
    with pytest.raises(ConfigError, match=r"cv.split: 'tissue' needs .*data.custom.tissues"):
        validate_config({**config, "cv": {"split": "tissue"}})
    assert "tissue_drug_mean" not in validate_config(config)["baselines"]["methods"]
    with_tissues = {**config, "data": {"source": "custom",
                                       "custom": {**custom, "tissues": "t.csv"}}}
    assert "tissue_drug_mean" in validate_config(with_tissues)["baselines"]["methods"]
    tissue_blind = validate_config({**with_tissues, "cv": {"split": "tissue"}})
    assert tissue_blind["cv"]["split"] == "tissue"
    # tissue-blind folds: no test line's tissue is among the training lines', so the
    # tissue mean would be the per-drug mean; on the real sources too
    assert "tissue_drug_mean" not in tissue_blind["baselines"]["methods"]
    real = validate_config({"dataset": "x", "data": {"source": "download"},
                            "cv": {"split": "tissue"}})
    assert real["baselines"]["methods"] == ["elastic_net", "random_forest", "mkl", "deepdr"]


def test_an_embedding_map_naming_some_omics_keeps_the_defaults_of_the_others():
    config = validate_config({"dataset": "x", "data": {"source": "demo"},
                              "embedding": {"exp": "dense"}, "__use_yte__": True})
    assert config["embedding"] == {"exp": "dense", "mut": "graph", "cnv": "graph",
                                   "rppa": "dense", "metabolites": "dense"}
    assert "__use_yte__" not in config
    # single_models likewise (the README's {rppa: [graph, dense]} adds to Table 1, and
    # does not drop the other omics' models); an empty list drops that omic's
    config = validate_config({"dataset": "x", "data": {"source": "demo"},
                              "single_models": {"rppa": ["graph", "dense"], "cnv": []}})
    assert config["single_models"] == {"exp": ["graph", "dense"], "mut": ["graph", "dense"],
                                       "cnv": [], "rppa": ["graph", "dense"],
                                       "metabolites": ["dense"]}


def test_a_config_file_that_is_not_text_is_a_config_error(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"dataset: caf\xe9\n")  # Latin-1, not UTF-8
    with pytest.raises(ConfigError, match=r"config file .*c\.yaml"):
        load_config(path)


def test_unreadable_yaml(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("dataset: [unclosed\n")
    with pytest.raises(ConfigError, match="config file"):
        load_config(path)


@pytest.mark.parametrize("text, key, lines", [
    ("dataset: x\ndata: {source: demo}\ncv: {repeats: 1}\ncv: {folds: 5}\n", "cv", (3, 4)),
    ("dataset: x\ndata: {source: demo}\ntrain:\n  lr: 0.1\n  patience: 3\n  lr: 0.2\n", "lr",
     (4, 6)),
])
def test_a_key_given_twice_is_a_config_error_not_the_last_one_kept(tmp_path, text, key, lines):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"key '{key}' appears again" in str(caught.value)
    assert all(f"line {line}," in str(caught.value) for line in lines)
    path.write_text(text.replace(f"{key}:", f"other_{key}:", 1))  # once each: read as YAML
    with pytest.raises(ConfigError, match=r"config key .*Additional properties"):
        load_config(path)


def test_merge_keys_and_json_config_files_are_read_as_snakemake_reads_them(tmp_path):
    merged = tmp_path / "merged.yaml"
    merged.write_text("dataset: x\ndata: {source: demo}\n"
                      "train:\n  <<: {lr: 0.1, patience: 3}\n  lr: 0.01\n")
    config = load_config(merged)  # a key beside a merge overrides it: no duplicate
    assert (config["train"]["lr"], config["train"]["patience"]) == (0.01, 3)
    tabbed = tmp_path / "c.json"
    tabbed.write_text('{\n\t"dataset": "x",\n\t"data": {"source": "demo"}\n}')
    assert load_config(tabbed)["dataset"] == "x"
    tabbed.write_text('{"dataset": "x", "data": {"source": "demo"}, "cv": {}, "cv": {}}')
    with pytest.raises(ConfigError, match=r"c\.json: key\(s\) \['cv'\] appear more than once"):
        load_config(tabbed)
    unhashable = tmp_path / "u.yaml"
    unhashable.write_text("dataset: x\n? [1, 2]\n: 3\n")
    with pytest.raises(ConfigError, match="found unhashable key"):
        load_config(unhashable)


@pytest.mark.parametrize("demo, message", [
    ({"n_genes": 200}, r"config key data\.demo: n_genes must be at least"),
    ({"n_genes": 300, "n_edges": 100_000}, r"config key data\.demo: n_edges must be between"),
])
def test_demo_sizes_the_generator_cannot_make_are_config_errors(demo, message):
    config = {"dataset": "x", "data": {"source": "demo", "demo": demo}}
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


def test_urls_and_sha256_are_keyed_by_the_raw_files_keys():
    data = _load_schema()["properties"]["data"]["properties"]
    files = list(data["files"]["properties"])
    assert data["urls"]["propertyNames"]["enum"] == files
    assert data["sha256"]["propertyNames"]["enum"] == files


def test_every_problem_is_named_by_key_up_to_a_count_of_the_rest():
    config = {"dataset": "x", "data": {"source": "demo"}, "protocol": "loose",
              "cv": {"folds": 1}}
    with pytest.raises(ConfigError, match=r"^config key cv\.folds: 1 is less than the minimum "
                                          r"of 2; config key protocol: 'loose' is not one of "):
        validate_config(config)
    # beyond five, the rest are counted
    config["train"] = {"lr": -1.0, "batch_size": 0, "patience": 0, "max_epochs": {"graph": 0}}
    with pytest.raises(ConfigError) as raised:
        validate_config(config)
    assert str(raised.value).count("config key ") == 5
    assert str(raised.value).endswith("; and 1 more problem(s)")  # six in all


def test_a_final_combination_among_the_omics_is_accepted():
    config = validate_config({"dataset": "x", "data": {"source": "demo"},
                              "omics": ["exp", "mut"], "final": {"combination": ["mut"]}})
    assert config["final"]["combination"] == ["mut"]


def test_real_sources_keep_the_tissue_mean():
    config = load_config(ROOT / "config" / "demo.yaml")
    assert "tissue_drug_mean" in config["baselines"]["methods"]
    config = validate_config({"dataset": "x", "data": {"source": "download"}})
    assert config["baselines"]["methods"] == ["tissue_drug_mean", "elastic_net",
                                              "random_forest", "mkl", "deepdr"]


def test_deepdr_omics_outside_the_configured_omics_are_warned_about(caplog):
    """The workflow runs deepdr on the configured omics among deepdr_omics, none at all
    when there are none: said, not silent."""
    base = {"dataset": "x", "data": {"source": "demo"}}
    with caplog.at_level("WARNING", logger="modrp.config"):
        validate_config(base)
        validate_config({**base, "omics": ["rppa"], "baselines": {"methods": ["mkl"]}})
    assert caplog.text == ""
    with caplog.at_level("WARNING", logger="modrp.config"):
        validate_config({**base, "omics": ["exp", "cnv"]})
    assert "deepdr_omics ['mut'] not among the configured omics ['exp', 'cnv']: deepdr " \
        "runs on ['exp'] only" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="modrp.config"):
        validate_config({**base, "omics": ["rppa", "metabolites"]})
    assert "deepdr does not run (set baselines.deepdr_omics" in caplog.text


def test_raw_files_leave_out_the_files_of_omics_not_configured():
    config = validate_config({"dataset": "x", "data": {"source": "demo"},
                              "omics": ["exp", "mut"]})
    assert sorted(raw_files(config)) == ["cell_line_details", "compounds", "dose_response",
                                         "expression", "interactome", "mutations",
                                         "sample_info"]
    config = validate_config({"dataset": "x", "data": {"source": "demo"},
                              "omics": ["rppa", "cnv"]})
    assert sorted(raw_files(config)) == ["cell_line_details", "compounds", "copy_number",
                                         "dose_response", "interactome", "rppa",
                                         "rppa_antibodies", "sample_info"]


def test_graphs_can_be_built_for_gene_omics_with_an_interactome():
    config = validate_config({"dataset": "x", "data": {"source": "demo"},
                              "omics": ["metabolites", "rppa", "exp"]})
    assert buildable_graph_omics(config) == ["rppa", "exp"]
    custom = validate_config({"dataset": "x", "omics": ["exp"], "embedding": {"exp": "dense"},
                              "data": {"source": "custom", "custom": {
                                  "omics": {"exp": "e.csv"}, "response": "r.csv"}}})
    assert buildable_graph_omics(custom) == []


def test_declared_values_are_canonical_json_without_the_run_only_values():
    config = validate_config({"dataset": "x", "data": {"source": "demo"}})
    text = declared_values(config, "train", "cv.seed", "no.such.key")
    values = json.loads(text)
    assert values["cv.seed"] == config["cv"]["seed"]
    assert values["no.such.key"] is None
    assert values["train"] == {k: v for k, v in config["train"].items()
                               if k not in ("device", "threads", "log_every")}
    assert "lr" in values["train"] and "device" not in values["train"]
    # The same values in another key order give the same text: no spurious re-run.
    shuffled = {**config, "train": dict(reversed(list(config["train"].items())))}
    assert declared_values(shuffled, "no.such.key", "cv.seed", "train") == text
    # Run-only values leave the text unchanged; any other value changes it.
    for key, value in (("device", "cuda"), ("threads", 7), ("log_every", 3)):
        assert declared_values({**config, "train": {**config["train"], key: value}},
                               "train", "cv.seed", "no.such.key") == text
    assert declared_values({**config, "train": {**config["train"], "lr": 0.5}},
                           "train", "cv.seed", "no.such.key") != text


def test_a_job_config_holds_the_declared_and_the_run_only_values_only():
    config = validate_config({"dataset": "x", "data": {"source": "demo"}})
    config["train"].update(device="cpu", threads=3, log_every=9)
    job = job_config(declared_values(config, "train", "cv.seed", "data.demo"), config)
    assert job == {"train": config["train"], "cv": {"seed": config["cv"]["seed"]},
                   "data": {"demo": config["data"]["demo"]}}
    # A value the rule did not declare is not there to be read.
    with pytest.raises(KeyError):
        job["cv"]["folds"]
    # The run-only values come from the config even when the rule declares none of train.
    assert job_config(declared_values(config, "cv.seed"), config) == {
        "cv": {"seed": config["cv"]["seed"]},
        "train": {"device": "cpu", "threads": 3, "log_every": 9}}


@pytest.mark.parametrize("paths", [("cv", "cv.seed"), ("cv.seed", "cv.seed.x")])
def test_overlapping_declared_values_are_refused(paths):
    config = validate_config({"dataset": "x", "data": {"source": "demo"}})
    with pytest.raises(ValueError, match="overlap"):
        job_config(declared_values(config, *paths), config)


def test_an_empty_or_missing_config_file_is_a_config_error(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    with pytest.raises(ConfigError, match=r"config key \(top level\): 'dataset' is a required "
                                          "property"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"config file .*absent\.yaml: .*No such file"):
        load_config(tmp_path / "absent.yaml")


# ---- the command line: exit status 0, or 2 with one "error:" line on stderr


@pytest.fixture
def restore_logging():
    """``modrp preprocess`` configures the root logger; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_cli_check_config(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("dataset: mini\ndata: {source: demo}\nomics: [exp, cnv]\n")
    assert main(["check-config", str(good)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{good}: valid (dataset 'mini', source 'demo', omics ['exp', 'cnv'])\n"
    assert err == ""
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: mini\ndata: {source: demo}\ncv: {folds: 1}\n")
    assert main(["check-config", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: config key cv.folds: 1 is less than the minimum of 2\n"
    assert main(["check-config", str(tmp_path / "absent.yaml")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: config file ") and err.count("\n") == 1


def test_cli_check_config_finds_custom_files_missing(tmp_path, capsys, monkeypatch):
    """A custom source's files are looked for where the workflow would read them."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp.csv").write_text("id,TP53\nc1,1\n")
    config = tmp_path / "custom.yaml"
    config.write_text("dataset: mine\nomics: [exp]\nembedding: {exp: dense}\n"
                      "data: {source: custom, custom: {omics: {exp: exp.csv}, "
                      "response: ic50.tsv, drugs: /absent/drugs.csv}}\n")
    assert main(["check-config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (
        f"error: {config}: no such file(s), relative paths taken from {Path.cwd()} as the "
        "workflow takes them: data.custom.response: ic50.tsv; data.custom.drugs: "
        "/absent/drugs.csv\n")
    (tmp_path / "ic50.tsv").write_text("cell_line\tdrug\tln_ic50\n")
    (tmp_path / "drugs.csv").write_text("drug\n")
    config.write_text(config.read_text().replace("/absent/drugs.csv", "drugs.csv"))
    assert main(["check-config", str(config)]) == 0
    capsys.readouterr()
    (tmp_path / "ic50.tsv").unlink()
    (tmp_path / "ic50.tsv").mkdir()  # a folder of that name is no file
    assert main(["check-config", str(config)]) == 2
    assert capsys.readouterr().err.endswith("workflow takes them: data.custom.response: "
                                            "ic50.tsv\n")


def _custom_config(tmp_path, results_dir) -> Path:
    rows = [[f"c{i}", float(i % 3), float(i % 2)] for i in range(6)]
    with open(tmp_path / "exp.csv", "w") as handle:
        handle.write("id,TP53,KRAS\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    with open(tmp_path / "resp.csv", "w") as handle:
        handle.write("cell_line,drug,ln_ic50\n"
                     + "".join(f"c{i},D1,{i / 2}\nc{i},D2,{-i}\n" for i in range(6)))
    path = tmp_path / "custom.yaml"
    path.write_text(
        f"dataset: mini\nresults_dir: {results_dir}\nomics: [exp]\nembedding: {{exp: dense}}\n"
        f"data:\n  source: custom\n  custom:\n    omics: {{exp: {tmp_path / 'exp.csv'}}}\n"
        f"    response: {tmp_path / 'resp.csv'}\n")
    return path


def test_cli_preprocess_writes_under_results_dir(tmp_path, capsys, restore_logging):
    config = _custom_config(tmp_path, tmp_path / "out")
    assert main(["preprocess", str(config)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["lines"]["study"] == 6 and summary["drugs"] == 2
    response = pd.read_parquet(tmp_path / "out" / "mini" / "data" / "response.parquet")
    assert response.shape == (6, 2)
    assert response.loc["c3", "D1"] == 1.5


def test_cli_preprocess_holds_downloaded_files_to_their_pins(tmp_path, capsys,
                                                             restore_logging):
    """As the workflow's check_raw_files before its preprocessing."""
    from modrp.demo import write_demo_dataset

    raw = tmp_path / "out" / "placed" / "raw"
    write_demo_dataset(raw, seed=0, n_lines=60, n_genes=220, n_edges=600)
    config = tmp_path / "placed.yaml"
    text = (f"dataset: placed\nresults_dir: {tmp_path / 'out'}\nomics: [exp]\n"
            "embedding: {exp: dense}\ndata: {source: download, sha256: {expression: %s}}\n")
    config.write_text(text % ("e" * 64))
    assert main(["preprocess", str(config)]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("error: sha256 mismatch for CCLE_expression.csv, placed by hand")
    assert not (raw.parent / "data").exists() and not (raw / "CHECKED.tsv").exists()
    config.write_text(text.replace("sha256: {expression: %s}", "sha256: {}"))
    assert main(["preprocess", str(config)]) == 0
    assert (raw / "CHECKED.tsv").is_file()
    assert "placed by hand" in (raw / "MANIFEST.tsv").read_text()


def test_cli_preprocess_reports_an_unwritable_results_dir(tmp_path, capsys, restore_logging):
    (tmp_path / "taken").write_text("a file where the results folder should be")
    config = _custom_config(tmp_path, tmp_path / "taken")
    assert main(["preprocess", str(config)]) == 2
    err = capsys.readouterr().err  # the log, then the error line
    assert err.splitlines()[-1].startswith("error: cannot write or read: ")
    assert "taken" in err.splitlines()[-1] and "Traceback" not in err


def test_baseline_settings_in_the_schema_are_those_the_comparators_take():
    """The schema checks each comparator's settings at config time; its names must be
    the comparators' own (baselines.DEFAULT_SETTINGS), and their defaults pass it."""
    import yaml

    from modrp.baselines import DEFAULT_SETTINGS

    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    settings = schema["properties"]["baselines"]["properties"]["settings"]["properties"]
    assert {m: set(s["properties"]) for m, s in settings.items()} == {
        m: set(d) for m, d in DEFAULT_SETTINGS.items() if d}
    config = validate_config({"dataset": "x", "data": {"source": "demo"},
                              "baselines": {"settings": {m: dict(d) for m, d in
                                                         DEFAULT_SETTINGS.items() if d}}})
    assert config["baselines"]["settings"]["mkl"] == DEFAULT_SETTINGS["mkl"]
    # a share and a count of features are both valid for the random forest
    for value in (0.5, 1.0, 3, "log2"):
        validate_config({"dataset": "x", "data": {"source": "demo"},
                         "baselines": {"settings": {"random_forest": {"max_features": value}}}})


def test_the_first_problem_named_is_the_first_by_key_not_by_schema_order():
    # the schema lists train before cv; by key, cv.folds comes first
    config = {"dataset": "t", "data": {"source": "demo"}, "train": {"lr": -1.0},
              "cv": {"folds": 1}}
    with pytest.raises(ConfigError, match=r"^config key cv\.folds: .*; config key train\.lr: "):
        validate_config(config)


def test_a_missing_schema_says_how_modrp_must_be_installed(tmp_path):
    with pytest.raises(ConfigError, match=r"schema .*missing\.yaml is missing: .*pip install -e"):
        validate_config({"dataset": "x", "data": {"source": "demo"}},
                        schema_path=tmp_path / "missing.yaml")


def test_modrp_help_says_what_the_command_is_for(capsys):
    """It printed its module docstring's first line, reStructuredText and all."""
    with pytest.raises(SystemExit):
        main(["--help"])
    described = capsys.readouterr().out.split("positional arguments")[0]
    assert "``" not in described and "drug response" in described
