"""The Snakemake workflow itself: lint, planning the real-data DAG, the demo data stages,
and clean failures on bad configs and bad inputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from modrp.graph import load_feature_graph

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]


def snakemake(*args, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*SNAKEMAKE, "-d", str(cwd), *args], capture_output=True,
                            text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout}\n{result.stderr}")
    return result


def test_lint_is_clean(tmp_path):
    result = snakemake("--lint", "--configfile", str(ROOT / "config" / "demo.yaml"),
                       cwd=tmp_path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Congratulations" in output, output


def test_scripts_read_the_config_only_through_their_rules_declared_values():
    """A job that read ``snakemake.config`` directly could depend on a value whose change
    does not re-run it; only the download reads URLs and pins there, on purpose."""
    readers = {path.name for path in (ROOT / "workflow" / "scripts").glob("*.py")
               if re.search(r"\b(smk|snakemake)\.config\b", path.read_text())}
    assert readers == {"download.py"}
    declared = {path.name for path in (ROOT / "workflow" / "scripts").glob("*.py")
                if "declared_config(smk)" in path.read_text()}
    assert declared == {"baseline.py", "check_raw_files.py", "demo_data.py", "final_model.py",
                        "fuse.py", "preprocess.py", "pretrain.py", "split.py"}


def test_a_job_config_follows_the_threads_and_gpus_snakemake_gives_it(caplog):
    """The rules that run train.threads torch threads are those steps.THREADED_RULES
    names; a job of one given fewer by Snakemake warns, another job does not.  A fusion
    job given no GPU runs train.device auto on the CPU."""
    from types import SimpleNamespace

    from modrp.config import declared_values, validate_config
    from modrp.steps import THREADED_RULES, declared_config

    threaded = set()
    for path in (ROOT / "workflow" / "rules").glob("*.smk"):
        for rule, body in re.findall(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", path.read_text(),
                                     flags=re.M | re.S):
            if 'threads: config["train"]["threads"]' in body:
                threaded.add(rule)
    assert threaded == set(THREADED_RULES)

    config = validate_config({"dataset": "x", "data": {"source": "demo"},
                              "train": {"threads": 4}})

    def job(rule, threads, resources=None):
        return SimpleNamespace(rule=rule, threads=threads, config=config,
                               resources=resources or {},
                               params=SimpleNamespace(config_values=declared_values(
                                   config, "train.lr")))

    with caplog.at_level("WARNING", logger="modrp"):
        assert declared_config(job("preprocess", 1))["train"]["threads"] == 4
        assert declared_config(job("pretrain", 4))["train"]["lr"] == 0.001
        assert not caplog.text
        declared_config(job("fuse", 2))
    assert "train.threads is 4 but this job was given 2 thread(s) (--cores)" in caplog.text
    # a fusion job runs device auto on the CPU unless it was given a GPU
    assert declared_config(job("fuse", 4))["train"]["device"] == "cpu"
    assert declared_config(job("concatenate", 4))["train"]["device"] == "cpu"
    assert declared_config(job("fuse", 4, {"gpu": 1}))["train"]["device"] == "auto"
    assert declared_config(job("pretrain", 4))["train"]["device"] == "auto"
    config["train"]["device"] = "cuda"  # named by the user: kept
    assert declared_config(job("fuse", 4))["train"]["device"] == "cuda"


def test_a_pin_added_after_preprocessing_is_checked_and_reruns_nothing_else(tmp_path):
    """The real sources' files placed by hand are held to their pins before preprocessing.
    A pin added later re-runs that check alone (the files did not change); a wrong one
    stops the run, naming the file, and leaves the data stage as it was."""
    from modrp.demo import write_demo_dataset

    raw = tmp_path / "results" / "placed" / "raw"
    write_demo_dataset(raw, seed=0, n_lines=60, n_genes=220, n_edges=600)
    config = {"dataset": "placed", "data": {"source": "download"}, "omics": ["exp", "mut"],
              "embedding": {"exp": "dense", "mut": "dense"}}
    summary = "results/placed/data/summary.json"

    def run(*args, pins=None, check=True, files=None):
        path = tmp_path / "placed.yaml"
        path.write_text(yaml.safe_dump({**config, "data": {**config["data"],
                                                            "sha256": pins or {},
                                                            "files": files or {}}}))
        return snakemake("--cores", "1", *args, summary, "--configfile", str(path),
                         cwd=tmp_path, check=check)

    run()
    checked = pd.read_csv(raw / "CHECKED.tsv", sep="\t").set_index("key")
    assert "copy_number" not in checked.index  # not configured: neither read nor checked
    assert checked["pin"].isna().all()  # no pins yet
    manifest = (raw / "MANIFEST.tsv").read_text()
    assert "placed by hand" in manifest and "CCLE_expression.csv" in manifest
    written = (tmp_path / summary).stat().st_mtime_ns
    # the file of an omic not configured (cnv) is neither read nor a reason to re-run it
    # (a plan made once the check has run: Snakemake leaves a job's params unexamined
    # while a job before it is to run)
    renamed = {"copy_number": "CN_newer_release.xlsx"}
    run(files=renamed)
    assert not planned_jobs(run("-n", files=renamed).stdout, "preprocess")
    assert (tmp_path / summary).stat().st_mtime_ns == written

    right = {"expression": checked.loc["expression", "sha256"]}
    planned = run("-n", pins=right).stdout
    assert planned_jobs(planned, "check_raw_files") and not planned_jobs(planned, "preprocess")
    run(pins=right)
    assert pd.read_csv(raw / "CHECKED.tsv", sep="\t").set_index("key").loc[
        "expression", "pin"] == right["expression"]
    # nothing left to do: preprocessing does not depend on the pins (planned only once
    # the check has run, were it to)
    again = run("-n", pins=right).stdout
    assert not planned_jobs(again, "preprocess") and not planned_jobs(again, "check_raw_files")
    assert (tmp_path / summary).stat().st_mtime_ns == written
    failed = run(pins={"expression": "e" * 64}, check=False)
    assert failed.returncode != 0
    assert ("sha256 mismatch for CCLE_expression.csv in results/placed/raw: expected "
            f"{'e' * 64} (config data.sha256.expression)") in failed.stdout + failed.stderr
    assert (tmp_path / summary).stat().st_mtime_ns == written


def test_real_data_dag_is_planned(tmp_path):
    result = snakemake("-n", "--configfile", str(ROOT / "config" / "config.yaml"), cwd=tmp_path)
    output = result.stdout
    for rule, count in (("download", 11), ("preprocess", 1), ("graph", 4)):
        assert any(line.split()[:2] == [rule, str(count)] for line in output.splitlines()), \
            output
    # the files of omics left out are neither fetched nor required
    output = dry_run_of_changed_config(tmp_path, lambda c: c.update(omics=["exp", "mut"]),
                                       base=ROOT / "config" / "config.yaml", check=True).stdout
    downloads = planned_jobs(output, "download")
    assert len(downloads) == 7, output
    for name in ("Gene_level_CN.xlsx", "CCLE_RPPA_20181003.csv", "CCLE_metabolomics"):
        assert not any(name in block for block in downloads), name


def planned_job_counts(output: str, rule: str, *wildcard_names: str) -> dict[tuple, int]:
    """How many jobs of ``rule`` a dry run plans per value of the named wildcards."""
    counts: dict[tuple, int] = {}
    for block in planned_jobs(output, rule):
        wildcards = dict(item.split("=") for item in
                         re.search(r"wildcards: (.*)", block).group(1).split(", "))
        key = tuple(wildcards[name] for name in wildcard_names)
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_fusion_combinations_follow_the_configured_omics(tmp_path):
    """Every subset of two or more configured omics is fused, per repeat and fold; the
    audit fuses only all of them."""
    output = dry_run_of_changed_config(tmp_path, lambda c: c.update(omics=["exp", "mut", "cnv"]),
                                       base=ROOT / "config" / "config.yaml", check=True).stdout
    jobs = planned_job_counts(output, "fuse", "tree", "combination")
    folds_x_repeats = 3 * 3  # config.yaml: 3 folds, 3 repeats
    assert jobs == {**{("models", c): folds_x_repeats
                       for c in ("exp-mut", "exp-cnv", "mut-cnv", "exp-mut-cnv")},
                    ("audit-paper-protocol", "exp-mut-cnv"): folds_x_repeats}, output
    # the comparators: every method on all omics, MKL on each omic too (Table 6), the
    # DeepDR-style model on expression and mutations (Table 7)
    comparators = planned_job_counts(output, "baseline", "method", "omics")
    assert comparators == {
        **{(m, "exp-mut-cnv"): folds_x_repeats
           for m in ("tissue_drug_mean", "elastic_net", "random_forest", "mkl")},
        **{("mkl", o): folds_x_repeats for o in ("exp", "mut", "cnv")},
        ("deepdr", "exp-mut"): folds_x_repeats}, output


def test_one_omic_plans_no_fusion_and_still_tables_its_comparators(tmp_path):
    output = dry_run_of_changed_config(
        tmp_path, lambda c: c.update(omics=["exp"], embedding={"exp": "graph"}), check=True).stdout
    assert not planned_jobs(output, "fuse") and planned_jobs(output, "baseline"), output
    [tables] = planned_jobs(output, "tables")
    assert "tables/baselines.csv" in tables and "tables/table2.csv" not in tables, tables
    # a comparator that reads none of the configured omics runs nowhere: no table for it
    output = dry_run_of_changed_config(
        tmp_path, lambda c: c.update(omics=["rppa"], embedding={"rppa": "dense"},
                                     baselines={"methods": ["deepdr"]}), check=True).stdout
    [tables] = planned_jobs(output, "tables")
    assert not planned_jobs(output, "baseline") and "baselines.csv" not in tables, tables


def planned_jobs(output: str, rule: str) -> list[str]:
    """The blocks a dry run prints for each job of ``rule``."""
    return [block for block in output.split("\n\n") if f"rule {rule}:" in block]


def test_slurm_profile_plans_the_demo_with_one_gpu_per_pretraining_job(tmp_path):
    demo = str(ROOT / "config" / "demo.yaml")
    result = snakemake("--profile", str(ROOT / "profiles" / "slurm"), "-n", "--configfile", demo,
                       cwd=tmp_path)
    pretrain = planned_jobs(result.stdout, "pretrain")
    assert len(pretrain) == (8 + 5) * 3  # single models and the audit's, x 3 folds
    assert all(re.search(r"resources: .*\bgpu=1\b", block) for block in pretrain)
    assert not any("gpu=" in block for block in planned_jobs(result.stdout, "fuse"))

    # as the workflow profile (real runs): its resources and the account from the environment
    env = {**os.environ, "SBATCH_ACCOUNT": "myproject", "SBATCH_PARTITION": "short",
           "MODRP_GPU_PARTITION": "gpu"}
    result = subprocess.run([*SNAKEMAKE, "-d", str(tmp_path), "--workflow-profile",
                             str(ROOT / "profiles" / "slurm"), "-n", "--configfile", demo],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    pretrain = planned_jobs(result.stdout, "pretrain")
    assert pretrain and all("slurm_partition=gpu, gpu=1" in b and "runtime=240" in b
                            for b in pretrain)
    [final] = planned_jobs(result.stdout, "final_model")
    assert "slurm_partition=gpu, gpu=1" in final and "runtime=480" in final, final
    fuse = planned_jobs(result.stdout, "fuse")
    # string-valued default resources are resolved per job at run time (<TBD> in a dry run)
    assert fuse and all("mem_mb=4000" in b and "runtime=10" in b and "slurm_account=" in b
                        for b in fuse)
    # the short fusion fits go to SLURM in groups, not one submission each
    assert "Group job fusion" in result.stdout
    # no GPU asked for: no job goes to the GPU partition either
    result = subprocess.run([*SNAKEMAKE, "-d", str(tmp_path), "--workflow-profile",
                             str(ROOT / "profiles" / "slurm"), "-n", "--configfile", demo],
                            capture_output=True, text=True, timeout=600,
                            env={**env, "MODRP_PRETRAIN_GPUS": "0"})
    assert result.returncode == 0, result.stdout + result.stderr
    for block in [*planned_jobs(result.stdout, "pretrain"),
                  *planned_jobs(result.stdout, "final_model")]:
        # the default partition (SBATCH_PARTITION), resolved when the job runs
        assert "slurm_partition=<TBD>, gpu=0" in block, block
    # without the variables, no account or partition is asked for
    env = {k: v for k, v in env.items() if not k.startswith(("SBATCH_", "MODRP_"))}
    result = subprocess.run([*SNAKEMAKE, "-d", str(tmp_path), "--workflow-profile",
                             str(ROOT / "profiles" / "slurm"), "-n", "--configfile", demo],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "slurm_account" not in result.stdout and "slurm_partition" not in result.stdout


@pytest.mark.parametrize("gpus", ["0", "00", " 0"])
def test_slurm_profile_sends_no_gpu_less_job_to_the_gpu_partition(monkeypatch, gpus):
    """MODRP_PRETRAIN_GPUS is read as a number for the GPU request: any spelling of 0
    keeps pretraining and the final model out of MODRP_GPU_PARTITION as well."""
    yte = pytest.importorskip("yte")
    monkeypatch.setenv("MODRP_GPU_PARTITION", "gpu")
    monkeypatch.setenv("MODRP_PRETRAIN_GPUS", gpus)
    profile = yte.process_yaml((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    for rule in ("pretrain", "final_model"):
        resources = profile["set-resources"][rule]
        assert resources["gpu"] == 0 and "slurm_partition" not in resources, resources


def dry_run_of_changed_config(workdir: Path, change, base: Path = ROOT / "config" / "demo.yaml",
                              check: bool = False) -> subprocess.CompletedProcess:
    """``snakemake -n`` in ``workdir`` with the config file ``base`` as ``change`` leaves it."""
    config = yaml.safe_load(Path(base).read_text())
    change(config)
    path = workdir / "changed.yaml"
    path.write_text(yaml.safe_dump(config))
    return snakemake("-n", "--configfile", str(path), cwd=workdir, check=check)


# Plans the DAG in a process of its own (Snakemake's API, a dry run) and prints every
# planned job's rule, wildcards, evaluated params and input as JSON, and whether its rule
# is a local rule.  A dry run's printout shows neither params nor local rules; the API
# has no public call that lists a plan's jobs, hence the workflow's private attributes.
PLAN_JOBS = r"""
import json, sys
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.settings.enums import Quietness
from snakemake.settings.types import (ConfigSettings, DAGSettings, OutputSettings,
                                      ResourceSettings, StorageSettings)

