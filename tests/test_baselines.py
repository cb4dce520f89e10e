"""Comparators of Tables 6-7 and the baselines table: they learn from training lines only,
beat the per-drug mean where a signal exists, repeat bit for bit, and match hand
computations (group means, brute-force leave-one-out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from modrp import metrics
from modrp.baselines import (
    COMPARATORS,
    DEFAULT_SETTINGS,
    USES_TORCH,
    ElasticNetPerDrug,
    MultipleKernelRegression,
    PerDrugMean,
    TissueDrugMean,
    fit_predict_fold,
    kernel_ridge,
    loo_residuals,
    make_comparator,
    median_bandwidth,
    rbf_kernel,
)
from modrp.errors import InputError
from modrp.splits import Standardization, make_folds

torch.set_num_threads(1)

# small settings: the tests check behaviour, not the defaults' accuracy
FAST = {
    "per_drug_mean": {},
    "tissue_drug_mean": {"min_lines": 3},
    "elastic_net": {"n_alphas": 8, "l1_ratio": [0.5, 0.9]},
    "random_forest": {"n_estimators": 60},
    "mkl": {"steps": 30},
    "deepdr": {"encoder_sizes": [32, 8], "head_hidden": 16, "pretrain_epochs": 15,
               "epochs": 150, "patience": 15, "dropout": 0.1, "lr": 0.003},
}


def synthetic(n: int = 120, n_drugs: int = 4, seed: int = 0, holes: float = 0.05):
    """Three omics; ln IC50 driven by two expression features only (mut and cnv are noise),
    with drug offsets, per-drug signs, noise and unmeasured pairs."""
    rng = np.random.default_rng(seed)
    lines = [f"{700000 + i}" for i in range(n)]
    index = pd.Index(lines, name="cell_line")
    exp = pd.DataFrame(rng.normal(size=(n, 20)), index=index,
                       columns=[f"E{i}" for i in range(20)]).astype(np.float32)
    mut = pd.DataFrame((rng.random((n, 15)) < 0.3), index=index,
                       columns=[f"M{i}" for i in range(15)]).astype(np.float32)
    cnv = pd.DataFrame(rng.normal(size=(n, 10)), index=index,
                       columns=[f"C{i}" for i in range(10)]).astype(np.float32)
    e = exp.to_numpy(np.float64)
    offsets = np.linspace(-2.0, 3.0, n_drugs)
    signs = np.where(np.arange(n_drugs) % 2 == 0, 1.0, -1.0)
    y = (offsets + 1.5 * e[:, [0]] + signs * 1.0 * e[:, [1]]
         + rng.normal(0, 0.5, (n, n_drugs)))
    y[rng.random(y.shape) < holes] = np.nan
    response = pd.DataFrame(y, index=index, columns=[f"drug{j}" for j in range(n_drugs)])
    tissues = pd.Series(np.array(["lung", "skin", "blood"])[np.arange(n) % 3], index=index,
                        name="tissue")
    return {"exp": exp, "mut": mut, "cnv": cnv}, response, tissues


def long_table(predicted: pd.DataFrame, response: pd.DataFrame) -> pd.DataFrame:
    observed = response.loc[predicted.index, predicted.columns]
    frame = pd.DataFrame({"cell_line": np.repeat(predicted.index, predicted.shape[1]),
                          "drug": np.tile(predicted.columns, len(predicted)),
                          "observed": observed.to_numpy().ravel(),
                          "predicted": predicted.to_numpy().ravel()})
    return frame.dropna(subset=["observed"])


# ------------------------------------------------------------------------- held-out accuracy


@pytest.fixture(scope="module")
def held_out():
    omics, response, tissues = synthetic()
    train, test = list(response.index[:80]), list(response.index[80:])
    mean = PerDrugMean().fit(None, response.loc[train]).predict(None, test)
    return omics, response, tissues, train, test, metrics.mean_per_drug_r2(
        long_table(mean, response))


@pytest.mark.parametrize("method", ["elastic_net", "random_forest", "mkl", "deepdr"])
def test_comparator_beats_the_per_drug_mean_on_held_out_lines(held_out, method):
    omics, response, tissues, train, test, mean_r2 = held_out
    model = make_comparator(method, FAST[method], tissues, seed=3)
    model.fit({o: m.loc[train] for o, m in omics.items()}, response.loc[train])
    predicted = model.predict({o: m.loc[test] for o, m in omics.items()}, test)
    assert list(predicted.index) == test and list(predicted.columns) == list(response.columns)
    assert predicted.index.name == "cell_line"
    r2 = metrics.mean_per_drug_r2(long_table(predicted, response))
    assert mean_r2 < 0.05
    assert r2 > mean_r2 + 0.3, f"{method}: R2 {r2:.3f} vs per-drug mean {mean_r2:.3f}"


def test_per_drug_mean_is_the_training_mean_of_measured_pairs():
    response = pd.DataFrame({"a": [1.0, np.nan, 4.0, 10.0], "b": [2.0, 2.5, np.nan, 0.0]},
                            index=["x", "y", "z", "w"])
    predicted = PerDrugMean().fit(None, response.iloc[:3]).predict(None, ["w", "q"])
    assert predicted.loc["w", "a"] == pytest.approx(2.5)  # (1 + 4) / 2, w and NaN ignored
    assert predicted.loc["q", "b"] == pytest.approx(2.25)


def test_tissue_drug_mean_uses_group_means_and_falls_back():
    lines = [f"c{i}" for i in range(11)]
    tissues = pd.Series(["lung"] * 4 + ["skin"] * 3 + ["unknown", "bone"] + ["unknown"] * 2,
                        index=lines)
    response = pd.DataFrame({
        "a": [1.0, 2.0, 3.0, 6.0, 10.0, 20.0, np.nan, 100.0, 50.0, 90.0, 80.0],
        "b": [0.0, 0.0, 1.0, np.nan, 5.0, 7.0, 9.0, 3.0, 3.0, 4.0, 8.0],
    }, index=lines)
    model = TissueDrugMean(tissues, min_lines=3).fit(None, response)
    query = ["c0", "c5", "c7", "c8", "new"]
    model.tissues.loc["new"] = "lung"
    predicted = model.predict(None, query)
    drug_mean = response.mean()
    assert predicted.loc["c0", "a"] == pytest.approx(3.0)  # lung: (1+2+3+6)/4
    assert predicted.loc["c0", "b"] == pytest.approx(1 / 3)  # lung, 3 measured
    assert predicted.loc["c5", "a"] == pytest.approx(drug_mean["a"])  # skin: 2 measured for a
    assert predicted.loc["c5", "b"] == pytest.approx(7.0)  # skin: (5+7+9)/3
    assert predicted.loc["c7", "a"] == pytest.approx(drug_mean["a"])  # "unknown" is no tissue
    assert predicted.loc["c8", "b"] == pytest.approx(drug_mean["b"])  # bone: one line only
    assert predicted.loc["new", "a"] == pytest.approx(3.0)
    unseen = TissueDrugMean(pd.Series({"z": "brain"}), min_lines=1).fit(None, response)
    assert unseen.predict(None, ["z"]).loc["z", "b"] == pytest.approx(drug_mean["b"])


def test_tissue_drug_mean_beats_the_drug_mean_when_tissue_drives_response():
    omics, response, tissues = synthetic(holes=0.1)
    shift = tissues.map({"lung": -2.0, "skin": 0.0, "blood": 2.0}).to_numpy()[:, None]
    response = response + shift
    train, test = list(response.index[:80]), list(response.index[80:])
    mean = PerDrugMean().fit(None, response.loc[train]).predict(None, test)
    tissue = TissueDrugMean(tissues).fit(None, response.loc[train]).predict(None, test)
    assert (metrics.mean_per_drug_r2(long_table(tissue, response))
            > metrics.mean_per_drug_r2(long_table(mean, response)) + 0.3)


# ------------------------------------------------------------------------------ kernel model


def test_loo_formula_equals_brute_force_refits():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(9, 3))
    kernel = 0.7 * rbf_kernel(x, x, 1.5) + 0.3 * rbf_kernel(x[:, :1], x[:, :1], 0.8)
    y = rng.normal(size=(2, 9)) + np.array([[1.0], [-3.0]])
    y[1, [2, 6]] = np.nan
    penalty = 0.3
    fast = loo_residuals(torch.as_tensor(kernel), torch.as_tensor(y),
                         ~torch.isnan(torch.as_tensor(y)), torch.tensor(penalty,
                                                                       dtype=torch.float64))
    fast = fast.numpy()
    for d in range(2):
        measured = np.flatnonzero(~np.isnan(y[d]))
        for i in range(9):
            if i not in measured:
                assert fast[d, i] == 0.0
                continue
            rest = measured[measured != i]
            a, b = kernel_ridge(kernel[np.ix_(rest, rest)], y[d, rest], penalty)
            assert fast[d, i] == pytest.approx(y[d, i] - (kernel[i, rest] @ a + b), abs=1e-10)


def test_kernel_ridge_has_an_unpenalized_intercept():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(12, 2))
    kernel = rbf_kernel(x, x, 1.0)
    y = rng.normal(size=12) + 50.0
    a, b = kernel_ridge(kernel, y, penalty=1e6)  # the kernel part is shrunk to nothing
    assert np.abs(kernel @ a).max() < 1e-3
    assert b == pytest.approx(y.mean(), abs=1e-3)


def test_mkl_puts_most_kernel_weight_on_the_omic_with_the_signal(held_out):
    omics, response, _, train, _, _ = held_out
    model = MultipleKernelRegression(steps=30).fit({o: m.loc[train] for o, m in omics.items()},
                                                   response.loc[train])
    weights = model.kernel_weights_
    assert list(weights.index) == ["exp", "mut", "cnv"]
    assert weights.sum() == pytest.approx(1.0)
    assert weights["exp"] > 0.6, weights.to_dict()
    assert model.loo_error_ < model.loo_history_[0]


def test_mkl_fits_around_a_drug_measured_on_one_training_line(held_out):
    omics, response, _, train, test, _ = held_out
    sparse = response.loc[train].copy()
    sparse.iloc[1:, 2] = np.nan  # drug2: one measured training line, no LOO error
    inputs = {o: m.loc[train] for o, m in omics.items()}
    model = MultipleKernelRegression(steps=30).fit(inputs, sparse)
    full = MultipleKernelRegression(steps=30).fit(
        inputs, sparse.drop(columns=sparse.columns[2]))
    assert np.isfinite(model.loo_error_)
    # drug2 does not steer the kernel weights: the fit without it finds the same ones
    np.testing.assert_allclose(model.kernel_weights_, full.kernel_weights_, rtol=1e-6)
    predicted = model.predict({o: m.loc[test] for o, m in omics.items()}, test)
    assert np.isfinite(predicted.to_numpy()).all()


def test_mkl_adam_and_lbfgs_reach_similar_leave_one_out_error(held_out):
    omics, response, _, train, _, _ = held_out
    train = train[:50]
    inputs = {o: m.loc[train] for o, m in omics.items()}
    lbfgs = MultipleKernelRegression(steps=30).fit(inputs, response.loc[train])
    adam = MultipleKernelRegression(optimizer="adam", steps=150, lr=0.1).fit(
        inputs, response.loc[train])
    assert adam.loo_error_ == pytest.approx(lbfgs.loo_error_, rel=0.05)
    assert adam.loo_error_ < adam.loo_history_[0] - 0.05


# ---------------------------------------------------------------------------- elastic net


def test_elastic_net_fits_each_drug_on_its_measured_pairs_only():
    from sklearn.linear_model import ElasticNetCV
    from sklearn.model_selection import KFold

    omics, response, _ = synthetic(n=60, n_drugs=2, holes=0.0)
    omics = {"exp": omics["exp"]}
    holed = response.copy()
    holes = holed.index[::4]
    holed.loc[holes, "drug0"] = np.nan
    settings = {"l1_ratio": [0.5], "n_alphas": 6, "cv": 3, "seed": 5}
    with_holes = ElasticNetPerDrug(**settings).fit(omics, holed)
    without = ElasticNetPerDrug(**settings).fit(omics, response)
    query = list(response.index[:10])
    # drug1 has no holes: drug0's holes must not move it
    pd.testing.assert_series_equal(with_holes.predict(omics, query)["drug1"],
                                   without.predict(omics, query)["drug1"])
    # drug0 equals a direct fit on the measured lines only (standardized over all lines)
    x = Standardization.fit(omics["exp"]).transform(omics["exp"]).astype(np.float64)
    keep = ~holed["drug0"].isna().to_numpy()
    direct = ElasticNetCV(l1_ratio=[0.5], alphas=6, eps=1e-2, tol=1e-2, max_iter=2000,
                          cv=KFold(3, shuffle=True, random_state=5)).fit(
        x[keep], holed["drug0"].to_numpy()[keep])
    np.testing.assert_allclose(with_holes.predict(omics, query)["drug0"].to_numpy(),
                               direct.predict(x[:10]), atol=1e-9)
    assert not np.allclose(with_holes.coef_["drug0"], without.coef_["drug0"])


# ------------------------------------------------------------------------ fold job, leakage


def write_study(root, omics, response, tissues, alter_test_lines=()):
    (root / "omics").mkdir(parents=True, exist_ok=True)
    for name, frame in omics.items():
        frame = frame.copy()
        if len(alter_test_lines):
            frame.loc[alter_test_lines] = frame.loc[alter_test_lines] * -3.0 + 2.0
        frame.to_parquet(root / "omics" / f"{name}.parquet")
    response.to_parquet(root / "response.parquet")
    pd.DataFrame({"cell_line": tissues.index, "tissue": tissues.to_numpy()}).to_parquet(
        root / "cell_lines.parquet")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Original and altered copies of one study: 90 lines, one without cnv, one unmeasured."""
    omics, response, tissues = synthetic(n=90)
    omics["cnv"] = omics["cnv"].drop(index=response.index[5])
    response.iloc[7] = np.nan
    root = tmp_path_factory.mktemp("study")
    folds = make_folds(pd.DataFrame({"cell_line": response.index, "tissue": "x"}),
                       {"folds": 3, "seed": 0, "split": "cell_line"}, repeat=1)
    folds.to_parquet(root / "folds.parquet")
    write_study(root / "original", omics, response, tissues)
    test = folds.loc[folds["fold"] == 0, "cell_line"].tolist()
    altered_lines = test[::2]
    changed = response.copy()
    changed.loc[test] = changed.loc[test] * 2.0 + 7.0  # every test response
    changed_tissues = tissues.copy()
    changed_tissues.loc[altered_lines] = "skin"
    write_study(root / "altered", omics, changed, changed_tissues, altered_lines)
    return {"root": root, "omics": omics, "response": response, "folds": folds,
            "test": test, "altered": altered_lines}


