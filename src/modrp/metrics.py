"""Evaluation metrics on long prediction tables (``cell_line, drug, observed, predicted``).

- eq. 1 :func:`mse`: mean squared error over all measured (cell line, drug) pairs;
- eq. 2 :func:`mean_per_drug_r2`: R^2 computed per drug, then averaged over drugs
  (:func:`per_drug_r2` gives the per-drug values, :func:`median_per_drug_r2` the median);
- :func:`pooled_r2`: one R^2 over all pairs, whose denominator includes the spread
  *between* drug means, so predicting each drug's mean already scores high - the
  number that flatters a model that only learned the drug means;
- :func:`per_drug_pearson` (:func:`mean_per_drug_pearson` its mean), :func:`per_drug_mse`;
- :func:`top_k_accuracy`: how often the truly most effective drug of a cell line
  (lowest observed ln IC50) is among the k drugs predicted most effective.

Each R^2 uses the test fold's own mean of the drug, as the paper's eq. 2 does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ("cell_line", "drug", "observed", "predicted")


def unpredicted_pairs(predictions: pd.DataFrame) -> pd.DataFrame:
    """The measured pairs whose prediction is missing or not finite."""
    measured = predictions["observed"].notna()
    return predictions[measured & ~np.isfinite(predictions["predicted"].to_numpy(float))]


def _check(predictions: pd.DataFrame) -> pd.DataFrame:
    """The measured pairs; a measured pair without a finite prediction is an error.

    Dropping such pairs would score a model only where it produced a number, and
    so on other pairs than the per-drug mean beside it.
    """
    missing = [c for c in COLUMNS if c not in predictions.columns]
    if missing:
        raise ValueError(f"prediction table lacks the column(s) {missing}")
    bad = unpredicted_pairs(predictions)
    if len(bad):
        drugs = sorted(bad["drug"].astype(str).unique())
        raise ValueError(f"{len(bad)} measured pair(s) have no finite prediction "
                         f"(drugs {', '.join(drugs[:5])}{', ...' if len(drugs) > 5 else ''})")
    return predictions.dropna(subset=["observed"])


def mse(predictions: pd.DataFrame) -> float:
    """Eq. 1: mean of (observed - predicted)^2 over all measured pairs."""
    p = _check(predictions)
    return float(((p["observed"] - p["predicted"]) ** 2).mean())


def per_drug_mse(predictions: pd.DataFrame) -> pd.Series:
    p = _check(predictions)
    return ((p["observed"] - p["predicted"]) ** 2).groupby(p["drug"]).mean().rename("mse")


def per_drug_r2(predictions: pd.DataFrame) -> pd.Series:
    """1 - SS_res / SS_tot per drug (NaN for a drug whose observed values are constant)."""
    p = _check(predictions)
    residual = ((p["observed"] - p["predicted"]) ** 2).groupby(p["drug"]).sum()
    observed = p.groupby("drug")["observed"]
    centred = p["observed"] - observed.transform("mean")
    total = (centred**2).groupby(p["drug"]).sum()
    # constant by range, not by SS_tot > 0: the float mean of equal values can differ
    # from them by ~1e-17, and 1 - SS_res / 1e-34 would pass for an R^2
    varies = (observed.max() - observed.min()) > 0
    return (1 - residual / total.where(varies)).rename("r2")


def mean_per_drug_r2(predictions: pd.DataFrame) -> float:
    """Eq. 2: R^2 per drug averaged over drugs."""
    return float(per_drug_r2(predictions).mean())


def median_per_drug_r2(predictions: pd.DataFrame) -> float:
    return float(per_drug_r2(predictions).median())


def pooled_r2(predictions: pd.DataFrame) -> float:
    """R^2 over all pairs at once (between-drug differences count as explained)."""
    p = _check(predictions)
    residual = ((p["observed"] - p["predicted"]) ** 2).sum()
    total = ((p["observed"] - p["observed"].mean()) ** 2).sum()
    # constant by range, as in per_drug_r2
    varies = len(p) > 0 and p["observed"].max() > p["observed"].min()
    return float(1 - residual / total) if varies else float("nan")


def per_drug_pearson(predictions: pd.DataFrame) -> pd.Series:
    """Pearson correlation of observed and predicted per drug (NaN when either is constant)."""
    p = _check(predictions)

    def pearson(group: pd.DataFrame) -> float:
        x, y = group["observed"].to_numpy(float), group["predicted"].to_numpy(float)
        # np.ptp, not std: the std of a constant float array is often 1e-17, not 0
        if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
            return float("nan")
        return float(np.corrcoef(x, y)[0, 1])

    return p.groupby("drug")[["observed", "predicted"]].apply(pearson).rename("pearson")


def mean_per_drug_pearson(predictions: pd.DataFrame) -> float:
    """:func:`per_drug_pearson` averaged over the drugs whose observed values vary; a drug
    predicted as one value for every line counts as 0 (no correlation), not as absent:
    left out, a model that gives up on the drugs it cannot predict (an elastic net that
    shrinks every coefficient to zero) would be averaged over its best drugs only."""
    p = _check(predictions)
    pearson = per_drug_pearson(p)
    by_drug = p.groupby("drug")
    constant = (by_drug["predicted"].max() == by_drug["predicted"].min()) \
        & (by_drug["observed"].max() > by_drug["observed"].min())
    return float(pearson.where(~constant.reindex(pearson.index), 0.0).mean())


def top_k_accuracy(predictions: pd.DataFrame, k: int) -> float:
    """Share of cell lines whose lowest observed ln IC50 drug is among their k lowest predicted.

    Only drugs measured on the line take part; a line with k or fewer measured drugs is
    skipped, as any ranking would put its best drug among the first k.  Drugs tied for
    the lowest observed value are each a most effective drug: any of them among the k
    counts, so the score does not depend on the order of the rows.
    """
    p = _check(predictions)
    hits, lines = 0, 0
    for _, group in p.groupby("cell_line"):
        if len(group) <= k:
            continue
        observed = group["observed"].to_numpy()
        best = set(group["drug"].to_numpy()[observed == observed.min()])
        order = np.argsort(group["predicted"].to_numpy(), kind="stable")[:k]
        hits += not best.isdisjoint(group["drug"].to_numpy()[order])
        lines += 1
    return hits / lines if lines else float("nan")


def summary(predictions: pd.DataFrame) -> dict[str, float]:
    """All scalar metrics of one prediction table."""
    return {
        "mse": mse(predictions),
        "r2_per_drug_mean": mean_per_drug_r2(predictions),
        "r2_per_drug_median": median_per_drug_r2(predictions),
        "r2_pooled": pooled_r2(predictions),
        "pearson_per_drug_mean": mean_per_drug_pearson(predictions),
        "top1": top_k_accuracy(predictions, 1),
        "top3": top_k_accuracy(predictions, 3),
        "n_pairs": int(len(_check(predictions))),
        "n_lines": int(predictions["cell_line"].nunique()),
    }
