"""Metrics against scikit-learn / scipy on random data and on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr
from sklearn.metrics import mean_squared_error, r2_score

from modrp import metrics


def random_predictions(seed=0, n_lines=40, n_drugs=5):
    rng = np.random.default_rng(seed)
    rows = []
    for line in range(n_lines):
        for drug in range(n_drugs):
            if rng.random() < 0.1:
                continue  # not measured
            observed = drug + rng.normal()
            rows.append({"cell_line": f"L{line}", "drug": f"D{drug}", "observed": observed,
                         "predicted": observed + rng.normal(0, 0.7)})
    return pd.DataFrame(rows)


def test_mse_and_per_drug_r2_match_sklearn():
    p = random_predictions()
    assert metrics.mse(p) == pytest.approx(mean_squared_error(p["observed"], p["predicted"]))
    per_drug = metrics.per_drug_r2(p)
    for drug, group in p.groupby("drug"):
        assert per_drug[drug] == pytest.approx(r2_score(group["observed"], group["predicted"]))
    assert metrics.mean_per_drug_r2(p) == pytest.approx(per_drug.mean())
    assert metrics.pooled_r2(p) == pytest.approx(r2_score(p["observed"], p["predicted"]))


def test_pearson_matches_scipy():
    p = random_predictions(1)
    per_drug = metrics.per_drug_pearson(p)
    for drug, group in p.groupby("drug"):
        assert per_drug[drug] == pytest.approx(pearsonr(group["observed"],
                                                        group["predicted"]).statistic)


def test_drug_means_inflate_pooled_r2_only():
    p = random_predictions(2)
    means = p.groupby("drug")["observed"].transform("mean")
    baseline = p.assign(predicted=means)
    assert metrics.mean_per_drug_r2(baseline) == pytest.approx(0.0, abs=1e-12)
    assert metrics.pooled_r2(baseline) > 0.5


def two_lines_two_drugs(predicted: list[float]) -> pd.DataFrame:
    """Lines a, b x drugs x, y with observed (a, x) 1, (a, y) 3, (b, x) 3, (b, y) 1, and
    ``predicted`` in that order: a table small enough to score by hand."""
    return pd.DataFrame({
        "cell_line": ["a", "a", "b", "b"],
        "drug": ["x", "y", "x", "y"],
        "observed": [1.0, 3.0, 3.0, 1.0],
        "predicted": predicted,
    })


def test_hand_computed_case():
    p = two_lines_two_drugs([2.0, 3.0, 3.0, 2.0])
    assert metrics.mse(p) == pytest.approx(0.5)
    # drug x: SS_res 1, SS_tot 2 -> 0.5; drug y: SS_res 1, SS_tot 2 -> 0.5
    assert metrics.per_drug_r2(p).tolist() == [0.5, 0.5]
    assert metrics.per_drug_mse(p).tolist() == [0.5, 0.5]
    # line a: best drug x (1.0), predicted best x (2 < 3): hit; line b: best y, predicted
    # best y (2 < 3): hit
    assert metrics.top_k_accuracy(p, 1) == 1.0


def test_top_k():
    p = pd.DataFrame({
        "cell_line": ["a"] * 4 + ["b"] * 4,
        "drug": list("wxyz") * 2,
        "observed": [0.0, 1, 2, 3, 3, 2, 1, 0.0],
        "predicted": [2.0, 0, 1, 3, 0, 1, 2, 3.0],
    })
    # a: best w is predicted 3rd; b: best z is predicted last
    assert metrics.top_k_accuracy(p, 1) == 0.0
    assert metrics.top_k_accuracy(p, 3) == 0.5
    # with 4 drugs measured, any ranking puts the best in the first 4: no line counts
    assert np.isnan(metrics.top_k_accuracy(p, 4))


def test_top_k_skips_lines_with_k_or_fewer_measured_drugs():
    p = pd.DataFrame({
        "cell_line": ["a"] * 4 + ["c"] * 3,
        "drug": list("wxyz") + list("wxy"),
        "observed": [0.0, 1, 2, 3, 0.0, 1, 2],
        "predicted": [3.0, 0, 1, 2, 2.0, 1, 0],
    })
    # a: best w predicted last, a miss in top 3; c: best w predicted last of its 3
    # drugs, which any top 3 contains: c counts for top 1 only
    assert metrics.top_k_accuracy(p, 3) == 0.0
    assert metrics.top_k_accuracy(p, 1) == 0.0
    assert metrics.top_k_accuracy(p.assign(predicted=[3.0, 0, 1, 2, 0, 1, 2]), 1) == 0.5


def test_a_measured_pair_without_a_prediction_is_an_error():
    p = random_predictions()
    p.loc[3, "predicted"] = np.nan
    with pytest.raises(ValueError, match="1 measured pair"):
        metrics.summary(p)
    p.loc[3, "predicted"] = np.inf
    with pytest.raises(ValueError, match="no finite prediction"):
        metrics.mean_per_drug_r2(p)
    # an unmeasured pair needs no prediction
    p.loc[3, ["observed", "predicted"]] = np.nan
    assert np.isfinite(metrics.mean_per_drug_r2(p))


def test_constant_predictions_give_nan_pearson():
    observed = [0.5, 1.0, 2.0, 3.5, 1.5, 0.2, 4.0]
    p = pd.DataFrame({"cell_line": list("abcdefg"), "drug": "x", "observed": observed,
                      "predicted": 1.7})  # np.std of seven 1.7s is 2.2e-16, not 0
    assert np.isnan(metrics.per_drug_pearson(p)["x"])


def test_constant_drug_gives_nan_not_error():
    p = pd.DataFrame({"cell_line": ["a", "b"], "drug": ["x", "x"], "observed": [1.0, 1.0],
                      "predicted": [1.0, 2.0]})
    assert np.isnan(metrics.per_drug_r2(p)["x"])
    assert np.isnan(metrics.per_drug_pearson(p)["x"])


def _top_k_line_by_line(p, k):
    """Line by line: a hit when a drug tied for the lowest observed value is among the k
    first rows after a stable sort of the line's rows by prediction."""
    hits = []
    for _, group in p.dropna(subset=["observed"]).groupby("cell_line", sort=False):
        if len(group) > k:
            best = set(group.loc[group["observed"] == group["observed"].min(), "drug"])
            first = group.sort_values("predicted", kind="stable").head(k)["drug"]
            hits.append(not best.isdisjoint(first))
    return float(np.mean(hits)) if hits else float("nan")