@pytest.mark.parametrize("method", sorted(COMPARATORS))
def test_fold_job_is_repeatable_and_never_learns_from_test_lines(study, method):
    root = study["root"]
    omics = ["exp", "mut", "cnv"]

    def run(variant):
        return fit_predict_fold(method, omics, root / variant, root / "folds.parquet", 0,
                                FAST[method], seed=11)

    first, again, altered = run("original"), run("original"), run("altered")
    pd.testing.assert_frame_equal(first, again)  # bit-repeatable
    assert list(first.columns) == ["cell_line", "drug", "observed", "predicted", "fold",
                                   "repeat"]
    assert (first["fold"] == 0).all() and (first["repeat"] == 1).all()
    # the test lines' responses never reach the fit; their observed values are read back
    assert not np.allclose(altered["observed"], first["observed"])
    untouched = ~first["cell_line"].isin(study["altered"])
    assert untouched.sum() > 20
    pd.testing.assert_series_equal(first.loc[untouched, "predicted"],
                                   altered.loc[untouched, "predicted"])
    if method != "per_drug_mean":  # altered inputs do reach the altered lines' predictions
        assert not np.allclose(first.loc[~untouched, "predicted"],
                               altered.loc[~untouched, "predicted"])


def test_fold_job_predicts_the_measured_pairs_of_test_lines_with_every_omic(study):
    root, response, folds = study["root"], study["response"], study["folds"]
    table = fit_predict_fold("per_drug_mean", ["exp", "cnv"], root / "original",
                             root / "folds.parquet", 0, {}, seed=0)
    usable = [c for c in response.index if c in study["omics"]["cnv"].index
              and response.loc[c].notna().any()]
    fold_of = folds.set_index("cell_line")["fold"]
    test = [c for c in usable if fold_of[c] == 0]
    train = [c for c in usable if fold_of[c] != 0]
    long = response.loc[test].rename_axis(index="cell_line", columns="drug").stack()
    long = long.rename("observed").reset_index()
    assert set(zip(table["cell_line"], table["drug"], strict=True)) == set(
        zip(long["cell_line"], long["drug"], strict=True))
    assert response.index[5] not in set(table["cell_line"])  # no cnv
    expected = table["drug"].map(response.loc[train].mean())
    np.testing.assert_allclose(table["predicted"], expected)
    np.testing.assert_allclose(table["observed"].to_numpy(), long.set_index(
        ["cell_line", "drug"]).loc[list(zip(table["cell_line"], table["drug"],
                                            strict=True)), "observed"].to_numpy())


