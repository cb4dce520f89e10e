import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import declared_config, preprocess, run_script  # noqa: E402


def step(smk):
    # The demo and download sources' files sit in results/<dataset>/raw (a custom source
    # names its own files in the config, and the raw folder goes unused).
    preprocess(declared_config(smk), Path(smk.input.raw[0]).parent,
               Path(smk.output.summary).parent)


run_script(step, snakemake)  # noqa: F821