snakefile, workdir, configfile, *targets = sys.argv[1:]
with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
    workflow_api = api.workflow(snakefile=Path(snakefile), workdir=Path(workdir),
                                config_settings=ConfigSettings(configfiles=[Path(configfile)]),
                                resource_settings=ResourceSettings(cores=1),
                                storage_settings=StorageSettings())
    workflow_api.dag(DAGSettings(targets=set(targets))).execute_workflow(executor="dryrun")
    workflow = workflow_api._workflow_store
    jobs = [{"rule": job.rule.name, "wildcards": dict(job.wildcards_dict),
             "params": dict(job.params.items()), "input": [str(f) for f in job.input],
             "local": job.rule.name in workflow._localrules}
            for job in workflow.dag.jobs]
print("PLANNED JOBS " + json.dumps(jobs, default=str))
"""


def planned_job_details(workdir: Path, config: dict, *targets: str) -> list[dict]:
    """The jobs a dry run of ``config`` plans (for ``targets``, else rule all), with their
    params and input (see PLAN_JOBS)."""
    path = workdir / "planned.yaml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-c", PLAN_JOBS, str(ROOT / "Snakefile"),
                             str(workdir), str(path), *targets],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = [ln for ln in result.stdout.splitlines() if ln.startswith("PLANNED JOBS ")]
    return json.loads(line.removeprefix("PLANNED JOBS "))


def test_each_job_is_given_the_settings_of_its_tree_layer_and_config(tmp_path):
    """Params a dry run does not show, yet which decide what a job computes: the audit's
    subnetworks pretrain under the paper's protocol (the main ones under the configured
    one), the concatenation model fits its own layer, and the graph, comparator, final
    model and report settings of the config reach their jobs."""
    config = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    config.update(graph={"drop_isolated": False},
                  baselines={"settings": {"elastic_net": {"cv": 4}}},
                  final={"combination": ["rppa", "exp"], "max_missing_features": 0.3})
    jobs = planned_job_details(tmp_path, config)
    pretrain = {(j["wildcards"]["tree"], j["params"]["protocol"])
                for j in jobs if j["rule"] == "pretrain"}
    assert pretrain == {("models", "strict"), ("audit-paper-protocol", "paper")}
    layers = {(j["rule"], j["params"]["layer"]) for j in jobs
              if j["rule"] in ("fuse", "concatenate")}
    assert layers == {("fuse", "attention"), ("concatenate", "concatenation")}
    assert {j["params"]["drop_isolated"] for j in jobs if j["rule"] == "graph"} == {False}
    settings = {j["wildcards"]["method"]: j["params"]["settings"] for j in jobs
                if j["rule"] == "baseline"}
    assert settings["elastic_net"] == {"cv": 4} and settings["mkl"] == {}
    [final] = [j for j in jobs if j["rule"] == "final_model"]
    # the combination in the configured omics' order, and only its omics and graphs
    assert final["params"]["combination"] == ["exp", "rppa"]
    assert final["params"]["max_missing_features"] == 0.3
    assert sorted(Path(f).name for f in final["input"] if "/omics/" in f or "/graph/" in f) \
        == ["exp.npz", "exp.parquet", "rppa.parquet"]
    assert {j["params"]["protocol"] for j in jobs if j["rule"] in ("tables", "figures")} \
        == {"strict"}
    assert {j["params"]["split"] for j in jobs if j["rule"] in ("tables", "figures")} \
        == {"cell_line"}
    # a tissue split reaches the captions and titles (they say so)
    tissue = planned_job_details(tmp_path, {**config, "cv": {**config["cv"], "split": "tissue"}})
    assert {j["params"]["split"] for j in tissue if j["rule"] in ("tables", "figures")} \
        == {"tissue"}

    # protocol: paper (the audit's protocol for the main models too): every caption says so
    config["protocol"] = "paper"
    jobs = planned_job_details(tmp_path, config)
    assert {j["params"]["protocol"] for j in jobs
            if j["rule"] in ("pretrain", "tables", "figures")} == {"paper"}
    # and no audit beside: it would retrain the same models under the same protocol
    assert {j["wildcards"].get("tree") for j in jobs if j["rule"] == "pretrain"} == {"models"}
    assert not {j["rule"] for j in jobs} & {"audit_metrics"}


def test_downloads_and_the_raw_files_check_run_as_local_rules(tmp_path):
    """Login nodes have the network, compute nodes often do not: on a cluster the
    downloads (and the check of what they fetched) run where Snakemake runs."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    jobs = planned_job_details(tmp_path, config)
    assert {j["rule"] for j in jobs if j["local"]} == {"download", "check_raw_files",
                                                       "figures"}


