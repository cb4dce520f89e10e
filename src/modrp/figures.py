"""The paper's figures from our cross-validated outputs, PNG and PDF, sized for print.

One function per figure. Each takes tidy frames (never paths), an output stem
(``results/demo/figures/attention_heatmap``) and a title that names the dataset;
it writes ``<stem>.png`` (300 dpi) and ``<stem>.pdf`` atomically and returns both
paths. The numbers a figure shows come from a separate function that returns them
as a frame (``attention_matrix``, ``drug_mse_table``, ``ablation_table``,
``drug_scores``, ``model_comparison_table``), so they can be checked without
reading pixels; ``plot_*`` functions return the matplotlib Figure before saving.

Sizes are fixed print widths (7.2 in double column, 5.5 in one and a half) and
every text is at least 7 pt at that size. Figures are drawn on bare
``matplotlib.figure.Figure`` objects: no pyplot, no global backend, nothing to
leak between calls, and it runs headless.
"""

from __future__ import annotations

import math
import os
import struct
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from scipy import stats

from modrp import metrics
from modrp.io import atomic_path
from modrp.report import decimals

DPI = 300
DOUBLE_COLUMN = 7.2  # inches
ONE_AND_HALF_COLUMN = 5.5
MIN_FONT_PT = 7
STYLE = {
    "font.size": 7, "axes.titlesize": 8, "figure.titlesize": 8, "axes.labelsize": 7,
    "figure.labelsize": 7, "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7,
    "legend.title_fontsize": 7, "axes.spines.top": False, "axes.spines.right": False,
    "axes.linewidth": 0.6, "xtick.major.width": 0.6, "ytick.major.width": 0.6,
    "pdf.fonttype": 42,  # TrueType in the PDF: text stays text, editable and searchable
}
FIGSIZE = {
    "attention_heatmap": (DOUBLE_COLUMN, 3.0),
    "drug_mse_ranking": (DOUBLE_COLUMN, 4.6),
    "ablation": (ONE_AND_HALF_COLUMN, 5.4),
}
GRID_COLUMNS = 5
PANEL_INCHES = 1.4

OMIC_ORDER = ("exp", "mut", "cnv", "rppa", "metabolites")
OMIC_LABELS = {"exp": "mRNA expression", "mut": "mutation", "cnv": "CNV", "rppa": "RPPA",
               "metabolites": "metabolomics"}

# models entry whose R^2 is the per-drug mean baseline scored on the pairs of another model
PER_DRUG_MEAN = "per-drug mean"

ATTENTION_COLUMNS = ("drug", "omic", "weight", "fold", "repeat")
PER_DRUG_COLUMNS = ("drug", "r2", "mse", "baseline_r2", "baseline_mse", "kind", "model",
                    "repeat", "fold")
SUMMARY_COLUMNS = ("kind", "model", "repeat", "fold", "r2_per_drug_mean",
                   "baseline_r2_per_drug_mean")
PREDICTION_COLUMNS = ("cell_line", "drug", "observed", "predicted", "fold", "repeat")
DRUG_COLUMNS = ("drug", "pathway")


# ---------------------------------------------------------------- helpers