# --------------------------------------------------------------------------------- errors


def test_unknown_method_and_settings_are_input_errors(study):
    root = study["root"]
    with pytest.raises(InputError, match="known:.*elastic_net.*random_forest"):
        fit_predict_fold("svm", ["exp"], root / "original", root / "folds.parquet", 0, {}, 0)
    with pytest.raises(InputError, match="unknown setting.*n_trees"):
        make_comparator("random_forest", {"n_trees": 5})
    with pytest.raises(InputError, match="no fold 7"):
        fit_predict_fold("elastic_net", ["exp"], root / "original", root / "folds.parquet", 7,
                         {}, 0)
    with pytest.raises(InputError, match="omic rppa: file not found"):
        fit_predict_fold("mkl", ["rppa"], root / "original", root / "folds.parquet", 0, {}, 0)
    assert set(DEFAULT_SETTINGS) == set(COMPARATORS)


def test_too_few_lines_names_the_fold_and_counts(tmp_path):
    omics, response, tissues = synthetic(n=12)
    write_study(tmp_path, omics, response, tissues)
    folds = make_folds(pd.DataFrame({"cell_line": response.index, "tissue": "x"}),
                       {"folds": 3, "seed": 0, "split": "cell_line"}, repeat=0)
    folds.to_parquet(tmp_path / "folds.parquet")
    with pytest.raises(InputError, match=r"fold 2: too few cell lines .*\(8 train, 4 test"):
        fit_predict_fold("random_forest", ["exp"], tmp_path, tmp_path / "folds.parquet", 2,
                         {}, 0)


