# Stage 5: score every per-fold prediction file, the per-drug mean baseline beside it.


rule metrics:
    """Eq. 1 MSE, eq. 2 per-drug R2, pooled R2, Pearson and top-k for every model and fold."""
    input:
        predictions=[p for p in model_outputs() if p.endswith("predictions.parquet")],
        response=f"{DATA}/response.parquet",
        folds=expand(f"{RESULTS}/splits/r{{repeat}}.parquet", repeat=REPEATS),
    output:
        summary=f"{RESULTS}/metrics/summary.parquet",
        per_drug=f"{RESULTS}/metrics/per_drug.parquet",
        models=f"{RESULTS}/metrics/models.csv",
    log:
        f"{RESULTS}/logs/metrics.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/metrics.py"