def test_summary_values():
    p = random_predictions(3, n_lines=30, n_drugs=6)
    unmeasured = pd.DataFrame({"cell_line": ["L0", "L1", "L2"], "drug": ["D9", "D9", "D9"],
                               "observed": np.nan, "predicted": np.nan})
    p = pd.concat([p, unmeasured], ignore_index=True)
    measured = p.dropna(subset=["observed"])
    r2 = np.array([r2_score(g["observed"], g["predicted"]) for _, g in measured.groupby("drug")])
    pearson = [pearsonr(g["observed"], g["predicted"]).statistic
               for _, g in measured.groupby("drug")]
    expected = {
        "mse": mean_squared_error(measured["observed"], measured["predicted"]),
        "r2_per_drug_mean": float(np.mean(r2)),
        "r2_per_drug_median": float(np.median(r2)),
        "r2_pooled": r2_score(measured["observed"], measured["predicted"]),
        "pearson_per_drug_mean": float(np.mean(pearson)),
        "top1": _top_k_line_by_line(measured, 1),
        "top3": _top_k_line_by_line(measured, 3),
    }
    # the data tell the metrics apart: a swapped key or function would show
    assert abs(expected["r2_per_drug_mean"] - expected["r2_per_drug_median"]) > 1e-3
    assert abs(expected["top1"] - expected["top3"]) > 0.1
    summary = metrics.summary(p)
    for key, value in expected.items():
        assert summary[key] == pytest.approx(value, rel=1e-10), key
    assert summary["n_pairs"] == len(measured) == len(p) - 3
    assert summary["n_lines"] == measured["cell_line"].nunique() == 30


def test_per_drug_values_are_grouped_by_drug_not_by_line():
    # drug x errors 1 and 3 (MSE 5), drug y errors 0 and 0 (MSE 0); by line they would be
    # a: 1, 0 (0.5) and b: 3, 0 (4.5)
    p = two_lines_two_drugs([2.0, 3.0, 6.0, 1.0])
    assert metrics.per_drug_mse(p).to_dict() == {"x": 5.0, "y": 0.0}
    # x: SS_res 10, SS_tot 2 -> -4; y: perfect
    assert metrics.per_drug_r2(p).to_dict() == {"x": -4.0, "y": 1.0}
    # two lines of a drug: the correlation is +-1, as scipy's, not undefined
    two = pd.DataFrame({"cell_line": ["a", "b"], "drug": "x", "observed": [1.0, 2.0],
                        "predicted": [5.0, 3.0]})
    assert metrics.per_drug_pearson(two)["x"] == pytest.approx(-1.0)


def test_pooled_r2_of_constant_observations_is_nan():
    p = pd.DataFrame({"cell_line": ["a", "b", "c"], "drug": ["x", "y", "x"],
                      "observed": [1.0, 1.0, 1.0], "predicted": [1.0, 2.0, 0.0]})
    assert np.isnan(metrics.pooled_r2(p))


def test_a_table_without_the_four_columns_is_refused():
    p = random_predictions().rename(columns={"predicted": "prediction"})
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['predicted'\]"):
        metrics.summary(p)


def test_a_drug_constant_up_to_rounding_gives_nan_r2_not_a_huge_negative_one():
    # the float mean of three 0.1s is not 0.1, so the centred values are ~1e-17, not 0: the
    # drug's SS_tot must still count as zero (R2 undefined), as in per_drug_pearson
    constant = pd.DataFrame({"cell_line": list("abc"), "drug": "x", "observed": 0.1,
                             "predicted": 0.6})
    assert (constant["observed"] - constant["observed"].mean()).abs().max() > 0
    assert np.isnan(metrics.per_drug_r2(constant)["x"])
    assert np.isnan(metrics.pooled_r2(constant))
    # beside a drug that varies, the fold's mean per-drug R2 is that drug's alone
    varied = pd.DataFrame({"cell_line": list("abc"), "drug": "y", "observed": [1.0, 2.0, 3.0],
                           "predicted": [1.0, 2.0, 4.0]})
    both = pd.concat([constant, varied], ignore_index=True)
    # y: SS_res 1, SS_tot 2 -> 0.5
    assert metrics.mean_per_drug_r2(both) == pytest.approx(0.5)


