"""Comparators fit per fold on the training lines only, with one small interface:
``fit(omics, response)`` on training lines, ``predict(omics, lines)`` -> (lines x drugs).

``omics`` maps an omic name to a (lines x features) frame indexed by cell line id;
``response`` is (training lines x drugs) ln IC50 with NaN where a pair was not measured.
The training lines are ``response``'s index: rows of ``omics`` for any other line are
never read by ``fit``, so nothing a comparator learns (standardization, bandwidths,
hyper-parameters chosen by inner cross-validation, kernel weights, autoencoders) can
see a test line.

- :class:`PerDrugMean`: each drug's training mean, the reference of every table;
- :class:`TissueDrugMean`: the mean per (tissue, drug), per-drug mean where a tissue
  has too few training lines;
- :class:`ElasticNetPerDrug`: one elastic net per drug, penalty chosen by inner CV;
- :class:`RandomForestMulti`: one multi-output random forest;
- :class:`MultipleKernelRegression`: one RBF kernel per omic, kernel weights shared by
  all drugs, per-drug kernel ridge (a non-Bayesian stand-in for BEMKL, Table 6);
- :class:`DeepDRStyle`: per-omic autoencoders, then an end-to-end fine-tuned regressor
  (after DeepDR, Table 7).

:data:`COMPARATORS` builds any of them from a settings dict; :func:`fit_predict_fold`
runs one on one cross-validation fold and returns the models' long prediction table.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.splits import UNKNOWN_TISSUES

log = logging.getLogger(__name__)

#: a fold needs at least this many training lines (with the omics and a response)
MIN_TRAIN_LINES = 10


class PerDrugMean:
    """Predict, for every cell line, each drug's mean ln IC50 over the training lines."""

    name = "per-drug mean"

    def fit(self, omics: dict[str, pd.DataFrame] | None, response: pd.DataFrame) -> PerDrugMean:
        self.means_ = response.mean(axis=0, skipna=True)
        return self

    def predict(self, omics: dict[str, pd.DataFrame] | None, lines: list[str]) -> pd.DataFrame:
        values = np.tile(self.means_.to_numpy(dtype=np.float64), (len(lines), 1))
        return pd.DataFrame(values, index=pd.Index(lines, name="cell_line"),
                            columns=self.means_.index)


def _frame(values: np.ndarray, lines: list[str], drugs: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(values, dtype=np.float64).reshape(len(lines), len(drugs)),
                        index=pd.Index(list(lines), name="cell_line"), columns=drugs)


def _checked_response(response: pd.DataFrame, who: str) -> pd.DataFrame:
    """Float copy of the training response; every drug needs a measured training line."""
    if not isinstance(response, pd.DataFrame) or response.empty:
        raise InputError(f"{who}: the training response is empty (no cell lines or no drugs)")
    try:
        response = response.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"{who}: the response must hold numbers (ln IC50): {error}") from None
    if not response.index.is_unique:
        raise InputError(f"{who}: the response lists a cell line twice")
    unmeasured = response.columns[response.notna().sum(axis=0) == 0].tolist()
    if unmeasured:
        raise InputError(f"{who}: drug(s) {unmeasured} have no measured training line")
    if np.isinf(response.to_numpy()).any():
        raise InputError(f"{who}: the response holds infinite values")
    return response


# ------------------------------------------------------------------------ tissue x drug mean


class TissueDrugMean:
    """Mean ln IC50 per (tissue, drug) over the training lines.

    A line whose tissue has fewer than ``min_lines`` measured training lines for a drug,
    whose tissue was not seen in training, or whose tissue is missing or ``"unknown"``
    (the label ``data/cell_lines.parquet`` gives a line with no annotation) gets the
    drug's training mean instead.
    """

    name = "tissue x drug mean"
    UNKNOWN = UNKNOWN_TISSUES

    def __init__(self, tissues: pd.Series, min_lines: int = 3):
        if not isinstance(tissues, pd.Series):
            raise InputError("tissue x drug mean: tissues must be a Series cell line -> tissue")
        if int(min_lines) < 1:
            raise InputError(f"tissue x drug mean: min_lines must be >= 1, got {min_lines}")
        self.tissues = tissues.copy()
        self.tissues.index = self.tissues.index.astype(str)
        if not self.tissues.index.is_unique:
            raise InputError("tissue x drug mean: a cell line has more than one tissue entry")
        self.min_lines = int(min_lines)

    def _tissue_of(self, lines) -> pd.Series:
        tissue = self.tissues.reindex(pd.Index(lines).astype(str)).astype(object)
        return tissue.where(~tissue.isin(self.UNKNOWN) & tissue.notna(), None)

    def fit(self, omics: dict[str, pd.DataFrame] | None,
            response: pd.DataFrame) -> TissueDrugMean:
        response = _checked_response(response, self.name)
        self.drugs_ = response.columns
        self.drug_means_ = response.mean(axis=0)
        tissue = self._tissue_of(response.index).to_numpy()
        known = pd.notna(tissue)
        grouped = response[known].groupby(tissue[known])
        means, counts = grouped.mean(), grouped.count()
        #: (tissue x drug) means, NaN where fewer than min_lines lines were measured
        self.tissue_means_ = means.where(counts >= self.min_lines)
        self.tissue_counts_ = counts
        return self

    def predict(self, omics: dict[str, pd.DataFrame] | None, lines: list[str]) -> pd.DataFrame:
        tissue = self._tissue_of(lines)
        table = self.tissue_means_.reindex(tissue.fillna("\0no tissue").to_numpy())
        values = table.to_numpy(dtype=np.float64)
        fallback = np.broadcast_to(self.drug_means_.to_numpy(dtype=np.float64), values.shape)
        return _frame(np.where(np.isnan(values), fallback, values), list(lines), self.drugs_)


