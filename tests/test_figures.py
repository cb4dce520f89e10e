"""The paper's figures: the numbers they show, their files, sizes and legibility."""

from __future__ import annotations

import itertools

import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from scipy import stats

from modrp import figures
from modrp.report import PAPER_TABLE4_MSE

DRUGS = list(PAPER_TABLE4_MSE)  # the paper's 22 drug names: realistic label lengths
OMICS = ["exp", "mut", "cnv", "rppa", "metabolites"]
PATHWAYS = ["Cell cycle", "DNA replication", "ERK MAPK signalling", "PI3K/MTOR signalling",
            "Chromatin histone methylation", "EGFR signalling", "Protein stability and degradation"]
FOLDS = [(r, f) for r in range(2) for f in range(3)]


def attention_frame(seed: int = 0) -> pd.DataFrame:
    """Softmax weights per (drug, fold), mutation favoured, one row per (drug, omic, fold)."""
    rng = np.random.default_rng(seed)
    rows = []
    for (repeat, fold), drug in itertools.product(FOLDS, DRUGS):
        logits = rng.normal(0, 0.5, len(OMICS)) + np.array([0, 2, 0, 1, 0])
        weights = np.exp(logits) / np.exp(logits).sum()
        rows += [{"drug": drug, "omic": o, "weight": w, "fold": fold, "repeat": repeat}
                 for o, w in zip(OMICS, weights, strict=True)]
    return pd.DataFrame(rows).sample(frac=1, random_state=1).reset_index(drop=True)


def per_drug_frame(seed: int = 0) -> pd.DataFrame:
    """Per-drug metrics of three models; quality differs by model and by drug."""
    rng = np.random.default_rng(seed)
    models = {("fusion", "exp-mut-cnv-rppa-metabolites"): 0.5,
              ("concatenation", "exp-mut-cnv-rppa-metabolites"): 0.3,
              ("single", "mut-graph"): 0.2}
    rows = []
    for (kind, model), level in models.items():
        for (repeat, fold), (i, drug) in itertools.product(FOLDS, enumerate(DRUGS)):
            r2 = level + 0.01 * i + rng.normal(0, 0.05)
            rows.append({"drug": drug, "r2": r2, "mse": 1 + 0.1 * i + rng.normal(0, 0.05),
                         "pearson": np.sqrt(max(r2, 0)), "baseline_r2": -0.02 - 0.001 * i,
                         "baseline_mse": 1.5 + 0.1 * i, "kind": kind, "model": model,
                         "repeat": repeat, "fold": fold})
    return pd.DataFrame(rows)


def drugs_frame() -> pd.DataFrame:
    return pd.DataFrame({"drug": DRUGS, "target": "T",
                         "pathway": [PATHWAYS[i % len(PATHWAYS)] for i in range(len(DRUGS))]})


def summary_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    combinations = ["-".join(c) for n in range(2, 6) for c in itertools.combinations(OMICS, n)]
    for model, (repeat, fold) in itertools.product(combinations, FOLDS):
        quality = 0.02 * len(model)  # longer names score better: a known ranking
        rows.append({"kind": "fusion", "model": model, "repeat": repeat, "fold": fold,
                     "mse": 2 - quality, "r2_per_drug_mean": quality + rng.normal(0, 0.01),
                     "r2_per_drug_median": quality, "r2_pooled": 0.6, "top1": 0.3, "top3": 0.8,
                     "baseline_mse": 2.5,
                     "baseline_r2_per_drug_mean": -0.02 + rng.normal(0, 0.005)})
    rows.append({**rows[0], "kind": "single", "model": "mut-graph", "r2_per_drug_mean": 9.0})
    return pd.DataFrame(rows)