def test_bad_inputs_to_fit_and_predict_are_input_errors():
    omics, response, _ = synthetic(n=30)
    with pytest.raises(InputError, match="needs at least one omic"):
        ElasticNetPerDrug().fit({}, response)
    unmeasured = response.copy()
    unmeasured["drug1"] = np.nan
    with pytest.raises(InputError, match=r"\['drug1'\] have no measured training line"):
        MultipleKernelRegression().fit(omics, unmeasured)
    with pytest.raises(InputError, match="omic 'exp' has no row for 1 of the 30"):
        ElasticNetPerDrug().fit({"exp": omics["exp"].iloc[1:]}, response)
    holed = omics["exp"].copy()
    holed.iloc[3, 2] = np.nan
    with pytest.raises(InputError, match="missing or infinite"):
        ElasticNetPerDrug().fit({"exp": holed}, response)
    model = make_comparator("random_forest", {"n_estimators": 5}).fit(
        {"exp": omics["exp"]}, response)
    with pytest.raises(InputError, match=r"predict got no matrix for \['exp'\]"):
        model.predict({"mut": omics["mut"]}, list(response.index[:3]))
    with pytest.raises(InputError, match="tissue_drug_mean needs each line's tissue"):
        make_comparator("tissue_drug_mean", {}, None)


