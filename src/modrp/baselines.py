"""Comparators fit per fold on the training lines only, with one small interface:
``fit(omics, response)`` on training lines, ``predict(omics, lines)`` -> (lines x drugs).

So far: :class:`PerDrugMean`, the reference every table reports beside the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