def predictions_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for (repeat, fold), (i, drug) in itertools.product(FOLDS[:3], enumerate(DRUGS)):
        for line in range(20):
            observed = rng.normal(i / 5, 1.5)
            noise = 0.2 + 0.1 * i  # later drugs are predicted worse
            rows.append({"cell_line": f"{fold}-{line}", "drug": drug, "observed": observed,
                         "predicted": observed + rng.normal(0, noise), "fold": fold,
                         "repeat": repeat})
    return pd.DataFrame(rows)


def visible_texts(fig):
    """Every text the renderer draws, with the renderer (tick labels outside the view are
    created by the locator but never drawn, so they are left out)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    undrawn = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            slack = 1e-9 * (high - low)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                location = tick.get_loc()
                if location is None or not low - slack <= location <= high + slack:
                    undrawn.update({id(tick.label1), id(tick.label2)})
    texts = [t for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip() and id(t) not in undrawn
             and (t.axes is None or t.axes.get_visible())]
    return texts, canvas.get_renderer()


def assert_legible(fig):
    """Every text at least 7 pt; no two unrotated texts overlap."""
    texts, renderer = visible_texts(fig)
    assert texts
    small = [(t.get_text(), t.get_fontsize()) for t in texts
             if t.get_fontsize() < figures.MIN_FONT_PT]
    assert not small
    flat = [t for t in texts if t.get_rotation() % 180 == 0]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in flat]
    clashes = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
               if box_a.shrunk(0.98, 0.9).overlaps(box_b.shrunk(0.98, 0.9))]
    assert not clashes


def assert_written(paths, stem, figsize):
    png, pdf = paths
    assert (png, pdf) == (stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".pdf"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert png.stat().st_size > 10_000 and pdf.stat().st_size > 5_000
    assert 200 <= figures.DPI <= 300
    assert figures.png_size(png) == (round(figsize[0] * figures.DPI),
                                     round(figsize[1] * figures.DPI))
    assert sorted(p.name for p in png.parent.iterdir()) == sorted([png.name, pdf.name])


# ---------------------------------------------------------------- helpers


def test_png_size_reads_the_header(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + (640).to_bytes(4, "big")
                     + (480).to_bytes(4, "big") + b"\x08\x06\x00\x00\x00")
    assert figures.png_size(path) == (640, 480)
    (tmp_path / "y.png").write_bytes(b"%PDF-1.4 not a png at all")
    with pytest.raises(ValueError, match="not a PNG"):
        figures.png_size(tmp_path / "y.png")


def test_holm_matches_a_hand_computation():
    adjusted = figures.holm([0.01, 0.04, 0.03, np.nan])
    np.testing.assert_allclose(adjusted[:3], [0.03, 0.06, 0.06])
    assert np.isnan(adjusted[3])
    assert figures.holm([0.6, 0.9])[1] == 1.0  # capped at 1


def test_combination_label():
    assert figures.combination_label("exp-mut-rppa") == "exp+mut+rppa"


# ---------------------------------------------------------------- attention


def test_attention_matrix_averages_over_repeats_and_folds():
    attention = attention_frame()
    matrix = figures.attention_matrix(attention)
    assert list(matrix.index) == OMICS
    assert sorted(matrix.columns) == sorted(DRUGS)
    drug = DRUGS[3]
    by_hand = np.mean([w for d, o, w in attention[["drug", "omic", "weight"]].to_numpy()
                       if d == drug and o == "rppa"])
    assert matrix.loc["rppa", drug] == pytest.approx(by_hand)
    np.testing.assert_allclose(matrix.sum(axis=0), 1.0)  # each fold's softmax sums to 1
    # drugs by decreasing weight of the favoured omic (mutation)
    assert matrix.mean(axis=1).idxmax() == "mut"
    assert matrix.loc["mut"].is_monotonic_decreasing


def test_attention_matrix_rejects_bad_input():
    attention = attention_frame()
    with pytest.raises(ValueError, match="weight"):
        figures.attention_matrix(attention.drop(columns="weight"))
    with pytest.raises(ValueError, match="empty"):
        figures.attention_matrix(attention.iloc[:0])
    with pytest.raises(ValueError, match="more than one weight"):
        figures.attention_matrix(pd.concat([attention, attention.head(1)]))
    with pytest.raises(ValueError, match="DataFrame"):
        figures.attention_matrix(attention.to_numpy())


def test_attention_heatmap_writes_png_and_pdf(tmp_path):
    stem = tmp_path / "figures" / "attention_heatmap"
    paths = figures.attention_heatmap(attention_frame(), stem, "test data: attention")
    assert_written(paths, stem, figures.FIGSIZE["attention_heatmap"])
    pdf = paths[1].read_bytes()
    figures.attention_heatmap(attention_frame(), stem, "test data: attention")
    assert paths[1].read_bytes() == pdf  # no timestamp: same inputs, same file


def test_attention_heatmap_is_legible_with_22_drugs():
    matrix = figures.attention_matrix(attention_frame())
    fig = figures.plot_attention_heatmap(matrix, "test data: attention", 6)
    assert_legible(fig)
    # rotated drug names: the gap between neighbours, across the text, exceeds the text height
    _, renderer = visible_texts(fig)
    ax = fig.axes[0]
    labels = ax.get_xticklabels()
    assert [t.get_text() for t in labels] == list(matrix.columns)
    x = [t.get_window_extent(renderer).x1 for t in labels]
    spacing = np.diff(x).min() * np.sin(np.radians(45))
    height = figures.MIN_FONT_PT * figures.DPI / 72
    assert spacing > height
    cells = [t for t in ax.texts if t.get_text().startswith(".")]
    assert len(cells) == matrix.size


# ---------------------------------------------------------------- per-drug MSE


def test_drug_mse_table_ranks_drugs_with_mean_std_and_baseline():
    per_drug = per_drug_frame()
    drugs = drugs_frame().iloc[1:]  # the first drug has no annotation
    table = figures.drug_mse_table(per_drug, drugs, "fusion", "exp-mut-cnv-rppa-metabolites")
    assert len(table) == 22
    assert table["mse"].is_monotonic_increasing
    rows = per_drug[(per_drug["kind"] == "fusion") & (per_drug["drug"] == DRUGS[5])]
    row = table.set_index("drug").loc[DRUGS[5]]
    assert row["mse"] == pytest.approx(rows["mse"].mean())
    assert row["mse_std"] == pytest.approx(np.std(rows["mse"].to_numpy()))
    assert row["baseline_mse"] == pytest.approx(rows["baseline_mse"].mean())
    assert row["folds"] == 6
    assert row["pathway"] == PATHWAYS[5]
    assert table.set_index("drug").loc[DRUGS[0], "pathway"] == "unannotated"


def test_drug_mse_table_rejects_bad_input():
    per_drug, drugs = per_drug_frame(), drugs_frame()
    with pytest.raises(ValueError, match="no rows"):
        figures.drug_mse_table(per_drug, drugs, "fusion", "exp-mut")
    with pytest.raises(ValueError, match="pathway"):
        figures.drug_mse_table(per_drug, drugs.drop(columns="pathway"), "fusion",
                               "exp-mut-cnv-rppa-metabolites")
    with pytest.raises(ValueError, match="baseline_mse"):
        figures.drug_mse_table(per_drug.drop(columns="baseline_mse"), drugs, "fusion",
                               "exp-mut-cnv-rppa-metabolites")


def test_drug_mse_ranking_writes_legible_figure(tmp_path):
    per_drug, drugs = per_drug_frame(), drugs_frame()
    stem = tmp_path / "drug_mse_ranking"
    paths = figures.drug_mse_ranking(per_drug, drugs, "fusion", "exp-mut-cnv-rppa-metabolites",
                                     stem, "test data: per-drug MSE")
    assert_written(paths, stem, figures.FIGSIZE["drug_mse_ranking"])
    table = figures.drug_mse_table(per_drug, drugs, "fusion", "exp-mut-cnv-rppa-metabolites")
    fig = figures.plot_drug_mse_ranking(table, "test data: per-drug MSE", "fusion")
    assert_legible(fig)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == list(table["drug"])


# ---------------------------------------------------------------- ablation


def test_ablation_table_ranks_fusions_only():
    summary = summary_frame()
    table = figures.ablation_table(summary)
    assert len(table) == 26
    assert "mut-graph" not in set(table["model"])
    assert table["r2"].is_monotonic_decreasing
    assert table["model"].iloc[0] == "exp-mut-cnv-rppa-metabolites"
    assert table["label"].iloc[0] == "exp+mut+cnv+rppa+metabolites"
    assert table["n_omics"].iloc[0] == 5
    group = summary[(summary["kind"] == "fusion") & (summary["model"] == "mut-rppa")]
    row = table.set_index("model").loc["mut-rppa"]
    assert row["r2"] == pytest.approx(group["r2_per_drug_mean"].mean())
    assert row["r2_std"] == pytest.approx(np.std(group["r2_per_drug_mean"].to_numpy()))


def test_ablation_rejects_bad_input(tmp_path):
    summary = summary_frame()
    with pytest.raises(ValueError, match="fusion"):
        figures.ablation(summary[summary["kind"] != "fusion"], tmp_path / "a", "t")
    with pytest.raises(ValueError, match="baseline_r2_per_drug_mean"):
        figures.ablation(summary.drop(columns="baseline_r2_per_drug_mean"), tmp_path / "a", "t")
    assert not list(tmp_path.iterdir())


def test_ablation_writes_legible_figure(tmp_path):
    summary = summary_frame()
    stem = tmp_path / "ablation"
    assert_written(figures.ablation(summary, stem, "test data: ablation"), stem,
                   figures.FIGSIZE["ablation"])
    table = figures.ablation_table(summary)
    fig = figures.plot_ablation(table, "test data: ablation")
    assert_legible(fig)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(table["label"])


# ---------------------------------------------------------------- observed vs predicted


def test_drug_scores_match_a_hand_computation():
    predictions = predictions_frame()
    scores = figures.drug_scores(predictions).set_index("drug")
    points = predictions[predictions["drug"] == DRUGS[4]]
    observed, predicted = points["observed"].to_numpy(), points["predicted"].to_numpy()
    r2 = 1 - ((observed - predicted) ** 2).sum() / ((observed - observed.mean()) ** 2).sum()
    assert scores.loc[DRUGS[4], "r2"] == pytest.approx(r2)
    assert scores.loc[DRUGS[4], "pearson"] == pytest.approx(stats.pearsonr(observed,
                                                                         predicted)[0])
    assert scores["r2"].is_monotonic_decreasing
    assert scores.index[0] == DRUGS[0]  # the least noisy drug comes first


def test_observed_vs_predicted_writes_a_legible_grid(tmp_path):
    predictions = predictions_frame()
    stem = tmp_path / "observed_vs_predicted"
    paths = figures.observed_vs_predicted(predictions, stem, "test data: observed vs predicted")
    assert_written(paths, stem, figures.grid_figsize(22))
    assert figures.grid_figsize(22)[0] == figures.DOUBLE_COLUMN
    scores = figures.drug_scores(predictions)
    fig = figures.plot_observed_vs_predicted(predictions, scores, "test data")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == list(scores["drug"])
    assert len(fig.axes) == 25
    assert_legible(fig)


def test_a_long_title_is_wrapped_inside_the_figure():
    """A tissue-blind run's title ran past both edges of the 7.2-inch figures."""
    title = ("Observed vs predicted ln IC50, fusion of exp+mut+cnv+rppa+metabolites "
             "(demo_tissue, strict CV, tissue-blind folds)")
    predictions = predictions_frame()
    for fig in (figures.plot_observed_vs_predicted(predictions, figures.drug_scores(predictions),
                                                   title),
                figures.plot_attention_heatmap(figures.attention_matrix(attention_frame()),
                                               title, n_folds=6)):
        texts, renderer = visible_texts(fig)
        [suptitle] = [t for t in texts if t is fig._suptitle]
        box, page = suptitle.get_window_extent(renderer), fig.bbox
        assert page.x0 <= box.x0 and box.x1 <= page.x1, (box, page)
        assert_legible(fig)


