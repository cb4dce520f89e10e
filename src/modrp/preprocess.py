"""From parsed sources to the aligned study data set.

The paper's rules (Results, first paragraph):

- expression, RPPA and metabolite features that are zero in more than 95% of
  cell lines are removed;
- mutation and CNV features that leave more than 95% of cell lines unaffected
  (value 0: not mutated / copy-number neutral) are removed;
- drugs measured on more than 95% of the GDSC cell lines are kept (22 in
  GDSC2 release 8.0).

Both feature rules reduce to "drop a column whose share of zeros exceeds a
threshold" (:func:`drop_mostly_zero_features`); the thresholds come from the
config.  CCLE cell lines are mapped to GDSC by COSMIC id, then by normalised
name; every table is indexed by the COSMIC id as a string.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import write_json, write_parquet
from modrp.sources import ccle, custom, depmap, gdsc, hint
from modrp.sources._common import normalise_cell_line_name

log = logging.getLogger(__name__)

OMICS = ("exp", "mut", "cnv", "rppa", "metabolites")
#: Omics whose features are genes (or map to genes), so they can carry a graph.
GENE_OMICS = ("exp", "mut", "cnv", "rppa")
#: Which of the paper's two zero rules applies to each omic.
ZERO_RULE = {
    "exp": "max_zero_fraction",
    "rppa": "max_zero_fraction",
    "metabolites": "max_zero_fraction",
    "mut": "max_unaffected_fraction",
    "cnv": "max_unaffected_fraction",
}


@dataclass
class StudyData:
    """Everything the later stages read, before it is written to Parquet."""

    omics: dict[str, pd.DataFrame]
    response: pd.DataFrame
    drugs: pd.DataFrame
    cell_lines: pd.DataFrame
    feature_genes: pd.DataFrame
    interactome: pd.DataFrame | None = None
    summary: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- filters


def drop_mostly_zero_features(matrix: pd.DataFrame, max_fraction: float) -> pd.DataFrame:
    """Drop the columns whose share of exact zeros is greater than ``max_fraction``.

    A column that is zero in exactly ``max_fraction`` of the rows is kept.
    """
    if matrix.shape[0] == 0:
        return matrix
    zero_share = (matrix.to_numpy() == 0).mean(axis=0)
    # Shares are ratios of small integers; compare with a tolerance so that a
    # share of exactly max_fraction is not dropped through rounding.
    keep = zero_share <= max_fraction + 1e-12
    return matrix.loc[:, keep]


def mutation_matrix(mutations: pd.DataFrame, excluded_classes: list[str],
                    deleterious_only: bool = False) -> pd.DataFrame:
    """Binary gene matrix from a long variant table (rows: the lines present in the table).

    A gene is mutated (1) in a line when the line carries at least one variant
    of it whose class is not excluded (Silent, UTR, intronic ... by default).
    Lines that appear in the table only with excluded variants are kept as
    profiled lines with all zeros.
    """
    lines = pd.Index(sorted(mutations["line"].unique()), name="line")
    keep = ~mutations["variant_classification"].isin(excluded_classes)
    if deleterious_only:
        keep &= mutations["is_deleterious"]
    hits = mutations.loc[keep, ["line", "gene"]].drop_duplicates()
    genes = pd.Index(sorted(hits["gene"].unique()), name="gene")
    matrix = np.zeros((len(lines), len(genes)), dtype=np.float32)
    matrix[lines.get_indexer(hits["line"]), genes.get_indexer(hits["gene"])] = 1.0
    return pd.DataFrame(matrix, index=lines, columns=genes)


def drug_coverage(response_long: pd.DataFrame) -> pd.DataFrame:
    """Per drug id: name, number of lines measured and share of all lines in the table."""
    n_lines = response_long["cell_line"].nunique()
    grouped = response_long.groupby("drug_id", sort=True)
    table = pd.DataFrame(
        {
            "drug": grouped["drug"].first(),
            "n_lines": grouped["cell_line"].nunique(),
        }
    )
    table["coverage"] = table["n_lines"] / max(n_lines, 1)
    return table.reset_index()


def _covered(coverage: pd.Series, min_coverage: float) -> pd.Series:
    """Measured on more than ``min_coverage`` of the lines (a share of exactly
    ``min_coverage``, up to float rounding, is not more)."""
    return coverage > min_coverage + 1e-12


def select_drugs(response_long: pd.DataFrame, min_coverage: float, max_drugs: int) -> pd.DataFrame:
    """Drugs measured on more than ``min_coverage`` of the lines, at most ``max_drugs``.

    Coverage is counted per drug id (GDSC lists some drugs under two ids); a
    name kept under several ids keeps its best-covered one.  The cap keeps the
    best-covered drugs; equal coverage goes to the lower drug id.  Returns the rows
    of :func:`drug_coverage` for the kept ids, ordered by drug name.
    """
    table = drug_coverage(response_long)
    passed = table[_covered(table["coverage"], min_coverage)]
    passed = passed.sort_values(["coverage", "drug_id"], ascending=[False, True])
    passed = passed.drop_duplicates("drug", keep="first").head(max_drugs)
    return passed.sort_values("drug", key=lambda names: names.str.lower()).reset_index(drop=True)


def _drugs_left_out(response_long: pd.DataFrame, chosen: pd.DataFrame,
                    min_coverage: float) -> dict:
    """The drug names select_drugs did not keep, with their best coverage: below
    ``min_coverage``, or above it but beyond ``max_drugs``.  Logged, for the summary."""
    best = (drug_coverage(response_long).sort_values("coverage", ascending=False)
            .drop_duplicates("drug").set_index("drug")["coverage"])
    best = best.drop(chosen["drug"], errors="ignore").sort_values(ascending=False)
    covered = _covered(best, min_coverage)
    below, beyond = best[~covered], best[covered]
    for names, why in ((below, f"measured on at most {min_coverage:.0%} of the lines "
                               "(drugs.min_coverage)"),
                       (beyond, "beyond drugs.max_drugs")):
        if len(names):
            shown = ", ".join(f"{name} ({coverage:.2%})" for name, coverage in
                              names.head(5).items())
            log.info("drugs left out, %s: %d, best covered %s%s", why, len(names), shown,
                     " ..." if len(names) > 5 else "")
    return {"below_min_coverage": {k: round(float(v), 4) for k, v in below.items()},
            "beyond_max_drugs": {k: round(float(v), 4) for k, v in beyond.items()}}


# --------------------------------------------------------------------------- id mapping


#: Why a sample_info line maps to no GDSC line (``outcome`` of :func:`match_ccle_lines`).
UNMATCHED_REASONS = {
    "not_in_gdsc": "no GDSC line has their COSMIC id or their normalised name",
    "cosmic_id_shared": "share their sample_info COSMIC id with an earlier line (the first "
                        "keeps it)",
    "name_matches_several_gdsc_lines": "have a name that matches several GDSC lines",
    "name_shared_by_several_ccle_lines": "share their normalised name with another CCLE line",
    "gdsc_line_matched_by_cosmic_id": "match by name a GDSC line that another CCLE line "
                                      "matches by COSMIC id",
    "gdsc_line_matched_by_several_names": "match by name a GDSC line that another CCLE name "
                                          "matches too",
}


def match_ccle_lines(sample_info: pd.DataFrame, gdsc_names: pd.DataFrame) -> pd.DataFrame:
    """Match every CCLE line to a GDSC COSMIC id: by COSMIC id, else by normalised name.

    ``gdsc_names`` has columns ``cosmic_id, name`` (every GDSC name known for a
    line).  A sample_info COSMIC id counts only when GDSC has it; otherwise (or when
    absent) the line's normalised stripped name is tried.  A name never decides
    between lines: it matches nothing when several GDSC lines carry it, when several
    CCLE lines carry it, when another CCLE name matches the same GDSC line, or when
    that GDSC line is matched by COSMIC id already.  Returns one row per line:
    ``depmap_id, ccle_name, cosmic_id`` (None when unmatched), ``matched_by``
    (``cosmic_id``, ``name`` or None), ``outcome`` (``matched_by``, or a key of
    :data:`UNMATCHED_REASONS`) and ``cosmic_id_in_gdsc`` (False when sample_info gives
    a COSMIC id that GDSC lacks, None when it gives none).  Logs the counts of
    :func:`matching_summary`, and names the lines a name rule leaves out.
    """
    info = sample_info.reset_index(drop=True)
    norm = gdsc_names.assign(key=gdsc_names["name"].map(normalise_cell_line_name))
    by_key = norm.drop_duplicates(["key", "cosmic_id"]).groupby("key")["cosmic_id"]
    n_ids = by_key.nunique()
    name_to_cosmic = by_key.first()[(n_ids == 1) & (n_ids.index != "")]
    several_gdsc = set(n_ids.index[(n_ids > 1) & (n_ids.index != "")])
    stripped = info["stripped_name"].fillna(info["ccle_name"].fillna("").str.split("_").str[0])
    key = stripped.map(normalise_cell_line_name)
    key_count = key[key != ""].value_counts()
    several_ccle = key.isin(key_count.index[key_count > 1])

    own = info["cosmic_id"]
    in_gdsc = own.isin(set(gdsc_names["cosmic_id"].dropna()))
    exact = own.notna() & in_gdsc
    cosmic = own.where(exact).astype(object)
    outcome = pd.Series(np.where(exact, "cosmic_id", "not_in_gdsc"), index=info.index,
                        dtype=object)
    shared_id = exact & cosmic.duplicated()
    outcome[shared_id] = "cosmic_id_shared"
    cosmic[shared_id] = None

    # The name fallback, for the lines without a usable COSMIC id.
    name_id = key.map(name_to_cosmic).where(~exact)
    outcome[~exact & key.isin(several_gdsc)] = "name_matches_several_gdsc_lines"
    found = name_id.notna()
    taken = found & name_id.isin(set(cosmic.dropna()))
    outcome[taken] = "gdsc_line_matched_by_cosmic_id"
    found &= ~taken
    outcome[found & several_ccle] = "name_shared_by_several_ccle_lines"
    found &= ~several_ccle
    clash = found & name_id.where(found).map(name_id[found].value_counts()).gt(1)
    outcome[clash] = "gdsc_line_matched_by_several_names"
    found &= ~clash
    outcome[found] = "name"
    cosmic[found] = name_id[found]

    matched_by = outcome.where(outcome.isin(["cosmic_id", "name"]))
    matches = pd.DataFrame({
        "depmap_id": info["depmap_id"],
        "ccle_name": info["ccle_name"],
        "cosmic_id": cosmic.astype(object).where(cosmic.notna(), None),
        "matched_by": matched_by.astype(object).where(matched_by.notna(), None),
        "outcome": outcome,
        "cosmic_id_in_gdsc": in_gdsc.astype(object).where(own.notna(), None),
    })
    _log_matching(matches)
    return matches


def matching_summary(matches: pd.DataFrame) -> dict:
    """Counts of :func:`match_ccle_lines` for summary.json (and the log)."""
    counts = matches["outcome"].value_counts()
    absent = matches["cosmic_id_in_gdsc"].eq(False)
    summary = {
        "sample_info_lines": int(len(matches)),
        "matched_by_cosmic_id": int(counts.get("cosmic_id", 0)),
        "matched_by_name": int(counts.get("name", 0)),
        "cosmic_id_not_in_gdsc": int(absent.sum()),
        "cosmic_id_not_in_gdsc_matched_by_name": int((absent
                                                      & matches["matched_by"].eq("name")).sum()),
        "unmatched": {reason: int(counts.get(reason, 0)) for reason in UNMATCHED_REASONS},
    }
    return summary


def _log_matching(matches: pd.DataFrame) -> None:
    summary = matching_summary(matches)
    log.info("cell lines: %d of %d sample_info lines matched to GDSC (%d by COSMIC id, %d by "
             "name); %d have a COSMIC id that GDSC lacks (%d of them matched by name)",
             summary["matched_by_cosmic_id"] + summary["matched_by_name"],
             summary["sample_info_lines"], summary["matched_by_cosmic_id"],
             summary["matched_by_name"], summary["cosmic_id_not_in_gdsc"],
             summary["cosmic_id_not_in_gdsc_matched_by_name"])
    for reason, text in UNMATCHED_REASONS.items():
        if reason == "not_in_gdsc" or not summary["unmatched"][reason]:
            continue
        left = matches.loc[matches["outcome"] == reason]
        # a model of newer DepMap releases may have no CCLE name: its DepMap id then
        names = left["ccle_name"].fillna(left["depmap_id"]).astype(str)
        log.warning("cell lines: %d CCLE line(s) left unmatched: they %s: %s",
                    len(names), text, ", ".join(names[:10]))


def matched_lines(matches: pd.DataFrame) -> pd.DataFrame:
    """The matched rows of :func:`match_ccle_lines`' table, as ``depmap_id, ccle_name,
    cosmic_id, matched_by`` (each COSMIC id once)."""
    mapped = matches[matches["matched_by"].notna()]
    return mapped[["depmap_id", "ccle_name", "cosmic_id", "matched_by"]].reset_index(drop=True)


def _reindex_by_cosmic(matrix: pd.DataFrame, key_to_cosmic: pd.Series, what: str,
                       average: bool = False) -> pd.DataFrame:
    """Rows renamed to the COSMIC ids ``key_to_cosmic`` gives them, rows it gives none left
    out.  Several rows reaching one line are averaged (``average``: measurements of one
    line, such as metabolomics rows under two CCLE names of one DepMap id) or the first is
    kept; either way with a warning."""
    cosmic = matrix.index.map(key_to_cosmic)
    unmapped = int(pd.isna(cosmic).sum())
    if unmapped:
        log.info("%s: %d of %d lines match no GDSC line and are left out",
                 what, unmapped, len(matrix))
    out = matrix[pd.notna(cosmic)].copy()
    sources = out.index
    out.index = pd.Index(cosmic[pd.notna(cosmic)], name="cell_line")
    repeated = out.index.duplicated(keep=False)
    if repeated.any():
        shown = ", ".join(sorted(sources[repeated].astype(str))[:6])
        log.warning("%s: %d line(s) reached by several rows (%s), %s", what,
                    out.index[repeated].nunique(), shown,
                    "averaged" if average else "the first row kept")
        if average:
            return out.groupby(level=0, sort=False).mean().astype(matrix.dtypes.iloc[0])
    return out[~out.index.duplicated()]


# --------------------------------------------------------------------------- sources


def load_source_files(files: dict[str, Path], config: dict) -> StudyData:
    """Parse the real-format raw files (DepMap / CCLE / GDSC / HINT) into a StudyData."""
    omics_wanted = config["omics"]
    pre = config.get("preprocess", {})
    response_long = gdsc.read_dose_response(files["dose_response"])
    response_long = response_long.rename(columns={"cosmic_id": "cell_line",
                                                  "drug_name": "drug"})
    details = gdsc.read_cell_line_details(files["cell_line_details"])
    gdsc_names = pd.concat(
        [
            response_long[["cell_line", "cell_line_name"]]
            .rename(columns={"cell_line": "cosmic_id", "cell_line_name": "name"}),
            details[["cosmic_id", "sample_name"]].rename(columns={"sample_name": "name"}),
        ]
    ).drop_duplicates()
    sample_info = depmap.read_sample_info(files["sample_info"])
    matches = match_ccle_lines(sample_info, gdsc_names)
    ccle_map = matched_lines(matches)
    by_depmap = ccle_map.set_index("depmap_id")["cosmic_id"]
    by_ccle = ccle_map.dropna(subset=["ccle_name"]).set_index("ccle_name")["cosmic_id"]

    omics: dict[str, pd.DataFrame] = {}
    feature_genes = []
    if "exp" in omics_wanted:
        omics["exp"] = _reindex_by_cosmic(depmap.read_expression(files["expression"]),
                                          by_depmap, "expression")
    if "mut" in omics_wanted:
        variants = depmap.read_mutations(files["mutations"])
        # The DepMap id decides; the CCLE name only where the DepMap id maps to no line.
        variants["line"] = variants["depmap_id"].map(by_depmap).fillna(
            variants["ccle_name"].map(by_ccle))
        unmapped = variants.loc[variants["line"].isna(), "depmap_id"].nunique()
        if unmapped:
            log.info("mutations: %d lines match no GDSC line and are left out", unmapped)
        matrix = mutation_matrix(variants.dropna(subset=["line"]),
                                 pre.get("mutation_excluded_classes", []),
                                 pre.get("mutation_deleterious_only", False))
        matrix.index.name = "cell_line"
        omics["mut"] = matrix
    if "cnv" in omics_wanted:
        matrix = gdsc.read_gene_level_cn(files["copy_number"],
                                         pre.get("cnv_amplification_min_cn", 8))
        unknown = int(matrix.isna().to_numpy().sum())
        if unknown:
            log.info("copy number: %d unknown (line, gene) values set to neutral", unknown)
        matrix = matrix.fillna(0.0)
        matrix.index.name = "cell_line"
        omics["cnv"] = matrix
    if "rppa" in omics_wanted:
        omics["rppa"] = _reindex_by_cosmic(ccle.read_rppa(files["rppa"]), by_ccle, "RPPA")
        antibodies = ccle.read_rppa_antibodies(files["rppa_antibodies"])
        unknown = sorted(set(omics["rppa"].columns) - set(antibodies["antibody"]))
        if unknown:
            raise InputError(
                f"RPPA antibody table {files['rppa_antibodies']}: no row for the antibodies "
                f"{unknown[:5]} of {files['rppa']}"
            )
        feature_genes.append(
            antibodies.explode("genes").dropna(subset=["genes"])
            .rename(columns={"antibody": "feature", "genes": "gene"})
            .assign(omic="rppa")[["omic", "feature", "gene"]]
        )
    if "metabolites" in omics_wanted:
        metabolites = ccle.read_metabolomics(files["metabolomics"])
        # As for mutations, the file's DepMap id decides; the CCLE name where it maps to no
        # line (or the file gives none).
        names = metabolites.index.to_series()
        to_cosmic = names.map(ccle.read_metabolomics_ids(files["metabolomics"])).map(
            by_depmap).fillna(names.map(by_ccle))
        omics["metabolites"] = _reindex_by_cosmic(metabolites, to_cosmic, "metabolomics",
                                                  average=True)

    compounds = gdsc.read_screened_compounds(files["compounds"])
    tissue = details.set_index("cosmic_id")["tissue"]
    names = gdsc_names.drop_duplicates("cosmic_id").set_index("cosmic_id")["name"]
    data = _assemble(omics, response_long, compounds, feature_genes, config,
                     tissue=tissue, names=names, ccle_map=ccle_map)
    data.summary["cell_line_matching"] = matching_summary(matches)
    if "mut" in omics_wanted:
        data.summary["mutation_table"] = {"variants": int(len(variants)),
                                          "lines": int(variants["depmap_id"].nunique()),
                                          "genes": int(variants["gene"].nunique())}
    if files.get("interactome"):
        data.interactome = hint.read_interactome(files["interactome"])
        data.summary["interactome_pairs"] = int(len(data.interactome))
    return data


def load_custom_files(custom_cfg: dict, config: dict) -> StudyData:
    """Read ``data.source: custom`` matrices into a StudyData."""
    omics = {omic: custom.read_omic_matrix(path, omic)
             for omic, path in custom_cfg["omics"].items() if omic in config["omics"]}
    response = custom.read_response(custom_cfg["response"])
    # Custom drugs have no ids: number them by name so coverage is counted per drug.
    response["drug_id"] = response["drug"].astype("category").cat.codes.astype(np.int64)
    compounds = None
    if custom_cfg.get("drugs"):
        annotations = custom.read_drug_annotations(custom_cfg["drugs"])
        compounds = annotations.rename(columns={"drug": "drug_name"})
    tissue = custom.read_tissues(custom_cfg["tissues"]) if custom_cfg.get("tissues") else None
    data = _assemble(omics, response, compounds, [], config, tissue=tissue)
    data.summary["drug_selection"]["drugs_keyed_by"] = "name"  # its drug ids count names
    if custom_cfg.get("interactome"):
        data.interactome = custom.read_edge_list(custom_cfg["interactome"])
        data.summary["interactome_pairs"] = int(len(data.interactome))
    return data


# --------------------------------------------------------------------------- assembly


def _assemble(omics, response_long, compounds, feature_genes, config, tissue=None, names=None,
              ccle_map=None) -> StudyData:
    pre = config.get("preprocess", {})
    drugs_cfg = config.get("drugs", {})
    summary: dict = {"raw": {omic: list(m.shape) for omic, m in omics.items()}}

    chosen = select_drugs(response_long, drugs_cfg.get("min_coverage", 0.95),
                          drugs_cfg.get("max_drugs", 22))
    if chosen.empty:
        raise InputError(
            f"no drug is measured on more than {drugs_cfg.get('min_coverage', 0.95):.0%} of the "
            "cell lines of the response table; lower drugs.min_coverage"
        )
    summary["drug_selection"] = {
        "drug_ids_in_table": int(response_long["drug_id"].nunique()),
        "lines_in_table": int(response_long["cell_line"].nunique()),
        "kept": chosen["drug"].tolist(),
        **_drugs_left_out(response_long, chosen, drugs_cfg.get("min_coverage", 0.95)),
    }
    kept = response_long[response_long["drug_id"].isin(chosen["drug_id"])]
    # Each kept id under the name chosen for it: rows of that id under another name (were
    # GDSC to spell it otherwise in some rows) stay in its column.
    chosen_name = kept["drug_id"].map(chosen.set_index("drug_id")["drug"])
    renamed = kept.loc[kept["drug"] != chosen_name, ["drug", "drug_id"]].drop_duplicates()
    if len(renamed):
        log.warning("response table: %d selected drug id(s) also named otherwise in some "
                    "rows, counted under their chosen name: %s", renamed["drug_id"].nunique(),
                    ", ".join(f"{name} (id {drug_id})" for name, drug_id in
                              renamed.head(5).itertuples(index=False)))
    kept = kept.assign(drug=chosen_name)
    repeated = int(kept.loc[kept.duplicated(["cell_line", "drug_id"]), ["cell_line", "drug_id"]]
                   .drop_duplicates().shape[0])
    if repeated:
        log.warning("response table: %d (cell line, drug id) pair(s) of the selected drugs are "
                    "measured more than once; their ln IC50 values are averaged", repeated)
    summary["drug_selection"]["repeated_measurements_averaged"] = repeated
    response = kept.pivot_table(index="cell_line", columns="drug", values="ln_ic50",
                                aggfunc="mean")
    response = response[chosen["drug"].tolist()]

    profiled = set().union(*(set(m.index) for m in omics.values())) if omics else set()
    overlap = sorted(profiled & set(response.index))
    if not overlap:
        example_omic = next(iter(omics.values())).index[:3].tolist() if omics else []
        raise InputError(
            "no cell line has both omics and drug responses: the omics ids (e.g. "
            f"{example_omic}) and the response ids (e.g. {response.index[:3].tolist()}) do not "
            "overlap; check that both use the same cell-line ids"
        )
    response = response.loc[overlap].astype(np.float32)
    response.index.name = "cell_line"
    response.columns.name = "drug"

    kept_omics = {}
    for omic, matrix in omics.items():
        matrix = matrix.loc[matrix.index.isin(overlap)].sort_index()
        if not len(matrix):
            raise InputError(
                f"omic {omic!r}: none of its {len(omics[omic])} cell lines (e.g. "
                f"{omics[omic].index[:3].tolist()}) has a drug response; check that it uses "
                "the same cell-line ids as the response table, or leave it out of omics")
        rule = ZERO_RULE[omic]
        filtered = drop_mostly_zero_features(matrix, pre.get(rule, 0.95))
        summary.setdefault("features", {})[omic] = {
            "lines": int(filtered.shape[0]),
            "raw": int(matrix.shape[1]),
            "kept": int(filtered.shape[1]),
            "dropped_by_zero_rule": int(matrix.shape[1] - filtered.shape[1]),
        }
        if filtered.shape[1] == 0:
            raise InputError(f"omic {omic!r}: every feature is dropped by the {rule} filter "
                             f"({pre.get(rule, 0.95)}); check the input or the threshold")
        filtered = filtered.astype(np.float32)
        filtered.index.name = "cell_line"
        filtered.columns = filtered.columns.astype(str)
        filtered.columns.name = "feature"
        kept_omics[omic] = filtered

    genes = [fg for fg in feature_genes if not fg.empty]
    for omic in ("exp", "mut", "cnv"):
        if omic in kept_omics:
            cols = kept_omics[omic].columns
            genes.append(pd.DataFrame({"omic": omic, "feature": cols, "gene": cols}))
    if "rppa" in kept_omics and not any((g["omic"] == "rppa").any() for g in genes):
        cols = kept_omics["rppa"].columns  # custom RPPA: features are gene symbols
        genes.append(pd.DataFrame({"omic": "rppa", "feature": cols, "gene": cols}))
    feature_genes_table = pd.concat(genes, ignore_index=True) if genes else pd.DataFrame(
        columns=["omic", "feature", "gene"])
    feature_genes_table["gene"] = feature_genes_table["gene"].astype(str).str.strip().str.upper()
    rppa_kept = set(kept_omics.get("rppa", pd.DataFrame()).columns)
    feature_genes_table = feature_genes_table[
        (feature_genes_table["omic"] != "rppa") | feature_genes_table["feature"].isin(rppa_kept)
    ].reset_index(drop=True)

    drugs = chosen.rename(columns={"n_lines": "n_lines_screened"})
    if compounds is not None:
        # GDSC's drug table joins on DRUG_ID, whatever either table calls the drug
        # (Sapatinib, Sapitinib); a drug whose id it lacks, and a custom table's (no
        # ids), by name.
        by_id = (compounds if "drug_id" in compounds else compounds.assign(drug_id=pd.NA)
                 .iloc[:0]).drop_duplicates("drug_id").set_index("drug_id")
        by_name = compounds.drop_duplicates("drug_name").set_index("drug_name")
        known_id = drugs["drug_id"].isin(by_id.index)
        for column in ("target", "pathway"):
            drugs[column] = drugs["drug_id"].map(by_id[column]).where(
                known_id, drugs["drug"].map(by_name[column]))
        renamed = drugs.loc[known_id & drugs["drug_id"].map(by_id["drug_name"]).ne(
            drugs["drug"])]
        if len(renamed):
            log.info("drugs: %d selected drug(s) named otherwise in the drug table, joined "
                     "by id: %s", len(renamed), ", ".join(
                         f"{name} ({by_id.loc[drug_id, 'drug_name']})"
                         for name, drug_id in zip(renamed["drug"], renamed["drug_id"],
                                                  strict=True)))
        absent = drugs.loc[~known_id & ~drugs["drug"].isin(by_name.index), "drug"].tolist()
        if absent:
            how = ("by id or by name" if "drug_id" in compounds else
                   "by name (names must match the response's exactly)")
            log.warning("drugs: %d of %d selected drug(s) not in the drug table, %s; their "
                        "target and pathway taken from the response table or 'unknown': %s%s",
                        len(absent), len(drugs), how, ", ".join(absent[:5]),
                        " ..." if len(absent) > 5 else "")
    for column, source in (("target", "putative_target"), ("pathway", "pathway_name")):
        fallback = (response_long.drop_duplicates("drug_id").set_index("drug_id")[source]
                    if source in response_long else None)
        if column not in drugs:
            drugs[column] = None
        if fallback is not None:
            drugs[column] = drugs[column].fillna(drugs["drug_id"].map(fallback))
        drugs[column] = drugs[column].fillna("unknown")
    drugs["n_lines_study"] = drugs["drug"].map(response.notna().sum()).astype(int)
    drugs = drugs[["drug", "target", "pathway", "drug_id", "coverage", "n_lines_screened",
                   "n_lines_study"]]

    lines = pd.DataFrame(index=pd.Index(overlap, name="cell_line"))
    if names is not None:
        lines["name"] = lines.index.map(names)
    else:
        lines["name"] = lines.index
    if ccle_map is not None:
        by_cosmic = ccle_map.set_index("cosmic_id")
        lines["ccle_name"] = lines.index.map(by_cosmic["ccle_name"])
        lines["depmap_id"] = lines.index.map(by_cosmic["depmap_id"])
        lines["matched_by"] = lines.index.map(by_cosmic["matched_by"])
    lines["tissue"] = lines.index.map(tissue) if tissue is not None else "unknown"
    if tissue is not None and lines["tissue"].isna().any():
        lacking = lines.index[lines["tissue"].isna()]
        log.warning("cell lines: %d of %d study line(s) have no tissue in the tissue table, "
                    "labelled 'unknown' (e.g. %s)", len(lacking), len(lines),
                    ", ".join(map(str, lacking[:3])))
    lines["tissue"] = lines["tissue"].fillna("unknown")
    for omic in OMICS:
        lines[f"has_{omic}"] = lines.index.isin(kept_omics[omic].index) if omic in kept_omics \
            else False
    lines["n_drugs_measured"] = response.notna().sum(axis=1).astype(int)
    configured = [f"has_{o}" for o in kept_omics]
    summary["lines"] = {
        "study": int(len(lines)),
        "with_all_configured_omics": int(lines[configured].all(axis=1).sum()),
        **{omic: int(lines[f"has_{omic}"].sum()) for omic in kept_omics},
    }
    summary["drugs"] = int(response.shape[1])
    return StudyData(kept_omics, response, drugs, lines.reset_index(), feature_genes_table,
                     summary=summary)


def write_study_data(data: StudyData, outdir: Path) -> None:
    """Write the aligned tables under ``outdir`` (``results/<dataset>/data``)."""
    outdir = Path(outdir)
    for omic, matrix in data.omics.items():
        write_parquet(matrix, outdir / "omics" / f"{omic}.parquet")
    write_parquet(data.response, outdir / "response.parquet")
    write_parquet(data.drugs, outdir / "drugs.parquet")
    write_parquet(data.cell_lines, outdir / "cell_lines.parquet")
    write_parquet(data.feature_genes, outdir / "feature_genes.parquet")
    if data.interactome is not None:
        write_parquet(data.interactome, outdir / "interactome.parquet")
    write_json(data.summary, outdir / "summary.json")
