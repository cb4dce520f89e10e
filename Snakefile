# modrp: multi-omics drug response prediction (Wang et al., BMC Bioinformatics 2022),
# reproduced under a leakage-free protocol.  See README.md.
import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "src"))
from modrp.config import read_config_file, validate_config  # noqa: E402
from modrp.errors import ConfigError  # noqa: E402


# config/config.yaml (the paper reproduction) unless --configfile names another; a given
# config file is used alone, not merged into the default one (--config values apply on top
# of whichever is used).
if not workflow.overwrite_configfiles:

    configfile: os.path.join(workflow.basedir, "config", "config.yaml")


try:
    for path in workflow.configfiles:  # Snakemake keeps the last of a repeated key silently
        read_config_file(path)
    config.update(validate_config(config))
except ConfigError as err:
    raise WorkflowError(f"invalid configuration: {err}") from None


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/graph.smk"
include: "workflow/rules/split.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/final.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        study_data_files(),
        expand(f"{RESULTS}/graph/{{omic}}.{{ext}}", omic=GRAPH_OMICS, ext=("npz", "json")),
        expand(f"{RESULTS}/splits/r{{repeat}}.parquet", repeat=REPEATS),
        model_outputs(),
        comparator_outputs(),
        audit_outputs(),
        f"{RESULTS}/metrics/models.csv",
        rules.tables.output,
        rules.figures.output,
        rules.known_answer.output if KNOWN_ANSWER else [],
        rules.final_model.output,
    default_target: True
