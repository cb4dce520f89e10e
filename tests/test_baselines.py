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
    ElasticNetPerDrug,
    MultipleKernelRegression,
    PerDrugMean,
    TissueDrugMean,
    fit_predict_fold,
    kernel_ridge,
    loo_residuals,
    make_comparator,
    rbf_kernel,
)
from modrp.errors import InputError
from modrp.splits import make_folds
from modrp.train import Standardization

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
