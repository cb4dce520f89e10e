"""The workflow survives being killed: SIGKILL during training, unlock, rerun, and the final
metrics equal those of a run that was never interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
TARGET = "results/resume/metrics/models.csv"


def small_config(path: Path) -> Path:
    """The demo data with three omics (4 fusions), few epochs, the cheapest comparator."""
    config = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    config.update({
        "dataset": "resume",
        "omics": ["exp", "mut", "rppa"],
        "embedding": {"exp": "graph", "mut": "graph", "rppa": "dense"},
        "single_models": {"exp": ["graph"], "mut": ["graph"], "rppa": ["dense"]},
        "train": {"max_epochs": {"graph": 12, "dense": 12}, "patience": 4, "log_every": 0,
                  "device": "cpu", "threads": 1},
        "fusion": {"max_epochs": 30, "patience": 8},
        "baselines": {"methods": ["tissue_drug_mean"]},
        "audit": {"paper_protocol": False},
    })
    path.write_text(yaml.safe_dump(config))
    return path


def run(workdir: Path, config: Path, *extra: str) -> subprocess.CompletedProcess:
    # targets and flags before --configfile, which takes every word after it
    return subprocess.run([*SNAKEMAKE, "-d", str(workdir), *extra, "--cores", "2",
                           "--configfile", str(config)], capture_output=True, text=True,
                          timeout=900)


def pretrained(workdir: Path) -> list[Path]:
    return list((workdir / "results" / "resume" / "models" / "single").rglob("model.pt"))


@pytest.mark.slow
def test_sigkill_during_training_then_rerun_gives_the_same_metrics(tmp_path):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    clean.mkdir()
    killed.mkdir()
    config = small_config(tmp_path / "resume.yaml")

    # the interrupted run: killed (Snakemake and its running jobs, one process group) as
    # soon as the first subnetwork is written, while the others still train
    process = subprocess.Popen([*SNAKEMAKE, "-d", str(killed), TARGET, "--cores", "2",
                                "--configfile", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 600
    try:
        while not pretrained(killed) and process.poll() is None:
            if time.monotonic() > deadline:  # a watchdog, not a timing check
                pytest.fail("no subnetwork written in 10 minutes")
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (killed / TARGET).exists()
    assert len(pretrained(killed)) < 9, "everything had been trained before the kill"

    # a killed Snakemake leaves its lock: --unlock, then the same command again
    unlock = run(killed, config, "--unlock")
    assert unlock.returncode == 0, unlock.stdout + unlock.stderr
    rerun = run(killed, config, TARGET)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    uninterrupted = run(clean, config, TARGET)
    assert uninterrupted.returncode == 0, uninterrupted.stdout + uninterrupted.stderr

    resumed_metrics = pd.read_csv(killed / TARGET)
    clean_metrics = pd.read_csv(clean / TARGET)
    assert len(clean_metrics) == 3 + 4 + 1 + 1  # singles, fusions, concatenation, tissue mean
    pd.testing.assert_frame_equal(resumed_metrics, clean_metrics)
    for name in ("summary.parquet", "per_drug.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(killed / "results" / "resume" / "metrics" / name),
            pd.read_parquet(clean / "results" / "resume" / "metrics" / name))
