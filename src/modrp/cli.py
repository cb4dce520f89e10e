"""The ``modrp`` command.

    modrp demo-data OUTDIR [--seed N] [--scale demo|paper] [--n-lines N] [--n-genes N]
                           [--n-edges N] [--new-lines N --new-seed K]
    modrp check-config CONFIG
    modrp preprocess CONFIG
    modrp predict --model DIR --omics PATH [PATH ...] --out CSV [--max-missing-features F]

Problems with inputs end with one ``error:`` line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from modrp.errors import InputError


def _demo_data(args) -> None:
    from modrp.demo import demo_scale, write_demo_dataset, write_new_cell_lines

    try:  # sizes the generator cannot make, before any file is written
        demo_scale(args.scale, n_lines=args.n_lines, n_genes=args.n_genes,
                   n_edges=args.n_edges)
    except ValueError as err:
        raise InputError(f"demo-data: {err}") from err
    if args.new_lines is not None and args.new_lines < 1:
        raise InputError(f"demo-data: --new-lines must be at least 1, got {args.new_lines}")
    outdir = Path(args.outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"demo-data: {outdir} is a file; OUTDIR is the folder the files are "
                         "written into (made if missing)")
    if args.new_lines is not None:
        paths = write_new_cell_lines(outdir, args.new_lines, seed=args.new_seed,
                                     base_seed=args.seed, scale=args.scale,
                                     base_n_lines=args.n_lines, n_genes=args.n_genes,
                                     n_edges=args.n_edges)
    else:
        paths = write_demo_dataset(outdir, seed=args.seed, n_lines=args.n_lines,
                                   n_genes=args.n_genes, n_edges=args.n_edges,
                                   scale=args.scale)
    for key, path in paths.items():
        print(f"{key}\t{path}")


def _check_config(args) -> None:
    from modrp.config import custom_files, load_config

    config = load_config(args.config)
    if config["data"]["source"] == "custom":  # the files the workflow would read first
        missing = [f"{key}: {path}" for key, path in custom_files(config).items()
                   if not Path(path).is_file()]
        if missing:
            raise InputError(f"{args.config}: no such file(s), relative paths taken from "
                             f"{Path.cwd()} as the workflow takes them: {'; '.join(missing)}")
    print(f"{args.config}: valid (dataset {config['dataset']!r}, "
          f"source {config['data']['source']!r}, omics {config['omics']})")


def _preprocess(args) -> None:
    from modrp.config import load_config
    from modrp.steps import check_raw_files, preprocess, setup_logging

    setup_logging()
    config = load_config(args.config)
    results = Path(config["results_dir"]) / config["dataset"]
    if config["data"]["source"] == "download":  # as the workflow's check before it
        check_raw_files(config, results / "raw", results / "raw" / "CHECKED.tsv")
    summary = preprocess(config, results / "raw", results / "data")
    print(json.dumps(summary, indent=2))


def _predict(args) -> None:
    from modrp.io import check_output_file
    from modrp.predict import (
        check_ranking_target,
        drug_ranking,
        load_final_model,
        predict_with_report,
        read_new_profiles,
        report_lines,
        write_ranking,
    )

    check_output_file(args.out, "--out")  # before the work, not after it
    check_ranking_target(Path(args.out), Path(args.model), args.omics)
    model = load_final_model(Path(args.model))
    profiles = read_new_profiles(args.omics, (model.meta.get("config") or {}).get("preprocess"))
    predicted, report = predict_with_report(model, profiles, args.max_missing_features)
    write_ranking(drug_ranking(model, predicted), Path(args.out))
    print("\n".join(report_lines(model, report)))
    print(f"ranking written to {args.out}")


def _non_negative(text: str) -> int:
    value = int(text) if text.lstrip("-").isdigit() else None
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modrp", description="Multi-omics drug response prediction (Wang et al. 2022, "
        "reproduced): demo data, config checks, preprocessing, and drug rankings for new "
        "cell lines from a final model.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo-data", help="write the synthetic demo dataset "
                               "(real source formats, planted signal)")
    demo.add_argument("outdir")
    demo.add_argument("--seed", type=_non_negative, default=0)
    demo.add_argument("--scale", choices=["demo", "paper"], default="demo",
                      help="demo: ~400 lines, 1,500 genes (seconds); paper: the real files' "
                      "sizes, ~1 GB of files (minutes, ~5 GB of memory)")
    demo.add_argument("--n-lines", type=int, default=None,
                      help="default: the scale's (demo 400, paper 1770)")
    demo.add_argument("--n-genes", type=int, default=None,
                      help="default: the scale's (demo 1500, paper 25638)")
    demo.add_argument("--n-edges", type=int, default=None,
                      help="default: the scale's (demo 5000, paper 62345)")
    demo.add_argument("--new-lines", type=int, default=None, metavar="N",
                      help="write N new cell lines drawn from the model of the demo given by "
                      "--seed/--scale/--n-* (omics files, responses.csv), not the demo itself")
    demo.add_argument("--new-seed", type=_non_negative, default=1, metavar="K",
                      help="seed of the new lines (default 1)")
    demo.set_defaults(func=_demo_data)

    check = commands.add_parser("check-config", help="validate a config file")
    check.add_argument("config")
    check.set_defaults(func=_check_config)

    prep = commands.add_parser("preprocess", help="parse, filter and align the raw files "
                               "of a config (as the workflow's preprocess rule does)")
    prep.add_argument("config")
    prep.set_defaults(func=_preprocess)

    pred = commands.add_parser(
        "predict", help="rank the drugs for new cell lines with a final model",
        description="Predict ln IC50 of every drug of a final model for new cell lines and "
        "rank the drugs per line (rank 1 = lowest predicted ln IC50, the most effective).")
    pred.add_argument("--model", required=True,
                      help="final model folder (results/<dataset>/final)")
    pred.add_argument("--omics", required=True, nargs="+", action="extend",
                      help="omic matrices <omic>.csv|.tsv|.txt|.tab|.parquet (text ones also "
                      ".gz), omic=PATH, real source "
                      "files (CCLE_expression.csv, ...) or a folder holding them")
    pred.add_argument("--out", required=True, help="ranking CSV: cell_line, rank, drug, "
                      "predicted_ln_ic50, target, pathway")
    pred.add_argument("--max-missing-features", type=float, default=None,
                      help="largest share of an omic's model features an input may lack, "
                      "overall or per line; they are set to the training mean "
                      "(default: the model's, 0.2)")
    pred.set_defaults(func=_predict)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # an output path that cannot be written (a file where a folder
        # should be, no permission, a full disk): the system's reason, not a traceback
        where = f": {err.filename}" if err.filename else ""
        print(f"error: cannot write or read{where}: {err.strerror or err}", file=sys.stderr)
        return 2
    return 0


def console() -> None:
    """The ``modrp`` command's entry point: :func:`main`, then end the process."""
    from modrp.process import end_process

    end_process(main())


if __name__ == "__main__":
    console()
