"""DepMap 19Q3 files: ``CCLE_expression.csv``, ``CCLE_mutations.csv``, ``sample_info.csv``.

Layouts are those of the 19Q3 release as published; the parsers check the
facts they rely on (id formats, column layouts, value scales) and say which one a file
breaks.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import read_table
from modrp.sources._common import (
    CCLE_NAME,
    DEPMAP_ID,
    check_ids,
    check_unique_index,
    check_unique_values,
    csv_header,
    read_float_matrix,
    read_text_columns,
    require_columns,
    require_finite,
    to_numeric_matrix,
)

log = logging.getLogger(__name__)

_GENE_COLUMN = re.compile(r"^(?P<symbol>[^\s()]+) \((?P<entrez>\d+)\)$")

#: The columns of CCLE_mutations.csv that the pipeline reads.
MUTATION_COLUMNS = [
    "Hugo_Symbol",
    "Variant_Classification",
    "Tumor_Sample_Barcode",
    "DepMap_ID",
    "isDeleterious",
]
#: Variant classes of the MAF specification (others are reported, then kept).
MAF_CLASSES = {
    "Frame_Shift_Del", "Frame_Shift_Ins", "In_Frame_Del", "In_Frame_Ins", "Missense_Mutation",
    "Nonsense_Mutation", "Silent", "Splice_Site", "Translation_Start_Site",
    "Nonstop_Mutation", "3'UTR", "3'Flank", "5'UTR", "5'Flank", "IGR", "Intron", "RNA",
    "Targeted_Region", "De_novo_Start_InFrame", "De_novo_Start_OutOfFrame",
    "Start_Codon_SNP", "Start_Codon_Del", "Start_Codon_Ins", "Stop_Codon_Del",
    "Stop_Codon_Ins", "Splice_Region",
}

SAMPLE_INFO_COLUMNS = ["DepMap_ID", "stripped_cell_line_name", "CCLE Name", "COSMIC_ID"]
#: log2(TPM + 1) cannot exceed log2(1e6 + 1) (TPM sum to a million per sample).
MAX_LOG2_TPM = 20.0


def gene_symbol(column: str) -> str | None:
    """``'TSPAN6 (7105)'`` -> ``'TSPAN6'``; None when the column is not of that form."""
    match = _GENE_COLUMN.match(column)
    return match["symbol"] if match else None


def read_expression(path) -> pd.DataFrame:
    """DepMap ``CCLE_expression.csv``: rows DepMap ids, columns gene symbols, log2(TPM+1).

    Columns named ``SYMBOL (ENTREZ)`` become ``SYMBOL``; a symbol carried by
    several columns is averaged.  Raises InputError when the layout differs: the first
    column unnamed with DepMap ids (``ACH-000001``, each once), genes as columns, values
    log2(TPM+1) (0 to 20).
    """
    what = "expression (CCLE_expression.csv)"
    header = csv_header(path, what)
    if header is not None:
        id_column = header[0]
        gene_columns = header[1:]
    else:  # Parquet: the reader keeps the column names
        frame = read_table(path, what)
        id_column, gene_columns = frame.columns[0], list(frame.columns[1:])
    if str(id_column).strip().lower() in ("gene_id", "name", "#1.2"):
        raise InputError(
            f"{what}: {path} looks like the legacy CCLE RSEM table (genes as rows, first column "
            f"{id_column!r}); expected DepMap 19Q3 CCLE_expression.csv: cell lines as rows, "
            "an unnamed first column of DepMap ids, genes as 'SYMBOL (ENTREZ)' columns"
        )
    if not (str(id_column).startswith("Unnamed") or id_column in ("", "DepMap_ID")):
        raise InputError(
            f"{what}: {path}: expected the first column to be unnamed and hold DepMap ids, "
            f"found a column named {id_column!r}"
        )
    symbols = [gene_symbol(str(c)) for c in gene_columns]
    unparsed = [c for c, s in zip(gene_columns, symbols, strict=True) if s is None]
    if unparsed:
        raise InputError(
            f"{what}: {path}: gene columns must look like 'SYMBOL (ENTREZ)', e.g. 'TSPAN6 (7105)'; "
            f"{len(unparsed)} do not, e.g. {unparsed[:3]}"
        )
    matrix = read_float_matrix(path, what) if header is not None else None
    if matrix is None:  # Parquet, or a cell pyarrow cannot read as a number: name it
        frame = read_table(path, what) if header is None else read_table(path, what,
                                                                          engine="pyarrow")
        frame = frame.set_index(frame.columns[0])
        frame.index = frame.index.astype(str)
        matrix = to_numeric_matrix(frame, what, path).astype(np.float32)
    matrix.index.name = "depmap_id"
    check_ids(pd.Series(matrix.index), DEPMAP_ID, what, path, "first (id) column",
              "DepMap ids like 'ACH-000001'")
    check_unique_index(matrix, what, path)
    require_finite(matrix, what, path)
    values = matrix.to_numpy()
    if values.size and (values.min() < 0 or values.max() > MAX_LOG2_TPM):
        raise InputError(
            f"{what}: {path}: values must be log2(TPM+1), between 0 and {MAX_LOG2_TPM:g}; "
            f"found {values.min():g} to {values.max():g} (linear TPM or another scale?)"
        )
    matrix.columns = pd.Index(symbols, name="gene")
    if matrix.columns.duplicated().any():
        matrix = matrix.T.groupby(level=0, sort=False).mean().T
    return matrix.astype(np.float32, copy=False)


def read_mutations(path) -> pd.DataFrame:
    """DepMap ``CCLE_mutations.csv`` as a long table, one row per called variant.

    Columns: ``depmap_id, ccle_name, gene, variant_classification, is_deleterious``.
    Checks that ``DepMap_ID`` holds DepMap ids, ``Tumor_Sample_Barcode`` CCLE names
    and ``isDeleterious`` True/False.
    """
    what = "mutations (CCLE_mutations.csv)"
    frame = read_text_columns(path, what, MUTATION_COLUMNS)
    frame = frame.rename(
        columns={
            "DepMap_ID": "depmap_id",
            "Tumor_Sample_Barcode": "ccle_name",
            "Hugo_Symbol": "gene",
            "Variant_Classification": "variant_classification",
            "isDeleterious": "is_deleterious",
        }
    )
    empty = frame["gene"].eq("") | (frame["depmap_id"].eq("") & frame["ccle_name"].eq(""))
    frame = frame.loc[~empty]
    check_ids(frame["depmap_id"], DEPMAP_ID, what, path, "DepMap_ID",
              "DepMap ids like 'ACH-000001'", allow_empty=True)
    check_ids(frame["ccle_name"], CCLE_NAME, what, path, "Tumor_Sample_Barcode",
              "CCLE names like 'A549_LUNG'", allow_empty=True)
    flags = frame["is_deleterious"].str.lower()
    odd = ~flags.isin(["true", "false", ""])
    if odd.any():
        raise InputError(f"{what}: {path}: column 'isDeleterious' must hold True or False; "
                         f"found {list(dict.fromkeys(frame.loc[odd, 'is_deleterious']))[:3]}")
    frame["is_deleterious"] = flags.eq("true")
    classes = set(frame["variant_classification"].unique())
    if classes - MAF_CLASSES:
        log.warning("%s: variant classes outside the MAF specification, counted as "
                    "protein-altering unless excluded in the config: %s", what,
                    sorted(classes - MAF_CLASSES)[:10])
    return frame[["depmap_id", "ccle_name", "gene", "variant_classification",
                  "is_deleterious"]].reset_index(drop=True)


def read_sample_info(path) -> pd.DataFrame:
    """DepMap ``sample_info.csv``: the CCLE-side id table.

    Columns: ``depmap_id, ccle_name, stripped_name, cosmic_id`` (string, None when
    absent), ``lineage``, ``sanger_model_id``.  ``COSMIC_ID`` must be numeric (or empty),
    ``DepMap_ID`` a DepMap id, and no DepMap id or (non-empty) CCLE name may repeat.
    """
    what = "cell-line annotations (sample_info.csv)"
    frame = read_table(path, what, dtype=str, keep_default_na=False)
    require_columns(frame, SAMPLE_INFO_COLUMNS, what, path)
    check_ids(frame["DepMap_ID"], DEPMAP_ID, what, path, "DepMap_ID",
              "DepMap ids like 'ACH-000001'")
    for column in ("DepMap_ID", "CCLE Name"):
        check_unique_values(frame[column].str.strip(), what, path, column)
    raw = frame["COSMIC_ID"].str.strip()
    cosmic = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
    bad = cosmic.isna() & raw.ne("") & ~raw.str.lower().isin(["nan", "na"])
    bad |= cosmic.notna() & (cosmic != cosmic.round())
    if bad.any():
        raise InputError(f"{what}: {path}: column 'COSMIC_ID' must hold numeric COSMIC ids "
                         f"(e.g. 909751 or 909751.0) or be empty; found "
                         f"{list(dict.fromkeys(raw[bad]))[:3]}")
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
