# Paths and config-derived lists shared by the rule files.
import os
import re

from modrp.config import (
    buildable_graph_omics,
    custom_files,
    declared_values,
    has_interactome,
    raw_files,
)

RESULTS = f"{config['results_dir']}/{config['dataset']}"
RAW = f"{RESULTS}/raw"
DATA = f"{RESULTS}/data"
OMICS = config["omics"]
GRAPH_OMICS = buildable_graph_omics(config)
SOURCE = config["data"]["source"]
REPEATS = list(range(config["cv"]["repeats"]))


def raw_inputs():
    """The raw files the preprocessing reads, for the demo and download sources."""
    if SOURCE == "custom":
        return list(custom_files(config).values())
    return [f"{RAW}/{name}" for name in raw_files(config).values()]


def raw_input_values():
    """The config paths naming the files preprocessing reads (those of raw_inputs), for its
    params: renaming the file of an omic that is not configured re-runs nothing."""
    if SOURCE == "custom":
        return list(custom_files(config))
    return [f"data.files.{key}" for key in raw_files(config)]


def study_data_files():
    """The tables the preprocessing writes under results/<dataset>/data/ (beside
    summary.json, which the rule names)."""
    files = [f"{DATA}/omics/{omic}.parquet" for omic in OMICS]
    files += [f"{DATA}/{name}" for name in
              ("response.parquet", "drugs.parquet", "cell_lines.parquet",
               "feature_genes.parquet")]
    if has_interactome(config):
        files.append(f"{DATA}/interactome.parquet")
    return files


def config_values(*paths):
    """The config values a job's outputs depend on ("cv.seed", or a whole section such as
    "train"), as one canonical JSON text for the rule's params: Snakemake re-runs a job
    whose params changed, so changing one of these values re-runs the jobs it affects and
    what follows them.  The job's script reads its config back from this param alone
    (modrp.config.job_config), plus the run-only values (train.device, threads, log_every)."""
    return declared_values(config, *paths)


# ---------------------------------------------------------------- models
from itertools import combinations as _combinations

EMBEDDING = {omic: config["embedding"][omic] for omic in OMICS}
FOLDS = list(range(config["cv"]["folds"]))


def single_models():
    """(omic, embedding) pairs to pretrain: Table 1's list plus the fusion's embeddings."""
    pairs = {(omic, kind) for omic in OMICS for kind in config["single_models"].get(omic, [])}
    pairs |= set(EMBEDDING.items())
    if not has_interactome(config):
        pairs = {(o, k) for o, k in pairs if k == "dense"}
    return sorted(pairs, key=lambda p: (OMICS.index(p[0]), p[1]))


SINGLE_MODELS = single_models()
# Every combination of two or more configured omics, named in their configured order (26
# for five; the paper's numbers are looked up whatever the order, report._paper_table3).
COMBINATIONS = [
    "-".join(c) for n in range(2, len(OMICS) + 1) for c in _combinations(OMICS, n)
]
ALL_OMICS_COMBINATION = "-".join(OMICS)
# The fusion settings a fusion fit reads: the shared ones and its layer's learning rate,
# so a change to one layer's rate re-runs only that layer's fits.
FUSION_SHARED = ("fusion.max_epochs", "fusion.patience", "fusion.holdout_fraction")
FUSION_VALUES = {"attention": (*FUSION_SHARED, "fusion.lr"),
                 "concatenation": (*FUSION_SHARED, "fusion.concatenation_lr")}
# What a subnetwork's training reads of the train section: the shared settings and the
# epoch cap of its own embedding, so a change to the graph models' cap re-runs no dense
# model (nor a fusion of dense ones only).  A fusion fit reads train.validation_fraction
# alone: its lines are the fold's validation lines.
TRAIN_SHARED = ("train.lr", "train.batch_size", "train.patience", "train.validation_fraction")


def training_values(*embeddings):
    return (*TRAIN_SHARED, *[f"train.max_epochs.{e}" for e in sorted(set(embeddings))])


# Model trees: "models" holds the pipeline's models (config protocol, strict by default);
# the leakage audit retrains the fusion's subnetworks under the paper's likely protocol
# (test folds included in pretraining) into its own, plainly labelled tree; not when the
# main models already use that protocol (the audit would retrain them as they are).
AUDIT_TREE = "audit-paper-protocol"
AUDIT = config["audit"]["paper_protocol"] and len(OMICS) > 1 and config["protocol"] != "paper"


