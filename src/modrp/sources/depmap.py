"""DepMap files: expression, mutations and the cell-line table, in two generations.

- 19Q3 (the paper's release): ``CCLE_expression.csv``, ``CCLE_mutations.csv``,
  ``sample_info.csv``.  The releases 19Q4 to 22Q2 kept these file names and renamed a
  few columns, read as 19Q3's (:data:`RENAMED_SAMPLE_INFO_COLUMNS`,
  :func:`read_mutations`); their expression matrix kept 19Q3's layout;
- newer releases (from 2022), as the release notes describe them (25Q2's README):
  ``Model.csv`` (``ModelID``,
  ``CCLEName``, ``COSMICID``, ...), ``OmicsSomaticMutations.csv`` (``HugoSymbol``,
  ``VariantInfo``, ``LikelyLoF``, ``ModelID``, ``IsDefaultEntryForModel``, ...) and the
  log2(TPM + 1) protein-coding expression matrix, whether laid out as 19Q3's (an unnamed
  first column of model ids) or one row per profile (``ProfileID, is_default_entry,
  ModelID`` in 25Q2; a row index, ``SequencingID, ModelID, IsDefaultEntryForModel,
  ModelConditionID, IsDefaultEntryForMC`` later; then the genes), of which the model's
  default entries are kept.

Each parser tells the generation from the file's header, so a newer release is read by
naming its files in ``data.files``.  The parsers check the facts they rely on (id formats,
column layouts, value scales) and say which one a file breaks.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import read_table, require_file
from modrp.sources._common import (
    CCLE_NAME,
    DEPMAP_ID,
    check_ids,
    check_unique_index,
    check_unique_values,
    csv_header,
    read_float_matrix,
    read_text_columns,
    read_text_table,
    require_columns,
    require_finite,
    text_separator,
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

#: The file names DepMap gives its newer releases' files (from 2022), per key of
#: ``data.files``.  The per-profile expression matrix has had both names; its first
#: releases kept 19Q3's layout, so the layout does not tell an expression file's release.
NEWER_FILE_NAMES = {
    "expression": ("OmicsExpressionProteinCodingGenesTPMLogp1.csv",
                   "OmicsExpressionTPMLogp1HumanProteinCodingGenes.csv"),
    "mutations": ("OmicsSomaticMutations.csv",),
    "sample_info": ("Model.csv",),
}

SAMPLE_INFO_COLUMNS = ["DepMap_ID", "stripped_cell_line_name", "CCLE Name", "COSMIC_ID"]
#: sample_info.csv of the releases 19Q4 to 22Q2: the names some of 19Q3's columns took
#: (``CCLE_Name`` from 19Q4; ``COSMICID`` and ``Sanger_Model_ID`` from 20Q2), read where
#: the 19Q3 name is absent.
RENAMED_SAMPLE_INFO_COLUMNS = {"CCLE Name": "CCLE_Name", "COSMIC_ID": "COSMICID",
                               "Sanger_model_ID": "Sanger_Model_ID"}
#: Model.csv (newer releases): its columns that play sample_info.csv's parts.
MODEL_COLUMNS = {"DepMap_ID": "ModelID", "stripped_cell_line_name": "StrippedCellLineName",
                 "CCLE Name": "CCLEName", "COSMIC_ID": "COSMICID",
                 "lineage": "OncotreeLineage", "Sanger_model_ID": "SangerModelID"}
#: OmicsSomaticMutations.csv (newer releases): the columns read; the model id is ``ModelID``
#: (``DepMap_ID`` in the first of these releases).
SOMATIC_MUTATION_COLUMNS = ["HugoSymbol", "VariantInfo"]
#: Leading id columns of a matrix with one row per profile (sequencing) of a model.
PROFILE_COLUMNS = {"ProfileID", "SequencingID", "ModelID", "ModelConditionID",
                   "is_default_entry", "IsDefaultEntryForModel", "IsDefaultEntryForMC"}
#: The column that marks the profile chosen to stand for its model.
DEFAULT_ENTRY_COLUMNS = ("IsDefaultEntryForModel", "is_default_entry")
_YES, _NO = {"yes", "true", "1"}, {"no", "false", "0", ""}
#: VariantInfo's classes (GATK Funcotator's names) as the MAF names of
#: ``preprocess.mutation_excluded_classes``, so one list serves both generations.
VARIANT_INFO_CLASSES = {
    "MISSENSE": "Missense_Mutation", "NONSENSE": "Nonsense_Mutation",
    "NONSTOP": "Nonstop_Mutation", "SILENT": "Silent", "SPLICE_SITE": "Splice_Site",
    "IN_FRAME_DEL": "In_Frame_Del", "IN_FRAME_INS": "In_Frame_Ins",
    "FRAME_SHIFT_DEL": "Frame_Shift_Del", "FRAME_SHIFT_INS": "Frame_Shift_Ins",
    "START_CODON_SNP": "Start_Codon_SNP", "START_CODON_DEL": "Start_Codon_Del",
    "START_CODON_INS": "Start_Codon_Ins", "DE_NOVO_START_IN_FRAME": "De_novo_Start_InFrame",
    "DE_NOVO_START_OUT_FRAME": "De_novo_Start_OutOfFrame", "FIVE_PRIME_UTR": "5'UTR",
    "THREE_PRIME_UTR": "3'UTR", "FIVE_PRIME_FLANK": "5'Flank", "THREE_PRIME_FLANK": "3'Flank",
    "INTRON": "Intron", "IGR": "IGR", "RNA": "RNA", "LINCRNA": "lincRNA",
}
#: VEP's consequence terms (Sequence Ontology), which VariantInfo holds from 23Q4 on (DepMap's
#: mutation pipeline writes VEP's ``Consequence`` there): the MAF class vcf2maf gives each
#: (mskcc/vcf2maf, ``GetVariantClassification``).  The frameshift and protein-altering terms,
#: whose MAF class depends on the variant's length change, keep their names
#: (:data:`SO_PROTEIN_ALTERING`).
SEQUENCE_ONTOLOGY_CLASSES = {
    **dict.fromkeys(("splice_acceptor_variant", "splice_donor_variant",
                     "transcript_ablation", "exon_loss_variant"), "Splice_Site"),
    "stop_gained": "Nonsense_Mutation", "stop_lost": "Nonstop_Mutation",
    **dict.fromkeys(("initiator_codon_variant", "start_lost"), "Translation_Start_Site"),
    **dict.fromkeys(("inframe_insertion", "disruptive_inframe_insertion"), "In_Frame_Ins"),
    **dict.fromkeys(("inframe_deletion", "disruptive_inframe_deletion"), "In_Frame_Del"),
    **dict.fromkeys(("missense_variant", "coding_sequence_variant",
                     "conservative_missense_variant", "rare_amino_acid_variant"),
                    "Missense_Mutation"),
    **dict.fromkeys(("transcript_amplification", "intron_variant", "intragenic",
                     "intragenic_variant"), "Intron"),
    # VEP's finer splice-region terms (from release 105), children of splice_region_variant in
    # the Sequence Ontology, and start_retained_variant, a child of synonymous_variant
    **dict.fromkeys(("splice_region_variant", "splice_donor_5th_base_variant",
                     "splice_donor_region_variant", "splice_polypyrimidine_tract_variant"),
                    "Splice_Region"),
    **dict.fromkeys(("incomplete_terminal_codon_variant", "synonymous_variant",
                     "stop_retained_variant", "start_retained_variant",
                     "nmd_transcript_variant"), "Silent"),
    **dict.fromkeys(("mature_mirna_variant", "exon_variant", "non_coding_exon_variant",
                     "non_coding_transcript_exon_variant", "non_coding_transcript_variant",
                     "nc_transcript_variant"), "RNA"),
    **dict.fromkeys(("5_prime_utr_variant", "5_prime_utr_premature_start_codon_gain_variant"),
                    "5'UTR"),
    "3_prime_utr_variant": "3'UTR",
    **dict.fromkeys(("tf_binding_site_variant", "regulatory_region_variant",
                     "regulatory_region", "intergenic_variant", "intergenic_region"), "IGR"),
    "upstream_gene_variant": "5'Flank", "downstream_gene_variant": "3'Flank",
}
#: VEP terms that alter the protein but have no single MAF class: kept as written, no warning.
SO_PROTEIN_ALTERING = {"frameshift_variant", "protein_altering_variant"}
#: VEP's consequence terms from the most to the least severe, in the order of Ensembl's
#: consequence table (ensembl.org, "Calculated variant consequences"); the older or
#: snpEff names in :data:`SEQUENCE_ONTOLOGY_CLASSES` sit beside the term they stand for.
#: Of several ``&``-joined terms the most severe gives the variant's class (VEP writes
#: them in this order, but the choice does not rely on it).  vcf2maf also takes the most
#: severe, by its own priorities, which differ from this order only where missense meets
#: protein_altering or transcript_amplification, pairs not expected for one SNV or indel.
VEP_SEVERITY_ORDER = (
    ("transcript_ablation", "exon_loss_variant"), ("splice_acceptor_variant",),
    ("splice_donor_variant",), ("stop_gained",), ("frameshift_variant",), ("stop_lost",),
    ("start_lost", "initiator_codon_variant"), ("transcript_amplification",),
    ("feature_elongation",), ("feature_truncation",),
    ("inframe_insertion", "disruptive_inframe_insertion", "inframe_deletion",
     "disruptive_inframe_deletion"),
    ("missense_variant", "conservative_missense_variant", "rare_amino_acid_variant"),
    ("protein_altering_variant",), ("splice_donor_5th_base_variant",),
    ("splice_region_variant",), ("splice_donor_region_variant",),
    ("splice_polypyrimidine_tract_variant",), ("incomplete_terminal_codon_variant",),
    ("start_retained_variant",), ("stop_retained_variant",), ("synonymous_variant",),
    ("coding_sequence_variant", "exon_variant"), ("mature_mirna_variant",),
    ("5_prime_utr_variant", "5_prime_utr_premature_start_codon_gain_variant"),
    ("3_prime_utr_variant",),
    ("non_coding_transcript_exon_variant", "non_coding_exon_variant"),
    ("intron_variant", "intragenic_variant", "intragenic"), ("nmd_transcript_variant",),
    ("non_coding_transcript_variant", "nc_transcript_variant"),
    ("coding_transcript_variant",), ("upstream_gene_variant",), ("downstream_gene_variant",),
    ("tfbs_ablation",), ("tfbs_amplification",), ("tf_binding_site_variant",),
    ("regulatory_region_ablation",), ("regulatory_region_amplification",),
    ("regulatory_region_variant", "regulatory_region"),
    ("intergenic_variant", "intergenic_region"), ("sequence_variant",),
)
_VEP_SEVERITY = {term: rank for rank, terms in enumerate(VEP_SEVERITY_ORDER) for term in terms}


def most_severe_consequence(value: str) -> str:
    """The most severe of VEP's ``&``-joined consequence terms (:data:`VEP_SEVERITY_ORDER`);
    terms it does not list rank below those it does, and ties go to the one written first.
    A single term or a Funcotator class comes back as written (stripped)."""
    terms = [term.strip() for term in value.split("&")]
    return min(terms, key=lambda term: _VEP_SEVERITY.get(term.lower(), len(_VEP_SEVERITY)))


#: log2(TPM + 1) cannot exceed log2(1e6 + 1) (TPM sum to a million per sample).
MAX_LOG2_TPM = 20.0


def gene_symbol(column: str) -> str | None:
    """``'TSPAN6 (7105)'`` -> ``'TSPAN6'``; None when the column is not of that form."""
    match = _GENE_COLUMN.match(column)
    return match["symbol"] if match else None


def _columns(path, what: str) -> list[str]:
    """A table's column names: a CSV/TSV's header, or those pandas reads from a Parquet
    file (its schema less the columns that hold a pandas index)."""
    header = csv_header(path, what)
    if header is not None:
        return header
    if not str(path).lower().endswith(".parquet"):
        return list(read_table(path, what).columns)  # says which suffixes it reads
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(require_file(path, what))
    except (OSError, ValueError) as err:
        raise InputError(f"{what}: cannot parse {path}: {err}") from err
    index = {c for c in (schema.pandas_metadata or {}).get("index_columns", [])
             if isinstance(c, str)}
    return [name for name in schema.names if name not in index]


def default_entries(flags: pd.Series, what: str, path, column: str) -> np.ndarray:
    """Which rows a Yes/No (or True/False) column marks as the model's default entry."""
    text = flags.astype(str).str.strip().str.lower()
    odd = ~text.isin(_YES | _NO)
    if odd.any():
        raise InputError(f"{what}: {path}: column {column!r} must hold Yes or No (or True or "
                         f"False); found {list(dict.fromkeys(flags[odd].astype(str)))[:3]}")
    return text.isin(_YES).to_numpy()


