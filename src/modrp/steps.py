"""The pipeline's steps as plain functions, called by the thin workflow scripts and the CLI.

Each Snakemake script calls :func:`run_script`, which sets up logging to the
rule's log file, turns an :class:`~modrp.errors.InputError` into one clear
message and a non-zero exit instead of a traceback, and ends the job's process
through :func:`modrp.process.end_process`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from modrp.errors import InputError
from modrp.process import end_process

log = logging.getLogger("modrp")


def setup_logging(logfile: str | Path | None = None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if logfile:
        Path(logfile).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(logfile, mode="w"))
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_script(step: Callable, snakemake) -> None:
    """Run ``step(snakemake)`` inside a Snakemake script with logging and clean errors,
    then end the process: exit status 0, or 1 after an input error (its message only)
    or any other exception (its traceback, in the log as well)."""
    logfile = snakemake.log[0] if len(snakemake.log) else None
    setup_logging(logfile)
    started = time.perf_counter()
    try:
        step(snakemake)
    except InputError as err:
        log.error("%s", err)
        end_process(1)
    except Exception:  # a bug: its traceback goes to the job's log too, not only stderr
        log.exception("unexpected error")
        end_process(1)
    log.info("done in %.1f s", time.perf_counter() - started)
    end_process(0)


#: The rules whose jobs run ``train.threads`` torch threads (their ``threads:``).
THREADED_RULES = ("baseline", "concatenate", "final_model", "fuse", "pretrain")
#: The fusion fits: a few thousand parameters over the frozen subnetworks' outputs.
FUSION_RULES = ("concatenate", "fuse")


def declared_config(snakemake) -> dict:
    """A job's config: the values its rule declares in ``params.config_values`` (those
    whose change re-runs it) and the run-only ones; see :func:`modrp.config.job_config`.

    A job of :data:`THREADED_RULES` given fewer threads than ``train.threads`` (Snakemake
    lowers a rule's threads to ``--cores``) still runs ``train.threads``, so that its
    numbers do not depend on ``--cores``, and says so: the CPUs are oversubscribed.
    A fusion job (:data:`FUSION_RULES`) given no ``gpu`` resource runs ``train.device:
    auto`` on the CPU: the profiles give GPUs to pretraining and the final model only,
    and ``--resources gpu=N`` would not count a fusion job that took one anyway."""
    from modrp.config import job_config

    config = job_config(snakemake.params.config_values, snakemake.config)
    if (snakemake.rule in FUSION_RULES and config["train"]["device"] == "auto"
            and not snakemake.resources.get("gpu", 0)):
        config["train"]["device"] = "cpu"
    wanted = config["train"]["threads"]
    if snakemake.rule in THREADED_RULES and snakemake.threads < wanted:
        log.warning("train.threads is %d but this job was given %d thread(s) (--cores): it "
                    "runs %d, so that its results do not depend on --cores; give --cores %d "
                    "or lower train.threads", wanted, snakemake.threads, wanted, wanted)
    return config


def raw_file_paths(config: dict, raw_dir: Path) -> dict[str, Path]:
    """The raw source files the demo/download sources read for the configured omics, keyed
    as in ``data.files``."""
    from modrp.config import raw_files

    return {key: Path(raw_dir) / name for key, name in raw_files(config).items()}


def make_demo_data(config: dict, raw_dir: Path) -> dict[str, Path]:
    """Write the synthetic dataset (real formats, planted signal) into ``raw_dir``."""
    from modrp.demo import write_demo_dataset
    from modrp.download import file_date, file_sha256, update_manifest

    demo = config["data"]["demo"]
    paths = write_demo_dataset(raw_dir, seed=demo["seed"], n_lines=demo["n_lines"],
                               n_genes=demo["n_genes"], n_edges=demo["n_edges"],
                               names=config["data"]["files"])
    # Provenance as for downloads: what made each file, its size and digest.
    origin = (f"synthesized: modrp demo (seed {demo['seed']}, {demo['n_lines']} lines, "
              f"{demo['n_genes']} genes, {demo['n_edges']} interactions)")
    for path in sorted({*map(Path, paths.values()), Path(raw_dir) / "truth.json"}):
        update_manifest(Path(raw_dir) / "MANIFEST.tsv", path.name, origin,
                        path.stat().st_size, file_sha256(path), file_date(path))
    return paths


def check_raw_files(config: dict, raw_dir: Path, out_path: Path) -> pd.DataFrame:
    """Hold the download source's raw files to their pins (``data.sha256``), record those
    placed by hand in MANIFEST.tsv, and write what was checked to ``out_path`` (TSV: key,
    file, bytes, sha256, pin)."""
    from modrp.config import raw_files
    from modrp.download import read_manifest, record_placed_files
    from modrp.io import atomic_path

    files, pins = raw_files(config), config["data"].get("sha256") or {}
    manifest = Path(raw_dir) / "MANIFEST.tsv"
    record_placed_files(raw_dir, files, manifest, pins)
    rows = {row["file"]: row for row in read_manifest(manifest)}
    table = pd.DataFrame([{"key": key, "file": name, "bytes": int(rows[name]["bytes"]),
                           "sha256": rows[name]["sha256"], "pin": pins.get(key, "").lower()}
                          for key, name in files.items()])
    with atomic_path(out_path) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
    log.info("%d raw file(s) checked, %d against a pin", len(table),
             int((table["pin"] != "").sum()))
    return table


def preprocess(config: dict, raw_dir: Path, data_dir: Path) -> dict:
    """Parse, filter and align the inputs; write ``data_dir``; return the summary.  The
    download source's files are held to their pins before, by :func:`check_raw_files`."""
    from modrp import preprocess as pp

    if config["data"]["source"] == "custom":
        data = pp.load_custom_files(config["data"]["custom"], config)
    else:
        data = pp.load_source_files(raw_file_paths(config, raw_dir), config)
    pp.write_study_data(data, data_dir)
    log.info("aligned: %s", data.summary.get("lines"))
    for omic, stats in data.summary.get("features", {}).items():
        log.info("%s: %d lines, %d of %d features kept", omic, stats["lines"], stats["kept"],
                 stats["raw"])
    return data.summary


def build_graph(omic: str, data_dir: Path, out_path: Path, stats_path: Path,
                drop_isolated: bool) -> dict:
    """Build and save the interactome graph of one omic and its statistics (JSON)."""
    from modrp.graph import build_feature_graph, save_feature_graph
    from modrp.io import write_json

    data_dir = Path(data_dir)
    features = pd.read_parquet(data_dir / "omics" / f"{omic}.parquet").columns.tolist()
    feature_genes = pd.read_parquet(data_dir / "feature_genes.parquet")
    edges = pd.read_parquet(data_dir / "interactome.parquet")
    graph = build_feature_graph(omic, features, feature_genes, edges, drop_isolated)
    save_feature_graph(graph, out_path)
    stats = {
        "omic": omic,
        "features": len(features),
        "features_with_interaction": graph.with_interaction,
        "features_in_graph": len(graph.features),
        "edges": graph.n_edges,
        "nonzeros": int(graph.adjacency.nnz),
    }
    log.info("graph %s: %d of %d features have an interaction; %d kept, %d edges, %d nonzeros",
             omic, stats["features_with_interaction"], len(features), len(graph.features),
             stats["edges"], stats["nonzeros"])
    write_json(stats, stats_path)
    return stats


def write_folds(cell_lines_path: Path, out_path: Path, cv: dict, repeat: int) -> None:
    """Write the fold assignment of one repeat."""
    from modrp.io import write_parquet
    from modrp.splits import make_folds

    folds = make_folds(pd.read_parquet(cell_lines_path), cv, repeat)
    write_parquet(folds, out_path)
    log.info("repeat %d: fold sizes %s", repeat, folds["fold"].value_counts().sort_index()
             .tolist())


def run_comparator(method: str, omics: list[str], data_dir: Path, folds_path: Path, fold: int,
                   settings: dict, config: dict, out_path: Path) -> None:
    """Fit one comparator on a fold's training lines; write its test-fold predictions."""
    from modrp.baselines import USES_TORCH, fit_predict_fold
    from modrp.io import write_parquet
    from modrp.splits import job_seed

    if method in USES_TORCH:  # the others never load torch (1-2 s of every job)
        import torch

        torch.set_num_threads(config["train"]["threads"])  # bit-repeatable for a thread count
    repeat = int(pd.read_parquet(folds_path, columns=["repeat"])["repeat"].iloc[0])
    seed = job_seed(config["cv"]["seed"], "baseline", method, "-".join(omics), repeat, fold)
    # the comparator fills in its DEFAULT_SETTINGS and refuses unknown settings itself
    predictions = fit_predict_fold(method, omics, Path(data_dir), Path(folds_path), fold,
                                   settings, seed)
    write_parquet(predictions, out_path)
    log.info("%s on %s, repeat %d fold %d: %d test pairs", method, "-".join(omics), repeat,
             fold, len(predictions))


def score_all_models(results_dir: Path, folds_paths: list[str], outputs,
                     tree: str = "models", prediction_paths=None) -> None:
    """Score the models' test predictions under ``results_dir/tree`` (``prediction_paths``:
    exactly those files; None: every one found); write the summary tables of
    ``outputs`` (``models`` only when ``outputs`` has it)."""
    from modrp.evaluate import model_table, score_models
    from modrp.io import atomic_path, write_parquet

    results_dir = Path(results_dir)
    response = pd.read_parquet(results_dir / "data" / "response.parquet")
    folds = {}
    for path in folds_paths:
        table = pd.read_parquet(path)
        folds[int(table["repeat"].iloc[0])] = table
    summary, per_drug = score_models(results_dir / tree, response, folds, prediction_paths)
    write_parquet(summary, outputs.summary)
    write_parquet(per_drug, outputs.per_drug)
    table = model_table(summary)
    if hasattr(outputs, "models"):
        with atomic_path(outputs.models) as tmp:
            table.to_csv(tmp, index=False, float_format="%.4f")
    for row in table.itertuples():
        log.info("%-7s %-30s R2 per drug %.3f (per-drug mean %.3f)  MSE %.3f (%.3f)",
                 row.kind, row.model, row.r2_per_drug_mean, row.baseline_r2_per_drug_mean,
                 row.mse, row.baseline_mse)


def write_known_answer(summary_path: Path, attention_paths: list[str], truth_path: Path,
                       combination: str, stem: Path, caption: str) -> pd.DataFrame:
    """The demo's known-answer check (:func:`modrp.evaluate.known_answer`) as a table."""
    import json

    from modrp.evaluate import known_answer
    from modrp.report import write_table

    summary = pd.read_parquet(summary_path)
    attention = pd.concat([pd.read_parquet(p) for p in attention_paths], ignore_index=True)
    truth = json.loads(Path(truth_path).read_text())
    table = known_answer(summary, attention, truth, combination)
    write_table(table.round({"value": 3, "goal": 3}), stem, caption)
    for row in table.itertuples():
        (log.info if row.passed else log.warning)(
            "%s: %s %.3f (goal %.3f) %s", row.check, row.model, row.value, row.goal,
            "passed" if row.passed else "FAILED")
    return table


def caption_label(protocol: str = "strict", split: str = "cell_line") -> str:
    """What every table caption starts with: under ``protocol: paper`` that the numbers
    come from the leakage audit's protocol, under ``cv.split: tissue`` that the folds keep
    tissues apart (the captions otherwise read as the default split's)."""
    label = ("AUDIT, NOT A RESULT: every model below was pretrained under the paper's likely "
             "protocol (test folds included; config protocol: paper). " if protocol == "paper"
             else "")
    if split == "tissue":
        label += ("Tissue-blind cross-validation (cv.split: tissue): no test line's tissue is "
                  "among its fold's training lines. ")
    return label


def figure_where(dataset: str, protocol: str = "strict", split: str = "cell_line") -> str:
    """The dataset and protocol a figure's title names in brackets, and a tissue split."""
    where = f"{dataset}, {'AUDIT: paper protocol' if protocol == 'paper' else 'strict CV'}"
    return where + (", tissue-blind folds" if split == "tissue" else "")


def write_paper_tables(metrics_dir: Path, drugs_path: Path, tables_dir: Path,
                       captions: dict[str, str], embedding: dict[str, str],
                       graph_stats: list[str] = (), protocol: str = "strict",
                       split: str = "cell_line") -> None:
    """Write the tables named in ``captions`` (the paper's tables 1-8, ``baselines`` and
    ``leakage_audit``) from the metrics and the data summary, each caption after
    :func:`caption_label`."""
    import json

    from modrp import report

    metrics_dir = Path(metrics_dir)
    data_summary = json.loads((Path(drugs_path).parent / "summary.json").read_text())
    graphs = {}
    for path in graph_stats:
        stats = json.loads(Path(path).read_text())
        graphs[stats["omic"]] = stats
    summary = pd.read_parquet(metrics_dir / "summary.parquet")
    per_drug = pd.read_parquet(metrics_dir / "per_drug.parquet")
    drugs = pd.read_parquet(drugs_path)
    full = "-".join(embedding)
    builders = {
        "table1": lambda: report.table1(summary),
        "table2": lambda: report.table2(summary),
        "table3": lambda: report.table3(summary),
        "table4": lambda: report.table4(per_drug, drugs, full),
        "table5": lambda: report.table5(summary, embedding),
        "table6": lambda: report.table6(summary, embedding),
        "table7": lambda: report.table7(summary),
        "table8": lambda: report.table8(data_summary, graphs),
        "baselines": lambda: report.baselines_table(summary),
        "leakage_audit": lambda: report.leakage_audit_table(
            summary, pd.read_parquet(metrics_dir / "audit_summary.parquet"), embedding),
    }
    label = caption_label(protocol, split)
    for name, caption in captions.items():
        report.write_table(builders[name](), Path(tables_dir) / name, label + caption)
        log.info("wrote %s", Path(tables_dir) / f"{name}.md")


def write_figures(metrics_dir: Path, drugs_path: Path, attention_paths: list[str],
                  prediction_paths: list[str], figures_dir: Path, dataset: str,
                  combination: str, embedding: dict[str, str], protocol: str = "strict",
                  split: str = "cell_line") -> None:
    """The paper's Fig. 1 (attention heatmap) and the evaluation figures, PNG and PDF."""
    from modrp import figures
    from modrp.report import comparator_label

    metrics_dir, figures_dir = Path(metrics_dir), Path(figures_dir)
    summary = pd.read_parquet(metrics_dir / "summary.parquet")
    per_drug = pd.read_parquet(metrics_dir / "per_drug.parquet")
    drugs = pd.read_parquet(drugs_path)
    attention = pd.concat([pd.read_parquet(p) for p in attention_paths], ignore_index=True)
    predictions = pd.concat([pd.read_parquet(p) for p in prediction_paths], ignore_index=True)
    where = figure_where(dataset, protocol, split)
    fused = combination.replace("-", "+")

    # the per-drug mean scored on the fusion's pairs, as one more "model" to compare
    reference = per_drug[(per_drug["kind"] == "fusion") & (per_drug["model"] == combination)]
    reference = reference.assign(kind="reference", model="per-drug mean",
                                 r2=reference["baseline_r2"], mse=reference["baseline_mse"])
    compared = [("fusion", combination, f"attention fusion ({fused})")]
    if ((per_drug["kind"] == "concatenation") & (per_drug["model"] == combination)).any():
        compared.append(("concatenation", combination, "concatenation, no attention"))
    compared += [("single", f"{omic}-{kind}", f"{omic} ({kind})")
                 for omic, kind in embedding.items()]
    for model in sorted(per_drug.loc[per_drug["kind"] == "baseline", "model"].unique()):
        method, omics = model.split(":")
        if omics == combination or method == "deepdr":
            compared.append(("baseline", model,
                             comparator_label(method, omics.replace("-", "+"))))
    compared.append(("reference", "per-drug mean", "per-drug mean"))

    figures.attention_heatmap(attention, figures_dir / "attention_heatmap",
                              f"Attention weights, fusion of {fused} ({where})")
    figures.drug_mse_ranking(per_drug, drugs, "fusion", combination,
                             figures_dir / "drug_mse_ranking",
                             f"Per-drug test MSE, attention fusion of {fused} ({where})")
    figures.ablation(summary, figures_dir / "ablation",
                     f"Ablation: attention fusion of every omics combination ({where})")
    figures.observed_vs_predicted(predictions, figures_dir / "observed_vs_predicted",
                                  f"Observed vs predicted ln IC50, fusion of {fused} ({where})")
    figures.model_comparison(pd.concat([per_drug, reference], ignore_index=True), compared,
                             figures_dir / "model_comparison",
                             f"Per-drug R2 across models ({where})")
    log.info("wrote the figures to %s", figures_dir)