def png_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) in pixels, read from the PNG header."""
    with open(path, "rb") as handle:
        head = handle.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; expected {list(columns)}")
    if frame.empty:
        raise ValueError(f"{what}: the table is empty")
    return frame


def combination_label(combination: str) -> str:
    """``"exp-mut-rppa"`` -> ``"exp+mut+rppa"``."""
    return combination.replace("-", "+")


def _omic_rank(omic: str) -> tuple[int, str]:
    return (OMIC_ORDER.index(omic) if omic in OMIC_ORDER else len(OMIC_ORDER), omic)


def _wrap(text: str, width_in: float, size_pt: float, em_per_char: float = 0.55) -> str:
    """Wrap each line of a text to ``width_in`` (about 0.55 em a character, 0.62 bold)."""
    width = max(20, int(width_in * 72 / (em_per_char * size_pt)))
    return "\n".join(textwrap.fill(line, width=width) for line in text.split("\n"))


def _titles(fig: Figure, title: str, caption: str, axis_label: str | None = None) -> None:
    """Bold figure title (8 pt, names the dataset) and a 7 pt caption under the figure.

    Both are figure-level, so constrained layout keeps them clear of legends and
    panels. ``axis_label`` (a label shared by several panels) goes above the caption.
    """
    width = fig.get_figwidth()
    # bold characters are wider; the margin keeps a title's ends from the figure's edges
    fig.suptitle(_wrap(title, width * 0.95, 8, em_per_char=0.62), fontweight="bold")
    text = _wrap(caption, width * 0.97, MIN_FONT_PT)
    if axis_label is None:
        fig.supxlabel(text, x=0.01, ha="left", fontsize=MIN_FONT_PT)
    else:
        fig.supxlabel(f"{axis_label}\n{text}", fontsize=MIN_FONT_PT)


def _figure(figsize: tuple[float, float]) -> Figure:
    return Figure(figsize=figsize, dpi=DPI, layout="constrained")


def _quarter_inches(height: float) -> float:
    """Round up to a quarter inch: exact in binary, so the pixel size is exactly size x dpi."""
    return math.ceil(height * 4) / 4


def _n_folds(frame: pd.DataFrame) -> int:
    return int(frame[["repeat", "fold"]].drop_duplicates().shape[0])


def save_figure(fig: Figure, stem: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``<stem>.png`` and ``<stem>.pdf`` atomically, release the figure, return the paths."""
    stem = Path(stem)
    png, pdf = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".pdf")
    try:
        with mpl.rc_context(STYLE):
            # The temporary name ends in .tmp, so the format is given, not guessed.
            with atomic_path(png) as tmp:
                fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
            with atomic_path(pdf) as tmp:
                # no creation date: the same inputs give the same bytes
                fig.savefig(tmp, format="pdf", dpi=DPI, metadata={"CreationDate": None})
    finally:
        fig.clear()
    return png, pdf


# ---------------------------------------------------------------- Fig. 1: attention


def attention_matrix(attention: pd.DataFrame) -> pd.DataFrame:
    """Omics (rows) x drugs (columns): attention weight averaged over repeats x folds.

    Rows in the paper's omics order; drugs by decreasing weight of the omic with the
    highest mean weight (ties by name). One row per (drug, omic, repeat, fold) is
    required: a duplicate means two combinations or two copies were concatenated.
    """
    _require(attention, ATTENTION_COLUMNS, "attention table")
    keys = ["drug", "omic", "repeat", "fold"]
    duplicated = attention.duplicated(keys)
    if duplicated.any():
        first = attention.loc[duplicated, keys].iloc[0].to_dict()
        raise ValueError(f"attention table: more than one weight for {first}; pass the "
                         "attention of one omics combination, each fold once")
    if attention["weight"].isna().any():
        raise ValueError("attention table: missing (NaN) weights")
    matrix = attention.pivot_table(index="omic", columns="drug", values="weight",
                                   aggfunc="mean")
    matrix = matrix.loc[sorted(matrix.index, key=_omic_rank)]
    top = matrix.mean(axis=1).idxmax()
    order = sorted(matrix.columns, key=lambda d: (-matrix.loc[top, d], d))
    matrix = matrix[order]
    matrix.index.name, matrix.columns.name = "omic", "drug"
    return matrix