def _true_flags(written: pd.Series, what: str, path, column: str) -> pd.Series:
    """A True/False text column (empty: False) as booleans; anything else is an error."""
    flags = written.str.lower()
    odd = ~flags.isin(["true", "false", ""])
    if odd.any():
        raise InputError(f"{what}: {path}: column {column!r} must hold True or False; "
                         f"found {list(dict.fromkeys(written[odd]))[:3]}")
    return flags.eq("true")


def read_expression(path) -> pd.DataFrame:
    """DepMap expression: rows DepMap ids, columns gene symbols, log2(TPM+1).

    19Q3's ``CCLE_expression.csv`` (and the first newer protein-coding matrices, laid out
    alike): the first column unnamed with DepMap ids (``ACH-000001``, each once), genes as
    ``SYMBOL (ENTREZ)`` columns.  A matrix with a ``ModelID`` column is read as one row
    per profile (:func:`_read_profile_expression`).  Columns named ``SYMBOL (ENTREZ)``
    become ``SYMBOL``; a symbol carried by several columns is averaged.  Raises InputError
    when the layout differs or the values are not log2(TPM+1) (0 to 20).
    """
    what = "expression (CCLE_expression.csv)"
    columns = _columns(path, what)
    if "ModelID" in columns:
        return _read_profile_expression(path, columns)
    header = csv_header(path, what)
    id_column, gene_columns = columns[0], columns[1:]
    if str(id_column).strip().lower() in ("gene_id", "name", "#1.2"):
        raise InputError(
            f"{what}: {path} looks like the legacy CCLE RSEM table (genes as rows, first column "
            f"{id_column!r}); expected DepMap 19Q3 CCLE_expression.csv: cell lines as rows, "
            "an unnamed first column of DepMap ids, genes as 'SYMBOL (ENTREZ)' columns"
        )
    if not (str(id_column).startswith("Unnamed") or id_column in ("", "DepMap_ID")):
        raise InputError(
            f"{what}: {path}: expected the first column to be unnamed and hold DepMap ids "
            f"(or a 'ModelID' column, as newer releases have), found a column named "
            f"{id_column!r}"
        )
    symbols = [gene_symbol(str(c)) for c in gene_columns]
    _check_gene_columns(gene_columns, symbols, what, path,
                        "'SYMBOL (ENTREZ)', e.g. 'TSPAN6 (7105)'")
    matrix = read_float_matrix(path, what) if header is not None else None
    if matrix is None:  # Parquet, or a cell pyarrow cannot read as a number: name it
        frame = read_table(path, what) if header is None else read_table(path, what,
                                                                          engine="pyarrow")
        frame = frame.set_index(frame.columns[0])
        frame.index = frame.index.astype(str)
        matrix = frame
    return _expression_matrix(matrix, symbols, what, path, "first (id) column")