def test_top_k_counts_any_drug_tied_for_the_lowest_observed_value_and_ignores_row_order():
    # line a: w and x tie for the lowest ln IC50 (0.0); the model ranks x first
    p = pd.DataFrame({
        "cell_line": ["a"] * 4,
        "drug": list("wxyz"),
        "observed": [0.0, 0.0, 1.0, 2.0],
        "predicted": [1.5, 0.5, 1.0, 2.0],
    })
    # x is a most effective drug of a, and it is ranked first: a hit, however the rows run
    assert metrics.top_k_accuracy(p, 1) == 1.0
    assert metrics.top_k_accuracy(p.iloc[::-1], 1) == 1.0
    # ranked y, x, w, z: neither tied drug first, a miss
    assert metrics.top_k_accuracy(p.assign(predicted=[2.0, 1.0, 0.5, 3.0]), 1) == 0.0


def test_mean_pearson_counts_a_drug_predicted_as_a_constant_as_zero_not_as_absent():
    # drug x: predicted perfectly up to scale (r = 1); drug y: one value for every line (an
    # elastic net that shrank every coefficient to zero): no correlation, r counted as 0,
    # so the mean over the two drugs is 0.5, not x's 1.0 alone
    p = pd.DataFrame({
        "cell_line": list("abcabc"), "drug": list("xxxyyy"),
        "observed": [1.0, 2.0, 3.0, 1.0, 4.0, 2.0],
        "predicted": [2.0, 4.0, 6.0, 2.5, 2.5, 2.5],
    })
    assert np.isnan(metrics.per_drug_pearson(p)["y"])  # undefined for the one drug
    assert metrics.summary(p)["pearson_per_drug_mean"] == pytest.approx(0.5)
    # a drug whose observed values are constant stays out, as for R2
    flat = p.assign(observed=[1.0, 2.0, 3.0, 5.0, 5.0, 5.0])
    assert metrics.summary(flat)["pearson_per_drug_mean"] == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_k_agrees_with_a_line_by_line_count_on_tied_shuffled_data(seed):
    rng = np.random.default_rng(seed)
    p = random_predictions(seed, n_lines=60, n_drugs=6)
    # values on a coarse grid: ties in both the observed and the predicted values
    p = p.assign(observed=p["observed"].round(0), predicted=p["predicted"].round(0))
    p.loc[rng.random(len(p)) < 0.05, "observed"] = np.nan  # unmeasured pairs take no part
    p = p.iloc[rng.permutation(len(p))]  # lines interleaved, not in blocks
    assert p["observed"].isna().any() and p.duplicated(["cell_line", "observed"]).any()
    for k in (1, 2, 3, 5):
        assert metrics.top_k_accuracy(p, k) == pytest.approx(_top_k_line_by_line(p, k)), k
    assert np.isnan(metrics.top_k_accuracy(p, 6))  # no line has more than 6 drugs


def test_rows_without_a_drug_or_a_cell_line_take_no_part_in_their_grouping():
    """As a groupby leaves out a missing key: a row without a drug is in no drug's score,
    one without a cell line in no line's top-k (and neither stops the scoring)."""
    p = random_predictions(3, n_lines=12, n_drugs=4)
    no_drug = p.assign(drug=p["drug"].where(p.index % 7 != 0, np.nan))
    named = no_drug[no_drug["drug"].notna()]
    for score in (metrics.per_drug_r2, metrics.per_drug_mse, metrics.per_drug_pearson):
        pd.testing.assert_series_equal(score(no_drug), score(named))
    assert metrics.mean_per_drug_pearson(no_drug) == metrics.mean_per_drug_pearson(named)
    no_line = p.assign(cell_line=p["cell_line"].where(p.index % 5 != 0, None))
    for k in (1, 2):
        assert metrics.top_k_accuracy(no_line, k) \
            == metrics.top_k_accuracy(no_line[no_line["cell_line"].notna()], k)


def test_top_k_matches_drugs_not_rows_when_a_pair_is_listed_twice():
    # drug A is the line's best (observed 0) and, in its other row, predicted the lowest
    p = pd.DataFrame({"cell_line": ["L"] * 4, "drug": ["A", "A", "B", "C"],
                      "observed": [0.0, 3.0, 1.0, 2.0], "predicted": [5.0, 0.0, 1.0, 2.0]})
    assert metrics.top_k_accuracy(p, 1) == 1.0
    assert metrics.top_k_accuracy(p, 1) == _top_k_line_by_line(p, 1)
    # and a drug predicted first in no row is still a miss
    assert metrics.top_k_accuracy(p.assign(drug=["A", "D", "B", "C"]), 1) == 0.0