def plot_attention_heatmap(matrix: pd.DataFrame, title: str, n_folds: int) -> Figure:
    fig = _figure(FIGSIZE["attention_heatmap"])
    with mpl.rc_context(STYLE):
        ax = fig.add_subplot()
        values = matrix.to_numpy(float)
        # white = the uniform weight 1/k (attention that prefers no omic); fixed 0..1 scale
        # so figures of different datasets compare
        uniform = 1 / matrix.shape[0]
        norm = TwoSlopeNorm(vcenter=uniform, vmin=0, vmax=1) if matrix.shape[0] > 1 else None
        image = ax.imshow(values, cmap="RdBu_r", norm=norm, aspect="auto",
                          interpolation="nearest")
        ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=45, ha="right",
                      rotation_mode="anchor")
        ax.set_yticks(range(matrix.shape[0]), [OMIC_LABELS.get(o, o) for o in matrix.index])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if matrix.shape[1] <= 30:  # cells wide enough for a 7 pt number
            for (i, j), value in np.ndenumerate(values):
                strong = norm is not None and abs(float(norm(value)) - 0.5) > 0.3
                colour = "white" if strong else "black"
                ax.text(j, i, f"{value:.2f}".replace("0.", ".", 1), ha="center",
                        va="center", fontsize=MIN_FONT_PT, color=colour)
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.01)
        bar.set_label(f"attention weight (white: uniform 1/{matrix.shape[0]})")
        bar.outline.set_linewidth(0.5)
        ax.set_xlabel("drug")
        top = _top_omic(matrix)
        _titles(fig, title, f"Attention weight (eqs. 6-7) per omic and drug, mean over "
                f"{n_folds} cross-validation fit(s) (repeats x folds); drugs by decreasing "
                f"weight of {OMIC_LABELS.get(top, top)}, the omic with the highest mean weight.")
    return fig


def _top_omic(matrix: pd.DataFrame) -> str:
    return str(matrix.mean(axis=1).idxmax())


def attention_heatmap(attention: pd.DataFrame, stem: str | os.PathLike,
                      title: str) -> tuple[Path, Path]:
    """Fig. 1: omics x drugs attention weight of one fusion, mean over repeats x folds."""
    matrix = attention_matrix(attention)
    return save_figure(plot_attention_heatmap(matrix, title, _n_folds(attention)), stem)


# ---------------------------------------------------------------- per-drug MSE ranking


def drug_mse_table(per_drug: pd.DataFrame, drugs: pd.DataFrame, model_kind: str,
                   model_name: str) -> pd.DataFrame:
    """Per-drug test MSE of one model, mean and std over repeats x folds, best first.

    Columns: drug, mse, mse_std, baseline_mse (the per-drug mean on the same pairs),
    pathway ("unannotated" where ``drugs`` has none), folds.
    """
    _require(per_drug, PER_DRUG_COLUMNS, "per-drug metrics")
    _require(drugs, DRUG_COLUMNS, "drug annotations")
    scored = per_drug[(per_drug["kind"] == model_kind) & (per_drug["model"] == model_name)]
    if scored.empty:
        raise ValueError(f"per-drug metrics: no rows for kind={model_kind!r}, "
                         f"model={model_name!r}")
    grouped = scored.groupby("drug")
    table = pd.DataFrame({
        "mse": grouped["mse"].mean(),
        "mse_std": grouped["mse"].std(ddof=0),  # population std over folds, as the tables
        "baseline_mse": grouped["baseline_mse"].mean(),
        "folds": grouped.size(),
    }).reset_index()
    pathway = drugs.drop_duplicates("drug").set_index("drug")["pathway"]
    table["pathway"] = table["drug"].map(pathway).fillna("unannotated").astype(str)
    return table.sort_values(["mse", "drug"]).reset_index(drop=True)


def _palette(names: Sequence[str]) -> dict[str, tuple]:
    colours = list(mpl.colormaps["tab20"].colors)
    colours = colours[0::2] + colours[1::2]  # the ten strong colours first
    return {name: colours[i % len(colours)] for i, name in enumerate(names)}


