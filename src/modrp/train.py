"""Fitting loops: standardization fit on the training fold, masked MSE on observed
ln IC50, Adam, early stopping on a validation split carved from the training fold.

The same code runs on CPU and CUDA (``device: auto`` picks CUDA when present);
CPU runs are bit-for-bit repeatable for a given seed and thread count.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from modrp.splits import Standardization, job_seed, long_predictions

log = logging.getLogger(__name__)


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; otherwise the named device (``cpu``,
    ``cuda``, ``cuda:N``), refused with an InputError naming ``train.device`` when this
    machine cannot give it."""
    from modrp.errors import InputError

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"train.device: {name!r} is not a device; use auto, cpu, cuda or "
                         "cuda:N") from None
    if device.type not in ("cpu", "cuda"):
        raise InputError(f"train.device: {name!r} is not supported; use auto, cpu, cuda or "
                         "cuda:N")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"train.device is {name!r}, but torch finds no CUDA device on "
                             f"this machine (torch {torch.__version__}); use auto or cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise InputError(f"train.device is {name!r}, but this machine has "
                             f"{torch.cuda.device_count()} CUDA device(s)")
    return device


# glibc mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
KEEP_FREED_BELOW = 1 << 30


def keep_freed_memory(limit: int = KEEP_FREED_BELOW) -> bool:
    """Let glibc's malloc keep freed blocks below ``limit`` bytes for reuse.

    A training step frees and reallocates the same batch-sized buffers (the graph
    embedding's output and gradients: n x batch floats each).  By default glibc hands
    such blocks back to the system (unmapped, or trimmed off the heap top), and every
    step pays page faults to get them again: about 15% of a paper-scale CPU epoch and
    of the graph layer's step in ``benchmarks/graph_layer.py``.  With both
    thresholds at ``limit`` the process keeps the memory of its largest step instead
    (its resident size stays at that peak).  Process-wide, so called by the training
    jobs' entry points, not by library functions.  Returns False, doing nothing, where
    the C library is not glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # The mmap threshold first: setting the trim threshold alone turns off glibc's
    # adaptive mmap threshold and sends every block above 128 kB to mmap.
    return bool(mallopt(_M_MMAP_THRESHOLD, limit)) and bool(mallopt(_M_TRIM_THRESHOLD, limit))


def seed_everything(seed: int) -> None:
    """Seed numpy and torch.

    The CPU kernels used here are deterministic, so a CPU run repeats bit for bit
    (tests/test_train.py checks).  ``torch.use_deterministic_algorithms`` is not
    called: it imports torch's compiler stack, seconds per job for nothing on CPU.
    """
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def masked_mse(predicted: torch.Tensor, observed: torch.Tensor,
               measured: torch.Tensor) -> torch.Tensor:
    """Paper eq. 1 restricted to measured (cell line, drug) pairs: missing IC50 are masked.

    The mean is over the pairs this call is given; in training that is one
    minibatch, so a short last batch weighs its pairs more in its step, as any
    minibatch mean does (batches are reshuffled every epoch).
    """
    squared = (predicted - observed) ** 2 * measured
    return squared.sum() / measured.sum().clamp_min(1.0)


@dataclass
class Batch:
    """Model inputs (one tensor per omic), observed ln IC50 with NaN set to 0, and the mask."""

    inputs: dict[str, torch.Tensor]
    observed: torch.Tensor
    measured: torch.Tensor

    @classmethod
    def from_arrays(cls, inputs: Mapping[str, np.ndarray], response: np.ndarray,
                    device: torch.device) -> Batch:
        # Inputs are stored feature-major and handed out as (lines, features) views:
        # the graph embedding's sparse kernels read that layout without a copy
        # (see modrp.model), and dense layers take it as it is.
        measured = ~np.isnan(response)
        return cls(
            {k: torch.as_tensor(np.ascontiguousarray(np.asarray(v, dtype=np.float32).T),
                                device=device).t() for k, v in inputs.items()},
            torch.as_tensor(np.nan_to_num(response), dtype=torch.float32, device=device),
            torch.as_tensor(measured, dtype=torch.float32, device=device),
        )

    def __len__(self) -> int:
        return self.observed.shape[0]

    def rows(self, index: torch.Tensor) -> Batch:
        """The lines at ``index``, inputs kept feature-major."""
        return Batch({k: v.t()[:, index].t() for k, v in self.inputs.items()},
                     self.observed[index], self.measured[index])


class Adam:
    """Adam (Kingma & Ba 2015) with torch.optim.Adam's defaults and update rule.

    Not ``torch.optim.Adam`` itself: constructing any ``torch.optim`` optimizer imports
    torch's compiler stack (``torch._dynamo``), 2-3 s per process, most of a fusion
    job's time.  The update is torch's fused Adam kernel (``torch._fused_adam_``, the
    one ``torch.optim.Adam(fused=True)`` calls): one pass over each parameter, where
    the same rule written as tensor operations makes eight, each allocating or
    rewriting a parameter-sized tensor.  In paper-scale training steps (batch 64; four
    runs of ``benchmarks/subnetwork_step.py`` on a shared 2-core VM) the update is
    3.7-5.3x faster for the 82M parameters of a dense expression subnetwork (the whole
    step 1.34-1.91x) and 2.6-3.0x for a graph one (the step 1.10-1.18x).  As in
    torch.optim.Adam, each parameter counts its own steps, and a parameter without a
    gradient is left as it is.  tests/test_train.py checks it against
    ``torch.optim.Adam``.
    """

    def __init__(self, parameters, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        self.parameters = [p for p in parameters if p.requires_grad]
        self.lr, self.betas, self.eps = lr, betas, eps
        # Contiguous whatever the parameter's layout: the kernel reads flat memory.
        self.first = [torch.zeros(p.shape, dtype=p.dtype, device=p.device)
                      for p in self.parameters]
        self.second = [torch.zeros_like(first) for first in self.first]
        # float32 scalars on the parameter's device, as torch.optim gives the kernel
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device)
                      for p in self.parameters]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        # The kernel reads each tensor as flat memory, ignoring strides (on CPU; CUDA
        # refuses differing layouts), so it gets contiguous parameters and gradients:
        # a transposed gradient, or a parameter that is a transposed view, would
        # otherwise be updated element by element against the wrong partner.  The
        # usual case (contiguous both, as .backward() leaves them) copies nothing.
        # One call per device and dtype, as CUDA's kernel requires.
        groups: dict[tuple, list[tuple]] = {}
        for p, first, second, steps in zip(self.parameters, self.first, self.second,
                                           self.steps, strict=True):
            if p.grad is not None:
                work = p if p.is_contiguous() else p.contiguous()
                groups.setdefault((p.device, p.dtype), []).append(
                    (p, work, p.grad.contiguous(), first, second, steps))
        for members in groups.values():
            _, work, grads, first, second, steps = (
                list(column) for column in zip(*members, strict=True))
            torch._foreach_add_(steps, 1)
            torch._fused_adam_(work, grads, first, second, [], steps,
                               lr=self.lr, beta1=self.betas[0], beta2=self.betas[1],
                               weight_decay=0.0, eps=self.eps, amsgrad=False,
                               maximize=False)
            for p, updated, *_ in members:
                if updated is not p:
                    p.copy_(updated)


class ReadsInput(torch.nn.Module):
    """Runs ``module`` on one entry of the input dict that :func:`fit` passes around."""

    def __init__(self, module: torch.nn.Module, key: str):
        super().__init__()
        self.module, self.key = module, key

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.module(inputs[self.key])


@dataclass
class FitSettings:
    lr: float = 1e-3
    max_epochs: int = 200
    patience: int = 20
    batch_size: int = 64
    seed: int = 0
    log_every: int = 10


def fit(model: torch.nn.Module, train: Batch, validation: Batch, settings: FitSettings,
        parameters=None, label: str = "") -> pd.DataFrame:
    """Train ``model`` with Adam on masked MSE; stop when validation MSE has not improved
    for ``patience`` epochs; restore the best epoch's weights.  Returns the per-epoch history
    (``epoch, train_mse, validation_mse, seconds``) with a ``best`` flag.
    """
    parameters = list(parameters if parameters is not None else model.parameters())
    optimizer = Adam(parameters, lr=settings.lr)
    shuffle = torch.Generator().manual_seed(settings.seed)
    best_loss, best_epoch, best_state = float("inf"), -1, None
    history = []
    started = time.perf_counter()
    for epoch in range(1, settings.max_epochs + 1):
        model.train()
        order = torch.randperm(len(train), generator=shuffle).to(train.observed.device)
        total, weight = 0.0, 0.0
        for start in range(0, len(train), settings.batch_size):
            batch = train.rows(order[start:start + settings.batch_size])
            optimizer.zero_grad(set_to_none=True)
            loss = masked_mse(model(batch.inputs), batch.observed, batch.measured)
            loss.backward()
            optimizer.step()
            n = float(batch.measured.sum())
            total, weight = total + loss.item() * n, weight + n
        validation_loss = evaluate(model, validation)
        history.append({"epoch": epoch, "train_mse": total / max(weight, 1.0),
                        "validation_mse": validation_loss,
                        "seconds": time.perf_counter() - started})
        if validation_loss < best_loss - 1e-7:
            best_loss, best_epoch = validation_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
        if settings.log_every and epoch % settings.log_every == 0:
            log.info("%s epoch %d: train MSE %.4f, validation MSE %.4f (best %.4f at %d)",
                     label, epoch, history[-1]["train_mse"], validation_loss, best_loss,
                     best_epoch)
        if epoch - best_epoch >= settings.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    frame = pd.DataFrame(history)
    frame["best"] = frame["epoch"] == best_epoch
    log.info("%s stopped after %d epochs; best validation MSE %.4f at epoch %d",
             label, len(frame), best_loss, best_epoch)
    return frame


@torch.no_grad()
def evaluate(model: torch.nn.Module, data: Batch) -> float:
    """Masked MSE of ``model`` on ``data`` in evaluation mode (dropout off)."""
    model.eval()
    return float(masked_mse(model(data.inputs), data.observed, data.measured))


@torch.no_grad()
def predict(model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> np.ndarray:
    model.eval()
    return model(inputs).cpu().numpy()


# --------------------------------------------------------------------------- per-fold jobs

OMIC_ORDER = ("exp", "mut", "cnv", "rppa", "metabolites")


def start_at_training_means(subnetwork: torch.nn.Module, response: pd.DataFrame,
                            what: str) -> None:
    """Set a subnetwork's head bias so each drug's output starts at its mean ln IC50 over
    ``response``'s lines (the training lines); see :func:`training_drug_means`."""
    with torch.no_grad():
        subnetwork.head.bias.copy_(torch.as_tensor(training_drug_means(response, what),
                                                   dtype=torch.float32))