# ------------------------------------------------------------- hand computations, training


def test_median_bandwidth_and_rbf_kernel_match_a_hand_computation():
    x = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    # distinct-row distances: 5, 10, 5, 10, 5 (the coinciding pair is left out) -> median 5
    assert median_bandwidth(x) == pytest.approx(5.0)
    assert median_bandwidth(np.array([[0.0], [1.0], [5.0]])) == pytest.approx(4.0)
    assert median_bandwidth(np.ones((3, 2))) == 1.0
    kernel = rbf_kernel(x[:1], x[2:], 2.0)
    np.testing.assert_allclose(kernel, [[np.exp(-25 / 8), np.exp(-100 / 8)]])


def _numpy_standardized(train: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    values = train.to_numpy(np.float64)
    mean, scale = values.mean(axis=0), values.std(axis=0)
    return (other.to_numpy(np.float64) - mean) / scale


def test_mkl_predictions_match_a_numpy_kernel_ridge_with_one_bandwidth_per_omic(held_out):
    from scipy.spatial.distance import cdist, pdist

    omics, response, _, train, test, _ = held_out
    train, test = train[:40], test[:8]
    chosen = {"exp": omics["exp"], "cnv": omics["cnv"] * 5.0}  # very different spreads
    model = MultipleKernelRegression(steps=15).fit({o: m.loc[train] for o, m in chosen.items()},
                                                   response.loc[train])
    weights, penalty = model.kernel_weights_, model.penalty_
    k_train = np.zeros((len(train), len(train)))
    k_test = np.zeros((len(test), len(train)))
    for omic, matrix in chosen.items():
        a = _numpy_standardized(matrix.loc[train], matrix.loc[train])
        b = _numpy_standardized(matrix.loc[train], matrix.loc[test])
        bandwidth = np.median(pdist(a))
        k_train += weights[omic] * np.exp(-cdist(a, a, "sqeuclidean") / (2 * bandwidth**2))
        k_test += weights[omic] * np.exp(-cdist(b, a, "sqeuclidean") / (2 * bandwidth**2))
    predicted = model.predict({o: m.loc[test] for o, m in chosen.items()}, test)
    for drug in response.columns:
        y = response.loc[train, drug].to_numpy()
        s = np.flatnonzero(~np.isnan(y))
        k = k_train[np.ix_(s, s)]
        n = len(s)
        # minimise |y - b - K a|^2 + penalty a'Ka: (K + penalty I) a + b 1 = y, 1'K a + n b = 1'y
        system = np.block([[k + penalty * np.eye(n), np.ones((n, 1))],
                           [k.sum(axis=0)[None, :], np.array([[n]])]])
        solution = np.linalg.solve(system, np.append(y[s], y[s].sum()))
        expected = k_test[:, s] @ solution[:-1] + solution[-1]
        np.testing.assert_allclose(predicted[drug].to_numpy(), expected, atol=1e-4, err_msg=drug)


def test_mkl_loo_error_is_the_brute_force_error_scaled_by_each_drugs_variance(held_out):
    omics, response, _, train, _, _ = held_out
    train = train[:25]
    y = response.loc[train].copy()
    y["drug1"] = y["drug1"] * 10.0  # drugs of different spread count alike
    y.iloc[[3, 8], 2] = np.nan
    inputs = {"exp": omics["exp"].loc[train]}
    model = MultipleKernelRegression(steps=10).fit(inputs, y)
    x = _numpy_standardized(inputs["exp"], inputs["exp"])
    distances = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    bandwidth = np.median(np.sqrt(distances[np.triu_indices(len(x), k=1)]))
    kernel = np.exp(-distances / (2 * bandwidth**2))  # one omic: weight 1
    errors = []
    for drug in y.columns:
        values = y[drug].to_numpy()
        measured = np.flatnonzero(~np.isnan(values))
        squared = []
        for i in measured:
            rest = measured[measured != i]
            a, b = kernel_ridge(kernel[np.ix_(rest, rest)], values[rest], model.penalty_)
            squared.append((values[i] - kernel[i, rest] @ a - b) ** 2)
        errors.append(np.mean(squared) / np.var(values[measured]))
    assert model.loo_error_ == pytest.approx(np.mean(errors), rel=1e-6)


def test_fit_reads_only_the_training_lines_of_the_omics(held_out):
    omics, response, _, train, test, _ = held_out
    altered = {o: m.copy() for o, m in omics.items()}
    for matrix in altered.values():  # rows of non-training lines: never read by fit
        matrix.loc[test] = matrix.loc[test] * 4.0 + 9.0
    only_train = {o: m.loc[train] for o, m in omics.items()}
    query = {o: m.loc[test] for o, m in omics.items()}
    for method in ("elastic_net", "mkl"):
        settings = {**FAST[method], **({"steps": 5} if method == "mkl" else {})}
        clean = make_comparator(method, settings, seed=1).fit(only_train, response.loc[train])
        extra = make_comparator(method, settings, seed=1).fit(altered, response.loc[train])
        values = omics["exp"].loc[train].to_numpy(np.float64)
        np.testing.assert_allclose(extra.scalers_["exp"].mean, values.mean(axis=0), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(extra.scalers_["exp"].scale, values.std(axis=0), rtol=1e-5)
        pd.testing.assert_frame_equal(clean.predict(query, test), extra.predict(query, test))


def test_random_forest_is_sklearns_forest_on_mean_filled_responses_and_reads_columns_by_name():
    from sklearn.ensemble import RandomForestRegressor

    omics, response, _ = synthetic(n=50, holes=0.2)
    inputs = {"exp": omics["exp"], "mut": omics["mut"]}
    model = make_comparator("random_forest", {"n_estimators": 15, "min_samples_leaf": 2},
                            seed=4).fit(inputs, response)
    filled = response.to_numpy().copy()
    column_means = np.nanmean(filled, axis=0)
    filled = np.where(np.isnan(filled), column_means, filled)
    x = np.hstack([omics["exp"].to_numpy(np.float64), omics["mut"].to_numpy(np.float64)])
    forest = RandomForestRegressor(n_estimators=15, max_features="sqrt", min_samples_leaf=2,
                                   random_state=4, n_jobs=1).fit(x, filled)
    lines = list(response.index[:12])
    predicted = model.predict(inputs, lines)
    np.testing.assert_allclose(predicted.to_numpy(), forest.predict(x[:12]), atol=1e-12)
    shuffled = {o: m[m.columns[::-1]] for o, m in inputs.items()}  # same features, reordered
    pd.testing.assert_frame_equal(model.predict(shuffled, lines), predicted)
    with pytest.raises(InputError, match=r"omic 'exp' lacks 1 of the features.*'E3'"):
        model.predict({**inputs, "exp": omics["exp"].drop(columns="E3")}, lines)


def test_elastic_net_gives_the_training_mean_to_drugs_it_cannot_fit():
    omics, response, _ = synthetic(n=40, n_drugs=3, holes=0.0)
    response = response.copy()
    response["drug1"] = 4.25  # constant
    few = response.index[:5]  # 5 measured lines < 2 * cv
    response.loc[~response.index.isin(few), "drug2"] = np.nan
    response.loc[few, "drug2"] = 10.0 * omics["exp"].loc[few, "E0"].to_numpy()  # strong signal
    model = ElasticNetPerDrug(l1_ratio=[0.9], n_alphas=5, cv=3).fit({"exp": omics["exp"]},
                                                                     response)
    predicted = model.predict({"exp": omics["exp"]}, list(response.index[5:15]))
    np.testing.assert_allclose(predicted["drug1"], 4.25)
    np.testing.assert_allclose(predicted["drug2"], response.loc[few, "drug2"].mean())
    assert model.alpha_[["drug1", "drug2"]].isna().all() and np.isfinite(model.alpha_["drug0"])


def test_deepdr_predictions_follow_an_affine_change_of_each_drugs_response(held_out):
    """The regressor learns each drug's ln IC50 standardized over its training lines, so a
    per-drug change of scale and offset moves its predictions alike."""
    omics, response, _, train, test, _ = held_out
    train, test = train[:50], test[:10]
    settings = {**FAST["deepdr"], "pretrain_epochs": 3, "epochs": 12, "patience": 50}
    inputs = {"exp": omics["exp"].loc[train]}
    scale = np.array([1.0, 4.0, 0.25, 2.0])
    shift = np.array([0.0, 8.0, -2.0, 100.0])
    plain = make_comparator("deepdr", settings, seed=2).fit(inputs, response.loc[train])
    moved = make_comparator("deepdr", settings, seed=2).fit(
        inputs, response.loc[train] * scale + shift)
    query = {"exp": omics["exp"].loc[test]}
    expected = plain.predict(query, test).to_numpy() * scale + shift
    np.testing.assert_allclose(moved.predict(query, test).to_numpy(), expected, rtol=1e-4,
                               atol=1e-3)


def test_fold_job_trains_on_exactly_the_minimum_number_of_lines(tmp_path):
    omics, response, tissues = synthetic(n=15)
    write_study(tmp_path, omics, response, tissues)
    folds = pd.DataFrame({"cell_line": response.index, "fold": np.arange(15) % 3,
                          "repeat": 0})
    folds.to_parquet(tmp_path / "folds.parquet")
    table = fit_predict_fold("per_drug_mean", ["exp"], tmp_path, tmp_path / "folds.parquet", 0,
                             {}, 0)
    assert set(table["cell_line"]) == set(response.index[::3])  # 10 train, 5 test lines


def test_fold_job_leaves_out_training_lines_without_a_measured_drug(study, tmp_path):
    root, response, folds = study["root"], study["response"], study["folds"]
    empty = response.index[7]  # no measured drug
    fold = int(folds.set_index("cell_line").loc[empty, "fold"])
    other = (fold + 1) % 3  # a fold whose training lines include it
    reduced = tmp_path / "reduced"
    write_study(reduced, {o: m.drop(index=empty, errors="ignore")
                          for o, m in study["omics"].items()},
                response.drop(index=empty), pd.Series("x", index=response.index))
    run = {variant: fit_predict_fold("elastic_net", ["exp", "mut"], path,
                                     root / "folds.parquet", other, FAST["elastic_net"], 3)
           for variant, path in (("original", root / "original"), ("reduced", reduced))}
    pd.testing.assert_frame_equal(run["original"], run["reduced"])


def test_bad_responses_are_input_errors():
    omics, response, _ = synthetic(n=30)
    infinite = response.copy()
    infinite.iloc[2, 1] = np.inf
    with pytest.raises(InputError, match="infinite"):
        ElasticNetPerDrug().fit({"exp": omics["exp"]}, infinite)
    twice = pd.concat([response, response.iloc[[0]]])
    with pytest.raises(InputError, match="lists a cell line twice"):
        TissueDrugMean(pd.Series("x", index=response.index)).fit(None, twice)


def test_fold_job_refuses_a_drug_unmeasured_on_the_training_lines(study, tmp_path):
    root, response, folds = study["root"], study["response"].copy(), study["folds"]
    test = folds.loc[folds["fold"] == 0, "cell_line"]
    response.loc[~response.index.isin(test), "drug3"] = np.nan  # measured on test lines only
    write_study(tmp_path, study["omics"], response, pd.Series("x", index=response.index))
    with pytest.raises(InputError, match=r"fold 0: drug\(s\) \['drug3'\] have no measured "
                                         "training line"):
        fit_predict_fold("per_drug_mean", ["exp"], tmp_path, root / "folds.parquet", 0, {}, 0)


def noise_and_signal(seed=0, n=40):
    rng = np.random.default_rng(seed)
    index = pd.Index([f"L{i}" for i in range(n)], name="cell_line")
    x = pd.DataFrame(rng.normal(size=(n, 3)), index=index, columns=["a", "b", "c"])
    smooth = np.sin(x["a"].to_numpy()) * 2.0  # noise-free function of the features
    noise = rng.normal(size=n)  # unrelated to the features
    return {"exp": x}, pd.DataFrame({"smooth": smooth}, index=index), \
        pd.DataFrame({"noise": noise}, index=index)


def brute_force_loo(kernel, y, penalty):
    squared = []
    for i in range(len(y)):
        rest = np.delete(np.arange(len(y)), i)
        a, b = kernel_ridge(kernel[np.ix_(rest, rest)], y[rest], penalty)
        squared.append((y[i] - kernel[i, rest] @ a - b) ** 2)
    return np.mean(squared) / np.var(y)


def test_adam_keeps_the_parameters_of_its_reported_error():
    omics, _, noise = noise_and_signal()
    model = MultipleKernelRegression(optimizer="adam", steps=25, lr=0.3).fit(omics, noise)
    x = model.train_inputs_["exp"]
    kernel = rbf_kernel(x, x, model.bandwidths_["exp"])
    assert brute_force_loo(kernel, noise["noise"].to_numpy(), model.penalty_) == \
        pytest.approx(model.loo_error_, rel=1e-6)
    assert model.loo_error_ < model.loo_history_[0]


def test_penalty_search_spans_a_wide_range():
    omics, smooth, noise = noise_and_signal()
    assert MultipleKernelRegression(steps=50).fit(omics, noise).penalty_ > np.exp(1.5)
    assert MultipleKernelRegression(steps=50).fit(omics, smooth).penalty_ < np.exp(-3)
    # the smooth response drives the penalty to its lower bound; Adam must stay inside it
    adam = MultipleKernelRegression(optimizer="adam", steps=40, lr=2.0).fit(omics, smooth)
    low = MultipleKernelRegression.LOG_PENALTY_BOUNDS[0]
    assert low - 1e-9 <= np.log(adam.penalty_) < -6


def test_initial_penalty_is_where_the_search_starts():
    omics, _, noise = noise_and_signal()
    model = MultipleKernelRegression(optimizer="adam", steps=0, initial_penalty=3.0)
    assert model.fit(omics, noise).penalty_ == pytest.approx(3.0)


_COMPARATOR_JOB = """
import json, sys
from modrp.steps import run_comparator
root, out, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
config = {"train": {"threads": 1}, "cv": {"seed": 0}}
for method, method_settings in settings.items():
    run_comparator(method, ["exp", "mut", "cnv"], root + "/original", root + "/folds.parquet",
                   0, method_settings, config, out + "/" + method + ".parquet")
print(json.dumps("torch" in sys.modules))
"""


@pytest.mark.parametrize("methods", [
    [m for m in sorted(COMPARATORS) if m not in USES_TORCH], *([m] for m in USES_TORCH)])
def test_only_the_torch_comparators_load_torch_in_their_fold_job(study, tmp_path, methods):
    """A comparator job that computes without torch does not load it (1-2 s of each job);
    one that computes with it gets it, so the job sets its thread count first."""
    import json
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _COMPARATOR_JOB, str(study["root"]), str(tmp_path),
         json.dumps({m: FAST[m] for m in methods})],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert all((tmp_path / f"{m}.parquet").is_file() for m in methods)
    assert json.loads(run.stdout.splitlines()[-1]) == (methods[0] in USES_TORCH), methods
