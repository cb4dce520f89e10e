"""Config validation: defaults, schema errors naming the key, cross-key rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from modrp.config import graph_omics, load_config, validate_config
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
    ({"protocol": "loose"}, r"config key protocol: 'loose' is not one of"),
    ({"embedding": {"metabolites": "graph"}}, r"config key embedding\.metabolites"),
    ({"cv": {"folds": 1}}, r"config key cv\.folds: 1 is less than the minimum of 2"),
    ({"cv": {"seed": -1}}, r"config key cv\.seed: -1 is less than the minimum of 0"),
    ({"typo_key": 1}, r"config key \(top level\): Additional properties"),
    ({"cv": {"folds": 3.0}}, r"config key cv\.folds: 3\.0 is not of type 'integer'"),
    ({"data": {"source": "download", "urls": {1: "x", "expression": ["y"]}}},
     r"config key data\.urls"),
    ({"data": {"source": "demo", "files": {"expression": "a.csv", "mutations": "a.csv"}}},
     r"config key data\.files: \['a\.csv'\] named twice"),
    ({"data": {"source": "demo", "files": {"expression": "truth.json"}}},
     r"config key data\.files: \['truth\.json'\] named twice or reserved"),
])
def test_schema_violations_name_the_key(change, message):
    config = {"dataset": "x", "data": {"source": "demo"}, **change}
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


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
    assert validate_config({**with_tissues, "cv": {"split": "tissue"}})["cv"]["split"] == "tissue"


def test_an_embedding_map_naming_some_omics_keeps_the_defaults_of_the_others():
    config = validate_config({"dataset": "x", "data": {"source": "demo"},
                              "embedding": {"exp": "dense"}, "__use_yte__": True})
    assert config["embedding"] == {"exp": "dense", "mut": "graph", "cnv": "graph",
                                   "rppa": "dense", "metabolites": "dense"}
    assert "__use_yte__" not in config


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


@pytest.mark.parametrize("demo, message", [
    ({"n_genes": 200}, r"config key data\.demo: n_genes must be at least"),
    ({"n_genes": 300, "n_edges": 100_000}, r"config key data\.demo: n_edges must be between"),
])
def test_demo_sizes_the_generator_cannot_make_are_config_errors(demo, message):
    config = {"dataset": "x", "data": {"source": "demo", "demo": demo}}
    with pytest.raises(ConfigError, match=message):
        validate_config(config)
