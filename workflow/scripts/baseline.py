import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import declared_config, run_script  # noqa: E402


def step(smk):
    from modrp.steps import run_comparator

    w = smk.wildcards
    run_comparator(w.method, w.omics.split("-"), Path(smk.input.response).parent,
                   smk.input.folds, int(w.fold), smk.params.settings, declared_config(smk),
                   smk.output.predictions)


run_script(step, snakemake)  # noqa: F821
