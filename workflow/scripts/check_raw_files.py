import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import check_raw_files, declared_config, run_script  # noqa: E402


def step(smk):
    check_raw_files(declared_config(smk), Path(smk.output[0]).parent, Path(smk.output[0]))


run_script(step, snakemake)  # noqa: F821