def protocol_of(tree):
    return "paper" if tree == AUDIT_TREE else config["protocol"]


def single_model_dir(omic, embedding, repeat, fold, tree="models"):
    return f"{RESULTS}/{tree}/single/{omic}-{embedding}/r{repeat}-f{fold}"


def fusion_inputs(wildcards):
    """The fold's pretrained subnetworks (with the configured embedding) of a combination."""
    omics = wildcards.combination.split("-")
    tree = wildcards.get("tree", "models")
    inputs = {
        f"model_{omic}": os.path.join(
            single_model_dir(omic, EMBEDDING[omic], wildcards.repeat, wildcards.fold, tree),
            "model.pt",
        )
        for omic in omics
    }
    inputs |= {f"graph_{o}": f"{RESULTS}/graph/{o}.npz" for o in omics if EMBEDDING[o] == "graph"}
    inputs |= {f"omic_{o}": f"{DATA}/omics/{o}.parquet" for o in omics}
    return inputs


def model_outputs():
    """Every per-fold model file the evaluation reads."""
    single = [
        os.path.join(single_model_dir(o, k, r, f), name)
        for o, k in SINGLE_MODELS for r in REPEATS for f in FOLDS
        for name in ("predictions.parquet", "history.parquet")
    ]
    fused = [
        f"{RESULTS}/models/fusion/{c}/r{r}-f{f}/{name}"
        for c in COMBINATIONS for r in REPEATS for f in FOLDS
        for name in ("predictions.parquet", "attention.parquet", "history.parquet")
    ]
    concatenated = [
        f"{RESULTS}/models/concatenation/{ALL_OMICS_COMBINATION}/r{r}-f{f}/{name}"
        for r in REPEATS for f in FOLDS for name in ("predictions.parquet", "history.parquet")
    ] if len(OMICS) > 1 else []
    return single + fused + concatenated


def audit_outputs():
    """The leakage audit's per-fold predictions: the fusion's subnetworks and the fusion of
    all omics, pretrained under the paper's protocol."""
    if not AUDIT:
        return []
    single = [
        os.path.join(single_model_dir(o, EMBEDDING[o], r, f, AUDIT_TREE), "predictions.parquet")
        for o in OMICS for r in REPEATS for f in FOLDS
    ]
    fused = [
        f"{RESULTS}/{AUDIT_TREE}/fusion/{ALL_OMICS_COMBINATION}/r{r}-f{f}/predictions.parquet"
        for r in REPEATS for f in FOLDS
    ]
    return single + fused


# ---------------------------------------------------------------- comparators
BASELINES = config["baselines"]


def comparator_runs():
    """(method, omics) pairs: every method on all omics, MKL on each omic alone (Table 6),
    the DeepDR-style model on its omics (Table 7)."""
    runs = []
    for method in BASELINES["methods"]:
        if method == "deepdr":
            omics = [o for o in OMICS if o in BASELINES["deepdr_omics"]]
            if omics:
                runs.append((method, "-".join(omics)))
            continue
        runs.append((method, ALL_OMICS_COMBINATION))
        if method == "mkl" and len(OMICS) > 1:
            runs += [(method, omic) for omic in OMICS]
    return runs


def comparator_outputs():
    return [
        f"{RESULTS}/models/baseline/{m}/{omics}/r{r}-f{f}/predictions.parquet"
        for m, omics in comparator_runs() for r in REPEATS for f in FOLDS
    ]


# ---------------------------------------------------------------- final model
FINAL_COMBINATION = [o for o in OMICS if o in (config["final"]["combination"] or OMICS)]


def final_model_inputs(wildcards):
    """The study tables and the graphs of the final model's graph-embedded omics."""
    return {
        "response": f"{DATA}/response.parquet",
        "drugs": f"{DATA}/drugs.parquet",
        "omics": [f"{DATA}/omics/{o}.parquet" for o in FINAL_COMBINATION],
        "graphs": [f"{RESULTS}/graph/{o}.npz" for o in FINAL_COMBINATION
                   if EMBEDDING[o] == "graph"],
    }