def test_observed_vs_predicted_rejects_bad_input(tmp_path):
    predictions = predictions_frame()
    with pytest.raises(ValueError, match="observed"):
        figures.observed_vs_predicted(predictions.drop(columns="observed"), tmp_path / "o", "t")
    with pytest.raises(ValueError, match="no pair"):
        figures.drug_scores(predictions.assign(predicted=np.nan))


# ---------------------------------------------------------------- model comparison

MODELS = [("fusion", "exp-mut-cnv-rppa-metabolites", "attention fusion"),
          ("concatenation", "exp-mut-cnv-rppa-metabolites", "concatenation"),
          ("single", "mut-graph", "mutation (graph)"),
          (figures.PER_DRUG_MEAN, "exp-mut-cnv-rppa-metabolites", "per-drug mean")]


def test_model_comparison_wilcoxon_matches_scipy_with_holm():
    per_drug = per_drug_frame()
    per_drug.loc[per_drug["drug"] == DRUGS[0], "r2"] = np.nan  # a drug with no R2 is skipped
    r2, tests = figures.model_comparison_table(per_drug, MODELS)
    assert list(r2.columns) == [label for _, _, label in MODELS]
    # R2 per drug is averaged over folds first
    rows = per_drug[(per_drug["kind"] == "single") & (per_drug["drug"] == DRUGS[7])]
    assert r2.loc[DRUGS[7], "mutation (graph)"] == pytest.approx(rows["r2"].mean())
    baseline = per_drug[(per_drug["kind"] == "fusion") & (per_drug["drug"] == DRUGS[7])]
    assert r2.loc[DRUGS[7], "per-drug mean"] == pytest.approx(baseline["baseline_r2"].mean())

    raw = []
    for label in ["concatenation", "mutation (graph)", "per-drug mean"]:
        pair = r2[[label, "attention fusion"]].dropna()
        raw.append(stats.wilcoxon(pair[label], pair["attention fusion"]).pvalue)
    order = np.argsort(raw)
    expected = np.empty(3)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (3 - rank) * raw[index]))
        expected[index] = running
    tests = tests.set_index("label")
    np.testing.assert_allclose(tests["p"].iloc[1:], raw)
    np.testing.assert_allclose(tests["p_holm"].iloc[1:], expected)
    assert np.isnan(tests.loc["attention fusion", "p_holm"])
    assert tests.loc["concatenation", "drugs"] == 21


