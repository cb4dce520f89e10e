"""The ``modrp`` command.

    modrp demo-data OUTDIR [--seed N] [--n-lines N] [--n-genes N] [--n-edges N]
    modrp check-config CONFIG
    modrp preprocess CONFIG

Problems with inputs end with one ``error:`` line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from modrp.errors import InputError


def _demo_data(args) -> None:
    from modrp.demo import write_demo_dataset

    paths = write_demo_dataset(Path(args.outdir), seed=args.seed, n_lines=args.n_lines,
                               n_genes=args.n_genes, n_edges=args.n_edges)
    for key, path in paths.items():
        print(f"{key}\t{path}")


def _check_config(args) -> None:
    from modrp.config import load_config

    config = load_config(args.config)
    print(f"{args.config}: valid (dataset {config['dataset']!r}, "
          f"source {config['data']['source']!r}, omics {config['omics']})")


def _preprocess(args) -> None:
    from modrp.config import load_config
    from modrp.steps import preprocess, setup_logging

    setup_logging()
    config = load_config(args.config)
    results = Path(config["results_dir"]) / config["dataset"]
    summary = preprocess(config, results / "raw", results / "data")
    print(json.dumps(summary, indent=2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modrp", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo-data", help="write the synthetic demo dataset "
                               "(real source formats, planted signal)")
    demo.add_argument("outdir")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--n-lines", type=int, default=350)
    demo.add_argument("--n-genes", type=int, default=1500)
    demo.add_argument("--n-edges", type=int, default=5000)
    demo.set_defaults(func=_demo_data)

    check = commands.add_parser("check-config", help="validate a config file")
    check.add_argument("config")
    check.set_defaults(func=_check_config)

    prep = commands.add_parser("preprocess", help="parse, filter and align the raw files "
                               "of a config (as the workflow's preprocess rule does)")
    prep.add_argument("config")
    prep.set_defaults(func=_preprocess)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