def training_drug_means(response: pd.DataFrame, what: str) -> np.ndarray:
    """Each drug's mean ln IC50 over ``response``'s lines (the training lines).

    A drug no training line measured would be fit on nothing and still be
    predicted and scored: an input error naming the drugs and ``what``.
    """
    from modrp.errors import InputError

    values = response.to_numpy(np.float64)
    measured = ~np.isnan(values)
    unmeasured = [drug for drug, seen in zip(response.columns, measured.any(axis=0),
                                             strict=True) if not seen]
    if unmeasured:
        raise InputError(
            f"{what}: no training line has a measured ln IC50 for {len(unmeasured)} drug(s) "
            f"({', '.join(map(str, unmeasured[:5]))}{', ...' if len(unmeasured) > 5 else ''}); "
            "raise drugs.min_coverage or remove these drugs from the response table")
    return np.where(measured, values, 0.0).sum(axis=0) / measured.sum(axis=0)


def fusion_holdout(lines: list[str], fraction: float, rng: np.random.Generator,
                   what: str) -> tuple[list[str], list[str]]:
    """Split a fusion's lines into those it is fit on and those that stop it early.

    ``fraction`` of the lines (at least one) stop the fit and at least one is fit
    on; fewer than two lines is an input error naming ``what``.
    """
    from modrp.errors import InputError

    if len(lines) < 2:
        raise InputError(f"{what}: only {len(lines)} held-out line(s) have every omic of the "
                         "combination; the attention fusion needs at least 2 (one to fit on, "
                         "one to stop early); raise train.validation_fraction or use fewer omics")
    n_stop = min(len(lines) - 1, max(1, int(round(fraction * len(lines)))))
    stop = set(rng.choice(lines, size=n_stop, replace=False).tolist())
    return [c for c in lines if c not in stop], [c for c in lines if c in stop]


