import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.download import fetch  # noqa: E402
from modrp.steps import run_script  # noqa: E402

run_script(lambda smk: fetch(smk.params.urls, Path(smk.output[0])), snakemake)  # noqa: F821
