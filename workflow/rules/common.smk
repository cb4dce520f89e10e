# Paths and config-derived lists shared by the rule files.
import os
import re

from modrp.config import buildable_graph_omics, has_interactome

RESULTS = f"{config['results_dir']}/{config['dataset']}"
RAW = f"{RESULTS}/raw"
DATA = f"{RESULTS}/data"
OMICS = config["omics"]
GRAPH_OMICS = buildable_graph_omics(config)
SOURCE = config["data"]["source"]
REPEATS = list(range(config["cv"]["repeats"]))


def raw_inputs():
    """The raw files the preprocessing reads, for the demo and download sources."""
    if SOURCE == "custom":
        custom = config["data"]["custom"]
        paths = [custom["omics"][o] for o in OMICS] + [custom["response"]]
        paths += [custom[k] for k in ("interactome", "drugs") if custom.get(k)]
        return paths
    return [f"{RAW}/{name}" for name in config["data"]["files"].values()]


def study_data_files():
    """Everything the preprocessing writes under results/<dataset>/data/."""
    files = [f"{DATA}/omics/{omic}.parquet" for omic in OMICS]
    files += [f"{DATA}/{name}" for name in
              ("response.parquet", "drugs.parquet", "cell_lines.parquet",
               "feature_genes.parquet", "summary.json")]
    if has_interactome(config):
        files.append(f"{DATA}/interactome.parquet")
    return files


def download_urls(filename):
    """The configured URLs of the raw file called ``filename`` (empty when none)."""
    keys = [k for k, n in config["data"]["files"].items() if n == filename]
    return [url for k in keys for url in config["data"]["urls"].get(k, [])]


# ---------------------------------------------------------------- models
from itertools import combinations as _combinations

EMBEDDING = {omic: config["embedding"][omic] for omic in OMICS}
FOLDS = list(range(config["cv"]["folds"]))


def single_models():
    """(omic, embedding) pairs to pretrain: Table 1's list plus the fusion's embeddings."""
    pairs = {(omic, kind) for omic in OMICS for kind in config["single_models"].get(omic, [])}
    pairs |= set(EMBEDDING.items())
    if not has_interactome(config):
        pairs = {(o, k) for o, k in pairs if k == "dense"}
    return sorted(pairs, key=lambda p: (OMICS.index(p[0]), p[1]))


SINGLE_MODELS = single_models()
# Every combination of two or more configured omics, in the paper's omic order (26 for five).
COMBINATIONS = [
    "-".join(c) for n in range(2, len(OMICS) + 1) for c in _combinations(OMICS, n)
]
ALL_OMICS_COMBINATION = "-".join(OMICS)


def single_model_dir(omic, embedding, repeat, fold):
    return f"{RESULTS}/models/single/{omic}-{embedding}/r{repeat}-f{fold}"


def fusion_inputs(wildcards):
    """The fold's pretrained subnetworks (with the configured embedding) of a combination."""
    omics = wildcards.combination.split("-")
    inputs = {
        f"model_{omic}": os.path.join(
            single_model_dir(omic, EMBEDDING[omic], wildcards.repeat, wildcards.fold), "model.pt"
        )
        for omic in omics
    }
    inputs |= {f"graph_{o}": f"{RESULTS}/graph/{o}.npz" for o in omics if EMBEDDING[o] == "graph"}
    inputs |= {f"omic_{o}": f"{DATA}/omics/{o}.parquet" for o in omics}
    return inputs


def model_outputs():
    """Every per-fold model file the evaluation reads."""
    single = [
        os.path.join(single_model_dir(o, k, r, f), name)
        for o, k in SINGLE_MODELS for r in REPEATS for f in FOLDS
        for name in ("predictions.parquet", "history.parquet")
    ]
    fused = [
        f"{RESULTS}/models/fusion/{c}/r{r}-f{f}/{name}"
        for c in COMBINATIONS for r in REPEATS for f in FOLDS
        for name in ("predictions.parquet", "attention.parquet")
    ]
    concatenated = [
        f"{RESULTS}/models/concatenation/{ALL_OMICS_COMBINATION}/r{r}-f{f}/predictions.parquet"
        for r in REPEATS for f in FOLDS
    ] if len(OMICS) > 1 else []
    return single + fused + concatenated
