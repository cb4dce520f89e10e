# Stage 4b: comparators (per-drug and tissue means, elastic net, random forest, BEMKL-style
# multiple-kernel regression, DeepDR-style), each fit per fold on the training lines only.


rule baseline:
    """Fit one comparator on one fold's training lines and predict its test lines."""
    input:
        omics=lambda w: [f"{DATA}/omics/{o}.parquet" for o in w.omics.split("-")],
        response=f"{DATA}/response.parquet",
        cell_lines=f"{DATA}/cell_lines.parquet",
        folds=f"{RESULTS}/splits/r{{repeat}}.parquet",
    output:
        predictions=f"{RESULTS}/models/baseline/{{method}}/{{omics}}/r{{repeat}}-f{{fold}}/predictions.parquet",
    wildcard_constraints:
        method="|".join(BASELINES["methods"]) or "no-methods",
        omics=r"[a-z]+(-[a-z]+)*",
        repeat=r"\d+",
        fold=r"\d+",
    params:
        settings=lambda w: BASELINES["settings"].get(w.method, {}),
        config_values=config_values("cv.seed"),
    threads: config["train"]["threads"]
    log:
        f"{RESULTS}/logs/baseline/{{method}}/{{omics}}/r{{repeat}}-f{{fold}}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/baseline.py"
