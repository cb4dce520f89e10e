"""GDSC (Sanger) files: fitted dose response, screened compounds, cell-line
details and GDSC1000 gene-level copy number."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import read_table, require_file
from modrp.sources._common import require_columns

log = logging.getLogger(__name__)

#: The 19 columns of the GDSC2 fitted dose-response sheet (release 8.0).
DOSE_RESPONSE_COLUMNS = [
    "DATASET", "NLME_RESULT_ID", "NLME_CURVE_ID", "COSMIC_ID", "CELL_LINE_NAME",
    "SANGER_MODEL_ID", "TCGA_DESC", "DRUG_ID", "DRUG_NAME", "PUTATIVE_TARGET",
    "PATHWAY_NAME", "COMPANY_ID", "WEBRELEASE", "MIN_CONC", "MAX_CONC", "LN_IC50",
    "AUC", "RMSE", "Z_SCORE",
]
_DOSE_RESPONSE_USED = [
    "COSMIC_ID", "CELL_LINE_NAME", "SANGER_MODEL_ID", "TCGA_DESC", "DRUG_ID",
    "DRUG_NAME", "PUTATIVE_TARGET", "PATHWAY_NAME", "LN_IC50",
]
COMPOUND_COLUMNS = ["DRUG_ID", "DRUG_NAME", "TARGET", "TARGET_PATHWAY"]
CELL_LINE_DETAILS_SHEET = "Cell line details"
# Names after collapsing the literal newlines and repeated spaces of the real headers.
CELL_LINE_DETAILS_COLUMNS = [
    "Sample Name", "COSMIC identifier", "GDSC Tissue descriptor 1",
    "GDSC Tissue descriptor 2", "Cancer Type (matching TCGA label)",
]
COPY_NUMBER_SHEET = "Gene_level_CN"
_CN_ANNOTATION = ["gene", "chr", "start", "stop"]

# Copy-number alteration states (the CNV feature value; see cnv_alteration_state).
CNV_HOMOZYGOUS_DELETION = -2
CNV_LOH = -1
CNV_NEUTRAL = 0
CNV_AMPLIFICATION = 1


def cnv_alteration_state(max_cn, min_cn, zygosity, amplification_min_cn=8):
    """Encode GDSC gene-level copy number as one alteration state per (line, gene).

    Arrays (or scalars) of the four fields of a ``Gene_level_CN.xlsx`` cell
    except disruption.  Returns float32: -2 homozygous deletion (min CN 0),
    +1 amplification (max CN >= ``amplification_min_cn``), -1 loss of
    heterozygosity (zygosity ``L``), 0 otherwise, NaN where the copy number is
    unknown (max CN -1).  A gene is "affected" in a line when its state != 0.
    """
    max_cn = np.asarray(max_cn, dtype=np.float64)
    min_cn = np.asarray(min_cn, dtype=np.float64)
    zygosity = np.asarray(zygosity, dtype=object)
    state = np.zeros(max_cn.shape, dtype=np.float32)
    state[zygosity == "L"] = CNV_LOH
    state[max_cn >= amplification_min_cn] = CNV_AMPLIFICATION
    state[min_cn == 0] = CNV_HOMOZYGOUS_DELETION
    state[max_cn < 0] = np.nan
    return state


def _excel_sheet(path, sheet, what: str) -> list[list]:
    """The rows of one sheet of an xlsx file (``sheet`` a name or 0-based index)."""
    from python_calamine import CalamineWorkbook

    path = require_file(path, what)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as err:  # calamine raises its own error types for broken files
        raise InputError(f"{what}: {path} is not a readable xlsx workbook ({err})") from err
    names = workbook.sheet_names
    if isinstance(sheet, str) and sheet not in names:
        raise InputError(f"{what}: {path} has no sheet named {sheet!r}; its sheets are {names}")
    if isinstance(sheet, int) and sheet >= len(names):
        raise InputError(f"{what}: {path} has no sheet number {sheet + 1}")
    name = sheet if isinstance(sheet, str) else names[sheet]
    return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _sheet_frame(rows: list[list], what: str, path) -> pd.DataFrame:
    if not rows:
        raise InputError(f"{what}: {path}: the sheet is empty")
    header = [" ".join(str(c).split()) for c in rows[0]]
    return pd.DataFrame(rows[1:], columns=header)


def _cosmic_strings(values: pd.Series, what: str, path, column: str) -> pd.Series:
    present = values.notna() & (values.astype(str).str.strip() != "")
    numbers = pd.to_numeric(values.where(present), errors="coerce")
    bad = numbers.isna() & present
    if bad.any():
        raise InputError(f"{what}: {path}: column {column!r} must hold integer COSMIC ids, "
                         f"found {values[bad].iloc[0]!r}")
    return numbers.map(lambda v: None if pd.isna(v) else str(int(v)))


def read_dose_response(path) -> pd.DataFrame:
    """GDSC2 fitted dose response (xlsx, or a csv of the same layout), long.

    Columns: ``cosmic_id`` (string), ``cell_line_name, sanger_model_id, tcga_desc,
    drug_id`` (int), ``drug_name, putative_target, pathway_name, ln_ic50``.
    """
    what = "GDSC dose response (GDSC2_fitted_dose_response)"
    if Path(path).suffix.lower() == ".xlsx":
        frame = _sheet_frame(_excel_sheet(path, 0, what), what, path)
    else:
        frame = read_table(path, what, dtype=str, keep_default_na=False)
    require_columns(frame, _DOSE_RESPONSE_USED, what, path)
    frame = frame[_DOSE_RESPONSE_USED]
    ln_ic50 = pd.to_numeric(frame["LN_IC50"].replace("", np.nan), errors="coerce")
    if ln_ic50.isna().any() or not np.isfinite(ln_ic50).all():
        row = int(np.flatnonzero(~np.isfinite(ln_ic50.to_numpy(dtype=float)))[0])
        raise InputError(f"{what}: {path}: LN_IC50 must be a finite number in every row; "
                         f"data row {row + 1} holds {frame['LN_IC50'].iloc[row]!r}")
    return pd.DataFrame(
        {
            "cosmic_id": _cosmic_strings(frame["COSMIC_ID"].astype(object), what, path,
                                         "COSMIC_ID"),
            "cell_line_name": frame["CELL_LINE_NAME"].astype(str),
            "sanger_model_id": frame["SANGER_MODEL_ID"].astype(str),
            "tcga_desc": frame["TCGA_DESC"].astype(str),
            "drug_id": pd.to_numeric(frame["DRUG_ID"]).astype(np.int64),
            "drug_name": frame["DRUG_NAME"].astype(str),
            "putative_target": frame["PUTATIVE_TARGET"].astype(str),
            "pathway_name": frame["PATHWAY_NAME"].astype(str),
            "ln_ic50": ln_ic50.astype(np.float64),
        }
    )


def read_screened_compounds(path) -> pd.DataFrame:
    """``screened_compounds_rel_8.0.csv`` -> ``drug_id, drug_name, target, pathway``."""
    what = "GDSC compounds (screened_compounds_rel_8.0.csv)"
    frame = read_table(path, what, dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    require_columns(frame, COMPOUND_COLUMNS, what, path)
    return pd.DataFrame(
        {
            "drug_id": pd.to_numeric(frame["DRUG_ID"]).astype(np.int64),
            "drug_name": frame["DRUG_NAME"].str.strip(),
            "target": frame["TARGET"].str.strip(),
            "pathway": frame["TARGET_PATHWAY"].str.strip(),
        }
    )


def read_cell_line_details(path) -> pd.DataFrame:
    """``Cell_Lines_Details.xlsx``, sheet 'Cell line details'.

    Columns: ``cosmic_id, sample_name, tissue, tissue_subtype, cancer_type``;
    the trailing TOTAL row (no COSMIC id) is dropped.
    """
    what = "GDSC cell-line details (Cell_Lines_Details.xlsx)"
    frame = _sheet_frame(_excel_sheet(path, CELL_LINE_DETAILS_SHEET, what), what, path)
    require_columns(frame, CELL_LINE_DETAILS_COLUMNS, what, path)
    cosmic = _cosmic_strings(frame["COSMIC identifier"].astype(object), what, path,
                             "COSMIC identifier")
    out = pd.DataFrame(
        {
            "cosmic_id": cosmic,
            "sample_name": frame["Sample Name"].astype(str),
            "tissue": frame["GDSC Tissue descriptor 1"].astype(str),
            "tissue_subtype": frame["GDSC Tissue descriptor 2"].astype(str),
            "cancer_type": frame["Cancer Type (matching TCGA label)"].astype(str),
        }
    )
    return out[out["cosmic_id"].notna()].reset_index(drop=True)


def read_gene_level_cn(path, amplification_min_cn: float = 8) -> pd.DataFrame:
    """GDSC1000 ``Gene_level_CN.xlsx`` -> rows COSMIC ids, columns genes, alteration states.

    Each cell ``"maxCN,minCN,zygosity,disruption"`` becomes
    :func:`cnv_alteration_state` (NaN where unknown).  The first data row
    must hold the COSMIC ids of the cell-line columns.
    """
    what = "GDSC copy number (Gene_level_CN.xlsx)"
    rows = _excel_sheet(path, COPY_NUMBER_SHEET, what)
    if len(rows) < 3:
        raise InputError(f"{what}: {path}: expected a header, a COSMIC-id row and gene rows")
    header = [str(c).strip() for c in rows[0]]
    if [h.lower() for h in header[:4]] != _CN_ANNOTATION:
        raise InputError(f"{what}: {path}: expected the header to start with "
                         f"{_CN_ANNOTATION}, found {header[:4]}")
    cosmic = pd.Series(rows[1][4:], dtype=object)
    if str(rows[1][0]).strip() not in ("", "nan", "None"):
        raise InputError(f"{what}: {path}: expected the first data row to hold COSMIC ids "
                         f"(with an empty gene cell), found gene {rows[1][0]!r}")
    cosmic_ids = _cosmic_strings(cosmic, what, path, "first data row (COSMIC ids)")
    if cosmic_ids.isna().any():
        missing = [header[4 + i] for i in np.flatnonzero(cosmic_ids.isna())][:3]
        raise InputError(f"{what}: {path}: the COSMIC-id row is empty for {missing}")
    genes = [str(r[0]).strip() for r in rows[2:]]
    cells = pd.Series(np.asarray([r[4:] for r in rows[2:]], dtype=object).T.ravel()).astype(str)
    parts = cells.str.split(",", n=3, expand=True)
    if parts.shape[1] != 4 or parts.isna().any().any():
        first_bad = cells[parts.isna().any(axis=1)].iloc[0] if parts.shape[1] == 4 else cells[0]
        raise InputError(f"{what}: {path}: cells must read 'maxCN,minCN,zygosity,disruption', "
                         f"found {first_bad!r}")
    max_cn = pd.to_numeric(parts[0], errors="coerce")
    min_cn = pd.to_numeric(parts[1], errors="coerce")
    if max_cn.isna().any() or min_cn.isna().any():
        bad = cells[max_cn.isna() | min_cn.isna()].iloc[0]
        raise InputError(f"{what}: {path}: copy numbers must be integers, found cell {bad!r}")
    state = cnv_alteration_state(max_cn.to_numpy(), min_cn.to_numpy(), parts[2].to_numpy(),
                                 amplification_min_cn)
    matrix = pd.DataFrame(
        state.reshape(len(cosmic_ids), len(genes)),
        index=pd.Index(cosmic_ids.to_list(), name="cosmic_id"),
        columns=pd.Index(genes, name="gene"),
    )
    for axis, label in ((matrix.columns, "genes"), (matrix.index, "COSMIC ids")):
        if axis.duplicated().any():
            log.warning("%s: %d %s appear twice; keeping the first", what,
                        int(axis.duplicated().sum()), label)
    matrix = matrix.loc[~matrix.index.duplicated(), ~matrix.columns.duplicated()]
    return matrix.astype(np.float32)
