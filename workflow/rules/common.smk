# Paths and config-derived lists shared by the rule files.
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
