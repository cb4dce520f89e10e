import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import run_script  # noqa: E402


def step(smk):
    from modrp.steps import write_figures

    write_figures(Path(smk.input.summary).parent, smk.input.drugs, smk.input.attention,
                  smk.input.predictions, Path(smk.output[0]).parent, smk.params.dataset,
                  smk.params.combination, smk.params.embedding, smk.params.protocol,
                  smk.params.split)


run_script(step, snakemake)  # noqa: F821
