import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import declared_config, run_script  # noqa: E402


def step(smk):
    from modrp.train import keep_freed_memory, pretrain_subnetwork

    keep_freed_memory()  # a job process: training steps reuse their buffers
    w = smk.wildcards
    pretrain_subnetwork(w.omic, w.embedding, Path(smk.input.response).parent, smk.input.folds,
                        int(w.fold), declared_config(smk), Path(smk.output.model).parent,
                        graph_path=smk.input.graph[0] if smk.input.graph else None,
                        protocol=smk.params.protocol)


run_script(step, snakemake)  # noqa: F821