def test_model_comparison_identical_models_give_p_one():
    per_drug = per_drug_frame()
    twin = per_drug[per_drug["kind"] == "fusion"].assign(kind="copy")
    models = [MODELS[0], ("copy", "exp-mut-cnv-rppa-metabolites", "copy")]
    _, tests = figures.model_comparison_table(pd.concat([per_drug, twin]), models)
    assert tests["p_holm"].iloc[1] == 1.0


def test_model_comparison_rejects_bad_input():
    per_drug = per_drug_frame()
    with pytest.raises(ValueError, match="no rows"):
        figures.model_comparison_table(per_drug, [MODELS[0], ("single", "exp-graph", "exp")])
    with pytest.raises(ValueError, match="at least two"):
        figures.model_comparison_table(per_drug, MODELS[:1])
    with pytest.raises(ValueError, match="unique"):
        figures.model_comparison_table(per_drug, [MODELS[0], MODELS[0]])
    with pytest.raises(ValueError, match="r2"):
        figures.model_comparison_table(per_drug.drop(columns="r2"), MODELS)


def test_model_comparison_writes_legible_figure(tmp_path):
    per_drug = per_drug_frame()
    per_drug.loc[per_drug["kind"] == "single", "r2"] -= 3  # far below zero: clipped at -1
    stem = tmp_path / "model_comparison"
    paths = figures.model_comparison(per_drug, MODELS, stem, "test data: comparison")
    assert_written(paths, stem, figures.comparison_figsize(len(MODELS)))
    r2, tests = figures.model_comparison_table(per_drug, MODELS)
    fig = figures.plot_model_comparison(r2, tests, "test data: comparison")
    assert_legible(fig)
    ax = fig.axes[0]
    assert -1.1 < ax.get_xlim()[0] < -1.0
    assert "22 below -1" in [t.get_text() for t in ax.texts]
    assert "Wilcoxon signed-rank" in fig.get_supxlabel()
    assert "Holm" in fig.get_supxlabel()
    shown = [t.get_text() for t in ax.texts]
    assert "reference" in shown
    assert figures._format_p(tests["p_holm"].iloc[1]) in shown


