"""Time the demo workflow end to end on this machine, stage by stage.

    python benchmarks/demo_dag.py [--cores 2] [--configfile config/demo.yaml] [--keep DIR]

Runs Snakemake in a fresh temporary directory: first the data stages (demo files,
preprocessing, graphs, splits), then everything else (pretraining, fusion), and
prints the wall time of each part, the number of jobs and the seconds per job.
Goal (issue 3): the whole demo DAG in at most 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(targets: list[str], workdir: Path, args) -> tuple[float, int]:
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d",
               str(workdir), "--cores", str(args.cores), "--configfile",
               str(Path(args.configfile).resolve()), *targets]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    jobs = re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", result.stdout + result.stderr)
    return elapsed, sum(rule != "all" for rule in jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--configfile", default=str(ROOT / "config" / "demo.yaml"))
    parser.add_argument("--keep", help="run in this directory and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(args.keep or scratch)
        data_time, data_jobs = run(["--until", "graph", "split"], workdir, args)
        rest_time, rest_jobs = run([], workdir, args)
    total = data_time + rest_time
    print(f"{'stage':<28}{'seconds':>10}{'jobs':>8}{'s/job':>8}")
    for name, seconds, jobs in (("data (demo, parse, graphs)", data_time, data_jobs),
                                ("training (pretrain, fuse)", rest_time, rest_jobs),
                                ("whole DAG", total, data_jobs + rest_jobs)):
        print(f"{name:<28}{seconds:>10.1f}{jobs:>8}{seconds / max(jobs, 1):>8.2f}")
    print(f"whole DAG / 5-minute goal: {total / 300:.2f}")


if __name__ == "__main__":
    main()