#: A gene column of a per-profile matrix may also be a bare symbol.
_PLAIN_SYMBOL = re.compile(r"^[^\s()]+$")


def _read_profile_expression(path, columns: list[str]) -> pd.DataFrame:
    """DepMap's model-level expression with one row per profile: id columns first
    (``ProfileID``, ``is_default_entry``, ``ModelID``, ...), then the genes.  Keeps each
    model's default entry (``is_default_entry`` or ``IsDefaultEntryForModel`` Yes/True),
    indexed by ``ModelID``; gene columns ``SYMBOL (ENTREZ)`` or bare symbols."""
    what = "expression (DepMap matrix with a ModelID column)"
    n_ids = 0
    # id columns first, after an unnamed one where a row index was written out
    while n_ids < len(columns) and (columns[n_ids] in PROFILE_COLUMNS or (
            n_ids == 0 and (columns[0] == "" or columns[0].startswith("Unnamed")))):
        n_ids += 1
    ids, gene_columns = columns[:n_ids], columns[n_ids:]
    if "ModelID" not in ids:
        raise InputError(f"{what}: {path}: expected the id columns "
                         f"({', '.join(sorted(PROFILE_COLUMNS))}) first and then the genes; "
                         f"'ModelID' comes after the gene column {columns[n_ids]!r}")
    symbols = [gene_symbol(str(c)) or (str(c) if _PLAIN_SYMBOL.match(str(c)) else None)
               for c in gene_columns]
    _check_gene_columns(gene_columns, symbols, what, path,
                        "'SYMBOL (ENTREZ)' or a bare gene symbol")
    header = csv_header(path, what)
    matrix = read_float_matrix(path, what, text_columns=n_ids) if header is not None else None
    if matrix is None:  # Parquet, or a cell pyarrow cannot read as a number: name it
        frame = read_table(path, what) if header is None else read_table(
            path, what, dtype={c: str for c in ids}, keep_default_na=False, na_values=[""],
            index_col=False)
        # by position: pandas renames a repeated header ('G (1)' -> 'G (1).1')
        matrix = frame.iloc[:, n_ids:]
        matrix.columns = gene_columns
        matrix.index = pd.MultiIndex.from_frame(frame.iloc[:, :n_ids].fillna("").astype(str),
                                                names=ids)
    elif not isinstance(matrix.index, pd.MultiIndex):  # ModelID the only id column
        matrix.index = pd.MultiIndex.from_arrays([matrix.index], names=ids)
    flag = next((c for c in DEFAULT_ENTRY_COLUMNS if c in ids), None)
    keep = (default_entries(pd.Series(matrix.index.get_level_values(flag)), what, path, flag)
            if flag else np.ones(len(matrix), dtype=bool))
    models = pd.Index(matrix.index.get_level_values("ModelID"), dtype=object)[keep]
    matrix = matrix.iloc[np.flatnonzero(keep)]
    matrix.index = models.astype(str).str.strip()
    repeated = list(dict.fromkeys(matrix.index[matrix.index.duplicated()]))
    if flag is None and repeated:
        raise InputError(f"{what}: {path}: models {repeated[:3]} have several rows and no column "
                         f"({' or '.join(DEFAULT_ENTRY_COLUMNS)}) says which one stands for "
                         "the model")
    return _expression_matrix(matrix, symbols, what, path, "ModelID")


