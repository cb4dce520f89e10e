# Stage 3: cross-validation folds over cell lines, one table per repeat.


rule split:
    """Assign every study cell line to one test fold of repeat r (cell-line- or tissue-blind)."""
    input:
        f"{DATA}/cell_lines.parquet",
    output:
        f"{RESULTS}/splits/r{{repeat}}.parquet",
    wildcard_constraints:
        repeat=r"\d+",
    params:
        config_values=config_values("cv.folds", "cv.seed", "cv.split"),
    log:
        f"{RESULTS}/logs/split/r{{repeat}}.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/split.py"
