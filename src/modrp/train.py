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

import numpy as np
import pandas as pd
import torch

log = logging.getLogger(__name__)


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; otherwise the named device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed numpy and torch, and ask torch for deterministic kernels."""
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


@dataclass
class Standardization:
    """Per-feature mean and scale, fit on training lines only (scale 1 for constant features)."""

    features: list[str]
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, matrix: pd.DataFrame) -> Standardization:
        values = matrix.to_numpy(dtype=np.float64)
        mean = values.mean(axis=0)
        scale = values.std(axis=0)
        scale[scale < 1e-8] = 1.0
        return cls(list(matrix.columns), mean.astype(np.float32), scale.astype(np.float32))

    def transform(self, matrix: pd.DataFrame) -> np.ndarray:
        values = matrix[self.features].to_numpy(dtype=np.float32)
        return (values - self.mean) / self.scale

    def state(self) -> dict[str, torch.Tensor]:
        return {"mean": torch.from_numpy(self.mean), "scale": torch.from_numpy(self.scale)}


def masked_mse(predicted: torch.Tensor, observed: torch.Tensor,
               measured: torch.Tensor) -> torch.Tensor:
    """Paper eq. 1 restricted to measured (cell line, drug) pairs: missing IC50 are masked."""
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
        measured = ~np.isnan(response)
        return cls(
            {k: torch.as_tensor(v, dtype=torch.float32, device=device) for k, v in inputs.items()},
            torch.as_tensor(np.nan_to_num(response), dtype=torch.float32, device=device),
            torch.as_tensor(measured, dtype=torch.float32, device=device),
        )

    def __len__(self) -> int:
        return self.observed.shape[0]

    def rows(self, index: torch.Tensor) -> Batch:
        return Batch({k: v[index] for k, v in self.inputs.items()}, self.observed[index],
                     self.measured[index])


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
    optimizer = torch.optim.Adam(parameters, lr=settings.lr)
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
            total, weight = total + float(loss) * n, weight + n
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
