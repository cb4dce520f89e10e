import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import declared_config, run_script  # noqa: E402


def step(smk):
    from modrp.predict import train_final_model
    from modrp.train import keep_freed_memory

    keep_freed_memory()  # a job process: training steps reuse their buffers
    train_final_model(list(smk.params.combination), Path(smk.input.response).parent,
                      Path(smk.params.graph_dir),
                      declared_config(smk), Path(smk.output[0]),
                      max_missing_features=smk.params.max_missing_features)


run_script(step, snakemake)  # noqa: F821
