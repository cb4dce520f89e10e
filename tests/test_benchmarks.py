"""The benchmark scripts run; their timings are printed, never asserted on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_graph_layer_benchmark_runs_at_small_scale():
    # A few hundred features: seconds, not the minutes of paper scale.
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / "graph_layer.py"), "--n", "300", "--nnz", "2000",
         "--batch", "16", "--repeats", "1"],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert "sparse and dense layers compute the same outputs: True" in run.stdout
    # by default on the pipeline's train.threads (1), as its training jobs run
    assert "float32, 1 CPU thread\n" in run.stdout, run.stdout.splitlines()[0]
    ratios = ["dense / sparse step time", "column-major step / (c'') sum",
              "dense / sparse memory, held"]
    if "GraphEmbedding runs the compiled kernels" in run.stdout:
        # the goal is read against the kernels the layer runs, torch's beside
        ratios += ["sparse step / (d) kernel sum", "sparse step / (c) torch's kernels",
                   "torch-kernel step / (c)", "column-major step / (d'') sum",
                   "clocked step / (d''')"]
        # the calls the layer makes for its ReLU are timed beside the sparse products
        for call in ("forward SpMM with its ReLU", "ReLU backward + bias gradient"):
            line = next(line for line in run.stdout.splitlines() if call in line)
            assert re.search(r"\d+\.\d+ +\(\d+\.\d+\)$", line), line
    else:
        assert "GraphEmbedding runs torch's sparse kernels" in run.stdout
        ratios.append("sparse step / (c) kernel sum")
    for ratio in ratios:
        line = next(line for line in run.stdout.splitlines() if ratio in line)
        assert float(re.search(r"(\d+\.\d+)x", line).group(1)) > 0
    # the goal lines read the column-major step (the pipeline's layout), row-major beside
    lines = run.stdout.splitlines()
    for goal in ("goal >= 40x", "goal <= 1.5x", "goal >= 100x"):
        at = next(i for i, line in enumerate(lines) if goal in line)
        assert "same, row-major input" in lines[at + 1], lines[at:at + 2]


def test_subnetwork_step_benchmark_runs_at_small_scale():
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / "subnetwork_step.py"), "--n", "300", "--nnz",
         "2000", "--batch", "16", "--repeats", "1", "--graph-calls", "2", "--dense-calls", "2"],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    # the baseline computes the same update as modrp.train.Adam
    assert "fused and tensor-op Adam update alike: True" in run.stdout
    ratios = [line for line in run.stdout.splitlines() if "tensor-op / fused" in line]
    assert len(ratios) == 2  # graph and dense
    for line in ratios:
        values = re.findall(r"(\d+\.\d+)x", line)
        assert len(values) == 2 and all(float(value) > 0 for value in values), line