def _check_gene_columns(columns: list, symbols: list, what: str, path,
                        gene_form: str) -> None:
    unparsed = [c for c, symbol in zip(columns, symbols, strict=True) if symbol is None]
    if unparsed:
        raise InputError(f"{what}: {path}: gene columns must look like {gene_form}; "
                         f"{len(unparsed)} do not, e.g. {unparsed[:3]}")


def _expression_matrix(matrix: pd.DataFrame, symbols: list, what: str, path,
                       id_column: str) -> pd.DataFrame:
    """The checks both layouts share: ids, numbers, the log2(TPM+1) range."""
    if not all(pd.api.types.is_float_dtype(kind) for kind in matrix.dtypes):
        matrix = to_numeric_matrix(matrix, what, path)
    matrix = matrix.astype(np.float32, copy=False)
    matrix.index.name = "depmap_id"
    check_ids(pd.Series(matrix.index), DEPMAP_ID, what, path, id_column,
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
    where it is a row's only id (elsewhere one that is not is dropped, with a warning)
    and ``isDeleterious`` True/False.  A table with a ``HugoSymbol`` column is read as
    the newer releases' ``OmicsSomaticMutations.csv`` (:func:`_read_somatic_mutations`).

    The releases 19Q4 to 22Q2 kept the columns read here, with three differences: a
    leading unnamed row-index column (19Q4, 20Q1; ignored, as every column not read), tab
    separators in the ``.csv`` file (20Q2, 20Q3) and, from 20Q4, ``DepMap_ID`` in place
    of ``Tumor_Sample_Barcode`` (then the only id: no CCLE names).
    """
    what = "mutations (CCLE_mutations.csv)"
    columns = _columns(path, what)
    separator = None
    if (len(columns) == 1 and text_separator(path) == "," and "\t" in columns[0]
            and "Hugo_Symbol" in columns[0].split("\t")):
        separator = "\t"  # 20Q2 and 20Q3 wrote their .csv tab-separated
        columns = csv_header(path, what, separator)
        log.info("%s: %s is tab-separated (as in DepMap 20Q2 and 20Q3): read so", what, path)
    if "HugoSymbol" in columns:
        return _read_somatic_mutations(path)
    # from 20Q4 DepMap_ID took Tumor_Sample_Barcode's place: it is then the only id
    barcode = "Tumor_Sample_Barcode" in columns or "DepMap_ID" not in columns
    frame = read_text_columns(path, what, [c for c in MUTATION_COLUMNS
                                           if barcode or c != "Tumor_Sample_Barcode"],
                              separator)
    if not barcode:
        frame["Tumor_Sample_Barcode"] = ""
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
    # The barcode is only the fallback id: on a row with a DepMap id, one that is not a
    # CCLE name is set aside with a warning; a row that has only the barcode needs it.
    odd = ~frame["ccle_name"].str.fullmatch(CCLE_NAME.pattern) & frame["ccle_name"].ne("")
    check_ids(frame.loc[odd & frame["depmap_id"].eq(""), "ccle_name"], CCLE_NAME, what, path,
              "Tumor_Sample_Barcode", "CCLE names like 'A549_LUNG' where DepMap_ID is empty")
    if odd.any():
        log.warning("%s: %s: %d row(s) have a Tumor_Sample_Barcode that is not a CCLE name, "
                    "e.g. %s; they keep their DepMap_ID and the barcode is not used", what,
                    path, int(odd.sum()), frame.loc[odd, "ccle_name"].unique()[:3].tolist())
        frame.loc[odd, "ccle_name"] = ""
    frame["is_deleterious"] = _true_flags(frame["is_deleterious"], what, path, "isDeleterious")
    classes = set(frame["variant_classification"].unique())
    if classes - MAF_CLASSES:
        log.warning("%s: variant classes outside the MAF specification, counted as "
                    "protein-altering unless excluded in the config: %s", what,
                    sorted(classes - MAF_CLASSES)[:10])
    return frame[["depmap_id", "ccle_name", "gene", "variant_classification",
                  "is_deleterious"]].reset_index(drop=True)


def _read_somatic_mutations(path) -> pd.DataFrame:
    """DepMap ``OmicsSomaticMutations.csv`` (newer releases) as :func:`read_mutations`' table.

    The model id is ``ModelID`` (``DepMap_ID`` in early releases); where the file has
    ``IsDefaultEntryForModel``, only the variants of each model's default profile count.
    ``VariantInfo`` classes take their MAF names, whether Funcotator's (to 23Q2,
    :data:`VARIANT_INFO_CLASSES`) or VEP's consequence terms (from 23Q4, the most severe of
    an ``&``-joined list, :func:`most_severe_consequence`, :data:`SEQUENCE_ONTOLOGY_CLASSES`), so
    ``preprocess.mutation_excluded_classes`` applies as written; others are kept as written
    and named in a warning.  ``LikelyLoF`` (True/False) is the deleterious flag; without
    it no variant counts as deleterious, and a warning says so.  No CCLE names (empty).
    """
    what = "mutations (OmicsSomaticMutations.csv)"
    columns = _columns(path, what)
    id_column = "ModelID" if "ModelID" in columns or "DepMap_ID" not in columns else "DepMap_ID"
    profile = next((c for c in ("SequencingID", "ProfileID") if c in columns), None)
    optional = [c for c in ("LikelyLoF", "IsDefaultEntryForModel", profile)
                if c is not None and c in columns]
    frame = read_text_columns(path, what, [*SOMATIC_MUTATION_COLUMNS, id_column, *optional])
    if "IsDefaultEntryForModel" in optional:
        frame = frame.loc[default_entries(frame["IsDefaultEntryForModel"], what, path,
                                          "IsDefaultEntryForModel")]
    elif profile is not None:  # which profile stands for a model, nothing says
        profiles = frame.loc[frame[profile].str.strip() != ""].groupby(id_column)[profile]
        several = profiles.nunique()
        several = several[several > 1]
        if len(several):
            raise InputError(f"{what}: {path}: models {several.index[:3].tolist()} have "
                             f"variants of several profiles ({profile}) and no column "
                             "IsDefaultEntryForModel says which one stands for the model")
    out = pd.DataFrame({"depmap_id": frame[id_column].str.strip(), "ccle_name": "",
                        "gene": frame["HugoSymbol"].str.strip(),
                        "variant_classification": frame["VariantInfo"].str.strip()})
    out = out.loc[out["gene"].ne("") & out["depmap_id"].ne("")]
    check_ids(out["depmap_id"], DEPMAP_ID, what, path, id_column, "DepMap ids like 'ACH-000001'")
    if "LikelyLoF" in optional:
        out["is_deleterious"] = _true_flags(frame.loc[out.index, "LikelyLoF"].str.strip(),
                                            what, path, "LikelyLoF")
    else:
        log.warning("%s: %s has no LikelyLoF column: no variant counts as deleterious "
                    "(preprocess.mutation_deleterious_only would leave none)", what, path)
        out["is_deleterious"] = False
    classes = out["variant_classification"]
    # of several '&'-joined consequences, the most severe is the class (over the few
    # distinct values, not the million rows)
    first = classes.map({value: most_severe_consequence(value) for value in classes.unique()})
    named = first.str.upper().map(VARIANT_INFO_CLASSES)
    named = named.where(named.notna(), first.str.lower().map(SEQUENCE_ONTOLOGY_CLASSES))
    coding = first.str.lower().isin(SO_PROTEIN_ALTERING)
    named = named.where(named.notna() | ~coding, first.str.lower())
    out["variant_classification"] = named.where(named.notna(), classes)
    unknown = (set(out["variant_classification"]) - MAF_CLASSES - {"lincRNA"}
               - SO_PROTEIN_ALTERING)
    if unknown:
        log.warning("%s: VariantInfo classes without a MAF name, counted as protein-altering "
                    "unless listed as written in preprocess.mutation_excluded_classes: %s",
                    what, sorted(unknown)[:10])
    return out.reset_index(drop=True)


def read_sample_info(path) -> pd.DataFrame:
    """DepMap ``sample_info.csv``, or the newer releases' ``Model.csv``: the CCLE-side id table.

    Columns: ``depmap_id, ccle_name, stripped_name, cosmic_id`` (string, None when
    absent), ``lineage``, ``sanger_model_id``.  ``COSMIC_ID`` must be numeric (or empty),
    ``DepMap_ID`` a DepMap id, and no DepMap id or (non-empty) CCLE name may repeat.
    The releases 19Q4 to 22Q2 name ``CCLE Name`` ``CCLE_Name`` (and from 20Q2
    ``COSMIC_ID`` ``COSMICID``, ``Sanger_model_ID`` ``Sanger_Model_ID``):
    :data:`RENAMED_SAMPLE_INFO_COLUMNS`.
    """
    what = "cell-line annotations (sample_info.csv)"
    frame = read_text_table(path, what)
    # Model.csv (newer releases) names the same facts otherwise: its names in messages too
    name = dict(zip(MODEL_COLUMNS, MODEL_COLUMNS, strict=True))
    newer = [MODEL_COLUMNS[c] for c in SAMPLE_INFO_COLUMNS]
    if "ModelID" in frame.columns and not set(SAMPLE_INFO_COLUMNS) <= set(frame.columns) \
            and (set(newer) <= set(frame.columns) or "DepMap_ID" not in frame.columns):
        what, name = "cell-line annotations (Model.csv)", MODEL_COLUMNS
    else:  # 19Q4 to 22Q2 renamed some columns; the 19Q3 name wins where both are there
        name |= {old: new for old, new in RENAMED_SAMPLE_INFO_COLUMNS.items()
                 if old not in frame.columns and new in frame.columns}
    require_columns(frame, [name[c] for c in SAMPLE_INFO_COLUMNS], what, path)
    check_ids(frame[name["DepMap_ID"]], DEPMAP_ID, what, path, name["DepMap_ID"],
              "DepMap ids like 'ACH-000001'")
    for column in ("DepMap_ID", "CCLE Name"):
        check_unique_values(frame[name[column]].str.strip(), what, path, name[column])
    raw = frame[name["COSMIC_ID"]].str.strip()
    cosmic = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
    bad = cosmic.isna() & raw.ne("") & ~raw.str.lower().isin(["nan", "na"])
    bad |= cosmic.notna() & (cosmic != cosmic.round())
    if bad.any():
        raise InputError(f"{what}: {path}: column {name['COSMIC_ID']!r} must hold numeric "
                         f"COSMIC ids (e.g. 909751 or 909751.0) or be empty; found "
                         f"{list(dict.fromkeys(raw[bad]))[:3]}")
    blank = pd.Series("", index=frame.index)
    out = pd.DataFrame(
        {
            "depmap_id": frame[name["DepMap_ID"]],
            "ccle_name": frame[name["CCLE Name"]],
            "stripped_name": frame[name["stripped_cell_line_name"]],
            "cosmic_id": cosmic.map(lambda v: None if pd.isna(v) else str(int(v))),
            "lineage": frame.get(name["lineage"], blank),
            "sanger_model_id": frame.get(name["Sanger_model_ID"], blank),
        }
    )
    return out.replace({"": None})
