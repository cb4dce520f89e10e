"""Helpers of .ci/slurm.sh (run with the project's virtualenv).

profile BASE OVERRIDES OUTDIR   write OUTDIR/config.yaml: BASE with OVERRIDES merged into it,
                                mapping by mapping (the profile's YTE template is kept as is)
records --log LOG --jobcomp F   check SLURM's own records of the run logged in LOG: every job
                                Snakemake submitted is there, under the run's job name, and
                                COMPLETED; every non-local rule job went through sbatch
compare A B                     the two results trees hold identical metrics and predictions
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml


def fail(message: str) -> None:
    print(f"[slurm-ci] CHECK FAILED: {message}", file=sys.stderr)
    sys.exit(1)


# ------------------------------------------------------------------ profile
def merge(base, override):
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return override


def write_profile(base: Path, overrides: Path, outdir: Path) -> None:
    merged = merge(yaml.safe_load(base.read_text()), yaml.safe_load(overrides.read_text()))
    outdir.mkdir(parents=True, exist_ok=True)
    header = f"# {base} with {overrides} merged into it, by .ci/slurm_check.py\n"
    (outdir / "config.yaml").write_text(header + yaml.safe_dump(merged, sort_keys=False))


# ------------------------------------------------------------------ records
SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (.+)\)\.")
FINISHED = re.compile(r"Finished jobid: (\S+) \(Rule: (\w+)\)")
LOCAL_RULE = re.compile(r"^localrule (\w+):\s*$", re.MULTILINE)
DONE = re.compile(r"(\d+) of (\d+) steps \(100%\) done")


def parse_log(text: str) -> dict:
    """What the submitting Snakemake says it did."""
    run_id = re.search(r"SLURM run ID: ([A-Za-z0-9_-]+)", text)
    if not run_id:
        fail("no 'SLURM run ID' in the Snakemake log: did the slurm executor run?")
    stats, in_stats = {}, False
    for line in text.splitlines():
        if line.startswith("Job stats:"):
            in_stats, stats = True, {}
        elif in_stats:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                stats[parts[0]] = int(parts[1])
                in_stats = parts[0] != "total"
    if not stats:
        fail("no 'Job stats' table in the Snakemake log")
    done = DONE.findall(text)
    return {
        "run_id": run_id[1],
        "stats": stats,
        # SLURM job id -> (Snakemake job id or group id, SLURM's output file of the job)
        "submitted": {slurm: (job, Path(path)) for job, slurm, path in SUBMITTED.findall(text)},
        "finished": dict(FINISHED.findall(text)),
        "local": Counter(LOCAL_RULE.findall(text)),
        "done": tuple(map(int, done[-1])) if done else None,
    }


def scontrol_jobs(run_id: str) -> dict[str, dict]:
    """Every job the controller still knows (MinJobAge keeps finished ones), by id."""
    result = subprocess.run(["scontrol", "show", "job", "--oneliner"], capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0:
        fail(f"scontrol show job: {result.stderr.strip()}")
    out = result.stdout
    records = {}
    for line in out.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        if fields.get("JobName") == run_id:
            records[fields["JobId"]] = fields
    return records


def jobcomp_jobs(path: Path, run_id: str) -> dict[str, dict]:
    """The controller's text log of finished jobs (JobCompType=jobcomp/filetxt)."""
    records = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        if fields.get("Name") == run_id:
            records[fields["JobId"]] = fields
    return records


