# Stage 4: per-fold pretraining of each omic's subnetwork (Table 1), then the attention
# fusion of every combination of two or more omics (Tables 2 and 3).


rule pretrain:
    """Train one omic's subnetwork (graph or dense embedding) on one cross-validation fold
    (under the audit tree: on the test fold's lines too, the paper's likely protocol)."""
    input:
        omic=f"{DATA}/omics/{{omic}}.parquet",
        response=f"{DATA}/response.parquet",
        folds=f"{RESULTS}/splits/r{{repeat}}.parquet",
        graph=lambda w: [f"{RESULTS}/graph/{w.omic}.npz"] if w.embedding == "graph" else [],
    output:
        model=f"{RESULTS}/{{tree}}/single/{{omic}}-{{embedding}}/r{{repeat}}-f{{fold}}/model.pt",
        predictions=f"{RESULTS}/{{tree}}/single/{{omic}}-{{embedding}}/r{{repeat}}-f{{fold}}/predictions.parquet",
        history=f"{RESULTS}/{{tree}}/single/{{omic}}-{{embedding}}/r{{repeat}}-f{{fold}}/history.parquet",
    wildcard_constraints:
        tree=f"models|{AUDIT_TREE}",
        omic="|".join(OMICS),
        embedding="graph|dense",
        repeat=r"\d+",
        fold=r"\d+",
    params:
        protocol=lambda w: protocol_of(w.tree),
        config_values=lambda w: config_values(*training_values(w.embedding), "cv.seed"),
    threads: config["train"]["threads"]
    log:
        f"{RESULTS}/logs/{{tree}}/pretrain/{{omic}}-{{embedding}}/r{{repeat}}-f{{fold}}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/pretrain.py"


rule fuse:
    """Fit the attention layer over the fold's frozen subnetworks of one omics combination."""
    input:
        unpack(fusion_inputs),
        response=f"{DATA}/response.parquet",
        folds=f"{RESULTS}/splits/r{{repeat}}.parquet",
    output:
        model=f"{RESULTS}/{{tree}}/fusion/{{combination}}/r{{repeat}}-f{{fold}}/model.pt",
        predictions=f"{RESULTS}/{{tree}}/fusion/{{combination}}/r{{repeat}}-f{{fold}}/predictions.parquet",
        attention=f"{RESULTS}/{{tree}}/fusion/{{combination}}/r{{repeat}}-f{{fold}}/attention.parquet",
        history=f"{RESULTS}/{{tree}}/fusion/{{combination}}/r{{repeat}}-f{{fold}}/history.parquet",
    wildcard_constraints:
        tree=f"models|{AUDIT_TREE}",
        combination="|".join(COMBINATIONS) or "no-combinations",
        repeat=r"\d+",
        fold=r"\d+",
    params:
        layer="attention",
        config_values=config_values("train.validation_fraction", *FUSION_VALUES["attention"],
                                    "cv.seed"),
    threads: config["train"]["threads"]
    log:
        f"{RESULTS}/logs/{{tree}}/fuse/{{combination}}/r{{repeat}}-f{{fold}}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/fuse.py"


rule concatenate:
    """The paper's "multi-omics without attention layer" (Table 2): a linear layer over the
    concatenated outputs of the fold's frozen subnetworks, for the combination of all omics."""
    input:
        unpack(fusion_inputs),
        response=f"{DATA}/response.parquet",
        folds=f"{RESULTS}/splits/r{{repeat}}.parquet",
    output:
        model=f"{RESULTS}/models/concatenation/{{combination}}/r{{repeat}}-f{{fold}}/model.pt",
        predictions=f"{RESULTS}/models/concatenation/{{combination}}/r{{repeat}}-f{{fold}}/predictions.parquet",
        history=f"{RESULTS}/models/concatenation/{{combination}}/r{{repeat}}-f{{fold}}/history.parquet",
    wildcard_constraints:
        combination=ALL_OMICS_COMBINATION,
        repeat=r"\d+",
        fold=r"\d+",
    params:
        layer="concatenation",
        config_values=config_values("train.validation_fraction", *FUSION_VALUES["concatenation"],
                                    "cv.seed"),
    threads: config["train"]["threads"]
    log:
        f"{RESULTS}/logs/concatenate/{{combination}}/r{{repeat}}-f{{fold}}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/fuse.py"
