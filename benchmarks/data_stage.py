"""Time the data stage (parse, filter, align, graphs) on paper-size synthetic files.

    python benchmarks/data_stage.py DIR [--seed 0] [--regenerate] [--config config/config.yaml]

Writes (or reuses) the paper-size synthetic raw files in ``DIR/raw``
(``modrp demo-data DIR/raw --scale paper``: 1,210 x 19,144 expression, a ~1.4 M row
MAF, ~1,000 x 25,638 copy number, a ~118k row GDSC2 sheet, 62k HINT pairs, ...), then
runs each step in its own child process, as the workflow does:

- every parser alone (informative: where the time goes),
- ``preprocess`` exactly as the workflow's rule (``modrp.steps.preprocess``: parse every
  source, map lines, filter, write Parquet into ``DIR/data``),
- ``build_graph`` for each gene omic the workflow builds a graph for (``DIR/graph``;
  RPPA too, whose graph the workflow builds although its default embedding is dense).

It prints the wall time and peak memory (the child's RSS high-water mark, from
``wait4``) of each step, the data stage's total (preprocess + graphs, one after the
other) and peak, their ratios to the goals (5 minutes, 8 GB on 2 cores), and the shapes
obtained.  Timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 300
GOAL_BYTES = 8 * 1024**3

PARSERS = {
    "expression": ("modrp.sources.depmap", "read_expression"),
    "mutations": ("modrp.sources.depmap", "read_mutations"),
    "sample_info": ("modrp.sources.depmap", "read_sample_info"),
    "rppa": ("modrp.sources.ccle", "read_rppa"),
    "rppa_antibodies": ("modrp.sources.ccle", "read_rppa_antibodies"),
    "metabolomics": ("modrp.sources.ccle", "read_metabolomics"),
    "dose_response": ("modrp.sources.gdsc", "read_dose_response"),
    "compounds": ("modrp.sources.gdsc", "read_screened_compounds"),
    "cell_line_details": ("modrp.sources.gdsc", "read_cell_line_details"),
    "copy_number": ("modrp.sources.gdsc", "read_gene_level_cn"),
    "interactome": ("modrp.sources.hint", "read_interactome"),
}


# ------------------------------------------------------------------------- child side


def _run_stage(stage: str, workdir: Path, config_path: str, seed: int) -> dict:
    """Run one stage in this process; return what it produced (shapes, counts)."""
    import importlib

    from modrp.config import load_config

    raw, data, graphs = workdir / "raw", workdir / "data", workdir / "graph"
    config = load_config(config_path)
    if stage == "generate":
        from modrp.demo import write_demo_dataset

        write_demo_dataset(raw, seed=seed, scale="paper")
        return json.loads((raw / "truth.json").read_text())["scale"]
    if stage.startswith("parse:"):
        key = stage.split(":", 1)[1]
        module, name = PARSERS[key]
        result = getattr(importlib.import_module(module), name)(raw / config["data"]["files"][key])
        return {"shape": list(result.shape)}
    if stage == "preprocess":
        from modrp.steps import preprocess

        return preprocess(config, raw, data)
    if stage.startswith("graph:"):
        from modrp.steps import build_graph

        omic = stage.split(":", 1)[1]
        return build_graph(omic, data, graphs / f"{omic}.npz", graphs / f"{omic}.json",
                           config["graph"]["drop_isolated"])
    raise SystemExit(f"unknown stage {stage!r}")


# ------------------------------------------------------------------------- parent side


def run_child(stage: str, args) -> tuple[float, int, dict]:
    """Run ``stage`` in a fresh interpreter; return (seconds, peak RSS bytes, its result)."""
    result_path = Path(args.workdir) / "bench" / f"{stage.replace(':', '-')}.json"
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.unlink(missing_ok=True)
    command = [sys.executable, __file__, str(args.workdir), "--config", args.config,
               "--seed", str(args.seed), "--child", stage]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"stage {stage} failed (exit status {process.returncode})")
    return seconds, usage.ru_maxrss * 1024, json.loads(result_path.read_text())


def needs_generation(raw: Path) -> bool:
    truth = raw / "truth.json"
    if not truth.is_file():
        return True
    scale = json.loads(truth.read_text()).get("scale", {})
    return scale.get("n_genes") != 25_638


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f}"


def report_shapes(summary: dict, graphs: dict[str, dict]) -> None:
    print("\nshapes after the filters (lines x features; raw features before the 95% rules)")
    for omic, stats in summary.get("features", {}).items():
        print(f"  {omic:<12} {stats['lines']:>5} x {stats['kept']:<6} (raw {stats['raw']}, "
              f"{stats['dropped_by_zero_rule']} dropped)")
    lines = summary.get("lines", {})
    print(f"  study lines {lines.get('study')}, with every omic "
          f"{lines.get('with_all_configured_omics')}")
    selection = summary.get("drug_selection", {})
    print(f"  drugs kept {summary.get('drugs')} of {selection.get('drug_ids_in_table')} DRUG_IDs "
          f"({selection.get('lines_in_table')} GDSC lines)")
    print(f"  interactome pairs {summary.get('interactome_pairs')}")
    for omic, stats in graphs.items():
        print(f"  graph {omic:<6} {stats['features_in_graph']} features, {stats['edges']} edges, "
              f"{stats['nonzeros']} nonzeros ({stats['features_with_interaction']} of "
              f"{stats['features']} features have an interaction)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir", type=Path, help="raw/ data/ graph/ go here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default=str(ROOT / "config" / "config.yaml"),
                        help="the paper configuration (its filters, file names, graphs)")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the raw files")
    parser.add_argument("--skip-parsers", action="store_true",
                        help="time only preprocess and the graphs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.workdir = args.workdir.resolve()

    if args.child:
        result = _run_stage(args.child, args.workdir, args.config, args.seed)
        path = args.workdir / "bench" / f"{args.child.replace(':', '-')}.json"
        path.write_text(json.dumps(result, default=str))
        return

    from modrp.config import buildable_graph_omics, load_config

    config = load_config(args.config)
    raw = args.workdir / "raw"
    print(f"machine: {os.cpu_count()} CPUs, {len(os.sched_getaffinity(0))} usable; "
          f"load average {os.getloadavg()[0]:.1f}")
    rows = []
    if args.regenerate or needs_generation(raw):
        seconds, peak, scale = run_child("generate", args)
        print(f"generated paper-size files in {seconds:.0f} s (peak {_gb(peak)} GB): "
              f"{scale['gdsc1000_lines']} GDSC1000 lines, {scale['dose_response_rows']} "
              f"dose-response rows")
    sizes = {p.name: p.stat().st_size for p in sorted(raw.iterdir()) if p.is_file()}
    print("raw files: " + ", ".join(f"{n} {s / 1e6:.0f} MB" for n, s in sizes.items()
                                    if s > 5e6))

    if not args.skip_parsers:
        for key in PARSERS:
            seconds, peak, result = run_child(f"parse:{key}", args)
            rows.append((f"parse {key}", seconds, peak, "x".join(map(str, result["shape"]))))
    seconds, peak, summary = run_child("preprocess", args)
    stage = [("preprocess (parse all, filter, Parquet)", seconds, peak, "")]
    graphs = {}
    for omic in buildable_graph_omics(config):
        seconds, peak, graphs[omic] = run_child(f"graph:{omic}", args)
        stage.append((f"build_graph {omic}", seconds, peak,
                      f"{graphs[omic]['edges']} edges"))

    print(f"\n{'step':<42}{'seconds':>9}{'peak GB':>9}  result")
    for name, seconds, peak, note in rows + stage:
        print(f"{name:<42}{seconds:>9.1f}{_gb(peak):>9}  {note}")
    total = sum(s for _, s, _, _ in stage)
    peak = max(p for _, _, p, _ in stage)
    print(f"{'data stage (preprocess + graphs)':<42}{total:>9.1f}{_gb(peak):>9}")
    print(f"\ndata stage time / 5-minute goal: {total / GOAL_SECONDS:.2f}")
    print(f"data stage peak memory / 8 GB goal: {peak / GOAL_BYTES:.2f}")
    report_shapes(summary, graphs)


if __name__ == "__main__":
    main()