# ---------------------------------------------------------------- tables and figures
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
    "(mean and std over repeats x folds) and its R2 for the drug (mean over repeats x folds), "
    "with putative target and pathway, the per-drug mean baseline's MSE and the paper's "
    "published MSE (beside a fusion of the paper's five omics only).",
    "table5": "Table 5. Top-1 and top-3 accuracy (%) of the most effective drug (lowest "
    "observed ln IC50) of each test cell line, the per-drug mean ranking beside it, and the "
    "paper's published values.",
    "table6": "Table 6. Each omic alone and all omics fused: our model beside the "
    "multiple-kernel comparator (BEMKL-style: one kernel per omic, learned kernel weights; "
    "not the Bayesian original), mean ± std over repeats x folds, the per-drug mean baseline, "
    "and the paper's published values for its model and BEMKL.",
    "table7": "Table 7. The attention fusion of all omics beside a DeepDR-style comparator "
    "(autoencoder-pretrained expression and mutation encoders, then a multi-output "
    "regressor), mean ± std over repeats x folds, and the paper's published values. The "
    "comparator reads expression and mutations only and is scored on every test line with "
    "those, more lines than the fusion's.",
    "table8": "Table 8. The datasets as found in our files: as parsed, after alignment and "
    "the paper's 95% filters, in the interactome graph, and as the paper describes them.",
    "baselines": ("Baselines. Our fused models" if len(OMICS) > 1 else
                  f"Baselines. Our single-omics models of {OMICS[0]}")
    + " beside every comparator, each fit per fold on "
    "the training lines only and scored on the test lines with all omics (a comparator "
    "that reads fewer omics, as its label shows, on every test line with its omics); the "
    "per-drug mean "
    "(training lines) last. Per-drug R2 is eq. 2; pooled R2 pools all pairs and so credits "
    "the spread between drug means.",
    "leakage_audit": "Leakage audit (NOT a result). The same subnetworks and fusion under our "
    "strict protocol and under the paper's likely protocol (subnetworks pretrained on every "
    "cell line, test folds included, then the fusion cross-validated), on the same data and "
    "folds, with the per-drug mean baseline and the paper's published R2.",
}


def report_tables():
    """The tables this configuration can fill (comparator and audit tables when enabled)."""
    tables = ["table1"]
    if len(OMICS) > 1:
        tables += ["table2", "table3", "table4", "table5"]
        if "mkl" in BASELINES["methods"]:
            tables.append("table6")
        if any(m == "deepdr" for m, _ in comparator_runs()):
            tables.append("table7")
    tables.append("table8")
    if comparator_runs():
        tables.append("baselines")
    if AUDIT:
        tables.append("leakage_audit")
    return tables


REPORT_TABLES = report_tables()
FIGURES = ["attention_heatmap", "drug_mse_ranking", "ablation", "observed_vs_predicted",
           "model_comparison"] if len(OMICS) > 1 else []


def table_outputs():
    """Markdown, CSV (shown in the HTML report) and LaTeX of every table."""
    outputs = []
    for table in REPORT_TABLES:
        stem = f"{RESULTS}/tables/{table}"
        csv = report(f"{stem}.csv", caption=f"../report/{table}.rst", category="Tables",
                     labels={"table": table})
        outputs += [f"{stem}.md", f"{stem}.tex", csv]
    return outputs


# The demo's known-answer check: the models against the generator's planted signal.
KNOWN_ANSWER = SOURCE == "demo" and len(OMICS) > 1
KNOWN_ANSWER_CAPTION = (
    "Known answer (demo only). The cross-validated models against the signal the demo "
    "generator planted (truth.json): the attention fusion of all omics against 0.7 x the "
    "oracle per-drug R2, each single-omics model of the planted strongest omic against the "
    "per-drug mean, and the share of drugs whose largest attention weight is on that omic."
)


def figure_outputs():
    outputs = []
    for figure in FIGURES:
        stem = f"{RESULTS}/figures/{figure}"
        png = report(f"{stem}.png", caption=f"../report/{figure}.rst", category="Figures",
                     labels={"figure": figure})
        outputs += [png, f"{stem}.pdf"]
    return outputs