def fusion_fit_and_stop_lines(validation: list[str], config: dict, repeat: int, fold: int,
                              what: str) -> tuple[list[str], list[str]]:
    """The fold's validation lines a fusion is fit on, and those that stop it early
    (:func:`fusion_holdout` at ``fusion.holdout_fraction``), drawn from a stream seeded by
    the repeat and the fold alone: the same split for every combination and layer that
    has these lines."""
    from modrp.splits import repeat_seed

    rng = np.random.default_rng([repeat_seed(config["cv"]["seed"], repeat), fold, 7])
    return fusion_holdout(validation, config["fusion"]["holdout_fraction"], rng, what)


@dataclass
class FoldLines:
    """The cell lines of one (repeat, fold) for one model: train, validation, test."""

    train: list[str]
    validation: list[str]
    test: list[str]


def fold_lines(available: pd.Index, folds: pd.DataFrame, fold: int, validation_fraction: float,
               seed: int) -> FoldLines:
    """Split ``available`` lines by the fold table: test = ``fold``; the shared validation
    lines (:func:`modrp.splits.validation_lines`) among the rest; training = the remainder."""
    from modrp.errors import InputError
    from modrp.splits import validation_lines

    assignment = folds.set_index("cell_line")["fold"]
    lines = sorted(set(available) & set(assignment.index))
    held_out = validation_lines(folds, fold, validation_fraction, seed)
    test = [c for c in lines if assignment[c] == fold]
    validation = [c for c in lines if assignment[c] != fold and c in held_out]
    train = [c for c in lines if assignment[c] != fold and c not in held_out]
    if not train or not validation or not test:
        raise InputError(
            f"fold {fold}: too few cell lines ({len(train)} train, {len(validation)} validation, "
            f"{len(test)} test) among the {len(lines)} with these omics and a response"
        )
    return FoldLines(train, validation, test)


