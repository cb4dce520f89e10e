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


def _measured_and_unpredicted(predictions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row masks: the measured pairs, and those of them without a finite prediction."""
    measured = ~np.isnan(predictions["observed"].to_numpy(float))
    return measured, measured & ~np.isfinite(predictions["predicted"].to_numpy(float))


def unpredicted_pairs(predictions: pd.DataFrame) -> pd.DataFrame:
    """The measured pairs whose prediction is missing or not finite."""
    return predictions[_measured_and_unpredicted(predictions)[1]]


def _check(predictions: pd.DataFrame) -> pd.DataFrame:
    """The measured pairs; a measured pair without a finite prediction is an error.

    Dropping such pairs would score a model only where it produced a number, and
    so on other pairs than the per-drug mean beside it.
    """
    missing = [c for c in COLUMNS if c not in predictions.columns]
    if missing:
        raise ValueError(f"prediction table lacks the column(s) {missing}")
    measured, bad = _measured_and_unpredicted(predictions)
    if bad.any():
        drugs = sorted(predictions["drug"][bad].astype(str).unique())
        raise ValueError(f"{int(bad.sum())} measured pair(s) have no finite prediction "
                         f"(drugs {', '.join(drugs[:5])}{', ...' if len(drugs) > 5 else ''})")
    return predictions if measured.all() else predictions[measured]


def mse(predictions: pd.DataFrame) -> float:
    """Eq. 1: mean of (observed - predicted)^2 over all measured pairs."""
    p = _check(predictions)
    return float(((p["observed"] - p["predicted"]) ** 2).mean())


class _ByDrug:
    """The measured pairs of a table grouped by drug once (drugs sorted by name), with
    per-drug sums, means and ranges as arrays aligned to :attr:`drugs`."""

    def __init__(self, p: pd.DataFrame):
        codes, self.drugs = pd.factorize(p["drug"], sort=True)
        # a row without a drug (code -1) belongs to no drug, as a groupby leaves it out
        named = codes >= 0
        self.codes = codes[named]
        self.observed = p["observed"].to_numpy(float)[named]
        self.predicted = p["predicted"].to_numpy(float)[named]
        self.count = self.sum(np.ones(len(self.codes)))

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=values, minlength=len(self.drugs))

    def centred(self, values: np.ndarray) -> np.ndarray:
        return values - (self.sum(values) / self.count)[self.codes]

    def varies(self, values: np.ndarray) -> np.ndarray:
        """Whether a drug's values differ (by range, not by a variance that floating point
        leaves at ~1e-17 for equal values)."""
        highest = np.full(len(self.drugs), -np.inf)
        lowest = np.full(len(self.drugs), np.inf)
        np.maximum.at(highest, self.codes, values)
        np.minimum.at(lowest, self.codes, values)
        return highest > lowest

    def series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=pd.Index(self.drugs, name="drug"), name=name)


def per_drug_mse(predictions: pd.DataFrame) -> pd.Series:
    g = _ByDrug(_check(predictions))
    return g.series(g.sum((g.observed - g.predicted) ** 2) / g.count, "mse")


def per_drug_r2(predictions: pd.DataFrame) -> pd.Series:
    """1 - SS_res / SS_tot per drug (NaN for a drug whose observed values are constant)."""
    g = _ByDrug(_check(predictions))
    residual = g.sum((g.observed - g.predicted) ** 2)
    total = g.sum(g.centred(g.observed) ** 2)
    # constant by range, not by SS_tot > 0: the float mean of equal values can differ
    # from them by ~1e-17, and 1 - SS_res / 1e-34 would pass for an R^2
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(g.varies(g.observed), 1 - residual / total, np.nan)
    return g.series(r2, "r2")


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


def _pearson(g: _ByDrug) -> np.ndarray:
    x, y = g.centred(g.observed), g.centred(g.predicted)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = g.sum(x * y) / np.sqrt(g.sum(x * x) * g.sum(y * y))
    return np.where(g.varies(g.observed) & g.varies(g.predicted), np.clip(r, -1.0, 1.0), np.nan)


def per_drug_pearson(predictions: pd.DataFrame) -> pd.Series:
    """Pearson correlation of observed and predicted per drug (NaN when either is constant)."""
    g = _ByDrug(_check(predictions))
    return g.series(_pearson(g), "pearson")


def mean_per_drug_pearson(predictions: pd.DataFrame) -> float:
    """:func:`per_drug_pearson` averaged over the drugs whose observed values vary; a drug
    predicted as one value for every line counts as 0 (no correlation), not as absent:
    left out, a model that gives up on the drugs it cannot predict (an elastic net that
    shrinks every coefficient to zero) would be averaged over its best drugs only."""
    g = _ByDrug(_check(predictions))
    constant = ~g.varies(g.predicted) & g.varies(g.observed)
    pearson = np.where(constant, 0.0, _pearson(g))
    defined = ~np.isnan(pearson)
    return float(pearson[defined].mean()) if defined.any() else float("nan")


def top_k_accuracy(predictions: pd.DataFrame, k: int) -> float:
    """Share of cell lines whose lowest observed ln IC50 drug is among their k lowest predicted.

    Only drugs measured on the line take part; a line with k or fewer measured drugs is
    skipped, as any ranking would put its best drug among the first k.  Drugs tied for
    the lowest observed value are each a most effective drug: any of them among the k
    counts, so the score does not depend on the order of the rows.
    """
    p = _check(predictions)
    line, _ = pd.factorize(p["cell_line"])
    drug, _ = pd.factorize(p["drug"])
    named = line >= 0  # a row without a cell line belongs to no line, as in a groupby
    line, drug = line[named], drug[named]
    observed = p["observed"].to_numpy(float)[named]
    predicted = p["predicted"].to_numpy(float)[named]
    n = len(line)
    size = np.bincount(line, minlength=line.max() + 1 if n else 0)
    # each line's rows by predicted value, equal predictions in the order of the rows
    order = np.lexsort((np.arange(n), predicted, line))
    first_row = np.concatenate(([0], np.cumsum(size)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first_row[line[order]]
    lowest = np.full(len(size), np.inf)
    np.minimum.at(lowest, line, observed)
    # a hit: one of the line's k first rows names a drug tied for its lowest observed
    # value - matched by drug, not by row, so a pair listed twice is still one drug
    pair = line.astype(np.int64) * (int(drug.max()) + 2 if n else 1) + drug + 1
    best = np.isin(pair, pair[observed == lowest[line]])
    hit = np.zeros(len(size), dtype=bool)
    hit[line[best & (rank < k)]] = True
    scored = size > k
    return float(hit[scored].mean()) if scored.any() else float("nan")


def summary(predictions: pd.DataFrame) -> dict[str, float]:
    """All scalar metrics of one prediction table."""
    r2 = per_drug_r2(predictions)  # its mean is eq. 2 (mean_per_drug_r2)
    return {
        "mse": mse(predictions),
        "r2_per_drug_mean": float(r2.mean()),
        "r2_per_drug_median": float(r2.median()),
        "r2_pooled": pooled_r2(predictions),
        "pearson_per_drug_mean": mean_per_drug_pearson(predictions),
        "top1": top_k_accuracy(predictions, 1),
        "top3": top_k_accuracy(predictions, 3),
        "n_pairs": int(len(_check(predictions))),
        "n_lines": int(predictions["cell_line"].nunique()),
    }
