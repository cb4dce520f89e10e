import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import preprocess, run_script  # noqa: E402


def step(smk):
    results = Path(smk.config["results_dir"]) / smk.config["dataset"]
    preprocess(smk.config, results / "raw", results / "data")


run_script(step, snakemake)  # noqa: F821
