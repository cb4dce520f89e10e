import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import declared_config, run_script, write_folds  # noqa: E402


def step(smk):
    write_folds(smk.input[0], smk.output[0], declared_config(smk)["cv"],
                int(smk.wildcards.repeat))


run_script(step, snakemake)  # noqa: F821