def save_checkpoint(path: Path, model: torch.nn.Module, meta: dict,
                    standardization: Standardization | None = None) -> None:
    """``state_dict`` + plain metadata (strings, numbers, lists): loadable with weights_only."""
    from modrp.io import atomic_path

    payload = {"state_dict": model.state_dict(), "meta": meta}
    if standardization is not None:
        payload["standardization"] = {**standardization.state(),
                                      "features": standardization.features}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: Path, device: torch.device | str = "cpu") -> dict:
    """Read a checkpoint; refuses anything but tensors and plain containers."""
    return torch.load(path, map_location=device, weights_only=True)


def load_subnetwork(path: Path, graph_path: Path | None, device: torch.device):
    """Rebuild a pretrained subnetwork and its standardization from its checkpoint."""
    from modrp.graph import load_feature_graph
    from modrp.model import build_subnetwork

    checkpoint = load_checkpoint(path, device)
    meta = checkpoint["meta"]
    adjacency = load_feature_graph(graph_path).adjacency if meta["embedding"] == "graph" else None
    model = build_subnetwork(meta["omic"], meta["embedding"], len(meta["features"]),
                             len(meta["drugs"]), adjacency)
    model.load_state_dict(checkpoint["state_dict"])
    stats = checkpoint["standardization"]
    standardization = Standardization(list(stats["features"]), stats["mean"].cpu().numpy(),
                                      stats["scale"].cpu().numpy())
    return model.to(device), standardization, meta


PROTOCOLS = ("strict", "paper")


