# Stage 6: the paper's tables from the cross-validated metrics, published values beside ours.

TABLE_CAPTIONS = {
    "table1": "Table 1. Single omics, graph vs dense embedding: test-fold MSE (eq. 1) and "
    "per-drug R2 (eq. 2), mean ± std over repeats x folds, the per-drug mean baseline on the "
    "same pairs, and the paper's published values.",
    "table2": "Table 2. All omics fused without attention (a linear layer over the "
    "concatenated subnetwork outputs) and with attention, mean ± std over repeats x folds, "
    "the per-drug mean baseline on the same pairs, and the paper's published values.",
    "table3": "Table 3. Attention fusion of every omics combination (ablation), ranked by "
    "per-drug R2; leakage-free cross-validation, the per-drug mean baseline beside it, and "
    "the paper's published values.",
    "table4": "Table 4. Drugs ordered by the test MSE of the attention fusion of all omics "
    "(mean and std over repeats x folds), with putative target and pathway, the per-drug mean "
    "baseline's MSE and the paper's published MSE.",
    "table5": "Table 5. Top-1 and top-3 accuracy (%) of the most effective drug (lowest "
    "observed ln IC50) of each test cell line, the per-drug mean ranking beside it, and the "
    "paper's published values.",
    "table8": "Table 8. The datasets as found in our files: as parsed, after alignment and "
    "the paper's 95% filters, in the interactome graph, and as the paper describes them.",
}


rule tables:
    """Tables 1-5 and 8 of the paper from our metrics and data (Markdown, CSV, LaTeX)."""
    input:
        summary=f"{RESULTS}/metrics/summary.parquet",
        per_drug=f"{RESULTS}/metrics/per_drug.parquet",
        drugs=f"{DATA}/drugs.parquet",
        data_summary=f"{DATA}/summary.json",
        graph_stats=expand(f"{RESULTS}/graph/{{omic}}.json", omic=GRAPH_OMICS),
    output:
        expand(f"{RESULTS}/tables/{{table}}.{{ext}}", table=TABLE_CAPTIONS, ext=("md", "csv", "tex")),
    params:
        captions=TABLE_CAPTIONS,
        embedding=EMBEDDING,
    log:
        f"{RESULTS}/logs/tables.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/tables.py"