def plot_drug_mse_ranking(table: pd.DataFrame, title: str, model_label: str) -> Figure:
    fig = _figure(FIGSIZE["drug_mse_ranking"])
    with mpl.rc_context(STYLE):
        ax = fig.add_subplot()
        colours = _palette(sorted(table["pathway"].unique()))
        y = np.arange(len(table))
        ax.barh(y, table["mse"], xerr=table["mse_std"], height=0.7,
                color=[colours[p] for p in table["pathway"]],
                error_kw={"elinewidth": 0.6, "capsize": 1.5, "capthick": 0.6})
        ax.scatter(table["baseline_mse"], y, marker="D", s=9, facecolor="white",
                   edgecolor="black", linewidth=0.6, zorder=3)
        ax.set_yticks(y, table["drug"])
        ax.set_ylim(len(table) - 0.5, -0.5)  # best on top, as Table 4
        ax.set_xlim(left=0)
        ax.set_xlabel("test MSE of ln IC50 (eq. 1), mean ± std over folds")
        handles = [Patch(color=colours[p], label=p) for p in colours]
        handles.append(Line2D([], [], marker="D", linestyle="none", markersize=3.5,
                              markerfacecolor="white", markeredgecolor="black",
                              label="per-drug mean baseline"))
        # beside the axes (constrained layout makes room), below the figure title
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  title="pathway", alignment="left", frameon=False)
        folds = int(table["folds"].max())
        _titles(fig, title, f"Per-drug test MSE of {model_label}, best first; bars: mean "
                f"± std over {folds} fold(s); diamonds: the per-drug mean of the training "
                "lines scored on the same pairs.")
    return fig


def drug_mse_ranking(per_drug: pd.DataFrame, drugs: pd.DataFrame, model_kind: str,
                     model_name: str, stem: str | os.PathLike, title: str) -> tuple[Path, Path]:
    """Per-drug test MSE of one model, ranked, coloured by pathway, baseline marked."""
    table = drug_mse_table(per_drug, drugs, model_kind, model_name)
    label = f"{model_kind} {combination_label(model_name)}"
    return save_figure(plot_drug_mse_ranking(table, title, label), stem)


# ---------------------------------------------------------------- ablation


def ablation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Every fusion combination: mean per-drug R^2 ± std over repeats x folds, best first.

    Columns: model, label, n_omics, r2, r2_std, baseline_r2, baseline_r2_std, folds.
    """
    _require(summary, SUMMARY_COLUMNS, "summary metrics")
    fused = summary[summary["kind"] == "fusion"]
    if fused.empty:
        raise ValueError("summary metrics: no rows with kind == 'fusion'")
    grouped = fused.groupby("model")
    table = pd.DataFrame({
        "r2": grouped["r2_per_drug_mean"].mean(),
        "r2_std": grouped["r2_per_drug_mean"].std(ddof=0),
        "baseline_r2": grouped["baseline_r2_per_drug_mean"].mean(),
        "baseline_r2_std": grouped["baseline_r2_per_drug_mean"].std(ddof=0),
        "folds": grouped.size(),
    }).reset_index()
    table["label"] = table["model"].map(combination_label)
    table["n_omics"] = table["model"].str.count("-") + 1
    table = table.sort_values(["r2", "model"], ascending=[False, True]).reset_index(drop=True)
    return table[["model", "label", "n_omics", "r2", "r2_std", "baseline_r2",
                  "baseline_r2_std", "folds"]]


def plot_ablation(table: pd.DataFrame, title: str) -> Figure:
    fig = _figure(FIGSIZE["ablation"])
    with mpl.rc_context(STYLE):
        ax = fig.add_subplot()
        sizes = sorted(table["n_omics"].unique())
        dark2 = mpl.colormaps["Dark2"].colors
        colours = {size: dark2[i % len(dark2)] for i, size in enumerate(sizes)}
        y = np.arange(len(table))
        # each combination's own reference: the lines with all its omics differ between
        # combinations, and so does the per-drug mean's score on them
        ax.scatter(table["baseline_r2"], y, marker="D", s=10, color="0.55", linewidths=0,
                   zorder=2, label="per-drug mean, same pairs")
        for size in sizes:
            rows = table["n_omics"] == size
            ax.errorbar(table.loc[rows, "r2"], y[rows.to_numpy()],
                        xerr=table.loc[rows, "r2_std"], fmt="o", markersize=3.5,
                        color=colours[size], elinewidth=0.8, capsize=1.5, zorder=3,
                        label=f"{size} omics")
        ax.set_yticks(y, table["label"])
        ax.set_ylim(len(table) - 0.5, -0.5)
        ax.grid(axis="x", linewidth=0.3, color="0.85")
        ax.set_xlabel("per-drug R² (eq. 2), mean ± std over folds")
        handles, labels = ax.get_legend_handles_labels()
        last = labels.index("per-drug mean, same pairs")  # after the omics counts
        order = [i for i in range(len(labels)) if i != last] + [last]
        # ranked best first, so the lower right is usually empty; "best" checks
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="best",
                  frameon=True, framealpha=0.9, edgecolor="none")
        folds = int(table["folds"].max())
        _titles(fig, title, f"Attention fusion of each omics combination, ranked by "
                f"test per-drug R² over {folds} fold(s).")
    return fig


def ablation(summary: pd.DataFrame, stem: str | os.PathLike, title: str) -> tuple[Path, Path]:
    """Ablation: every fused combination's per-drug R^2, ranked, each beside the per-drug
    mean's on the same test pairs."""
    return save_figure(plot_ablation(ablation_table(summary), title), stem)


