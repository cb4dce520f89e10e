import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import declared_config, make_demo_data, run_script  # noqa: E402

run_script(lambda smk: make_demo_data(declared_config(smk), Path(smk.output.truth).parent),  # noqa: F821
           snakemake)  # noqa: F821
