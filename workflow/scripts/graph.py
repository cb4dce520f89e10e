import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import build_graph, run_script  # noqa: E402


def step(smk):
    build_graph(smk.wildcards.omic, Path(smk.input.omic).parents[1], Path(smk.output.graph),
                Path(smk.output.stats), smk.params.drop_isolated)


run_script(step, snakemake)  # noqa: F821