# ---------------------------------------------------------------- the values drawn


def test_attention_matrix_breaks_ties_by_drug_name_and_is_what_the_heatmap_draws():
    weights = {"c": 0.7, "a": 0.7, "z": 0.9, "b": 0.7}  # mutation weight; ties among c, a, b
    rows = [{"drug": d, "omic": o, "weight": w if o == "mut" else 1 - w, "fold": 0,
             "repeat": 0} for d, w in weights.items() for o in ("mut", "exp")]
    matrix = figures.attention_matrix(pd.DataFrame(rows))
    assert list(matrix.columns) == ["z", "a", "b", "c"]
    assert list(matrix.index) == ["exp", "mut"]
    matrix = figures.attention_matrix(attention_frame())
    fig = figures.plot_attention_heatmap(matrix, "test data: attention", 6)
    image = fig.axes[0].images[0]
    np.testing.assert_allclose(np.asarray(image.get_array()), matrix.to_numpy())


def test_drug_mse_table_ranks_by_the_models_mse_not_the_baseline():
    per_drug = per_drug_frame()
    per_drug["baseline_mse"] = 10.0 - per_drug["mse"]  # baseline order: the reverse
    other = per_drug[per_drug["kind"] == "fusion"].assign(model="exp-mut", mse=0.0)
    per_drug = pd.concat([per_drug, other])  # another fusion model: not mixed in
    table = figures.drug_mse_table(per_drug, drugs_frame(), "fusion",
                                   "exp-mut-cnv-rppa-metabolites")
    mean = {}
    for drug in DRUGS:
        mean[drug] = np.mean([m for d, k, mod, m in per_drug[["drug", "kind", "model", "mse"]]
                              .to_numpy() if d == drug and k == "fusion"
                              and mod == "exp-mut-cnv-rppa-metabolites"])
    assert list(table["drug"]) == sorted(DRUGS, key=lambda d: mean[d])
    np.testing.assert_allclose(table["mse"], [mean[d] for d in table["drug"]])