# ---------------------------------------------------------------- observed vs predicted


def drug_scores(predictions: pd.DataFrame) -> pd.DataFrame:
    """R^2 and Pearson r per drug over all test-fold points of the drug, best R^2 first.

    Pooled over folds (and repeats), so R^2 uses the drug's mean over all test lines,
    not each fold's mean as eq. 2 does: it describes the points a panel shows.
    """
    _require(predictions, PREDICTION_COLUMNS, "predictions")
    measured = predictions.dropna(subset=["observed", "predicted"])
    if measured.empty:
        raise ValueError("predictions: no pair has both an observed and a predicted value")
    table = pd.DataFrame({
        "r2": metrics.per_drug_r2(measured),
        "pearson": metrics.per_drug_pearson(measured),
        "n": measured.groupby("drug").size(),
    }).rename_axis("drug").reset_index()
    key = table["r2"].fillna(-np.inf)
    return table.assign(_key=-key).sort_values(["_key", "drug"]).drop(columns="_key") \
        .reset_index(drop=True)


def _number(value: float) -> str:
    """Two decimals, without a "-0.00"; "n/a" for NaN."""
    if value != value:  # NaN: constant observed or predicted values
        return "n/a"
    return decimals(value)


def grid_figsize(n_panels: int) -> tuple[float, float]:
    """Observed-vs-predicted grid: 5 panels a row, 1.4 in each, plus titles."""
    rows = max(1, math.ceil(n_panels / GRID_COLUMNS))
    return DOUBLE_COLUMN, _quarter_inches(PANEL_INCHES * rows + 0.8)


def plot_observed_vs_predicted(predictions: pd.DataFrame, scores: pd.DataFrame,
                               title: str) -> Figure:
    fig = _figure(grid_figsize(len(scores)))
    measured = predictions.dropna(subset=["observed", "predicted"])
    by_drug = dict(tuple(measured.groupby("drug")))
    rows = math.ceil(len(scores) / GRID_COLUMNS)
    with mpl.rc_context(STYLE):
        axes = fig.subplots(rows, GRID_COLUMNS, squeeze=False)
        for ax, score in zip(axes.flat, scores.itertuples(), strict=False):
            points = by_drug[score.drug]
            low = float(min(points["observed"].min(), points["predicted"].min()))
            high = float(max(points["observed"].max(), points["predicted"].max()))
            pad = 0.05 * (high - low) if high > low else 1.0
            limits = (low - pad, high + pad)
            ax.plot(limits, limits, color="0.5", linestyle="--", linewidth=0.6)
            ax.scatter(points["observed"], points["predicted"], s=2.5, alpha=0.4,
                       color="tab:blue", linewidth=0, rasterized=True)
            ax.set_xlim(limits)
            ax.set_ylim(limits)
            ax.set_aspect("equal")
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.yaxis.set_major_locator(MaxNLocator(3))
            ax.set_title(score.drug, fontsize=MIN_FONT_PT, pad=2)
            ax.text(0.04, 0.96, f"R² {_number(score.r2)}\nr {_number(score.pearson)}",
                    transform=ax.transAxes, va="top", ha="left", fontsize=MIN_FONT_PT,
                    bbox={"facecolor": "white", "alpha": 0.7, "linewidth": 0, "pad": 0.8})
        for ax in list(axes.flat)[len(scores):]:
            ax.set_visible(False)
        fig.supylabel("predicted ln IC50")
        folds = _n_folds(predictions)
        _titles(fig, title, f"Each panel: test-fold predictions of one drug ({folds} fold(s) "
                "pooled), dashed line y = x; R² and Pearson r over the points shown; panels by "
                "decreasing R².", axis_label="observed ln IC50")
    return fig


