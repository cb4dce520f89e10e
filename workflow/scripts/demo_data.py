import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import declared_config, make_demo_data, run_script  # noqa: E402


def step(smk):
    make_demo_data(declared_config(smk), Path(smk.output.truth).parent)


run_script(step, snakemake)  # noqa: F821