# ------------------------------------------------------------------- comparators on features


class _OmicsComparator:
    """Shared input handling: checks, per-omic standardization fit on the training lines."""

    name = "comparator"
    standardize = True

    def _fit_inputs(self, omics: Mapping[str, pd.DataFrame] | None,
                    response: pd.DataFrame) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
        from modrp.splits import Standardization

        response = _checked_response(response, self.name)
        if not omics:
            raise InputError(f"{self.name}: needs at least one omic matrix")
        self.omics_ = list(omics)
        self.drugs_ = response.columns
        self.features_ = {}
        self.scalers_ = {}
        inputs = {}
        for omic in self.omics_:
            rows = self._rows(omics, omic, response.index)
            self.features_[omic] = list(rows.columns)
            if self.standardize:
                self.scalers_[omic] = Standardization.fit(rows)
                inputs[omic] = self.scalers_[omic].transform(rows).astype(np.float64)
            else:
                inputs[omic] = rows.to_numpy(dtype=np.float64)
        return inputs, response

    def _predict_inputs(self, omics: Mapping[str, pd.DataFrame] | None,
                        lines: list[str]) -> dict[str, np.ndarray]:
        if not hasattr(self, "omics_"):
            raise InputError(f"{self.name}: predict called before fit")
        omics = omics or {}
        missing = [o for o in self.omics_ if o not in omics]
        if missing:
            raise InputError(f"{self.name}: was fit on omics {self.omics_} but predict got no "
                             f"matrix for {missing}")
        inputs = {}
        for omic in self.omics_:
            rows = self._rows(omics, omic, pd.Index(lines))
            absent = [f for f in self.features_[omic] if f not in rows.columns]
            if absent:
                raise InputError(f"{self.name}: omic {omic!r} lacks {len(absent)} of the "
                                 f"features it was fit on, e.g. {absent[:3]}")
            rows = rows[self.features_[omic]]
            inputs[omic] = (self.scalers_[omic].transform(rows).astype(np.float64)
                            if self.standardize else rows.to_numpy(dtype=np.float64))
        return inputs

    def _rows(self, omics: Mapping[str, pd.DataFrame], omic: str, lines: pd.Index):
        matrix = omics[omic]
        if not isinstance(matrix, pd.DataFrame) or matrix.shape[1] == 0:
            raise InputError(f"{self.name}: omic {omic!r} must be a (lines x features) table "
                             "with at least one feature")
        if not matrix.index.is_unique:
            raise InputError(f"{self.name}: omic {omic!r} lists a cell line twice")
        absent = lines.difference(matrix.index)
        if len(absent):
            raise InputError(f"{self.name}: omic {omic!r} has no row for {len(absent)} of the "
                             f"{len(lines)} cell lines, e.g. {list(absent[:3])}")
        rows = matrix.loc[lines]
        try:
            values = rows.to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{self.name}: omic {omic!r} holds non-numeric values") from None
        if not np.isfinite(values).all():
            raise InputError(f"{self.name}: omic {omic!r} holds missing or infinite values "
                             f"for {int((~np.isfinite(values).any(axis=1)).sum())} of the "
                             "requested lines; impute or drop them first")
        return rows

    def _concatenated(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([inputs[o] for o in self.omics_], axis=1)

    def feature_names(self) -> list[str]:
        """``omic:feature`` for every column of the concatenated matrix."""
        return [f"{o}:{f}" for o in self.omics_ for f in self.features_[o]]


class ElasticNetPerDrug(_OmicsComparator):
    """One elastic net per drug on the concatenated omics (features standardized on the
    training lines), with the penalty and the L1 share chosen by inner K-fold
    cross-validation (scikit-learn ``ElasticNetCV``) on that drug's training lines.

    Only the measured training pairs of a drug enter its fit: a line with no ln IC50
    for the drug is left out of that drug's fit (and of its inner folds), never filled.
    A drug with fewer than ``2 * cv`` measured lines, or a constant response, gets its
    training mean.  Speed at the demo's size (~100-200 lines, ~3,400 features, 22 drugs:
    a few seconds per fold on one core) comes from stopping the path at ``eps`` = 1% of
    the largest penalty (the nearly unpenalized end is slow to converge and is not chosen
    when p >> n) and a loose duality-gap ``tol`` of 1e-2 (1e-3 took three times as long
    and chose the same penalties for 5 of 6 drugs tried); both are settings.
    """

    name = "elastic net"

    def __init__(self, l1_ratio=(0.2, 0.5, 0.9), n_alphas: int = 20, eps: float = 1e-2,
                 cv: int = 3, max_iter: int = 2000, tol: float = 1e-2, seed: int = 0):
        ratios = [float(r) for r in np.atleast_1d(l1_ratio)]
        if not ratios or any(not 0 < r <= 1 for r in ratios):
            raise InputError(f"elastic net: l1_ratio values must lie in (0, 1], got {l1_ratio}")
        if int(n_alphas) < 1 or int(cv) < 2 or int(max_iter) < 1 or not 0 < eps < 1 or tol <= 0:
            raise InputError("elastic net: need n_alphas >= 1, cv >= 2, max_iter >= 1, "
                             f"0 < eps < 1, tol > 0 (got {n_alphas}, {cv}, {max_iter}, {eps}, "
                             f"{tol})")
        self.l1_ratio, self.n_alphas, self.eps = ratios, int(n_alphas), float(eps)
        self.cv, self.max_iter, self.tol, self.seed = int(cv), int(max_iter), float(tol), seed

    def fit(self, omics: dict[str, pd.DataFrame] | None,
            response: pd.DataFrame) -> ElasticNetPerDrug:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import ElasticNetCV
        from sklearn.model_selection import KFold

        inputs, response = self._fit_inputs(omics, response)
        x = np.asfortranarray(self._concatenated(inputs))
        y = response.to_numpy(dtype=np.float64)
        coef = np.zeros((x.shape[1], y.shape[1]))
        intercept = np.zeros(y.shape[1])
        alpha = np.full(y.shape[1], np.nan)
        ratio = np.full(y.shape[1], np.nan)
        unconverged = 0
        for j in range(y.shape[1]):
            measured = ~np.isnan(y[:, j])
            target = y[measured, j]
            intercept[j] = target.mean()
            if measured.sum() < 2 * self.cv or np.ptp(target) < 1e-12:
                continue
            model = ElasticNetCV(
                l1_ratio=self.l1_ratio, alphas=self.n_alphas, eps=self.eps,
                cv=KFold(self.cv, shuffle=True, random_state=self.seed % (2**32)),
                max_iter=self.max_iter, tol=self.tol, n_jobs=1, selection="cyclic",
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                model.fit(x[measured], target)
            unconverged += any(issubclass(w.category, ConvergenceWarning) for w in caught)
            coef[:, j], intercept[j] = model.coef_, model.intercept_
            alpha[j], ratio[j] = model.alpha_, model.l1_ratio_
        if unconverged:
            log.info("elastic net: coordinate descent stopped at max_iter=%d before tol for "
                     "some path points of %d drug(s)", self.max_iter, unconverged)
        self.coef_ = pd.DataFrame(coef, index=self.feature_names(), columns=self.drugs_)
        self.intercept_ = pd.Series(intercept, index=self.drugs_, name="intercept")
        self.alpha_ = pd.Series(alpha, index=self.drugs_, name="alpha")
        self.l1_ratio_ = pd.Series(ratio, index=self.drugs_, name="l1_ratio")
        return self

    def predict(self, omics: dict[str, pd.DataFrame] | None, lines: list[str]) -> pd.DataFrame:
        x = self._concatenated(self._predict_inputs(omics, lines))
        return _frame(x @ self.coef_.to_numpy() + self.intercept_.to_numpy(), list(lines),
                      self.drugs_)


class RandomForestMulti(_OmicsComparator):
    """One multi-output random forest (scikit-learn ``RandomForestRegressor``) on the
    concatenated omics, one output per drug.

    scikit-learn takes no missing targets, so an unmeasured training pair is filled
    with the drug's training mean before fitting: those pairs pull their leaves towards
    the drug mean.  (About 2% of pairs on GDSC2's 22 best-covered drugs.)  Features are
    used unscaled: splits do not depend on scale.
    """

    name = "random forest"
    standardize = False

    def __init__(self, n_estimators: int = 200, max_features: str | float = "sqrt",
                 min_samples_leaf: int = 3, seed: int = 0):
        if int(n_estimators) < 1 or int(min_samples_leaf) < 1:
            raise InputError("random forest: n_estimators and min_samples_leaf must be >= 1")
        if not (max_features in ("sqrt", "log2")
                or (isinstance(max_features, float) and 0 < max_features <= 1)
                or (isinstance(max_features, int) and max_features >= 1)):
            raise InputError("random forest: max_features must be 'sqrt', 'log2', a share in "
                             f"(0, 1] or a count >= 1, got {max_features!r}")
        self.n_estimators, self.min_samples_leaf = int(n_estimators), int(min_samples_leaf)
        self.max_features, self.seed = max_features, seed

    def fit(self, omics: dict[str, pd.DataFrame] | None,
            response: pd.DataFrame) -> RandomForestMulti:
        from sklearn.ensemble import RandomForestRegressor

        inputs, response = self._fit_inputs(omics, response)
        filled = response.fillna(response.mean(axis=0)).to_numpy(dtype=np.float64)
        self.forest_ = RandomForestRegressor(
            n_estimators=self.n_estimators, max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf, random_state=self.seed % (2**32), n_jobs=1,
        ).fit(self._concatenated(inputs), filled)
        return self

    def predict(self, omics: dict[str, pd.DataFrame] | None, lines: list[str]) -> pd.DataFrame:
        x = self._concatenated(self._predict_inputs(omics, lines))
        return _frame(self.forest_.predict(x), list(lines), self.drugs_)


# ------------------------------------------------------------------- multiple kernel learning


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``a`` and of ``b``."""
    d = (a**2).sum(axis=1)[:, None] + (b**2).sum(axis=1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def median_bandwidth(x: np.ndarray) -> float:
    """Median Euclidean distance between distinct rows (1.0 when all rows coincide)."""
    d = np.sqrt(squared_distances(x, x)[np.triu_indices(len(x), k=1)])
    d = d[d > 0]
    return float(np.median(d)) if len(d) else 1.0


def rbf_kernel(a: np.ndarray, b: np.ndarray, bandwidth: float) -> np.ndarray:
    """Gaussian kernel exp(-|a - b|^2 / (2 bandwidth^2))."""
    return np.exp(-squared_distances(a, b) / (2.0 * bandwidth**2))


def kernel_ridge(kernel: np.ndarray, y: np.ndarray, penalty: float) -> tuple[np.ndarray, float]:
    """Kernel ridge regression with an unpenalized intercept.

    Minimizes ``|y - b - K a|^2 + penalty * a' K a``; with the centring matrix C and
    ``Kc = C K C`` the solution is ``a = (Kc + penalty I)^-1 C y`` and
    ``b = mean(y - K a)``.  Returns ``(a, b)``; a new line x is predicted as
    ``k(x, training lines) @ a + b``.
    """
    n = len(y)
    centring = np.eye(n) - 1.0 / n
    kc = centring @ kernel @ centring
    a = np.linalg.solve(kc + penalty * np.eye(n), y - y.mean())
    return a, float(np.mean(y - kernel @ a))


def loo_residuals(kernel, y, measured, penalty):
    """Closed-form leave-one-out residuals of :func:`kernel_ridge`, for every drug at once.

    ``kernel`` (n x n), ``y`` and ``measured`` (drugs x n, torch tensors; unmeasured
    entries of y are ignored), ``penalty`` a scalar tensor.  For drug d with measured
    lines S (n_d of them) the fit is a linear smoother with hat matrix
    ``H = 11'/n_d + Kc (Kc + penalty I)^-1``, Kc the kernel centred over S, so
    ``y - H y = penalty A^-1 C y`` and ``1 - H_ii = penalty (A^-1)_ii - 1/n_d`` with
    ``A = Kc + penalty I``; the leave-one-out residual is their ratio (exact for
    penalized least squares).  Unmeasured lines are decoupled (their rows of the
    centring matrix are zero) and get residual 0.  Differentiable (Cholesky).
    """
    import torch

    m = measured.to(kernel.dtype)
    count = m.sum(dim=1)
    share = m / count[:, None]  # (d, n): 1/n_d on measured lines
    # Kc = C K C with C = diag(m) - m share': expanded so no (d, n, n) matrix product is needed
    masked = kernel[None] * (m[:, :, None] * m[:, None, :])
    row = torch.einsum("dij,dj->di", masked, share)  # (K share) on measured lines
    total = (row * m).sum(dim=1) / count  # share' K share
    kc = (masked - row[:, :, None] * m[:, None, :] - m[:, :, None] * row[:, None, :]
          + total[:, None, None] * (m[:, :, None] * m[:, None, :]))
    eye = torch.eye(kernel.shape[0], dtype=kernel.dtype, device=kernel.device)
    factor = torch.linalg.cholesky(kc + penalty * eye)  # A = L L'
    factor_inverse = torch.linalg.solve_triangular(factor, eye.expand_as(kc), upper=False)
    yc = (torch.nan_to_num(y) - (torch.nan_to_num(y) * share).sum(dim=1, keepdim=True)) * m
    # A^-1 yc = L'^-1 (L^-1 yc); diag(A^-1)_i = sum_k (L^-1)_ki^2
    half = torch.einsum("dij,dj->di", factor_inverse, yc)
    residual = penalty * torch.einsum("dji,dj->di", factor_inverse, half)
    leverage_gap = penalty * (factor_inverse**2).sum(dim=1) - 1.0 / count[:, None]
    return residual / leverage_gap * m


class MultipleKernelRegression(_OmicsComparator):
    """Multi-task multiple kernel regression, a point-estimate stand-in for BEMKL.

    Model.  One Gaussian kernel per omic on its standardized features, bandwidth the
    median distance between training lines; ``K = sum_m eta_m K_m`` with the kernel
    weights ``eta`` on the simplex (a softmax of free logits) shared by all drugs;
    per drug, kernel ridge regression with an unpenalized intercept
    (:func:`kernel_ridge`) on the lines where that drug was measured.  ``eta`` and
    the ridge penalty (one, shared by the drugs) minimize the closed-form leave-one-out
    error (:func:`loo_residuals`): each drug's LOO mean squared error divided by its
    training variance (so drugs count alike whatever their spread), averaged over
    the drugs with two or more measured training lines.  Gradients come from torch
    autograd; ``optimizer="lbfgs"`` (default) runs scipy's L-BFGS-B for at most
    ``steps`` iterations, ``"adam"`` runs ``steps`` steps of Adam at rate ``lr`` and
    keeps the best parameters seen.  Each objective evaluation
    factors one (lines x lines) matrix per drug, so the quasi-Newton method, which needs
    tens of evaluations where Adam needs hundreds, is the default.
    ``kernel_weights_`` (Series by omic), ``penalty_`` and ``loo_error_`` expose the fit.

    How this differs from BEMKL (Gonen & Margolin 2014; Ali et al. 2018, the Table 6
    comparator): BEMKL is a Bayesian model fit by variational inference, with gamma
    priors on the dual weights and kernel weights (which can shrink kernels to zero),
    per-drug noise precisions, and posterior means as predictions.  Here: no priors,
    no variational Bayes, no per-drug noise or precision, no sparsity prior on the
    kernel weights (the simplex constraint is the only regularization), point
    estimates, and hyper-parameters chosen by leave-one-out error instead of by the
    marginal likelihood bound; kernels are Gaussian with the median bandwidth (BEMKL
    used Gaussian and Jaccard kernels and, in 2018, pathway-restricted kernels).
    """

    name = "multiple kernel regression"
    LOG_PENALTY_BOUNDS = (-12.0, 12.0)  # keeps the Cholesky factorizations well posed
    LOGIT_BOUNDS = (-15.0, 15.0)

    def __init__(self, optimizer: str = "lbfgs", steps: int = 100, lr: float = 0.05,
                 initial_penalty: float = 1.0, seed: int = 0):
        if optimizer not in ("lbfgs", "adam"):
            raise InputError("multiple kernel regression: optimizer must be 'lbfgs' or 'adam', "
                             f"got {optimizer!r}")
        if int(steps) < 0 or lr <= 0 or initial_penalty <= 0:
            raise InputError("multiple kernel regression: need steps >= 0, lr > 0, "
                             "initial_penalty > 0")
        self.optimizer, self.steps, self.lr = optimizer, int(steps), lr
        self.initial_penalty, self.seed = initial_penalty, seed

    def fit(self, omics: dict[str, pd.DataFrame] | None,
            response: pd.DataFrame) -> MultipleKernelRegression:
        import torch

        inputs, response = self._fit_inputs(omics, response)
        self.train_inputs_ = inputs
        self.bandwidths_ = pd.Series({o: median_bandwidth(inputs[o]) for o in self.omics_},
                                     name="bandwidth")
        kernels = torch.as_tensor(np.stack([rbf_kernel(inputs[o], inputs[o],
                                                       self.bandwidths_[o])
                                            for o in self.omics_]))
        y = torch.as_tensor(response.to_numpy(dtype=np.float64).T)
        measured = ~torch.isnan(y)
        y_mean = torch.nanmean(y, dim=1, keepdim=True)
        variance = (torch.nan_to_num(y - y_mean) ** 2).sum(dim=1) / measured.sum(dim=1)
        variance = variance.clamp_min(1e-12)
        # Leaving out the only measured line of a drug leaves nothing to fit: such a drug
        # has no leave-one-out error (0/0), so it does not steer the kernel weights; its
        # ridge is still fit (and predicts its one value).
        scored = measured.sum(dim=1) >= 2
        if not bool(scored.any()):
            raise InputError("multiple kernel regression: no drug has two or more measured "
                             "training lines; the leave-one-out error needs them")
        y_scored, measured_scored, variance = y[scored], measured[scored], variance[scored]

        def objective(params: torch.Tensor) -> torch.Tensor:
            """params = (kernel logits..., log penalty)."""
            eta = torch.softmax(params[:-1], dim=0)
            kernel = torch.einsum("m,mij->ij", eta, kernels)
            e = loo_residuals(kernel, y_scored, measured_scored, params[-1].exp())
            return ((e**2).sum(dim=1) / measured_scored.sum(dim=1) / variance).mean()

        start = np.zeros(len(self.omics_) + 1)
        start[-1] = np.log(self.initial_penalty)
        fitter = self._lbfgs if self.optimizer == "lbfgs" else self._adam
        best, self.loo_history_ = fitter(objective, start)
        self.loo_error_ = self.loo_history_[-1] if self.optimizer == "lbfgs" \
            else min(self.loo_history_)
        logits = torch.as_tensor(best[:-1])
        self.kernel_weights_ = pd.Series(torch.softmax(logits, 0).numpy(), index=self.omics_,
                                         name="weight")
        self.penalty_ = float(np.exp(best[-1]))
        kernel = np.einsum("m,mij->ij", self.kernel_weights_.to_numpy(), kernels.numpy())
        values = response.to_numpy(dtype=np.float64)
        self.dual_, self.intercept_, self.support_ = [], [], []
        for j in range(values.shape[1]):
            lines = np.flatnonzero(~np.isnan(values[:, j]))
            a, b = kernel_ridge(kernel[np.ix_(lines, lines)], values[lines, j], self.penalty_)
            self.dual_.append(a)
            self.intercept_.append(b)
            self.support_.append(lines)
        return self

    def _bounds(self, n: int) -> list[tuple[float, float]]:
        return [self.LOGIT_BOUNDS] * (n - 1) + [self.LOG_PENALTY_BOUNDS]

    def _lbfgs(self, objective, start: np.ndarray) -> tuple[np.ndarray, list[float]]:
        import torch
        from scipy.optimize import minimize

        history = []

        def value_and_gradient(x):
            params = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            loss = objective(params)
            loss.backward()
            history.append(loss.item())
            return loss.item(), params.grad.numpy().copy()

        result = minimize(value_and_gradient, start, jac=True, method="L-BFGS-B",
                          bounds=self._bounds(len(start)),
                          options={"maxiter": max(self.steps, 1)})
        history.append(float(result.fun))
        return np.asarray(result.x, dtype=np.float64), history

    def _adam(self, objective, start: np.ndarray) -> tuple[np.ndarray, list[float]]:
        import torch

        from modrp.train import Adam

        params = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        optimizer = Adam([params], lr=self.lr)
        low, high = zip(*self._bounds(len(start)), strict=True)
        low, high = torch.tensor(low, dtype=torch.float64), torch.tensor(high, dtype=torch.float64)
        best, history = (float("inf"), start), []
        for step in range(self.steps + 1):
            optimizer.zero_grad()
            loss = objective(params)
            history.append(loss.item())
            if history[-1] < best[0]:
                best = (history[-1], params.detach().numpy().copy())
            if step == self.steps:
                break
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                params.copy_(torch.minimum(torch.maximum(params, low), high))
        return best[1], history

    def kernel_to_training(self, omics, lines: list[str]) -> np.ndarray:
        """Combined kernel between ``lines`` and the training lines (lines x training)."""
        inputs = self._predict_inputs(omics, lines)
        return sum(w * rbf_kernel(inputs[o], self.train_inputs_[o], self.bandwidths_[o])
                   for o, w in self.kernel_weights_.items())

    def predict(self, omics: dict[str, pd.DataFrame] | None, lines: list[str]) -> pd.DataFrame:
        kernel = self.kernel_to_training(omics, lines)
        values = np.column_stack([kernel[:, s] @ a + b for a, b, s in
                                  zip(self.dual_, self.intercept_, self.support_, strict=True)])
        return _frame(values, list(lines), self.drugs_)


# ------------------------------------------------------------------------------ DeepDR-style


def _encoder_sizes(n_features: int, sizes) -> list[int]:
    """Layer widths, each capped by the width before it (so a small omic is not blown up)."""
    widths, previous = [], n_features
    for size in sizes:
        previous = min(int(size), previous)
        widths.append(previous)
    return widths


def _mlp(widths: list[int], dropout: float, last_activation: bool):
    import torch.nn as nn

    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(widths) - 2 or last_activation:
            layers.append(nn.ReLU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class DeepDRStyle(_OmicsComparator):
    """After DeepDR (Chiu et al. 2019): per-omic autoencoders, then encoders plus a
    feed-forward multi-output regressor (one output per drug) fine-tuned end to end.

    1. One autoencoder per omic (encoder widths ``encoder_sizes``, default 512-128-64,
       each capped by the width before it, so a 67-feature omic gets 67-67-64; ReLU and
       dropout; mirrored decoder), pretrained without labels on the standardized
       profiles of the training lines (reconstruction MSE).  DeepDR pretrains its
       expression and mutation encoders on thousands of TCGA tumours; we have no tumours,
       so the autoencoders see only this fold's training lines, far fewer profiles; the
       default widths are sized for ~100-200 lines (a setting).
    2. The encoders' codes are concatenated and fed to a ``head_hidden``-unit layer and a
       linear output per drug; the whole network is fine-tuned with masked MSE
       (unmeasured pairs ignored) on each drug's ln IC50 standardized over its measured
       training lines (predictions are transformed back).
    Both stages stop early on ``validation_fraction`` of the training lines (drawn with
    ``seed``) and keep the best epoch.  DeepDR used expression and mutations; this class
    uses whichever omics it is given.  Seeded: CPU runs repeat bit for bit.
    """

    name = "DeepDR-style"

    def __init__(self, encoder_sizes=(512, 128, 64), head_hidden: int = 128,
                 dropout: float = 0.2, lr: float = 1e-3, batch_size: int = 32,
                 pretrain_epochs: int = 50, epochs: int = 300, patience: int = 20,
                 validation_fraction: float = 0.2, seed: int = 0):
        sizes = [int(s) for s in encoder_sizes]
        if not sizes or min(sizes) < 1 or int(head_hidden) < 1:
            raise InputError("DeepDR-style: encoder_sizes and head_hidden must be positive")
        if not 0 <= dropout < 1 or lr <= 0 or int(batch_size) < 1 or int(patience) < 1:
            raise InputError("DeepDR-style: need 0 <= dropout < 1, lr > 0, batch_size >= 1, "
                             "patience >= 1")
        if int(pretrain_epochs) < 0 or int(epochs) < 1 or not 0 < validation_fraction < 1:
            raise InputError("DeepDR-style: need pretrain_epochs >= 0, epochs >= 1 and "
                             "0 < validation_fraction < 1")
        self.encoder_sizes, self.head_hidden, self.dropout = sizes, int(head_hidden), dropout
        self.lr, self.batch_size, self.patience = lr, int(batch_size), int(patience)
        self.pretrain_epochs, self.epochs = int(pretrain_epochs), int(epochs)
        self.validation_fraction, self.seed = validation_fraction, seed

    def fit(self, omics: dict[str, pd.DataFrame] | None, response: pd.DataFrame) -> DeepDRStyle:
        import torch
        import torch.nn as nn

        from modrp.train import Batch, FitSettings, ReadsInput, fit, seed_everything

        inputs, response = self._fit_inputs(omics, response)
        n = len(response)
        n_stop = int(round(self.validation_fraction * n))
        if n_stop < 1 or n - n_stop < 2:
            raise InputError(f"DeepDR-style: {n} training lines are too few to hold out "
                             f"{self.validation_fraction:.0%} for early stopping")
        rng = np.random.default_rng(self.seed % (2**32))
        stop = np.zeros(n, dtype=bool)
        stop[rng.choice(n, size=n_stop, replace=False)] = True
        seed_everything(self.seed % (2**63))
        device = torch.device("cpu")

        encoders = nn.ModuleDict()
        code_width = 0
        self.pretrain_history_ = {}
        for i, omic in enumerate(self.omics_):
            x = inputs[omic].astype(np.float32)
            widths = [x.shape[1], *_encoder_sizes(x.shape[1], self.encoder_sizes)]
            encoder = _mlp(widths, self.dropout, last_activation=True)
            autoencoder = nn.Sequential(encoder, _mlp(widths[::-1], self.dropout,
                                                      last_activation=False))
            encoders[omic] = encoder
            code_width += widths[-1]
            if self.pretrain_epochs:
                settings = FitSettings(lr=self.lr, max_epochs=self.pretrain_epochs,
                                       patience=self.patience, batch_size=self.batch_size,
                                       seed=(self.seed + i + 1) % (2**63), log_every=0)
                self.pretrain_history_[omic] = fit(
                    ReadsInput(autoencoder, omic),
                    Batch.from_arrays({omic: x[~stop]}, x[~stop], device),
                    Batch.from_arrays({omic: x[stop]}, x[stop], device),
                    settings, label=f"DeepDR-style autoencoder {omic}")

        network = _deepdr_network_class()(encoders, code_width, self.head_hidden, self.dropout,
                                          len(self.drugs_))
        # the regressor predicts each drug's ln IC50 standardized over its measured training
        # lines: output biases start at the drug means and the drugs weigh alike in the loss
        self.target_mean_ = response.mean(axis=0)
        self.target_scale_ = response.std(axis=0, ddof=0).where(lambda s: s > 1e-8, 1.0)
        y = ((response - self.target_mean_) / self.target_scale_).to_numpy(dtype=np.float32)
        arrays = {o: inputs[o].astype(np.float32) for o in self.omics_}
        settings = FitSettings(lr=self.lr, max_epochs=self.epochs, patience=self.patience,
                               batch_size=self.batch_size, seed=self.seed % (2**63),
                               log_every=0)
        self.history_ = fit(network,
                            Batch.from_arrays({o: v[~stop] for o, v in arrays.items()},
                                              y[~stop], device),
                            Batch.from_arrays({o: v[stop] for o, v in arrays.items()},
                                              y[stop], device),
                            settings, label="DeepDR-style fine-tuning")
        self.network_ = network.eval()
        return self

    def predict(self, omics: dict[str, pd.DataFrame] | None, lines: list[str]) -> pd.DataFrame:
        import torch

        inputs = self._predict_inputs(omics, lines)
        with torch.no_grad():
            self.network_.eval()
            values = self.network_({o: torch.as_tensor(v, dtype=torch.float32)
                                    for o, v in inputs.items()}).numpy()
        values = values * self.target_scale_.to_numpy() + self.target_mean_.to_numpy()
        return _frame(values, list(lines), self.drugs_)


@functools.cache
def _deepdr_network_class():
    """The network class, built on first use so importing this module does not load torch."""
    import torch
    import torch.nn as nn

    class DeepDRNetwork(nn.Module):
        """Per-omic encoders -> concatenated codes -> hidden layer -> one output per drug."""

        def __init__(self, encoders: nn.ModuleDict, code_width: int, hidden: int,
                     dropout: float, n_drugs: int):
            super().__init__()
            self.encoders = encoders
            self.head = nn.Sequential(nn.Linear(code_width, hidden), nn.ReLU(),
                                      nn.Dropout(dropout), nn.Linear(hidden, n_drugs))

        def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
            return self.head(torch.cat([e(inputs[o]) for o, e in self.encoders.items()], dim=1))

    return DeepDRNetwork


# -------------------------------------------------------------------------------- registry

DEFAULT_SETTINGS: dict[str, dict] = {
    "per_drug_mean": {},
    "tissue_drug_mean": {"min_lines": 3},
    "elastic_net": {"l1_ratio": [0.2, 0.5, 0.9], "n_alphas": 20, "eps": 0.01, "cv": 3,
                    "max_iter": 2000, "tol": 0.01},
    "random_forest": {"n_estimators": 200, "max_features": "sqrt", "min_samples_leaf": 3},
    "mkl": {"optimizer": "lbfgs", "steps": 100, "lr": 0.05, "initial_penalty": 1.0},
    "deepdr": {"encoder_sizes": [512, 128, 64], "head_hidden": 128, "dropout": 0.2,
               "lr": 0.001, "batch_size": 32, "pretrain_epochs": 50, "epochs": 300,
               "patience": 20, "validation_fraction": 0.2},
}


def _merged(method: str, settings: Mapping | None) -> dict:
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS[method]))
    if unknown:
        raise InputError(f"baselines.{method}: unknown setting(s) {unknown}; known: "
                         f"{sorted(DEFAULT_SETTINGS[method]) or 'none'}")
    return {**DEFAULT_SETTINGS[method], **settings}


def _per_drug_mean(settings: dict, tissues: pd.Series | None, seed: int) -> PerDrugMean:
    _merged("per_drug_mean", settings)
    return PerDrugMean()


def _tissue_drug_mean(settings: dict, tissues: pd.Series | None, seed: int) -> TissueDrugMean:
    if tissues is None:
        raise InputError("tissue_drug_mean needs each line's tissue (data/cell_lines.parquet, "
                         "column 'tissue')")
    return TissueDrugMean(tissues, **_merged("tissue_drug_mean", settings))


def _seeded(cls, method: str):
    def factory(settings: dict, tissues: pd.Series | None, seed: int):
        return cls(**_merged(method, settings), seed=seed)

    return factory


#: method name -> factory(settings, tissues, seed); settings override DEFAULT_SETTINGS
COMPARATORS: dict[str, Callable[[dict, pd.Series | None, int], object]] = {
    "per_drug_mean": _per_drug_mean,
    "tissue_drug_mean": _tissue_drug_mean,
    "elastic_net": _seeded(ElasticNetPerDrug, "elastic_net"),
    "random_forest": _seeded(RandomForestMulti, "random_forest"),
    "mkl": _seeded(MultipleKernelRegression, "mkl"),
    "deepdr": _seeded(DeepDRStyle, "deepdr"),
}

#: comparators that read no omics (they still predict only lines that have the omics)
WITHOUT_FEATURES = ("per_drug_mean", "tissue_drug_mean")
#: comparators that compute with torch (the others load neither torch nor modrp.train)
USES_TORCH = ("mkl", "deepdr")


def make_comparator(method: str, settings: Mapping | None = None,
                    tissues: pd.Series | None = None, seed: int = 0):
    """Build a comparator by name; an unknown name or setting raises InputError."""
    if method not in COMPARATORS:
        raise InputError(f"unknown baseline method {method!r}; known: {sorted(COMPARATORS)}")
    return COMPARATORS[method](dict(settings or {}), tissues, int(seed))


# ------------------------------------------------------------------------------ fold job


def _read_parquet(path: Path, what: str) -> pd.DataFrame:
    from modrp.io import require_file

    path = require_file(path, what)
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise InputError(f"{what}: cannot read {path} as Parquet: {error}") from None
    return frame


def fit_predict_fold(method: str, omics: list[str], data_dir: Path, folds_path: Path,
                     fold: int, settings: dict, seed: int) -> pd.DataFrame:
    """Fit ``method`` on every line outside test fold ``fold`` and predict the fold's lines.

    Reads ``data_dir/omics/<omic>.parquet``, ``data_dir/response.parquet``,
    ``data_dir/cell_lines.parquet`` (tissues, for ``tissue_drug_mean``) and the fold
    table ``folds_path`` (``cell_line, fold, repeat``).  The lines used are those with
    every omic of ``omics`` and at least one measured drug, so a comparator is scored on
    the same lines as the model of that omics combination.  The comparators choose
    their own hyper-parameters inside the training lines, so the pipeline's validation
    split is not held out here.  The job's seed is derived from ``seed`` and the
    method, omics, repeat and fold.  Returns ``cell_line, drug, observed, predicted,
    fold, repeat`` for the measured pairs of the test lines.
    """
    from modrp.splits import job_seed, long_predictions

    if method not in COMPARATORS:
        raise InputError(f"unknown baseline method {method!r}; known: {sorted(COMPARATORS)}")
    omics = list(omics)
    if not omics and method not in WITHOUT_FEATURES:
        raise InputError(f"baseline {method} needs at least one omic")
    data_dir = Path(data_dir)
    response = _read_parquet(data_dir / "response.parquet", "response")
    response.index = response.index.astype(str)
    matrices = {}
    for omic in omics:
        matrix = _read_parquet(data_dir / "omics" / f"{omic}.parquet", f"omic {omic}")
        matrix.index = matrix.index.astype(str)
        matrices[omic] = matrix
    folds = _read_parquet(Path(folds_path), "folds")
    missing = [c for c in ("cell_line", "fold", "repeat") if c not in folds.columns]
    if missing:
        raise InputError(f"folds: {folds_path} lacks the column(s) {missing}")
    tissues = None
    if method == "tissue_drug_mean":
        lines_table = _read_parquet(data_dir / "cell_lines.parquet", "cell lines")
        if not {"cell_line", "tissue"} <= set(lines_table.columns):
            raise InputError(f"cell lines: {data_dir / 'cell_lines.parquet'} needs the columns "
                             "cell_line and tissue")
        tissues = lines_table.set_index(lines_table["cell_line"].astype(str))["tissue"]

    repeat = int(folds["repeat"].iloc[0])
    assignment = folds.set_index(folds["cell_line"].astype(str))["fold"]
    if fold not in set(assignment.astype(int)):
        raise InputError(f"folds: {folds_path} has no fold {fold} (folds: "
                         f"{sorted(set(assignment.astype(int)))})")
    available = response.index[response.notna().any(axis=1)]
    for matrix in matrices.values():
        available = available.intersection(matrix.index)
    lines = sorted(set(available) & set(assignment.index))
    test = [c for c in lines if assignment[c] == fold]
    train = [c for c in lines if assignment[c] != fold]
    if len(train) < MIN_TRAIN_LINES or not test:
        raise InputError(
            f"fold {fold}: too few cell lines for baseline {method} ({len(train)} train, "
            f"{len(test)} test; at least {MIN_TRAIN_LINES} train and 1 test needed) among the "
            f"{len(lines)} with omics {omics or 'any'} and a measured drug")
    drugs = response.columns.tolist()
    unmeasured = [d for d in drugs if response.loc[train, d].notna().sum() == 0]
    if unmeasured:
        raise InputError(f"fold {fold}: drug(s) {unmeasured} have no measured training line")

    job = job_seed(int(seed), "baseline", method, "-".join(omics), repeat, fold)
    comparator = make_comparator(method, settings, tissues, job)
    comparator.fit({o: m.loc[train] for o, m in matrices.items()}, response.loc[train])
    predicted = comparator.predict({o: m.loc[test] for o, m in matrices.items()}, test)
    predicted = predicted.loc[test, drugs].to_numpy(dtype=np.float64)
    return long_predictions(test, drugs, response, predicted, fold, repeat)
