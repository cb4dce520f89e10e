import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import run_script, write_paper_tables  # noqa: E402


def step(smk):
    write_paper_tables(Path(smk.input.summary).parent, smk.input.drugs,
                       Path(smk.output[0]).parent, smk.params.captions, smk.params.embedding,
                       smk.input.graph_stats, protocol=smk.params.protocol,
                       split=smk.params.split)


run_script(step, snakemake)  # noqa: F821