def pretrain_subnetwork(omic: str, embedding: str, data_dir: Path, folds_path: Path,
                        fold: int, config: dict, out_dir: Path,
                        graph_path: Path | None = None, protocol: str = "strict") -> dict:
    """Train one omic's subnetwork on one cross-validation fold (the paper's Table 1 model).

    Writes ``model.pt``, ``predictions.parquet`` (test lines) and ``history.parquet``.
    ``protocol="strict"``: everything learned (standardization, weights, stopping epoch)
    sees training lines only.  ``protocol="paper"`` is the leakage AUDIT: the test fold's
    lines join the training lines (the paper's likely protocol, subnetworks pretrained on
    all cell lines before the fusion is cross-validated); the validation lines stay out,
    so the fusion still fits on lines the subnetworks did not train on.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
    from modrp.graph import load_feature_graph
    from modrp.model import build_subnetwork

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    fold = int(fold)  # a numpy integer would make the checkpoint unloadable (weights_only)
    train_cfg = config["train"]
    device = resolve_device(train_cfg["device"])
    torch.set_num_threads(train_cfg["threads"])
    matrix = pd.read_parquet(data_dir / "omics" / f"{omic}.parquet")
    response = pd.read_parquet(data_dir / "response.parquet")
    folds = pd.read_parquet(folds_path)
    repeat = int(folds["repeat"].iloc[0])
    drugs = response.columns.tolist()
    adjacency = None
    features = matrix.columns.tolist()
    if embedding == "graph":
        graph = load_feature_graph(graph_path)
        features, adjacency = graph.features, graph.adjacency
    measured = response.index[response.notna().any(axis=1)]
    lines = fold_lines(matrix.index.intersection(measured), folds, fold,
                       train_cfg["validation_fraction"], config["cv"]["seed"])
    if protocol == "paper":  # the audit: test lines are trained on (never the default)
        lines = FoldLines(sorted(lines.train + lines.test), lines.validation, lines.test)
    standardization = Standardization.fit(matrix.loc[lines.train + lines.validation, features])

    seed = job_seed(config["cv"]["seed"], "pretrain", omic, embedding, repeat, fold)
    seed_everything(seed)
    model = build_subnetwork(omic, embedding, len(features), len(drugs), adjacency)
    start_at_training_means(model, response.loc[lines.train],
                            f"pretrain {omic}-{embedding}, repeat {repeat}, fold {fold}")
    model = model.to(device)

    def batch(rows):
        return Batch.from_arrays({omic: standardization.transform(matrix.loc[rows])},
                                 response.loc[rows].to_numpy(np.float32), device)

    settings = FitSettings(lr=train_cfg["lr"], max_epochs=train_cfg["max_epochs"][embedding],
                           patience=train_cfg["patience"], batch_size=train_cfg["batch_size"],
                           seed=seed, log_every=train_cfg["log_every"])

    history = fit(ReadsInput(model, omic), batch(lines.train), batch(lines.validation), settings,
                  label=f"{omic}-{embedding} r{repeat} f{fold}")
    test = batch(lines.test)
    predicted = predict(model, test.inputs[omic])
    predictions = long_predictions(lines.test, drugs, response, predicted, fold, repeat)
    meta = {"omic": omic, "embedding": embedding, "features": features, "drugs": drugs,
            "repeat": repeat, "fold": fold, "seed": seed, "protocol": protocol,
            "best_epoch": int(history.loc[history["best"], "epoch"].iloc[0]),
            "n_train": len(lines.train), "n_validation": len(lines.validation),
            "n_test": len(lines.test)}
    _write_job_outputs(out_dir, model, meta, standardization, predictions, history=history)
    return meta


def frozen_outputs(model, scalers: dict, matrices: dict, response: pd.DataFrame, rows,
                   device) -> Batch:
    """The frozen subnetworks' concatenated outputs z (eq. 6) for ``rows``, as a batch for
    fitting the fusion layer alone (computed once per line set)."""
    inputs = Batch.from_arrays({o: scalers[o].transform(matrices[o].loc[rows])
                                for o in model.omics},
                               response.loc[rows].to_numpy(np.float32), device)
    with torch.no_grad():
        model.eval()
        z = model.concatenated_outputs(inputs.inputs)
    return Batch({"z": z}, inputs.observed, inputs.measured)


def fusion_settings(fusion_cfg: dict, n_fit: int, seed: int, log_every: int,
                    layer: str = "attention") -> FitSettings:
    """Fusion fits: full-batch Adam on the fit lines, early stopping on the stop lines, a
    progress line every ``log_every`` epochs (``train.log_every``; 0: none).  The
    attention layer learns at ``fusion.lr``, the concatenation layer at
    ``fusion.concatenation_lr``."""
    if layer not in ("attention", "concatenation"):
        raise ValueError(f"fusion layer {layer!r} is neither attention nor concatenation")
    lr = fusion_cfg["lr"] if layer == "attention" else fusion_cfg["concatenation_lr"]
    return FitSettings(lr=lr, max_epochs=fusion_cfg["max_epochs"],
                       patience=fusion_cfg["patience"], batch_size=n_fit, seed=seed,
                       log_every=log_every)


def fuse_combination(combination: list[str], subnetwork_paths: dict[str, Path],
                     graph_paths: dict[str, Path | None], data_dir: Path, folds_path: Path,
                     fold: int, config: dict, out_dir: Path, layer: str = "attention") -> dict:
    """Fit the fusion layer of one omics combination on one fold.

    ``layer="attention"``: the paper's attention with the kill matrix (eqs. 6-7);
    ``layer="concatenation"``: its "multi-omics without attention layer" (Table 2), a
    linear layer over the concatenated outputs, started at the plain average of the
    omics' predictions so both layers start from the same point.
    The fold's pretrained subnetworks are frozen; only the fusion parameters learn,
    on the validation lines, which no subnetwork was trained on (a share of them stops
    the fit early).  Writes ``model.pt``, ``predictions.parquet``, ``history.parquet``
    (per epoch: MSE on the fit lines and on the stop lines) and, for attention,
    ``attention.parquet``.
    """
    from modrp.model import AttentionFusion, ConcatenationModel, FusionModel

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    fold = int(fold)
    fusion_cfg, train_cfg = config["fusion"], config["train"]
    device = resolve_device(train_cfg["device"])
    torch.set_num_threads(train_cfg["threads"])
    response = pd.read_parquet(data_dir / "response.parquet")
    folds = pd.read_parquet(folds_path)
    repeat = int(folds["repeat"].iloc[0])
    drugs = response.columns.tolist()
    matrices = {omic: pd.read_parquet(data_dir / "omics" / f"{omic}.parquet")
                for omic in combination}
    subnetworks, scalers, protocols = {}, {}, set()
    for omic in combination:
        subnetworks[omic], scalers[omic], meta = load_subnetwork(
            subnetwork_paths[omic], graph_paths.get(omic), device)
        if meta["drugs"] != drugs or meta["fold"] != fold or meta["repeat"] != repeat:
            raise ValueError(f"subnetwork {subnetwork_paths[omic]} was trained for another "
                             "fold, repeat or drug list")
        protocols.add(meta.get("protocol", "strict"))
    if len(protocols) > 1:
        raise ValueError(f"subnetworks of {combination} were pretrained under different "
                         f"protocols {sorted(protocols)}")
    available = response.index[response.notna().any(axis=1)]
    for matrix in matrices.values():
        available = available.intersection(matrix.index)
    lines = fold_lines(available, folds, fold, train_cfg["validation_fraction"],
                       config["cv"]["seed"])
    fit_lines, stop_lines = fusion_fit_and_stop_lines(
        lines.validation, config, repeat, fold,
        f"{layer} fusion {'-'.join(combination)}, repeat {repeat}, fold {fold}")

    seed = job_seed(config["cv"]["seed"], layer, "-".join(combination), repeat, fold)
    seed_everything(seed)
    if layer == "attention":
        model = FusionModel(subnetworks, AttentionFusion(len(combination), len(drugs)))
    else:
        model = ConcatenationModel(subnetworks, len(drugs))
    model = model.to(device)

    def outputs(rows):
        return frozen_outputs(model, scalers, matrices, response, rows, device)

    settings = fusion_settings(fusion_cfg, len(fit_lines), seed, train_cfg["log_every"], layer)
    history = fit(ReadsInput(model.fusion, "z"), outputs(fit_lines), outputs(stop_lines), settings,
                  label=f"{layer} {'-'.join(combination)} r{repeat} f{fold}")
    test = outputs(lines.test)
    predicted = predict(ReadsInput(model.fusion, "z"), test.inputs)
    predictions = long_predictions(lines.test, drugs, response, predicted, fold, repeat)
    attention = None
    if layer == "attention":
        weights = model.attention().detach().cpu().numpy()
        attention = pd.DataFrame({
            "drug": np.tile(drugs, len(combination)),
            "omic": np.repeat(combination, len(drugs)),
            "weight": weights.ravel().astype(np.float64),
        }).assign(fold=fold, repeat=repeat)
    meta = {"combination": list(combination), "layer": layer, "drugs": drugs,
            "repeat": repeat, "fold": fold, "protocol": protocols.pop(),
            "seed": seed, "best_epoch": int(history.loc[history["best"], "epoch"].iloc[0]),
            "n_fit": len(fit_lines), "n_stop": len(stop_lines), "n_test": len(lines.test)}
    _write_job_outputs(out_dir, model.fusion, meta, None, predictions, history=history,
                       attention=attention)
    return meta


def _write_job_outputs(out_dir: Path, model, meta, standardization, predictions,
                       history: pd.DataFrame | None = None,
                       attention: pd.DataFrame | None = None) -> None:
    from modrp.io import write_parquet

    save_checkpoint(out_dir / "model.pt", model, meta, standardization)
    write_parquet(predictions, out_dir / "predictions.parquet")
    if history is not None:
        write_parquet(history, out_dir / "history.parquet")
    if attention is not None:
        write_parquet(attention, out_dir / "attention.parquet")
