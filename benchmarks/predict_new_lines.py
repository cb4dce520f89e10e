"""Check ``modrp predict`` on new demo cell lines against the per-drug mean ranking.

    python benchmarks/predict_new_lines.py [--combination exp-mut-cnv-rppa-metabolites]
        [--n-new 300] [--configfile config/demo.yaml] [--keep DIR]

Writes the demo of the config, preprocesses it, builds its graphs, trains the final
model of each combination on all study lines, then draws new lines from the same
generating model (``modrp.demo.write_new_cell_lines``), reads their raw files as
``modrp predict`` does and scores the predictions against the new lines' measured
ln IC50 beside (a) each drug's mean over the study lines, the ranking a model must
beat, and (b) the noise-free planted ln IC50, the best any model can do.  Prints
top-1 / top-3 hit rates (is the line's most effective drug among the k ranked first),
per-drug R2 and MSE.  A check, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from modrp import steps
from modrp.config import load_config
from modrp.demo import write_new_cell_lines
from modrp.metrics import summary
from modrp.predict import (
    load_final_model,
    predict_with_report,
    read_new_profiles,
    train_final_model,
)

ROOT = Path(__file__).resolve().parents[1]


def long(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.rename_axis(index="cell_line", columns="drug").stack().rename(name) \
        .reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configfile", default=str(ROOT / "config" / "demo.yaml"))
    parser.add_argument("--combination", action="append",
                        help="omics joined by '-' (repeatable); default: all configured")
    parser.add_argument("--n-new", type=int, default=300)
    parser.add_argument("--new-seed", type=int, default=1)
    parser.add_argument("--keep", help="work in this folder instead of a temporary one")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = load_config(args.configfile)
    config["train"]["log_every"] = 0
    demo = config["data"]["demo"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        started = time.perf_counter()
        steps.make_demo_data(config, work / "raw")
        steps.preprocess(config, work / "raw", work / "data")
        for omic in config["omics"]:
            if config["embedding"][omic] == "graph":
                steps.build_graph(omic, work / "data", work / "graph" / f"{omic}.npz",
                                  work / "graph" / f"{omic}.json",
                                  config["graph"]["drop_isolated"])
        new = write_new_cell_lines(work / "new", n_lines=args.n_new, seed=args.new_seed,
                                   base_seed=demo["seed"], base_n_lines=demo["n_lines"],
                                   n_genes=demo["n_genes"], n_edges=demo["n_edges"])
        print(f"data: {time.perf_counter() - started:.1f} s")
        truth = pd.read_csv(new["responses"], dtype={"depmap_id": str})
        observed = truth.pivot(index="depmap_id", columns="drug", values="ln_ic50")
        noise_free = truth.pivot(index="depmap_id", columns="drug", values="ln_ic50_noise_free")
        training_mean = pd.read_parquet(work / "data" / "response.parquet").mean()
        scores = {}
        for name in args.combination or ["-".join(config["omics"])]:
            started = time.perf_counter()
            model_dir = work / "final" / name
            train_final_model(name.split("-"), work / "data", work / "graph", config,
                              model_dir)
            trained = time.perf_counter() - started
            model = load_final_model(model_dir)
            profiles = read_new_profiles(new["expression"].parent,
                                         model.meta["config"]["preprocess"])
            predicted, report = predict_with_report(model, profiles)
            lines = predicted.index.intersection(observed.index)
            missing = {o: c["features_missing"] for o, c in report["omics"].items()}
            print(f"{name}: trained in {trained:.1f} s; {len(lines)} of {args.n_new} new lines "
                  f"predicted; missing features {missing}")
            obs = long(observed.loc[lines, model.drugs], "observed")
            candidates = {
                f"model {name}": predicted.loc[lines, model.drugs],
                "per-drug mean": pd.DataFrame([training_mean[model.drugs].to_numpy()] * len(lines),
                                              index=lines, columns=model.drugs),
                "noise-free truth": noise_free.loc[lines, model.drugs],
            }
            for label, frame in candidates.items():
                scores[label] = summary(obs.merge(long(frame, "predicted"),
                                                  on=["cell_line", "drug"]))
        table = pd.DataFrame(scores).T[["top1", "top3", "r2_per_drug_mean", "mse", "n_lines"]]
        print(table.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
