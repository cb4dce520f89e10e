# Stage 6: the paper's tables from the cross-validated metrics, published values beside
# ours, and the figures (captions and output lists in common.smk).


rule tables:
    """The paper's Tables 1-8, the baselines and the leakage audit (Markdown, CSV, LaTeX)."""
    input:
        summary=f"{RESULTS}/metrics/summary.parquet",
        per_drug=f"{RESULTS}/metrics/per_drug.parquet",
        audit=[f"{RESULTS}/metrics/audit_summary.parquet"] if AUDIT else [],
        drugs=f"{DATA}/drugs.parquet",
        data_summary=f"{DATA}/summary.json",
        graph_stats=expand(f"{RESULTS}/graph/{{omic}}.json", omic=GRAPH_OMICS),
    output:
        table_outputs(),
    params:
        captions={t: TABLE_CAPTIONS[t] for t in REPORT_TABLES},
        embedding=EMBEDDING,
        protocol=config["protocol"],
        split=config["cv"]["split"],
    log:
        f"{RESULTS}/logs/tables.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/tables.py"


rule figures:
    """Attention heatmap (Fig. 1), per-drug MSE ranking, ablation, observed vs predicted and
    the model comparison, as PNG and PDF."""
    input:
        summary=f"{RESULTS}/metrics/summary.parquet",
        per_drug=f"{RESULTS}/metrics/per_drug.parquet",
        drugs=f"{DATA}/drugs.parquet",
        attention=expand(
            f"{RESULTS}/models/fusion/{ALL_OMICS_COMBINATION}/r{{repeat}}-f{{fold}}/attention.parquet",
            repeat=REPEATS, fold=FOLDS,
        ) if FIGURES else [],
        predictions=expand(
            f"{RESULTS}/models/fusion/{ALL_OMICS_COMBINATION}/r{{repeat}}-f{{fold}}/predictions.parquet",
            repeat=REPEATS, fold=FOLDS,
        ) if FIGURES else [],
    output:
        figure_outputs(),
    params:
        dataset=config["dataset"],
        combination=ALL_OMICS_COMBINATION,
        embedding=EMBEDDING,
        protocol=config["protocol"],
        split=config["cv"]["split"],
    log:
        f"{RESULTS}/logs/figures.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/figures.py"


localrules:
    figures,
