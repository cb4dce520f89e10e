# Stage 7: the final model for new cell lines (`modrp predict`): the chosen combination's
# subnetworks and attention fusion trained on every study line, no cross-validation.


rule final_model:
    """Train the final model of final.combination on all study lines, with its feature
    order, standardization statistics, drug list and in-sample predictions beside the
    weights."""
    input:
        unpack(final_model_inputs),
    output:
        directory(f"{RESULTS}/final"),
    params:
        combination=FINAL_COMBINATION,
        graph_dir=f"{RESULTS}/graph",
        max_missing_features=config["final"]["max_missing_features"],
        # What model.json records, too: only the final combination's embeddings, and the
        # graph settings only when one of its omics is graph-embedded.
        config_values=config_values(
            "dataset", *training_values(*(EMBEDDING[o] for o in FINAL_COMBINATION)),
            *FUSION_VALUES["attention"], "cv.seed", "preprocess",
            *[f"embedding.{o}" for o in FINAL_COMBINATION],
            *(["graph"] if any(EMBEDDING[o] == "graph" for o in FINAL_COMBINATION) else []),
        ),
    threads: config["train"]["threads"]
    log:
        f"{RESULTS}/logs/final_model.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/final_model.py"
