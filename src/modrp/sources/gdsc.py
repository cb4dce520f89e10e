"""GDSC (Sanger) files: fitted dose response, screened compounds, cell-line
details and GDSC1000 gene-level copy number."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import require_file
from modrp.sources._common import (
    check_unique_values,
    header_hint,
    read_text_table,
    require_columns,
)

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


def _open_sheet(path, sheet, what: str):
    """One sheet of an xlsx file (``sheet`` a name or 0-based index), as calamine holds it."""
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
    try:
        return workbook.get_sheet_by_name(name)
    except Exception as err:
        raise InputError(f"{what}: {path}: cannot read sheet {name!r} ({err})") from err


def _excel_sheet(path, sheet, what: str) -> list[list]:
    """The rows of one sheet of an xlsx file (``sheet`` a name or 0-based index)."""
    return _open_sheet(path, sheet, what).to_python(skip_empty_area=False)


def _sheet_frame(rows: list[list], what: str, path, columns: list[str]) -> pd.DataFrame:
    """The ``columns`` of a sheet whose first row is the header (newlines and repeated
    spaces in header cells collapsed); InputError when one is missing."""
    if not rows:
        raise InputError(f"{what}: {path}: the sheet is empty")
    header = [" ".join(str(c).split()) for c in rows[0]]
    require_columns(pd.DataFrame(columns=header), columns, what, path, rows=rows[:10])
    position = {name: i for i, name in reversed(list(enumerate(header)))}
    body = rows[1:]
    return pd.DataFrame({c: [row[position[c]] for row in body] for c in columns},
                        dtype=object)


def _cosmic_strings(values: pd.Series, what: str, path, column: str) -> pd.Series:
    present = values.notna() & (values.astype(str).str.strip() != "")
    numbers = pd.to_numeric(values.where(present), errors="coerce")
    bad = (numbers.isna() & present) | (numbers.notna() & (numbers != numbers.round()))
    if bad.any():
        raise InputError(f"{what}: {path}: column {column!r} must hold integer COSMIC ids, "
                         f"found {values[bad].iloc[0]!r}")
    return numbers.map(lambda v: None if pd.isna(v) else str(int(v)))


def _text_cells(values: pd.Series, empty: str | None = "") -> pd.Series:
    """Cells as text, surrounding spaces dropped: a whole number that a sheet stored for a
    name (GDSC's cell lines 5637 and 697) without a trailing ``.0``; an empty cell (None,
    NaN or blank) as ``empty``."""
    def text(cell) -> str | None:
        if cell is None or isinstance(cell, float) and np.isnan(cell):
            return empty
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        return str(cell).strip() or empty

    return values.map(text).astype(object)


def _integers(values: pd.Series, what: str, path, column: str) -> pd.Series:
    numbers = pd.to_numeric(values.where(values.astype(str).str.strip() != ""), errors="coerce")
    bad = numbers.isna() | (numbers != numbers.round())
    if bad.any():
        raise InputError(f"{what}: {path}: column {column!r} must hold integers in every row; "
                         f"data row {int(np.flatnonzero(bad.to_numpy())[0]) + 1} holds "
                         f"{values[bad].iloc[0]!r}")
    return numbers.astype(np.int64)


#: ln IC50 values this far (in ln units, a factor e^7 ~ 1,100) outside the screened
#: concentration range are implausible for ln(uM); extrapolated values stay well within.
LN_IC50_MARGIN = 7.0


def _check_ln_ic50_units(frame: pd.DataFrame, ln_ic50: pd.Series, what: str, path) -> None:
    """LN_IC50 is ln(IC50 / uM), like MIN_CONC/MAX_CONC in uM: most
    values lie within a few ln units of the screened range (extrapolation allowed)."""
    if not {"MIN_CONC", "MAX_CONC"} <= set(frame.columns):
        return
    low = pd.to_numeric(frame["MIN_CONC"], errors="coerce")
    high = pd.to_numeric(frame["MAX_CONC"], errors="coerce")
    usable = (low > 0) & (high > 0)
    if not usable.any():
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = ((ln_ic50 >= np.log(low) - LN_IC50_MARGIN)
                  & (ln_ic50 <= np.log(high) + LN_IC50_MARGIN))[usable]
    if inside.mean() < 0.9:
        raise InputError(
            f"{what}: {path}: LN_IC50 must be the natural log of the IC50 in uM (MIN_CONC and "
            f"MAX_CONC in uM); {1 - inside.mean():.0%} of rows lie more than "
            f"{LN_IC50_MARGIN:g} ln units outside [ln MIN_CONC, ln MAX_CONC] (e.g. "
            f"{ln_ic50[usable][~inside].iloc[0]:g}): linear IC50 or other units?"
        )


def _warn_if_not_gdsc2(frame: pd.DataFrame, what: str, path) -> None:
    """GDSC1's fitted dose response has GDSC2's layout and passes every other check: its
    DATASET column tells them apart."""
    if "DATASET" not in frame.columns:
        return
    screens = _text_cells(frame["DATASET"]).str.upper()
    other = screens[(screens != "GDSC2") & (screens != "")]
    if len(other):
        counts = other.value_counts()
        log.warning("%s: %s: %d of %d rows are of another screen than GDSC2 (DATASET %s), "
                    "the screen the paper's responses come from; a GDSC1 file (release "
                    "8.0: GDSC1_fitted_dose_response_17Jul19.xlsx) under this name?", what,
                    path, len(other), len(screens),
                    ", ".join(f"{name!r}: {n}" for name, n in counts.items()))


def read_dose_response(path) -> pd.DataFrame:
    """GDSC2 fitted dose response (xlsx, or a csv of the same layout), long.

    Columns: ``cosmic_id`` (string), ``cell_line_name, sanger_model_id, tcga_desc,
    drug_id`` (int), ``drug_name, putative_target, pathway_name`` (None where empty),
    ``ln_ic50``.  The header must be the first row; COSMIC and drug ids integers; LN_IC50
    finite, ln(uM).
    """
    what = "GDSC dose response (GDSC2_fitted_dose_response)"
    wanted = _DOSE_RESPONSE_USED + ["MIN_CONC", "MAX_CONC", "DATASET"]
    if Path(path).suffix.lower() == ".xlsx":
        rows = _excel_sheet(path, 0, what)
        if rows:
            header = {" ".join(str(c).split()) for c in rows[0]}
            wanted = [c for c in wanted if c in header or c in _DOSE_RESPONSE_USED]
        frame = _sheet_frame(rows, what, path, wanted)
        del rows
    else:
        frame = read_text_table(path, what)
        require_columns(frame, _DOSE_RESPONSE_USED, what, path)
    ln_ic50 = pd.to_numeric(frame["LN_IC50"].replace("", np.nan), errors="coerce")
    if ln_ic50.isna().any() or not np.isfinite(ln_ic50).all():
        row = int(np.flatnonzero(~np.isfinite(ln_ic50.to_numpy(dtype=float)))[0])
        raise InputError(f"{what}: {path}: LN_IC50 must be a finite number in every row; "
                         f"data row {row + 1} holds {frame['LN_IC50'].iloc[row]!r}")
    _check_ln_ic50_units(frame, ln_ic50, what, path)
    _warn_if_not_gdsc2(frame, what, path)
    return pd.DataFrame(
        {
            "cosmic_id": _cosmic_strings(frame["COSMIC_ID"].astype(object), what, path,
                                         "COSMIC_ID"),
            "cell_line_name": _text_cells(frame["CELL_LINE_NAME"]),
            "sanger_model_id": _text_cells(frame["SANGER_MODEL_ID"]),
            "tcga_desc": _text_cells(frame["TCGA_DESC"]),
            "drug_id": _integers(frame["DRUG_ID"], what, path, "DRUG_ID"),
            "drug_name": _text_cells(frame["DRUG_NAME"]),
            "putative_target": _text_cells(frame["PUTATIVE_TARGET"], empty=None),
            "pathway_name": _text_cells(frame["PATHWAY_NAME"], empty=None),
            "ln_ic50": ln_ic50.astype(np.float64),
        }
    )


def read_screened_compounds(path) -> pd.DataFrame:
    """``screened_compounds_rel_8.0.csv`` -> ``drug_id, drug_name, target, pathway``."""
    what = "GDSC compounds (screened_compounds_rel_8.0.csv)"
    frame = read_text_table(path, what)
    frame.columns = [c.strip() for c in frame.columns]
    require_columns(frame, COMPOUND_COLUMNS, what, path)
    return pd.DataFrame(
        {
            "drug_id": _integers(frame["DRUG_ID"].str.strip(), what, path, "DRUG_ID"),
            "drug_name": frame["DRUG_NAME"].str.strip(),
            "target": frame["TARGET"].str.strip(),
            "pathway": frame["TARGET_PATHWAY"].str.strip(),
        }
    )


def read_cell_line_details(path) -> pd.DataFrame:
    """``Cell_Lines_Details.xlsx``, sheet 'Cell line details'.

    Columns: ``cosmic_id, sample_name, tissue, tissue_subtype, cancer_type`` (an empty
    descriptor cell None, so the line's tissue is unknown); rows with no COSMIC id are
    dropped: the trailing TOTAL row, and (with a warning) any other.  A COSMIC id listed
    in several rows is refused.
    """
    what = "GDSC cell-line details (Cell_Lines_Details.xlsx)"
    frame = _sheet_frame(_excel_sheet(path, CELL_LINE_DETAILS_SHEET, what), what, path,
                         CELL_LINE_DETAILS_COLUMNS)
    cosmic = _cosmic_strings(frame["COSMIC identifier"].astype(object), what, path,
                             "COSMIC identifier")
    out = pd.DataFrame(
        {
            "cosmic_id": cosmic,
            "sample_name": _text_cells(frame["Sample Name"]),
            "tissue": _text_cells(frame["GDSC Tissue descriptor 1"], empty=None),
            "tissue_subtype": _text_cells(frame["GDSC Tissue descriptor 2"], empty=None),
            "cancer_type": _text_cells(frame["Cancer Type (matching TCGA label)"], empty=None),
        }
    )
    names = out["sample_name"]
    dropped = names[cosmic.isna() & ~names.str.upper().str.startswith("TOTAL") & (names != "")]
    if len(dropped):
        log.warning("%s: %s: %d line(s) without a COSMIC identifier left out (they cannot be "
                    "matched): %s", what, path, len(dropped), ", ".join(dropped[:5]))
    out = out[out["cosmic_id"].notna()].reset_index(drop=True)
    check_unique_values(out["cosmic_id"], what, path, "COSMIC identifier")
    return out


_ZYGOSITY = {"H", "L", "0", "-"}
_DISRUPTION = {"D", "-"}


def _cn_cell_state(cell, amplification_min_cn: float) -> float | None:
    """The alteration state of one ``"maxCN,minCN,zygosity,disruption"`` cell; None when
    the cell does not read so."""
    parts = str(cell).split(",")
    if len(parts) != 4:
        return None
    try:
        max_cn, min_cn = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    if max_cn < -1 or min_cn < -1 or parts[2] not in _ZYGOSITY or parts[3] not in _DISRUPTION:
        return None
    return float(cnv_alteration_state(max_cn, min_cn, parts[2], amplification_min_cn))


def read_gene_level_cn(path, amplification_min_cn: float = 8) -> pd.DataFrame:
    """GDSC1000 ``Gene_level_CN.xlsx`` -> rows COSMIC ids, columns genes, alteration states.

    Each cell ``"maxCN,minCN,zygosity,disruption"`` (copy numbers integers >= -1, -1
    unknown; zygosity H, L, 0 or -; disruption D or -) becomes
    :func:`cnv_alteration_state` (NaN where unknown).  The header must be the first row
    (``gene, chr, start, stop``, then cell-line names) and the first data row must hold
    the COSMIC ids of the cell-line columns.  Rows are streamed; each distinct cell text
    is decoded once.
    """
    what = "GDSC copy number (Gene_level_CN.xlsx)"
    sheet = _open_sheet(path, COPY_NUMBER_SHEET, what)
    if sheet.height < 3:
        raise InputError(f"{what}: {path}: expected a header, a COSMIC-id row and gene rows")
    rows = iter(sheet.iter_rows())
    header = [str(c).strip() for c in next(rows)]
    if [h.lower() for h in header[:4]] != _CN_ANNOTATION:
        first = [header] + [next(rows) for _ in range(min(8, sheet.height - 1))]
        hint = header_hint(path, _CN_ANNOTATION, first)
        raise InputError(f"{what}: {path}: expected the header to start with "
                         f"{_CN_ANNOTATION}, found {header[:4]}{hint}")
    ids_row = next(rows)
    if str(ids_row[0]).strip() not in ("", "nan", "None"):
        raise InputError(f"{what}: {path}: expected the first data row to hold COSMIC ids "
                         f"(with an empty gene cell), found gene {ids_row[0]!r}")
    cosmic_ids = _cosmic_strings(pd.Series(ids_row[4:], dtype=object), what, path,
                                 "first data row (COSMIC ids)")
    if cosmic_ids.isna().any():
        missing = [header[4 + i] for i in np.flatnonzero(cosmic_ids.isna())][:3]
        raise InputError(f"{what}: {path}: the COSMIC-id row is empty for {missing}")

    n_lines = len(header) - 4
    states = np.empty((sheet.height - 2, n_lines), dtype=np.float32)
    genes: list[str] = []
    decoded: dict = {}
    for row in rows:
        cells = row[4:]
        try:
            states[len(genes)] = [decoded[c] for c in cells]
        except KeyError:
            for cell in cells:
                if cell not in decoded:
                    state = _cn_cell_state(cell, amplification_min_cn)
                    if state is None:
                        raise InputError(
                            f"{what}: {path}: cells must read 'maxCN,minCN,zygosity,"
                            "disruption' with integer copy numbers >= -1 (-1 unknown), "
                            f"zygosity H, L, 0 or - and disruption D or -; found {cell!r} "
                            f"(gene {row[0]!r})") from None
                    decoded[cell] = state
            states[len(genes)] = [decoded[c] for c in cells]
        genes.append(str(row[0]).strip())
    del sheet
    matrix = pd.DataFrame(
        states[: len(genes)].T,
        index=pd.Index(cosmic_ids.to_list(), name="cosmic_id"),
        columns=pd.Index(genes, name="gene"),
    )
    for axis, label in ((matrix.columns, "genes"), (matrix.index, "COSMIC ids")):
        if axis.duplicated().any():
            log.warning("%s: %d %s appear twice; keeping the first", what,
                        int(axis.duplicated().sum()), label)
    if matrix.index.duplicated().any() or matrix.columns.duplicated().any():
        matrix = matrix.loc[~matrix.index.duplicated(), ~matrix.columns.duplicated()]
    return matrix
