import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import run_script, write_known_answer  # noqa: E402


def step(smk):
    write_known_answer(smk.input.summary, smk.input.attention, smk.input.truth,
                       smk.params.combination, Path(smk.output.csv).with_suffix(""),
                       smk.params.caption)


run_script(step, snakemake)  # noqa: F821