def observed_vs_predicted(predictions: pd.DataFrame, stem: str | os.PathLike,
                          title: str) -> tuple[Path, Path]:
    """One scatter panel per drug: observed vs predicted ln IC50 on the test folds."""
    scores = drug_scores(predictions)
    return save_figure(plot_observed_vs_predicted(predictions, scores, title), stem)


# ---------------------------------------------------------------- model comparison


def _per_drug_r2(per_drug: pd.DataFrame, kind: str, model: str) -> pd.Series:
    """R^2 per drug averaged over repeats x folds for one model (or its per-drug mean)."""
    if kind == PER_DRUG_MEAN:
        # the per-drug mean scored on ``model``'s test pairs; the same model name under two
        # kinds (fusion, concatenation of all omics) covers the same lines, so keep one
        rows = per_drug[(per_drug["model"] == model) & (per_drug["kind"] != PER_DRUG_MEAN)]
        rows = rows.drop_duplicates(["drug", "repeat", "fold"])
        column = "baseline_r2"
    else:
        rows = per_drug[(per_drug["kind"] == kind) & (per_drug["model"] == model)]
        column = "r2"
    if rows.empty:
        raise ValueError(f"per-drug metrics: no rows for kind={kind!r}, model={model!r}")
    return rows.groupby("drug")[column].mean()


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaN stays NaN and does not count)."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    running = 0.0
    for rank, index in enumerate(valid[np.argsort(p[valid], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def model_comparison_table(per_drug: pd.DataFrame, models: Sequence[tuple[str, str, str]]
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(r2, tests): per-drug R^2 (drugs x model labels, mean over folds) and the tests.

    ``models`` is a list of (kind, model, label); kind ``PER_DRUG_MEAN`` takes the
    per-drug mean baseline scored on ``model``'s pairs. Each model after the first is
    compared with the first by a two-sided Wilcoxon signed-rank test paired over the
    drugs both have, Holm-adjusted over those comparisons. ``tests`` has one row per
    label: median, mean, drugs, statistic, p, p_holm (NaN for the reference).
    """
    _require(per_drug, PER_DRUG_COLUMNS, "per-drug metrics")
    models = list(models)
    if len(models) < 2:
        raise ValueError("model comparison: give at least two (kind, model, label) entries")
    for entry in models:
        if len(entry) != 3:
            raise ValueError(f"model comparison: {entry!r} is not a (kind, model, label)")
    labels = [label for _, _, label in models]
    if len(set(labels)) != len(labels):
        raise ValueError(f"model comparison: labels must be unique, got {labels}")
    r2 = pd.DataFrame({label: _per_drug_r2(per_drug, kind, model)
                       for kind, model, label in models})
    r2.index.name = "drug"
    reference = labels[0]
    rows = []
    for label in labels:
        row = {"label": label, "median": r2[label].median(), "mean": r2[label].mean(),
               "drugs": int(r2[label].notna().sum()), "statistic": np.nan, "p": np.nan}
        if label != reference:
            pair = r2[[label, reference]].dropna()
            row["drugs"] = len(pair)
            difference = pair[label] - pair[reference]
            if len(pair) and (difference != 0).any():
                test = stats.wilcoxon(pair[label], pair[reference])
                row["statistic"], row["p"] = float(test.statistic), float(test.pvalue)
            elif len(pair):
                row["p"] = 1.0  # identical on every drug
        rows.append(row)
    tests = pd.DataFrame(rows)
    tests["p_holm"] = holm(tests["p"])
    return r2, tests


def _format_p(p: float) -> str:
    if np.isnan(p):
        return "n/a"
    return f"p = {p:.2g}" if p >= 1e-3 else f"p = {p:.1e}"


def comparison_figsize(n_models: int) -> tuple[float, float]:
    """Model comparison: a 0.32 in row per model plus title, axis and caption."""
    return DOUBLE_COLUMN, _quarter_inches(0.32 * n_models + 1.5)


def plot_model_comparison(r2: pd.DataFrame, tests: pd.DataFrame, title: str) -> Figure:
    fig = _figure(comparison_figsize(r2.shape[1]))
    floor = -1.0  # R^2 far below zero would squash every other box
    with mpl.rc_context(STYLE):
        ax = fig.add_subplot()
        labels = list(r2.columns)
        y = np.arange(len(labels))
        data = [r2[label].dropna().to_numpy() for label in labels]
        ax.boxplot(data, positions=y, orientation="horizontal", widths=0.55,
                   showfliers=False, medianprops={"color": "black", "linewidth": 0.9},
                   boxprops={"linewidth": 0.6}, whiskerprops={"linewidth": 0.6},
                   capprops={"linewidth": 0.6})
        rng = np.random.default_rng(0)  # jitter only; fixed so the figure is reproducible
        lowest = min((v.min() for v in data if len(v)), default=0.0)
        clipped = lowest < floor
        left = floor - 0.08 if clipped else lowest - 0.05
        for position, values in zip(y, data, strict=True):
            jitter = rng.uniform(-0.18, 0.18, len(values))
            below = values < floor
            ax.scatter(values[~below], position + jitter[~below], s=5, color="tab:blue",
                       alpha=0.6, linewidth=0, zorder=3)
            if below.any():
                ax.scatter(np.full(below.sum(), left + 0.02), position + jitter[below], s=9,
                           marker="<", color="tab:red", linewidth=0, zorder=3, clip_on=False)
                ax.annotate(f"{below.sum()} below {floor:g}", (left, position),
                            xytext=(8, 0), textcoords="offset points", va="center",
                            fontsize=MIN_FONT_PT, color="tab:red")
        right = max(0.05, max((v.max() for v in data if len(v)), default=0.0) + 0.05)
        ax.set_xlim(left, right)
        ax.axvline(0, color="0.5", linewidth=0.6, linestyle=":")
        ax.set_yticks(y, labels)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        p_holm = tests.set_index("label")["p_holm"]
        for position, label in zip(y, labels, strict=True):
            text = "reference" if position == 0 else _format_p(p_holm[label])
            ax.annotate(text, (1.0, position), xycoords=("axes fraction", "data"),
                        xytext=(6, 0), textcoords="offset points", va="center",
                        fontsize=MIN_FONT_PT)
        ax.annotate("Holm-adj. p", (1.0, 1.0), xycoords="axes fraction", xytext=(6, 2),
                    textcoords="offset points", va="bottom", fontsize=MIN_FONT_PT,
                    fontweight="bold")
        note = f" Red arrows: R² below {floor:g}, drawn at the axis edge." if clipped else ""
        ax.set_xlabel(f"per-drug R² (eq. 2, mean over test folds); one point per drug.{note}")
        _titles(fig, title, "Per-drug R² of each model. p: two-sided Wilcoxon signed-rank "
                f"test against {labels[0]}, paired over drugs, Holm-adjusted over "
                f"{len(labels) - 1} comparison(s).")
    return fig


def model_comparison(per_drug: pd.DataFrame, models: Sequence[tuple[str, str, str]],
                     stem: str | os.PathLike, title: str) -> tuple[Path, Path]:
    """Per-drug R^2 of several models (box + points), Wilcoxon tests against the first."""
    r2, tests = model_comparison_table(per_drug, models)
    return save_figure(plot_model_comparison(r2, tests, title), stem)
