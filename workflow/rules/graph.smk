# Stage 2: interactome -> one sparse adjacency (CSR, self-loops) per gene-based omic.


rule graph:
    """Adjacency among one omic's features from the interactome (eq. 4's mask A)."""
    input:
        omic=f"{DATA}/omics/{{omic}}.parquet",
        feature_genes=f"{DATA}/feature_genes.parquet",
        interactome=f"{DATA}/interactome.parquet",
    output:
        graph=f"{RESULTS}/graph/{{omic}}.npz",
        stats=f"{RESULTS}/graph/{{omic}}.json",
    wildcard_constraints:
        omic="|".join(GRAPH_OMICS) or "no-graph-omics",
    params:
        drop_isolated=config["graph"]["drop_isolated"],
    log:
        f"{RESULTS}/logs/graph/{{omic}}.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/graph.py"