def check_records(log: Path, jobcomp: Path, gpu_rules: list[str]) -> None:
    run = parse_log(log.read_text())
    run_id, stats, submitted = run["run_id"], run["stats"], run["submitted"]
    total = stats["total"]
    if run["done"] != (total, total) or len(run["finished"]) != total:
        fail(f"Snakemake did not finish all {total} jobs: {run['done']}, "
             f"{len(run['finished'])} 'Finished' lines")
    if not submitted:
        fail("no job was submitted with sbatch")

    # 1. SLURM's records: the controller's and its completion log, under the run's job name
    controller = scontrol_jobs(run_id)
    finished = jobcomp_jobs(jobcomp, run_id)
    for name, records in (("scontrol show job", controller), (str(jobcomp), finished)):
        if set(records) != set(submitted):
            fail(f"{name}: the jobs of run {run_id} {sorted(records, key=int)} are not those "
                 f"Snakemake submitted {sorted(submitted, key=int)}")
    bad = {i: (controller[i]["JobState"], controller[i].get("ExitCode"), finished[i]["JobState"])
           for i in submitted
           if controller[i]["JobState"] != "COMPLETED" or controller[i].get("ExitCode") != "0:0"
           or finished[i]["JobState"] != "COMPLETED"}
    if bad:
        fail(f"jobs not COMPLETED with exit code 0 (scontrol state, exit code, jobcomp state): "
             f"{bad}")

    # 2. what ran inside each SLURM job: its output file (kept: slurm-keep-successful-logs)
    # shows one 'localrule' block per rule job the job step executed
    in_slurm, groups = Counter(), 0
    for slurm_id, (job, path) in submitted.items():
        if not path.exists():
            fail(f"SLURM job {slurm_id}: its output file {path} is missing")
        rules = Counter(LOCAL_RULE.findall(path.read_text()))
        comment = controller[slurm_id].get("Comment", "")
        # a group job is submitted under the group's id (a UUID), not a rule job's id; the
        # plugin's comment names the group ("group_...") or its rules ("rule_<group>_...")
        if job not in run["finished"] or comment.startswith("group_"):
            groups += 1
            if sum(rules.values()) < 1:
                fail(f"group job {slurm_id} ran no rule job: {path}")
        else:
            rule = run["finished"].get(job)
            if rules != Counter({rule: 1}) or not comment.startswith(f"rule_{rule}"):
                fail(f"SLURM job {slurm_id} (Snakemake job {job}, rule {rule}, comment "
                     f"{comment!r}) ran {dict(rules)}")
        in_slurm.update(rules)
    for rule, n in stats.items():
        if rule != "total" and in_slurm[rule] + run["local"][rule] != n:
            fail(f"rule {rule}: {n} jobs planned, {in_slurm[rule]} ran in SLURM jobs and "
                 f"{run['local'][rule]} locally")

    # 3. GPU requests
    gpu_notes = []
    for rule in gpu_rules:
        jobs = [r for r in controller.values() if r.get("Comment", "").startswith(f"rule_{rule}")]
        if len(jobs) != stats.get(rule, 0) or not jobs:
            fail(f"{len(jobs)} SLURM jobs of rule {rule}, {stats.get(rule, 0)} planned")
        requests = {r["JobId"]: r.get("TresPerJob", "") + r.get("TresPerNode", "") for r in jobs}
        missing = [i for i, tres in requests.items() if not re.search(r"gpu[:=]1\b", tres)]
        if missing:
            fail(f"rule {rule}: SLURM jobs {missing} were submitted without a GPU request")
        gpu_notes.append(f"{rule}: all {len(jobs)} jobs asked for one GPU "
                         f"({next(iter(requests.values()))})")

    local = sum(run["local"].values())
    print(f"sbatch jobs: {len(submitted)}, all COMPLETED with exit code 0 in scontrol and in "
          f"the jobcomp log (run {run_id})")
    print(f"  {len(submitted) - groups} single jobs + {groups} group jobs ran "
          f"{sum(in_slurm.values())} of the {total} rule jobs; {local} ran locally")
    print("  in SLURM jobs: " + ", ".join(f"{k} {v}" for k, v in sorted(in_slurm.items())))
    for note in gpu_notes:
        print(f"  {note}")


# ------------------------------------------------------------------ compare
def compare(a: Path, b: Path) -> None:
    files = sorted(p.relative_to(a) for p in a.rglob("predictions.parquet"))
    other = sorted(p.relative_to(b) for p in b.rglob("predictions.parquet"))
    if not files or files != other:
        fail(f"prediction files differ: {len(files)} in {a}, {len(other)} in {b}, "
             f"only in one: {sorted(set(files) ^ set(other))[:5]}")
    for relative in [Path("metrics/summary.parquet"), Path("metrics/per_drug.parquet"), *files]:
        left, right = pd.read_parquet(a / relative), pd.read_parquet(b / relative)
        try:
            pd.testing.assert_frame_equal(left, right, check_exact=True)
        except AssertionError as err:
            fail(f"{relative} differs between {a} and {b}:\n{err}")
    summary = pd.read_parquet(a / "metrics/summary.parquet")
    print(f"[slurm-ci] identical: metrics/summary.parquet ({len(summary)} rows), "
          f"metrics/per_drug.parquet and {len(files)} predictions.parquet files")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("profile")
    p.add_argument("base", type=Path)
    p.add_argument("overrides", type=Path)
    p.add_argument("outdir", type=Path)
    r = sub.add_parser("records")
    r.add_argument("--log", type=Path, required=True)
    r.add_argument("--jobcomp", type=Path, required=True)
    r.add_argument("--gpu-rule", action="append", default=[])
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    if args.command == "profile":
        write_profile(args.base, args.overrides, args.outdir)
    elif args.command == "records":
        check_records(args.log, args.jobcomp, args.gpu_rule)
    else:
        compare(args.a, args.b)


if __name__ == "__main__":
    main()