def test_drug_mse_ranking_draws_mse_bars_and_baseline_diamonds():
    per_drug = per_drug_frame()
    per_drug["baseline_mse"] = 10.0 - per_drug["mse"]
    table = figures.drug_mse_table(per_drug, drugs_frame(), "fusion",
                                   "exp-mut-cnv-rppa-metabolites")
    fig = figures.plot_drug_mse_ranking(table, "test data: per-drug MSE", "fusion")
    ax = fig.axes[0]
    bars = [c for c in ax.containers if type(c).__name__ == "BarContainer"][0]
    np.testing.assert_allclose([b.get_width() for b in bars], table["mse"])
    np.testing.assert_allclose([b.get_y() + b.get_height() / 2 for b in bars],
                               np.arange(len(table)))
    errors = [c for c in ax.collections if type(c).__name__ == "LineCollection"][0]
    spans = [abs(s[1][0] - s[0][0]) / 2 for s in errors.get_segments()]
    np.testing.assert_allclose(spans, table["mse_std"])
    diamonds = [c for c in ax.collections if type(c).__name__ == "PathCollection"][0]
    np.testing.assert_allclose(diamonds.get_offsets(),
                               np.column_stack([table["baseline_mse"], np.arange(len(table))]))
    colour_of = {}
    for bar, pathway in zip(bars, table["pathway"], strict=True):
        colour_of.setdefault(pathway, set()).add(bar.get_facecolor())
    assert all(len(c) == 1 for c in colour_of.values())  # one colour per pathway
    assert len(set().union(*colour_of.values())) == table["pathway"].nunique()