def test_invalid_config_stops_with_the_key(tmp_path):
    result = dry_run_of_changed_config(tmp_path, lambda c: c["cv"].update(folds=1))
    assert result.returncode != 0
    assert "invalid configuration: config key cv.folds: 1 is less than the minimum of 2" in \
        result.stdout + result.stderr


def test_a_config_file_naming_a_section_twice_stops_the_workflow(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text((ROOT / "config" / "demo.yaml").read_text() + "cv: {folds: 5}\n")
    result = snakemake("-n", "--configfile", str(path), cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert "key 'cv' appears again" in result.stdout + result.stderr


def test_a_given_config_is_used_alone_not_merged_into_the_default(tmp_path):
    # config/config.yaml has a dataset: a merge would plan results/paper
    result = dry_run_of_changed_config(tmp_path, lambda c: c.pop("dataset"))
    assert result.returncode != 0
    assert "config key (top level): 'dataset' is a required property" in \
        result.stdout + result.stderr
    # without --configfile the default is read, and --config values apply on top of it
    result = snakemake("-n", "--config", "dataset=other", cwd=tmp_path)
    assert "results/other/raw/CCLE_expression.csv" in result.stdout


def reduced_epoch_demo_config(path: Path) -> Path:
    """config/demo.yaml with few epochs: the whole DAG, quickly."""
    config = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    config["train"] = {"max_epochs": {"graph": 15, "dense": 15}, "patience": 5,
                       "log_every": 0}
    config["fusion"] = {"max_epochs": 40, "patience": 10}
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    config = reduced_epoch_demo_config(workdir / "demo-fast.yaml")
    snakemake("--cores", "2", "--configfile", str(config), cwd=workdir)
    snakemake("--configfile", str(config), "--report", "results/demo/report.html", cwd=workdir)
    return workdir / "results" / "demo"


@pytest.mark.slow
def test_demo_builds_aligned_data_and_graphs(demo_run):
    data = demo_run / "data"
    response = pd.read_parquet(data / "response.parquet")
    lines = pd.read_parquet(data / "cell_lines.parquet").set_index("cell_line")
    drugs = pd.read_parquet(data / "drugs.parquet")
    truth = json.loads((demo_run / "raw" / "truth.json").read_text())
    assert response.shape[1] == 22
    assert sorted(response.columns) == sorted(truth["oracle_r2"])
    assert drugs["drug"].tolist() == response.columns.tolist()
    assert set(lines.index) == set(response.index)
    for omic in ("exp", "mut", "cnv", "rppa", "metabolites"):
        matrix = pd.read_parquet(data / "omics" / f"{omic}.parquet")
        assert matrix.dtypes.unique().tolist() == [np.float32]
        assert set(matrix.index) <= set(response.index)
        assert set(matrix.index) == set(lines.index[lines[f"has_{omic}"]])
        zero_share = (matrix.to_numpy() == 0).mean(axis=0)
        assert zero_share.max() <= 0.95 + 1e-12
    for omic in ("exp", "mut", "cnv", "rppa"):
        graph = load_feature_graph(demo_run / "graph" / f"{omic}.npz")
        columns = pd.read_parquet(data / "omics" / f"{omic}.parquet").columns.tolist()
        # drop_isolated is on: the graph's features are the omic's columns, in order, minus
        # the isolated ones
        assert graph.features == [c for c in columns if c in set(graph.features)]
        assert graph.n_connected() == len(graph.features)
        adjacency = graph.adjacency
        assert (adjacency != adjacency.T).nnz == 0
        assert (adjacency.diagonal() == 1).all()
    summary = json.loads((data / "summary.json").read_text())
    assert 0 < summary["lines"]["with_all_configured_omics"] < summary["lines"]["study"]


@pytest.mark.slow
def test_demo_trains_every_single_model_and_all_26_fusions(demo_run):
    models = demo_run / "models"
    singles = sorted(p.name for p in (models / "single").iterdir())
    assert singles == ["cnv-dense", "cnv-graph", "exp-dense", "exp-graph", "metabolites-dense",
                       "mut-dense", "mut-graph", "rppa-dense"]
    combinations = sorted(p.name for p in (models / "fusion").iterdir())
    assert len(combinations) == 26
    assert "exp-mut-cnv-rppa-metabolites" in combinations and "mut-rppa" in combinations
    response = pd.read_parquet(demo_run / "data" / "response.parquet")
    lines = pd.read_parquet(demo_run / "data" / "cell_lines.parquet").set_index("cell_line")
    for combination in combinations:
        omics = combination.split("-")
        complete = lines[[f"has_{o}" for o in omics]].all(axis=1)
        predictions = pd.concat(pd.read_parquet(models / "fusion" / combination / f"r0-f{f}" /
                                                "predictions.parquet") for f in range(3))
        # every line with all omics of the combination is predicted once, as a test line
        assert set(predictions["cell_line"]) == set(lines.index[complete])
        assert predictions.groupby(["cell_line", "drug"]).size().max() == 1
        assert len(predictions) == int(response.loc[complete].notna().sum().sum())
        attention = pd.read_parquet(models / "fusion" / combination / "r0-f0" /
                                    "attention.parquet")
        assert sorted(attention["omic"].unique()) == sorted(omics)
        assert np.allclose(attention.groupby("drug")["weight"].sum(), 1.0)


@pytest.mark.slow
def test_demo_scores_every_model_beside_the_per_drug_mean(demo_run):
    table = pd.read_csv(demo_run / "metrics" / "models.csv")
    # singles, attention fusions, the concatenation model; comparators: tissue mean, elastic
    # net, random forest and MKL on all omics, MKL per omic, DeepDR-style on exp-mut
    assert len(table) == 8 + 26 + 1 + 4 + 5 + 1
    assert (table["folds"] == 3).all()
    assert table[["r2_per_drug_mean", "baseline_r2_per_drug_mean"]].notna().all().all()
    summary = pd.read_parquet(demo_run / "metrics" / "summary.parquet")
    assert set(summary["kind"]) == {"single", "fusion", "concatenation", "baseline"}
    full = "exp-mut-cnv-rppa-metabolites"
    fused = summary[(summary["kind"] == "fusion") & (summary["model"] == full)]
    for method in ("tissue_drug_mean", "elastic_net", "random_forest", "mkl"):
        comparator = summary[summary["model"] == f"{method}:{full}"]
        # the comparators are scored on exactly the fused model's test pairs
        assert comparator["n_pairs"].tolist() == fused["n_pairs"].tolist(), method
    assert len(pd.read_csv(demo_run / "tables" / "table1.csv")) == 8
    assert len(pd.read_csv(demo_run / "tables" / "table3.csv")) == 26
    assert len(pd.read_csv(demo_run / "tables" / "table2.csv")) == 2
    assert len(pd.read_csv(demo_run / "tables" / "table4.csv")) == 22
    assert len(pd.read_csv(demo_run / "tables" / "table5.csv")) == 7
    table8 = pd.read_csv(demo_run / "tables" / "table8.csv").set_index("dataset")
    assert "variants" in table8.loc["gene mutations", "as parsed"]
    assert table8.loc["interactome", "as parsed"].endswith("unique gene pairs")
    table6 = pd.read_csv(demo_run / "tables" / "table6.csv")
    assert table6["dataset"].tolist() == ["exp", "mut", "cnv", "rppa", "metabolites",
                                          "multi-omics"]
    assert table6["paper BEMKL R2"].tolist()[-1] == 0.34
    table7 = pd.read_csv(demo_run / "tables" / "table7.csv")
    assert len(table7) == 2 and table7["model"].iloc[1] == (
        "DeepDR-style (exp-mut; on the test lines with exp, mut)")
    baselines = pd.read_csv(demo_run / "tables" / "baselines.csv")
    assert len(baselines) == 2 + 4 + 1 + 1  # fused x2, comparators on all omics, DeepDR, mean
    assert baselines["model"].iloc[-1].startswith("per-drug mean")
    audit = pd.read_csv(demo_run / "tables" / "leakage_audit.csv")
    assert audit["model"].tolist() == ["exp-graph", "mut-graph", "cnv-graph", "rppa-dense",
                                       "metabolites-dense", full]
    assert "Leakage audit (NOT a result)" in (demo_run / "tables" / "leakage_audit.md").read_text()


@pytest.mark.slow
def test_demo_writes_the_figures_and_the_html_report(demo_run):
    from modrp.figures import png_size

    for name in ("attention_heatmap", "drug_mse_ranking", "ablation", "observed_vs_predicted",
                 "model_comparison"):
        png, pdf = demo_run / "figures" / f"{name}.png", demo_run / "figures" / f"{name}.pdf"
        width, height = png_size(png)
        assert width >= 1000 and height >= 600, (name, width, height)
        assert pdf.read_bytes()[:4] == b"%PDF"
    html = (demo_run / "report.html").read_text(errors="replace")
    assert len(html) > 100_000
    for name in ("attention_heatmap.png", "leakage_audit.csv", "table3.csv"):
        assert name in html, name


@pytest.mark.slow
def test_predict_on_the_demo_lines_reproduces_the_final_model(demo_run, tmp_path):
    model = demo_run / "final"
    meta = json.loads((model / "model.json").read_text())
    assert meta["combination"] == ["exp", "mut", "cnv", "rppa", "metabolites"]
    # model.json records the values the final model's rule declares (and reads): the seed
    # but not the folds, the embedding of each omic, the graph settings (exp is a graph).
    recorded = meta["config"]
    assert set(recorded["cv"]) == {"seed"}
    assert set(recorded["embedding"]) == set(meta["combination"])
    assert {"dataset", "train", "fusion", "preprocess", "graph"} <= set(recorded)
    assert recorded["train"]["lr"] > 0 and "threads" in recorded["train"]
    saved = pd.read_parquet(model / "predictions.parquet")
    out = tmp_path / "ranking.csv"
    modrp = str(Path(sys.executable).parent / "modrp")
    result = subprocess.run([modrp, "predict", "--model", str(model), "--omics",
                             str(demo_run / "raw"), "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    ranking = pd.read_csv(out, dtype={"cell_line": str})
    # the pipeline keys lines by COSMIC id, the source files by DepMap id (sample_info.csv);
    # lines the pipeline matched by name (no COSMIC id in sample_info) cannot be matched
    # without GDSC's tables and are left out by predict
    lines = pd.read_parquet(demo_run / "data" / "cell_lines.parquet").set_index("cell_line")
    by_cosmic = lines.loc[lines["matched_by"] == "cosmic_id", "depmap_id"]
    saved = saved[saved["cell_line"].isin(by_cosmic.index)]
    saved = saved.assign(cell_line=saved["cell_line"].map(by_cosmic))
    merged = saved.merge(ranking, on=["cell_line", "drug"], how="left")
    assert len(saved) > 100 * 22 and merged["predicted_ln_ic50"].notna().all()
    np.testing.assert_allclose(merged["predicted_ln_ic50"], merged["predicted"], atol=1e-5)
    # rank 1 is the drug with the lowest predicted ln IC50 of each line
    first = ranking[ranking["rank"] == 1].set_index("cell_line")["predicted_ln_ic50"]
    assert (first == ranking.groupby("cell_line")["predicted_ln_ic50"].min()).all()


@pytest.mark.slow
def test_a_changed_config_value_reruns_the_jobs_it_affects(demo_run):
    """Each rule carries the config values its outputs depend on as params, so Snakemake
    re-runs exactly those jobs (and what follows them) after a change; values that only
    steer how a job runs re-run nothing.  Runs before the test below, which breaks the
    demo's data."""
    workdir = demo_run.parents[1]
    base = workdir / "demo-fast.yaml"

    def planned(change) -> dict[str, int]:
        output = dry_run_of_changed_config(workdir, change, base=base, check=True).stdout
        return {rule: len(planned_jobs(output, rule)) for rule in
                ("demo_data", "preprocess", "split", "pretrain", "fuse", "concatenate",
                 "baseline", "final_model")}

    unchanged = planned(lambda c: None)
    assert not any(unchanged.values()), unchanged
    run_only = planned(lambda c: c["train"].update(device="cpu", threads=2, log_every=3))
    assert not any(run_only.values()), run_only

    lr = planned(lambda c: c["train"].update(lr=0.002))
    assert lr["pretrain"] == (8 + 5) * 3 and lr["fuse"] == (26 + 1) * 3
    assert lr["concatenate"] == 3 and lr["final_model"] == 1
    assert lr["preprocess"] == lr["split"] == lr["baseline"] == 0

    # an embedding's epoch cap re-runs the subnetworks of that embedding alone, and the
    # fusions that hold one: 3 graph models of Table 1 and 3 of the audit (exp, mut, cnv
    # graph-embedded), 5 dense and 2; 25 of 26 combinations hold a graph omic, 22 a dense one
    graph_cap = planned(lambda c: c["train"].setdefault("max_epochs", {}).update(graph=2))
    assert graph_cap["pretrain"] == (3 + 3) * 3 and graph_cap["fuse"] == (25 + 1) * 3
    dense_cap = planned(lambda c: c["train"].setdefault("max_epochs", {}).update(dense=2))
    assert dense_cap["pretrain"] == (5 + 2) * 3 and dense_cap["fuse"] == (22 + 1) * 3
    assert graph_cap["final_model"] == dense_cap["final_model"] == 1

    fusion = planned(lambda c: c["fusion"].update(holdout_fraction=0.4))
    assert fusion["fuse"] == (26 + 1) * 3 and fusion["pretrain"] == 0
    assert fusion["concatenate"] == 3 and fusion["final_model"] == 1
    # each fusion layer's learning rate re-runs that layer's fits alone
    attention_lr = planned(lambda c: c["fusion"].update(lr=0.05))
    assert attention_lr["fuse"] == (26 + 1) * 3 and attention_lr["final_model"] == 1
    assert attention_lr["concatenate"] == 0
    concatenation_lr = planned(lambda c: c["fusion"].update(concatenation_lr=0.02))
    assert concatenation_lr["concatenate"] == 3
    assert concatenation_lr["fuse"] == concatenation_lr["final_model"] == 0

    seed = planned(lambda c: c["cv"].update(seed=7))
    assert seed["split"] == 1 and seed["baseline"] > 0 and seed["preprocess"] == 0

    coverage = planned(lambda c: c.setdefault("drugs", {}).update(min_coverage=0.9))
    assert coverage["preprocess"] == 1 and coverage["demo_data"] == 0

    demo = planned(lambda c: c["data"]["demo"].update(seed=5))
    assert demo["demo_data"] == 1 and demo["preprocess"] == 1


@pytest.mark.slow
def test_html_page_in_raw_stops_preprocess_without_partial_output(demo_run, tmp_path):
    workdir = demo_run.parents[1]
    rppa = demo_run / "raw" / "CCLE_RPPA_20181003.csv"
    original = rppa.read_bytes()
    try:
        rppa.write_text("<!DOCTYPE html><html><body>Access denied</body></html>\n")
        result = snakemake("--cores", "1", "--configfile", str(workdir / "demo-fast.yaml"),
                           "--forcerun", "preprocess", cwd=workdir, check=False)
        assert result.returncode != 0
        assert "is an HTML page, not the expected data file" in result.stdout + result.stderr
        assert not (demo_run / "data" / "response.parquet").exists()
        assert not list((demo_run / "data").rglob("*.tmp"))
    finally:
        rppa.write_bytes(original)


def test_custom_source_runs_data_and_graph_stages(tmp_path):
    rng = np.random.default_rng(3)
    ids = [f"line{i}" for i in range(40)]
    genes = ["TP53", "KRAS", "EGFR", "BRAF", "MYC", "LONELY"]
    mut = pd.DataFrame(rng.integers(0, 2, (40, 6)).astype(float), index=ids, columns=genes)
    mut.index.name = "id"
    mut.to_csv(tmp_path / "mut.csv")
    expr = pd.DataFrame(rng.normal(5, 1, (35, 6)), index=ids[:35], columns=genes)
    expr.index.name = "id"
    expr.to_parquet(tmp_path / "exp.parquet")
    response = pd.DataFrame([{"cell_line": c, "drug": d, "ln_ic50": rng.normal()}
                             for c in ids for d in ("drugA", "drugB")])
    response.to_csv(tmp_path / "ic50.tsv", sep="\t", index=False)
    pd.DataFrame({"gene_a": ["TP53", "KRAS", "EGFR"], "gene_b": ["MYC", "BRAF", "KRAS"]}) \
        .to_csv(tmp_path / "edges.csv", index=False)
    config = {
        "dataset": "mine", "omics": ["exp", "mut"], "embedding": {"exp": "dense", "mut": "graph"},
        "cv": {"repeats": 1}, "baselines": {"methods": ["tissue_drug_mean"]},
        "data": {"source": "custom", "custom": {
            "omics": {"mut": str(tmp_path / "mut.csv"), "exp": str(tmp_path / "exp.parquet")},
            "response": str(tmp_path / "ic50.tsv"), "interactome": str(tmp_path / "edges.csv")}},
    }
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(config))
    snakemake("--cores", "1", "--configfile", str(tmp_path / "mine.yaml"), cwd=tmp_path)
    results = tmp_path / "results" / "mine"
    assert pd.read_parquet(results / "data" / "response.parquet").shape == (40, 2)
    graph = load_feature_graph(results / "graph" / "mut.npz")
    assert graph.features == ["TP53", "KRAS", "EGFR", "BRAF", "MYC"]  # LONELY is isolated
    stats = json.loads((results / "graph" / "mut.json").read_text())
    assert stats["features_with_interaction"] == 5 and stats["edges"] == 3
    assert (results / "splits" / "r0.parquet").exists()
    assert not (results / "raw").exists()
    assert json.loads((results / "final" / "model.json").read_text())["combination"] == \
        ["exp", "mut"]
