# Stage 5: score every per-fold prediction file, the per-drug mean baseline beside it.


rule metrics:
    """Eq. 1 MSE, eq. 2 per-drug R2, pooled R2, Pearson and top-k for every model,
    comparator and fold."""
    input:
        predictions=[p for p in model_outputs() if p.endswith("predictions.parquet")]
        + comparator_outputs(),
        response=f"{DATA}/response.parquet",
        folds=expand(f"{RESULTS}/splits/r{{repeat}}.parquet", repeat=REPEATS),
    output:
        summary=f"{RESULTS}/metrics/summary.parquet",
        per_drug=f"{RESULTS}/metrics/per_drug.parquet",
        models=f"{RESULTS}/metrics/models.csv",
    params:
        tree="models",
    log:
        f"{RESULTS}/logs/metrics.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/metrics.py"


rule audit_metrics:
    """The same scores for the leakage audit's models (paper protocol), kept apart."""
    input:
        predictions=audit_outputs(),
        response=f"{DATA}/response.parquet",
        folds=expand(f"{RESULTS}/splits/r{{repeat}}.parquet", repeat=REPEATS),
    output:
        summary=f"{RESULTS}/metrics/audit_summary.parquet",
        per_drug=f"{RESULTS}/metrics/audit_per_drug.parquet",
    params:
        tree=AUDIT_TREE,
    log:
        f"{RESULTS}/logs/audit_metrics.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/metrics.py"


if KNOWN_ANSWER:

    rule known_answer:
        """Demo only: check the cross-validated models against the planted signal."""
        input:
            summary=f"{RESULTS}/metrics/summary.parquet",
            attention=expand(
                f"{RESULTS}/models/fusion/{ALL_OMICS_COMBINATION}/r{{repeat}}-f{{fold}}/attention.parquet",
                repeat=REPEATS, fold=FOLDS,
            ),
            truth=f"{RAW}/truth.json",
        output:
            md=f"{RESULTS}/tables/known_answer.md",
            tex=f"{RESULTS}/tables/known_answer.tex",
            csv=report(f"{RESULTS}/tables/known_answer.csv", caption="../report/known_answer.rst",
                       category="Tables", labels={"table": "known_answer"}),
        params:
            combination=ALL_OMICS_COMBINATION,
            caption=KNOWN_ANSWER_CAPTION,
        log:
            f"{RESULTS}/logs/known_answer.log",
        conda:
            "../../envs/report.yaml"
        script:
            "../scripts/known_answer.py"
