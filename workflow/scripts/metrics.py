import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.steps import run_script, score_all_models  # noqa: E402


def step(smk):
    # Exactly the declared predictions: models an earlier configuration left in the tree
    # are not scored.
    score_all_models(Path(smk.input.response).parents[1], smk.input.folds, smk.output,
                     tree=smk.params.tree, prediction_paths=smk.input.predictions)


run_script(step, snakemake)  # noqa: F821