def test_ablation_draws_each_combination_and_the_fusion_baseline(tmp_path, monkeypatch):
    summary = summary_frame()
    summary.loc[summary["kind"] != "fusion", "baseline_r2_per_drug_mean"] = 5.0  # not fused
    table = figures.ablation_table(summary)
    group = summary[(summary["kind"] == "fusion") & (summary["model"] == "exp-rppa")]
    row = table.set_index("model").loc["exp-rppa"]
    assert row["baseline_r2"] == pytest.approx(group["baseline_r2_per_drug_mean"].mean())
    assert row["baseline_r2_std"] == pytest.approx(
        np.std(group["baseline_r2_per_drug_mean"].to_numpy()))
    drawn = {}
    save = figures.save_figure

    def record(fig, stem):  # what the figure shows, read before it is saved and released
        ax = fig.axes[0]
        drawn["diamonds"] = [offsets for c in ax.collections if c.get_label() ==
                             "per-drug mean, same pairs" for offsets in c.get_offsets()]
        drawn["legend"] = [t.get_text() for t in ax.get_legend().get_texts()]
        drawn["labels"] = [t.get_text() for t in ax.get_yticklabels()]
        drawn["points"] = [(x, y, abs(s[1][0] - s[0][0]) / 2) for c in ax.containers
                           for x, y, s in zip(*c[0].get_data(), c[2][0].get_segments(),
                                              strict=True)]
        return save(fig, stem)

    monkeypatch.setattr(figures, "save_figure", record)
    figures.ablation(summary, tmp_path / "ablation", "test data: ablation")
    assert len(drawn["points"]) == len(table)
    by_label = table.set_index("label")
    # each combination's own per-drug mean, on its row: the lines differ between them
    assert len(drawn["diamonds"]) == len(table)
    for x, y in drawn["diamonds"]:
        assert x == pytest.approx(by_label.loc[drawn["labels"][int(y)], "baseline_r2"])
    assert drawn["legend"][-1] == "per-drug mean, same pairs"
    for x, y, error in drawn["points"]:
        label = drawn["labels"][int(y)]
        assert x == pytest.approx(by_label.loc[label, "r2"])
        assert error == pytest.approx(by_label.loc[label, "r2_std"])


def test_drug_scores_count_scored_pairs_and_put_undefined_r2_last():
    predictions = predictions_frame()
    constant = predictions["drug"] == DRUGS[0]
    predictions.loc[constant, "observed"] = 2.0  # R2 undefined for this drug
    unpredicted = predictions.index[predictions["drug"] == DRUGS[1]][:5]
    predictions.loc[unpredicted, "predicted"] = np.nan
    scores = figures.drug_scores(predictions)
    assert scores["drug"].iloc[-1] == DRUGS[0] and np.isnan(scores["r2"].iloc[-1])
    n = scores.set_index("drug")["n"]
    assert n[DRUGS[1]] == 60 - 5 and n[DRUGS[2]] == 60


