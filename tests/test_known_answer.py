"""The known-answer check: the demo's models against the signal its generator planted.

The integration test trains what the pipeline trains for it (every fold, full epochs of
config/demo.yaml) through the same functions the Snakemake rules call, scores it as rule
``metrics`` does and applies the check of rule ``known_answer``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from modrp import steps
from modrp.config import validate_config
from modrp.evaluate import known_answer, score_models
from modrp.train import fuse_combination, pretrain_subnetwork

ROOT = Path(__file__).resolve().parents[1]
DRUGS = ["A", "B", "C", "D", "E"]
OMICS = ["exp", "mut"]


def _per_fold(value) -> list[float]:
    """Three fold values: one number repeated, or the three given."""
    return [value] * 3 if np.isscalar(value) else list(value)


def _summary(fused, singles: dict, baseline=-0.02) -> pd.DataFrame:
    """Per-fold scores; each score is one number for every fold or a list of three."""
    rows = [{"kind": "fusion", "model": "exp-mut", "fold": f, "r2_per_drug_mean": v,
             "baseline_r2_per_drug_mean": b}
            for f, (v, b) in enumerate(zip(_per_fold(fused), _per_fold(baseline), strict=True))]
    rows += [{"kind": "single", "model": name, "fold": f, "r2_per_drug_mean": v,
              "baseline_r2_per_drug_mean": b}
             for name, value in singles.items()
             for f, (v, b) in enumerate(zip(_per_fold(value), _per_fold(baseline), strict=True))]
    return pd.DataFrame(rows)


def _attention(*on_exp_per_fold: dict[str, float]) -> pd.DataFrame:
    """Attention of each drug on exp (the rest on mut), one dict per fold."""
    rows = [{"drug": d, "omic": o, "weight": w if o == "exp" else 1 - w, "fold": fold}
            for fold, on_exp in enumerate(on_exp_per_fold) for d, w in on_exp.items()
            for o in OMICS]
    return pd.DataFrame(rows)


def _truth(oracle: float = 0.6) -> dict:
    return {"strongest_omic": "exp", "oracle_r2": dict.fromkeys(DRUGS, oracle)}


def test_known_answer_passes_a_model_that_found_the_signal():
    table = known_answer(_summary(0.5, {"exp-graph": 0.45, "exp-dense": 0.4, "mut-graph": 0.0}),
                         _attention(dict.fromkeys(DRUGS, 0.9)), _truth(0.6), "exp-mut")
    assert table["passed"].all(), table
    assert table["model"].tolist() == ["fusion:exp-mut", "single:exp-dense", "single:exp-graph",
                                       "fusion:exp-mut"]
    assert table.loc[0, "goal"] == pytest.approx(0.42)


def test_known_answer_fails_each_criterion_on_its_own():
    good_attention = _attention(dict.fromkeys(DRUGS, 0.9))
    weak_fusion = known_answer(_summary(0.41, {"exp-graph": 0.45}), good_attention, _truth(0.6),
                               "exp-mut")
    assert weak_fusion["passed"].tolist() == [False, True, True]
    no_better_than_mean = known_answer(_summary(0.5, {"exp-graph": 0.3, "exp-dense": -0.03}),
                                       good_attention, _truth(0.6), "exp-mut")
    assert no_better_than_mean["passed"].tolist() == [True, False, True, True]
    # 4 of 5 drugs on exp is 80%: passes; 3 of 5 fails.
    four = known_answer(_summary(0.5, {"exp-graph": 0.45}),
                        _attention({"A": 0.9, "B": 0.9, "C": 0.9, "D": 0.9, "E": 0.2}),
                        _truth(0.6), "exp-mut")
    assert four["passed"].tolist() == [True, True, True]
    three = known_answer(_summary(0.5, {"exp-graph": 0.45}),
                         _attention({"A": 0.9, "B": 0.9, "C": 0.9, "D": 0.4, "E": 0.2}),
                         _truth(0.6), "exp-mut")
    assert three["passed"].tolist() == [True, True, False]
    assert three.loc[2, "value"] == pytest.approx(0.6)


def test_known_answer_averages_the_scores_over_folds():
    # fused: mean 0.35 < 0.42 (0.7 x 0.6), although one fold reaches 0.6
    fused = [0.15, 0.3, 0.6]
    # exp-graph: mean -0.0667 below the per-drug mean's -0.02, although one fold is at 0.1
    single = [-0.2, -0.1, 0.1]
    table = known_answer(_summary(fused, {"exp-graph": single}),
                         _attention(dict.fromkeys(DRUGS, 0.9)), _truth(0.6), "exp-mut")
    assert table["passed"].tolist() == [False, False, True]
    assert table.loc[0, "value"] == pytest.approx(np.mean(fused))
    assert table.loc[1, "value"] == pytest.approx(np.mean(single))
    # the per-drug mean averaged too: -0.2 over the folds, beaten by the single's 0.1 ...
    beaten = known_answer(_summary(0.5, {"exp-graph": 0.1}, baseline=[-0.6, -0.6, 0.6]),
                          _attention(dict.fromkeys(DRUGS, 0.9)), _truth(0.6), "exp-mut")
    assert beaten["passed"].tolist() == [True, True, True]
    assert beaten.loc[1, "goal"] == pytest.approx(-0.2)


def test_known_answer_averages_the_attention_over_folds():
    fold0 = dict.fromkeys(DRUGS, 0.9)
    # D and E lean to mut in two folds of three: on exp by the mean (0.9 + 0.2 + 0.2) / 3
    # = 0.433 < mut's 0.567, although their largest single weight (0.9) is on exp
    flipped = {**fold0, "D": 0.2, "E": 0.2}
    table = known_answer(_summary(0.5, {"exp-graph": 0.45}),
                         _attention(fold0, flipped, flipped), _truth(0.6), "exp-mut")
    mean_exp = np.array([np.mean([0.9, w, w]) for w in (0.9, 0.9, 0.9, 0.2, 0.2)])
    share = np.mean(mean_exp > 1 - mean_exp)  # 3 of 5
    assert share == pytest.approx(0.6)
    assert table["passed"].tolist() == [True, True, False]
    assert table.loc[2, "value"] == pytest.approx(share)
    # and the other way: D and E on exp by the mean ((0.8 + 0.8 + 0.1) / 3 = 0.567),
    # although their largest single weight (0.9, on mut in fold 2) is not
    leaning = {**fold0, "D": 0.8, "E": 0.8}
    dipping = {**fold0, "D": 0.1, "E": 0.1}
    table = known_answer(_summary(0.5, {"exp-graph": 0.45}),
                         _attention(leaning, leaning, dipping), _truth(0.6), "exp-mut")
    assert table["passed"].tolist() == [True, True, True]
    assert table.loc[2, "value"] == pytest.approx(1.0)


def test_known_answer_counts_missing_models_as_failed():
    table = known_answer(_summary(0.5, {"mut-graph": 0.2}), _attention(dict.fromkeys(DRUGS, 0.9)),
                         _truth(0.6), "exp-mut-cnv")
    assert table["passed"].tolist() == [False, False, True]
    assert table.loc[1, "model"] == "single:exp-?"


@pytest.fixture(scope="module")
def demo_models(tmp_path_factory):
    """The demo's data, and every model the known-answer check reads, as the pipeline
    trains them (config/demo.yaml, full epochs, every fold of repeat 0)."""
    config = validate_config(yaml.safe_load((ROOT / "config" / "demo.yaml").read_text()))
    root = tmp_path_factory.mktemp("known-answer")
    steps.make_demo_data(config, root / "raw")
    steps.preprocess(config, root / "raw", root / "data")
    omics, embedding = config["omics"], config["embedding"]
    graph_omics = [o for o in omics if embedding[o] == "graph"]
    for omic in graph_omics:
        steps.build_graph(omic, root / "data", root / "graph" / f"{omic}.npz",
                          root / "graph" / f"{omic}.json", config["graph"]["drop_isolated"])
    steps.write_folds(root / "data" / "cell_lines.parquet", root / "splits" / "r0.parquet",
                      config["cv"], 0)
    truth = json.loads((root / "raw" / "truth.json").read_text())
    strongest = truth["strongest_omic"]
    singles = {(o, embedding[o]) for o in omics} | {(strongest, "graph"), (strongest, "dense")}
    folds = pd.read_parquet(root / "splits" / "r0.parquet")
    combination = "-".join(omics)
    graphs = {o: root / "graph" / f"{o}.npz" for o in graph_omics}
    for fold in sorted(folds["fold"].unique()):
        for omic, kind in sorted(singles):
            pretrain_subnetwork(omic, kind, root / "data", root / "splits" / "r0.parquet", fold,
                                config, root / "models" / "single" / f"{omic}-{kind}" /
                                f"r0-f{fold}", graph_path=graphs.get(omic))
        subnetworks = {o: root / "models" / "single" / f"{o}-{embedding[o]}" / f"r0-f{fold}" /
                       "model.pt" for o in omics}
        fuse_combination(omics, subnetworks, graphs, root / "data",
                         root / "splits" / "r0.parquet", fold, config,
                         root / "models" / "fusion" / combination / f"r0-f{fold}")
    return root, truth, combination


def test_demo_models_recover_the_planted_signal(demo_models):
    root, truth, combination = demo_models
    response = pd.read_parquet(root / "data" / "response.parquet")
    summary, _ = score_models(root / "models", response,
                              {0: pd.read_parquet(root / "splits" / "r0.parquet")})
    attention = pd.concat([pd.read_parquet(p) for p in
                           sorted((root / "models" / "fusion" / combination).glob("*/attention*"))])
    table = known_answer(summary, attention, truth, combination)
    print("\n" + table.to_string())  # the figures, with -s
    assert len(table) == 4  # fusion, exp graph and dense, attention
    assert table["passed"].all(), table.to_string()
    # Sanity of the setting itself: the attention rows are distributions, and the strongest
    # omic's single models are far from the per-drug mean (not a borderline pass).
    assert np.allclose(attention.groupby(["fold", "drug"])["weight"].sum(), 1.0)
    singles = table[table["model"].str.startswith("single:")]
    assert (singles["value"] - singles["goal"]).min() > 0.3
