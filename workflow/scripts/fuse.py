import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import declared_config, run_script  # noqa: E402


def step(smk):
    from modrp.train import fuse_combination

    omics = smk.wildcards.combination.split("-")
    fuse_combination(
        omics,
        {o: smk.input[f"model_{o}"] for o in omics},
        {o: smk.input.get(f"graph_{o}") for o in omics},
        Path(smk.input.response).parent, smk.input.folds, int(smk.wildcards.fold),
        declared_config(smk),
        Path(smk.output.model).parent, layer=smk.params.layer,
    )


run_script(step, snakemake)  # noqa: F821