def test_observed_vs_predicted_panels_plot_observed_against_predicted():
    predictions = predictions_frame()
    scores = figures.drug_scores(predictions)
    fig = figures.plot_observed_vs_predicted(predictions, scores, "test data")
    for ax in [ax for ax in fig.axes if ax.get_visible()]:
        points = predictions[predictions["drug"] == ax.get_title()]
        offsets = np.asarray(ax.collections[0].get_offsets())
        expected = points[["observed", "predicted"]].to_numpy()
        np.testing.assert_allclose(offsets[np.lexsort(offsets.T[::-1])],
                                   expected[np.lexsort(expected.T[::-1])])


def test_model_comparison_draws_each_models_r2_on_its_row():
    per_drug = per_drug_frame()
    r2, tests = figures.model_comparison_table(per_drug, MODELS)
    fig = figures.plot_model_comparison(r2, tests, "test data: comparison")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [label for _, _, label in MODELS]
    points = [c for c in ax.collections if len(c.get_offsets())]
    assert len(points) == len(labels)
    for position, collection in enumerate(points):
        offsets = np.asarray(collection.get_offsets())
        assert np.all(np.abs(offsets[:, 1] - position) < 0.2)
        np.testing.assert_allclose(np.sort(offsets[:, 0]),
                                   np.sort(r2[labels[position]].dropna().to_numpy()))


def test_attention_matrix_rejects_a_nan_weight():
    frame = pd.DataFrame({"drug": ["a", "a", "a", "a"], "omic": ["exp", "mut", "exp", "mut"],
                          "weight": [0.4, 0.6, np.nan, 0.5], "fold": [0, 0, 1, 1],
                          "repeat": 0})
    with pytest.raises(ValueError, match="NaN"):
        figures.attention_matrix(frame)


def per_drug_rows(kind, model, r2, baseline_r2, mse=1.0, baseline_mse=(2.0, 2.0, 5.0), drugs="abc"):
    return [{"drug": d, "r2": r2[i] if np.ndim(r2) else r2, "mse": mse,
             "baseline_r2": baseline_r2, "baseline_mse": baseline_mse[f],
             "kind": kind, "model": model, "repeat": 0, "fold": f}
            for i, d in enumerate(drugs) for f in range(3)]


def test_drug_mse_table_baseline_is_the_mean_over_folds():
    frame = pd.DataFrame(per_drug_rows("fusion", "m", 0.5, 0.0))
    table = figures.drug_mse_table(frame, pd.DataFrame({"drug": ["a"], "pathway": ["p"]}),
                                   "fusion", "m")
    assert table["baseline_mse"].tolist() == [3.0, 3.0, 3.0]


def test_per_drug_mean_r2_comes_from_the_named_models_pairs():
    frame = pd.DataFrame(per_drug_rows("single", "exp-graph", 0.2, -0.7)
                         + per_drug_rows("fusion", "exp-mut", 0.5, -0.1))
    r2, _ = figures.model_comparison_table(
        frame, [("fusion", "exp-mut", "f"), (figures.PER_DRUG_MEAN, "exp-mut", "mean")])
    np.testing.assert_allclose(r2["mean"], -0.1)


def test_comparison_table_median_and_paired_drug_count():
    frame = pd.DataFrame(per_drug_rows("fusion", "ref", [0.1, 0.2, 0.9], 0.0, drugs="abc")
                         + per_drug_rows("single", "other", [0.0, 0.1, 0.2, 0.3], 0.0,
                                    drugs="abcd"))
    _, tests = figures.model_comparison_table(frame, [("fusion", "ref", "ref"),
                                                      ("single", "other", "other")])
    tests = tests.set_index("label")
    assert tests.loc["ref", "median"] == pytest.approx(0.2)  # mean would be 0.4
    assert tests.loc["other", "drugs"] == 3  # d has no reference value: not paired
