"""DepMap 19Q3 files: ``CCLE_expression.csv``, ``CCLE_mutations.csv``, ``sample_info.csv``.

Layouts are those of data-sources.md sections 1a, 1c and 1f.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import read_table
from modrp.sources._common import require_columns, require_finite, to_numeric_matrix

_GENE_COLUMN = re.compile(r"^(?P<symbol>[^\s()]+) \((?P<entrez>\d+)\)$")
_DEPMAP_ID = re.compile(r"^ACH-\d{6}$")

#: The columns of CCLE_mutations.csv that the pipeline reads.
MUTATION_COLUMNS = [
    "Hugo_Symbol",
    "Variant_Classification",
    "Tumor_Sample_Barcode",
    "DepMap_ID",
    "isDeleterious",
]

SAMPLE_INFO_COLUMNS = ["DepMap_ID", "stripped_cell_line_name", "CCLE Name", "COSMIC_ID"]


def gene_symbol(column: str) -> str | None:
    """``'TSPAN6 (7105)'`` -> ``'TSPAN6'``; None when the column is not of that form."""
    match = _GENE_COLUMN.match(column)
    return match["symbol"] if match else None


def read_expression(path) -> pd.DataFrame:
    """DepMap ``CCLE_expression.csv``: rows DepMap ids, columns gene symbols, log2(TPM+1).

    Columns named ``SYMBOL (ENTREZ)`` become ``SYMBOL``; a symbol carried by
    several columns is averaged.  Raises InputError when the layout differs.
    """
    what = "expression (CCLE_expression.csv)"
    frame = read_table(path, what, engine="pyarrow")
    id_column = frame.columns[0]
    if not (str(id_column).startswith("Unnamed") or id_column in ("", "DepMap_ID")):
        raise InputError(
            f"{what}: {path}: expected the first column to be unnamed and hold DepMap ids, "
            f"found a column named {id_column!r}"
        )
    frame = frame.set_index(id_column)
    frame.index = frame.index.astype(str)
    frame.index.name = "depmap_id"
    bad_ids = [i for i in frame.index[:50] if not _DEPMAP_ID.match(i)]
    if bad_ids:
        raise InputError(
            f"{what}: {path}: row ids must be DepMap ids like 'ACH-000001', found {bad_ids[:3]}"
        )
    symbols = [gene_symbol(c) for c in frame.columns]
    unparsed = [c for c, s in zip(frame.columns, symbols, strict=True) if s is None]
    if unparsed:
        raise InputError(
            f"{what}: {path}: gene columns must look like 'SYMBOL (ENTREZ)', e.g. 'TSPAN6 (7105)'; "
            f"{len(unparsed)} do not, e.g. {unparsed[:3]}"
        )
    frame = to_numeric_matrix(frame, what, path)
    require_finite(frame, what, path)
    frame.columns = pd.Index(symbols, name="gene")
    if frame.columns.duplicated().any():
        frame = frame.T.groupby(level=0, sort=False).mean().T
    return frame.astype(np.float32)


def read_mutations(path) -> pd.DataFrame:
    """DepMap ``CCLE_mutations.csv`` as a long table, one row per called variant.

    Columns: ``depmap_id, ccle_name, gene, variant_classification, is_deleterious``.
    """
    what = "mutations (CCLE_mutations.csv)"
    header = read_table(path, what, nrows=0)
    require_columns(header, MUTATION_COLUMNS, what, path)
    frame = read_table(path, what, usecols=MUTATION_COLUMNS, dtype=str, keep_default_na=False)
    frame = frame.rename(
        columns={
            "DepMap_ID": "depmap_id",
            "Tumor_Sample_Barcode": "ccle_name",
            "Hugo_Symbol": "gene",
            "Variant_Classification": "variant_classification",
            "isDeleterious": "is_deleterious",
        }
    )
    frame["is_deleterious"] = frame["is_deleterious"].str.lower().eq("true")
    empty = frame["gene"].eq("") | (frame["depmap_id"].eq("") & frame["ccle_name"].eq(""))
    return frame.loc[~empty, ["depmap_id", "ccle_name", "gene", "variant_classification",
                              "is_deleterious"]].reset_index(drop=True)


def read_sample_info(path) -> pd.DataFrame:
    """DepMap ``sample_info.csv``: the CCLE-side id table.

    Columns: ``depmap_id, ccle_name, stripped_name, cosmic_id`` (string, None when
    absent), ``lineage``, ``sanger_model_id``.
    """
    what = "cell-line annotations (sample_info.csv)"
    frame = read_table(path, what, dtype=str, keep_default_na=False)
    require_columns(frame, SAMPLE_INFO_COLUMNS, what, path)
    cosmic = pd.to_numeric(frame["COSMIC_ID"].replace("", np.nan), errors="coerce")
    out = pd.DataFrame(
        {
            "depmap_id": frame["DepMap_ID"],
            "ccle_name": frame["CCLE Name"],
            "stripped_name": frame["stripped_cell_line_name"],
            "cosmic_id": cosmic.map(lambda v: None if pd.isna(v) else str(int(v))),
            "lineage": frame.get("lineage", pd.Series("", index=frame.index)),
            "sanger_model_id": frame.get("Sanger_model_ID", pd.Series("", index=frame.index)),
        }
    )
    return out.replace({"": None})
