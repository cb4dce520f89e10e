"""Synthetic demo dataset: the raw CCLE / DepMap / GDSC / HINT files, with a planted signal.

``write_demo_dataset(outdir)`` writes small copies of the eleven source files the
pipeline downloads for a real run (same names, columns and quirks as the real
files) plus ``truth.json``, so that the parsers,
the cell-line mapping, the filters and the models all run on a known answer,
offline, in seconds.  Everything is drawn from one seed; the same seed gives
byte-identical CSV/TXT files and truth.json.

Generating model
================

Genes and interactome
    ``n_genes`` genes: ~100 real symbols (the drug targets of the paper's
    Table 4 and their usual partners, with their NCBI Entrez ids) and
    synthetic ones (``ZNF9001``-style, Entrez ids from 900001).  Coordinates,
    UniProt accessions and transcripts are synthetic.  The interactome has
    ``n_edges`` unique unordered gene pairs: a curated set of known
    interactions among the real genes (KRAS-BRAF, BRAF-MAP2K1, MDM2-TP53, ...)
    completed by preferential attachment (Barabasi-Albert, real genes tending
    to arrive early, hence to be hubs).  About 8% of the synthetic genes have
    no interaction.  The HINT file adds a few rows with genes in no omic,
    a few pairs repeated in the other orientation and a few self-interactions.

Cell lines
    ``n_lines`` lines, each with a tissue, a GDSC name (``NCI-H508``) whose
    normalised form (uppercase; space ``- _ / . ;`` deleted) is the stripped
    CCLE name (``NCIH508`` in ``NCIH508_LARGE_INTESTINE``), a COSMIC id, a
    DepMap id and a Sanger model id.  ~10% are GDSC-only (response and CNV,
    no CCLE omics) and ~5% CCLE-only (no response).  sample_info has no
    COSMIC_ID (and no Sanger_model_ID) for ~5% of the matched lines, which
    must be matched by name, and lists a few lines with no data at all.
    GDSC ``KM-H2`` (the CCLE line KMH2_HAEMATOPOIETIC_AND_LYMPHOID_TISSUE,
    COSMIC_ID missing in sample_info) and the GDSC-only thyroid line
    ``KMH-2`` normalise to the same name: an ambiguity to be resolved or
    dropped, never guessed.  Profiling is independent per omic: expression
    95%, mutations 95%, RPPA 90%, metabolomics 90% of the CCLE lines, copy
    number 90% of the GDSC lines.

Latent omics (exist for every line; only profiled lines are written)
    copy number  per line a ploidy (2, 3 or 4); per (gene, line) homozygous
                 deletion, amplification (max CN >= 8), LOH or neutral, with
                 gene-specific rates (oncogenes amplified, CDKN2A deleted,
                 ~5% of genes almost never altered); 0.2% of cells written as
                 unknown (``-1,-1,-,-``).  The feature is
                 ``modrp.sources.gdsc.cnv_alteration_state`` of the true cell.
    expression   log2(TPM+1) = gene level + tissue effect + 6 shared factors +
                 noise, +1.2 where amplified, 0 where homozygously deleted,
                 gene-specific dropout to 0; ~2% of genes are 0 in > 95% of
                 lines.
    mutations    binary protein-altering mutation with a gene frequency
                 (most genes < 5%, drivers such as TP53 0.38 or KRAS 0.20).
                 The MAF rows are Missense / Nonsense / Frame_Shift_Del /
                 Frame_Shift_Ins / Splice_Site / In_Frame_Del / In_Frame_Ins;
                 noise rows in non-coding classes (Silent, Intron, 3'UTR,
                 5'UTR, 5'Flank, IGR) are added, and one gene carries only
                 such rows in ~40% of lines.
    RPPA         per antibody: its target genes' mean standardised
                 expression (weight 0.3-0.7) plus shared factors and noise,
                 centred; one antibody is 0 in > 95% of lines.
    metabolites  log10-like abundance in [3.5, 7.7] with tissue effects; one
                 metabolite is 0 in > 95% of lines; one line is measured
                 twice (the second row a slightly perturbed copy).

Planted response (the 22 drugs of Table 4)
    The demo is a positive control: its signal is one the paper's network can
    learn from ~170 training lines, so the pipeline can be checked against a
    known answer.  Most of each drug's signal is an expression programme:
    the drug mixes 2 of the expression model's 6 shared factors (random
    weights), and its programme genes are the 40 always-expressed genes that
    load most on that mix, each weighted by its loading; the score follows the
    factors closely and is spread over many genes (a low-rank signal, which
    RPPA also sees in part, through its targets' expression).  The rest is
    sparse: for drug d with target genes T_d (Table 4 mapped to genes;
    Oxaliplatin -> ERCC1, MRE11 and 5-Fluorouracil -> TYMS as proxies) the
    neighbourhood N_d is T_d plus their interactome neighbours; from N_d are
    drawn 3 mutated genes (frequency forced into 10-40%), up to 3 RPPA
    antibodies whose targets meet N_d and 2 copy-number genes (altered in
    >= 12% of lines); 2 metabolites are drawn at random.  A few known
    biomarkers are always used (BRAF mutation for PLX-4720 and the MEK
    inhibitors, TP53 mutation for Nutlin-3a, PIK3CA for the PI3K inhibitors,
    TYMS / TOP1 / ERCC1 expression, beside the programme, for 5-FU /
    topoisomerase poisons / Oxaliplatin, ...).  Then

        ln IC50(l, d) = mean_d + sum_omic sum_f beta(d, f) * (x(l, f) - mean_f) + e(l, d),

    x = 0/1 mutation, z-scored expression / RPPA / metabolite (mean and SD over
    all lines of the universe) or CNV alteration state; mean_f is the mean over
    all lines; e ~ N(0, noise_sd_d^2).  The coefficients of each omic are
    scaled so that its contribution's variance over the drug's measured lines
    is a share of the signal variance, sorted so that
    exp > mut > rppa > cnv > metabolites for every drug (base shares 0.92,
    0.03, 0.025, 0.015, 0.01, jittered).  The signal variance is
    r2_d * 1.2 * MSE_d(Table 4) with a target r2_d ~ U(0.6, 0.9), and
    noise_sd_d is set so the noise-free oracle explains r2_d of the variance.
    truth.json reports the realised oracle R^2 = 1 - sum e^2 / sum (y - ybar)^2
    over the measured pairs, the realised variance shares, the coefficients
    (feature names as the pipeline sees them: gene symbols, antibody names,
    metabolite names), each drug's programme factors and weights, means,
    noise SDs, targets and neighbourhoods, and the centres mean_f and the z-scores'
    means and SDs of the signal features: enough to recompute the noise-free ln IC50
    from the written files alone.

    An earlier demo planted sparse signals only (3 mutated genes carrying
    44% of the signal, 3 expressed genes, ...): the lasso recovered part of it,
    the paper's network nothing (per-drug R^2 ~ 0 from ~150 training lines), so
    it could not tell a working pipeline from a broken one.

Coverage
    Each of the 22 drugs is measured on > 95% (not 100%) of the GDSC lines;
    Oxaliplatin has a second DRUG_ID with ~45% coverage and its own noise;
    distractors (Cisplatin, Pictilisib, AZD7762 just below 95%; Docetaxel,
    Dactinomycin, Ulixertinib far below) respond as mean + noise.

Scales
    ``scale="demo"`` (the default) gives the sizes above.  ``scale="paper"``
    gives the real files' sizes with the same model: 25,638 genes of which
    19,144 are protein-coding (expression, mutations, interactome; the others
    appear only in the copy-number file, named ``LINC...``), 62,345 interactions,
    ~1,740 sample_info rows, ~1,210 expression lines, ~1,660 mutation lines
    (~1.4 M MAF rows), ~900 RPPA and ~930 metabolomics lines over 214 antibodies
    and 225 metabolites, ~1,000 GDSC1000 lines with copy number of which ~810 are
    in the GDSC2 dose-response file (175 DRUG_IDs, ~118k rows: 146 extra
    background compounds respond as mean + noise, below the coverage cut).  A
    ``DemoScale`` gives any other mix.

New cell lines
    ``write_new_cell_lines`` draws further lines from the model of a demo (same
    genes, interactome, per-gene parameters, standardisation, planted
    coefficients, drug means and noise SDs; new latent omics and new noise),
    writes their omics in the same formats and ``responses.csv`` with the noisy
    and the noise-free ln IC50 of the 22 drugs, for checking predictions.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from modrp.io import atomic_path
from modrp.sources.gdsc import cnv_alteration_state

# Config key -> file name, as the pipeline's data.demo config expects them.
FILE_NAMES = {
    "expression": "CCLE_expression.csv",
    "mutations": "CCLE_mutations.csv",
    "sample_info": "sample_info.csv",
    "rppa": "CCLE_RPPA_20181003.csv",
    "rppa_antibodies": "CCLE_RPPA_Ab_info_20181226.csv",
    "metabolomics": "CCLE_metabolomics_20190502.csv",
    "dose_response": "GDSC2_fitted_dose_response_17Jul19.xlsx",
    "compounds": "screened_compounds_rel_8.0.csv",
    "cell_line_details": "Cell_Lines_Details.xlsx",
    "copy_number": "Gene_level_CN.xlsx",
    "interactome": "HomoSapiens_binary_hq.txt",
    "truth": "truth.json",
}

OMIC_ORDER = ("exp", "mut", "rppa", "cnv", "metabolites")
BASE_SHARES = (0.92, 0.03, 0.025, 0.015, 0.01)  # variance shares, in OMIC_ORDER
# Sparse signal features drawn per drug; expression gets its known biomarkers only, the
# rest of its share is an expression programme (see _expression_programmes).
N_SIGNAL_FEATURES = {"mut": 3, "rppa": 3, "exp": 0, "cnv": 2, "metabolites": 2}
N_PROGRAMME_FACTORS = 2  # of the expression model's 6 shared factors, per drug
N_PROGRAMME_GENES = 40  # the genes loading most on the drug's mix of them
TARGET_R2 = (0.6, 0.9)  # the noise-free oracle's share of each drug's ln IC50 variance

MUTATION_COLUMNS = [
    "Hugo_Symbol", "Entrez_Gene_Id", "NCBI_Build", "Chromosome", "Start_position",
    "End_position", "Strand", "Variant_Classification", "Variant_Type", "Reference_Allele",
    "Tumor_Seq_Allele1", "dbSNP_RS", "dbSNP_Val_Status", "Genome_Change",
    "Annotation_Transcript", "Tumor_Sample_Barcode", "cDNA_Change", "Codon_Change",
    "Protein_Change", "isDeleterious", "isTCGAhotspot", "TCGAhsCnt", "isCOSMIChotspot",
    "COSMIChsCnt", "ExAC_AF", "CGA_WES_AC", "SangerWES_AC", "SangerRecalibWES_AC",
    "RNAseq_AC", "HC_AC", "RD_AC", "WGS_AC", "Variant_annotation", "DepMap_ID",
]
SAMPLE_INFO_COLUMNS = [
    "DepMap_ID", "stripped_cell_line_name", "CCLE Name", "alias", "COSMIC_ID", "lineage",
    "lineage_subtype", "lineage_sub_subtype", "sex", "source", "Achilles_n_replicates",
    "cell_line_NNMD", "culture_type", "culture_medium", "cas9_activity", "RRID",
    "sample_collection_site", "primary_or_metastasis", "disease", "disease_subtype", "age",
    "Sanger_model_ID", "additional_info",
]
DOSE_RESPONSE_COLUMNS = [
    "DATASET", "NLME_RESULT_ID", "NLME_CURVE_ID", "COSMIC_ID", "CELL_LINE_NAME",
    "SANGER_MODEL_ID", "TCGA_DESC", "DRUG_ID", "DRUG_NAME", "PUTATIVE_TARGET", "PATHWAY_NAME",
    "COMPANY_ID", "WEBRELEASE", "MIN_CONC", "MAX_CONC", "LN_IC50", "AUC", "RMSE", "Z_SCORE",
]
COMPOUND_COLUMNS = [
    "DRUG_ID", "SCREENING_SITE", "DRUG_NAME", "SYNONYMS", "TARGET", "TARGET_PATHWAY",
]
CELL_DETAILS_COLUMNS = [
    "Sample Name", "COSMIC identifier", "Whole Exome Sequencing (WES)",
    "Copy Number Alterations (CNA)", "Gene Expression", "Methylation", "Drug\nResponse",
    "GDSC\nTissue descriptor 1", "GDSC\nTissue\ndescriptor 2",
    "Cancer Type\n(matching TCGA label)", "Microsatellite \ninstability Status (MSI)",
    "Screen Medium", "Growth Properties",
]
RPPA_INFO_COLUMNS = ["Antibody_Name", "Target_Genes", "Validation_Status", "Company",
                     "Catalog_Number"]
HINT_COLUMNS = ["Uniprot_A", "Uniprot_B", "Gene_A", "Gene_B", "pmid:method:quality:type",
                "taxid"]

PROTEIN_ALTERING = ("Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del",
                    "Frame_Shift_Ins", "Splice_Site", "In_Frame_Del", "In_Frame_Ins")
PROTEIN_ALTERING_WEIGHTS = (0.66, 0.09, 0.08, 0.04, 0.07, 0.045, 0.015)
NON_CODING = ("Silent", "Intron", "3'UTR", "5'UTR", "5'Flank", "IGR")
NON_CODING_WEIGHTS = (0.45, 0.2, 0.15, 0.08, 0.07, 0.05)

# Old RPPA target symbols -> current symbols (the expression / interactome names).
RPPA_SYMBOL_UPDATES = {"MRE11A": "MRE11"}
# Max copy number from which a cell counts as amplified (cnv_alteration_state's default).
AMPLIFICATION_MIN_CN = 8
FIXED_XLSX_DATE = datetime.datetime(2019, 7, 17)
# Above this many cells a sheet is streamed row by row (bounded memory, but slower).
STREAMING_MIN_CELLS = 2_000_000


@dataclass(frozen=True)
class Drug:
    """One GDSC2 compound; ``genes`` are the target genes the planted signal starts from."""

    name: str
    drug_id: int
    target: str
    pathway: str
    genes: tuple[str, ...]
    mean: float  # typical ln IC50 (uM)
    paper_mse: float  # Table 4 MSE, sets the drug's ln IC50 variance
    synonyms: str = ""


# Table 4 of the paper, spelled as in GDSC2 release 8.0.
PAPER_DRUGS = (
    Drug("LGK974", 1598, "PORCN", "WNT signalling", ("PORCN",), 4.4, 1.1, "WNT974"),
    Drug("EPZ004777", 1237, "DOT1L", "Chromatin histone methylation", ("DOT1L",), 4.0, 1.2),
    Drug("EPZ5676", 1563, "DOT1L", "Chromatin histone methylation", ("DOT1L",), 3.6, 1.4,
         "Pinometostat"),
    Drug("GSK1904529A", 1093, "IGF1R, IR", "IGF1R signalling", ("IGF1R", "INSR"), 3.3, 1.4),
    Drug("MK-1775", 1046, "WEE1, PLK1", "Cell cycle", ("WEE1", "PLK1"), 0.6, 1.5,
         "AZD1775, Adavosertib"),
    Drug("Palbociclib", 1054, "CDK4, CDK6", "Cell cycle", ("CDK4", "CDK6"), 2.4, 2.1,
         "PD-0332991, Ibrance"),
    Drug("Afatinib", 1032, "ERBB2, EGFR", "EGFR signalling", ("ERBB2", "EGFR"), 1.4, 2.2,
         "BIBW2992, Gilotrif"),
    Drug("PD0325901", 1060, "MEK1, MEK2", "ERK MAPK signalling", ("MAP2K1", "MAP2K2"), -0.2,
         2.3),
    Drug("Linsitinib", 1510, "IGF1R", "IGF1R signalling", ("IGF1R",), 3.5, 2.4, "OSI-906"),
    Drug("Oxaliplatin", 1089, "DNA alkylating agent", "DNA replication", ("ERCC1", "MRE11"),
         3.6, 2.5, "Eloxatin"),
    Drug("Sapatinib", 1549, "EGFR, ERBB2, ERBB3", "EGFR signalling", ("EGFR", "ERBB2", "ERBB3"),
         3.4, 2.6, "AZD8931"),
    Drug("PLX-4720", 1036, "BRAF", "ERK MAPK signalling", ("BRAF",), 3.9, 2.6),
    Drug("Alpelisib", 1560, "PI3Kalpha", "PI3K/MTOR signalling", ("PIK3CA",), 3.5, 2.6,
         "BYL719"),
    Drug("SCH772984", 1564, "ERK1, ERK2", "ERK MAPK signalling", ("MAPK3", "MAPK1"), 1.6, 2.7),
    Drug("MK-2206", 1053, "AKT1, AKT2", "PI3K/MTOR signalling", ("AKT1", "AKT2"), 2.6, 2.8),
    Drug("Nutlin-3a (-)", 1047, "MDM2", "p53 pathway", ("MDM2",), 3.8, 2.8),
    Drug("5-Fluorouracil", 1073, "Antimetabolite (DNA & RNA)", "Other", ("TYMS",), 4.6, 3.2,
         "5-FU"),
    Drug("Taselisib", 1561, "PI3K (beta sparing)", "PI3K/MTOR signalling",
         ("PIK3CA", "PIK3CD", "PIK3CG"), 0.9, 3.7, "GDC-0032"),
    Drug("Irinotecan", 1088, "TOP1", "DNA replication", ("TOP1",), 1.0, 3.8, "CPT-11"),
    Drug("Luminespib", 1559, "HSP90", "Protein stability and degradation",
         ("HSP90AA1", "HSP90AB1"), -3.0, 4.0, "NVP-AUY922, AUY922"),
    Drug("Trametinib", 1372, "MEK1, MEK2", "ERK MAPK signalling", ("MAP2K1", "MAP2K2"), -2.4,
         4.1, "GSK1120212, Mekinist"),
    Drug("Camptothecin", 1003, "TOP1", "DNA replication", ("TOP1",), -3.2, 4.8),
)

# Compounds that must not pass the 95% coverage filter: (drug, coverage, ln IC50 SD).
OXALIPLATIN_LOW_COVERAGE_ID = 1806
DISTRACTORS = (
    (Drug("Cisplatin", 1005, "DNA crosslinker", "DNA replication", (), 3.2, 0.0), 0.949, 1.5),
    (Drug("Pictilisib", 1058, "PI3K (class 1)", "PI3K/MTOR signalling", (), 1.8, 0.0,
          "GDC-0941"), 0.947, 1.2),
    (Drug("AZD7762", 1022, "CHEK1, CHEK2", "Cell cycle", (), 0.9, 0.0), 0.944, 1.3),
    (Drug("Docetaxel", 1007, "Microtubule stabiliser", "Mitosis", (), -4.5, 0.0), 0.70, 1.6),
    (Drug("Dactinomycin", 1811, "RNA polymerase", "Other", (), -5.2, 0.0), 0.55, 1.4),
    (Drug("Ulixertinib", 1908, "ERK1, ERK2", "ERK MAPK signalling", (), 2.9, 0.0, "BVD-523"),
     0.40, 1.1),
)
# In screened_compounds but never screened in the dose-response file.
UNSCREENED_COMPOUNDS = (
    (1010, "Gefitinib", "ZD-1839, Iressa", "EGFR", "EGFR signalling"),
    (1017, "Olaparib", "AZD2281, Lynparza", "PARP1, PARP2", "Genome integrity"),
    (1168, "Erlotinib", "Tarceva", "EGFR", "EGFR signalling"),
)

# Biomarkers that always enter the planted signal: drug -> omic -> gene -> sign.
KNOWN_EFFECTS = {
    "PLX-4720": {"mut": {"BRAF": -1}},
    "PD0325901": {"mut": {"BRAF": -1}},
    "Trametinib": {"mut": {"BRAF": -1}},
    "Nutlin-3a (-)": {"mut": {"TP53": +1}},
    "Alpelisib": {"mut": {"PIK3CA": -1}},
    "Taselisib": {"mut": {"PIK3CA": -1}},
    "MK-2206": {"mut": {"PTEN": -1}},
    "Palbociclib": {"mut": {"RB1": +1}},
    "Afatinib": {"exp": {"ERBB2": -1}},
    "5-Fluorouracil": {"exp": {"TYMS": +1}},
    "Irinotecan": {"exp": {"TOP1": -1}},
    "Camptothecin": {"exp": {"TOP1": -1}},
    "Oxaliplatin": {"exp": {"ERCC1": +1}},
}

# The real genes, with their NCBI Entrez ids.
REAL_GENES = {
    "TP53": 7157, "MDM2": 4193, "MDM4": 4194, "CDKN2A": 1029, "CDKN1A": 1026, "CDKN1B": 1027,
    "KRAS": 3845, "NRAS": 4893, "HRAS": 3265, "BRAF": 673, "RAF1": 5894, "ARAF": 369,
    "MAP2K1": 5604, "MAP2K2": 5605, "MAPK1": 5594, "MAPK3": 5595, "DUSP6": 1848, "ELK1": 2002,
    "RPS6KA1": 6195, "PIK3CA": 5290, "PIK3CB": 5291, "PIK3CD": 5293, "PIK3CG": 5294,
    "PIK3R1": 5295, "PTEN": 5728, "PDPK1": 5170, "AKT1": 207, "AKT2": 208, "AKT3": 10000,
    "MTOR": 2475, "TSC2": 7249, "RPS6KB1": 6198, "GSK3A": 2931, "GSK3B": 2932, "FOXO3": 2309,
    "EGFR": 1956, "ERBB2": 2064, "ERBB3": 2065, "GRB2": 2885, "SOS1": 6654, "SHC1": 6464,
    "SRC": 6714, "STAT3": 6774, "IGF1R": 3480, "INSR": 3643, "IRS1": 3667, "IGF2": 3481,
    "CDK4": 1019, "CDK6": 1021, "CCND1": 595, "CCNE1": 898, "RB1": 5925, "E2F1": 1869,
    "CDK1": 983, "CDK2": 1017, "CCNB1": 891, "WEE1": 7465, "PLK1": 5347, "CHEK1": 1111,
    "CDC25C": 995, "PORCN": 64840, "WNT3A": 89780, "LRP6": 4040, "FZD7": 8324, "AXIN1": 8312,
    "APC": 324, "CTNNB1": 1499, "DOT1L": 84444, "KMT2A": 4297, "MLLT3": 4300, "MLLT10": 8028,
    "MEN1": 4221, "HOXA9": 3205, "MYC": 4609, "TOP1": 7150, "TOP2A": 7153, "PARP1": 142,
    "XRCC1": 7515, "HSP90AA1": 3320, "HSP90AB1": 3326, "CDC37": 11140, "HSPA1A": 3303,
    "TYMS": 7298, "DHFR": 1719, "UMPS": 7372, "ERCC1": 2067, "ERCC4": 2072, "XPA": 7507,
    "MRE11": 4361, "RAD50": 10111, "NBN": 4683, "ATM": 472, "BRCA1": 672, "YWHAB": 7529,
    "YWHAE": 7531, "VDAC1": 7416, "ACACA": 31, "ACACB": 32, "BAX": 581, "BCL2": 596,
    "CASP7": 840, "STK11": 6794, "SMAD4": 4089, "ARID1A": 8289, "KEAP1": 9817, "NF1": 4763,
    "CLDN7": 1366,
}

# Known interactions among the real genes; preferential attachment adds the rest.
CURATED_EDGES = """
PORCN-WNT3A PORCN-LRP6 PORCN-CTNNB1 WNT3A-FZD7 WNT3A-LRP6 LRP6-AXIN1 AXIN1-CTNNB1 AXIN1-APC
AXIN1-GSK3B APC-CTNNB1 GSK3B-CTNNB1
DOT1L-KMT2A DOT1L-MLLT10 DOT1L-MLLT3 DOT1L-CTNNB1 DOT1L-MYC KMT2A-MEN1 KMT2A-HOXA9 MLLT3-KMT2A
IGF1R-INSR IGF1R-IRS1 IGF1R-SHC1 IGF1R-IGF2 IGF1R-SRC INSR-IRS1 INSR-IGF2 INSR-SHC1
IRS1-PIK3R1 IRS1-GRB2
WEE1-CDK1 WEE1-CHEK1 WEE1-YWHAB PLK1-CDK1 PLK1-CCNB1 PLK1-CDC25C CDK1-CCNB1 CDC25C-CDK1
CHEK1-CDC25C
CDK4-CCND1 CDK6-CCND1 CDK4-CDKN2A CDK6-CDKN2A CDK4-RB1 CDK6-RB1 CDK4-CDKN1B CDK2-CCNE1
CDK2-RB1 RB1-E2F1 CDC37-CDK4
EGFR-ERBB2 ERBB2-ERBB3 EGFR-ERBB3 EGFR-GRB2 EGFR-SHC1 EGFR-SRC EGFR-STAT3 ERBB3-PIK3R1
GRB2-SOS1 SOS1-KRAS SOS1-HRAS SHC1-GRB2
KRAS-BRAF KRAS-RAF1 NRAS-BRAF HRAS-RAF1 BRAF-RAF1 BRAF-MAP2K1 BRAF-MAP2K2 RAF1-MAP2K1
ARAF-MAP2K1 BRAF-YWHAB RAF1-YWHAE MAP2K1-MAPK1 MAP2K1-MAPK3 MAP2K2-MAPK1 MAP2K2-MAPK3
MAPK1-DUSP6 MAPK3-DUSP6 MAPK1-ELK1 MAPK3-ELK1 MAPK1-RPS6KA1 MAPK3-RPS6KA1
PIK3CA-PIK3R1 PIK3CB-PIK3R1 PIK3CD-PIK3R1 PIK3CG-HRAS PIK3CA-KRAS PIK3CA-HRAS PIK3CD-KRAS
PIK3CA-IRS1 PIK3R1-PTEN
AKT1-PDPK1 AKT2-PDPK1 AKT1-MTOR AKT1-GSK3B AKT2-GSK3B AKT1-GSK3A AKT1-FOXO3 AKT1-TSC2
AKT2-TSC2 AKT1-PTEN AKT2-PTEN AKT1-MDM2 MTOR-RPS6KB1
MDM2-TP53 MDM4-TP53 MDM2-MDM4 MDM2-CDKN2A MDM2-RB1 MDM2-CDKN1A TP53-ATM TP53-BRCA1
TYMS-DHFR TYMS-UMPS TYMS-TP53
ERCC1-ERCC4 ERCC1-XPA MRE11-RAD50 MRE11-NBN MRE11-ATM MRE11-BRCA1 RAD50-NBN NBN-ATM
XRCC1-PARP1 TOP1-TP53 TOP1-PARP1
HSP90AA1-HSP90AB1 HSP90AA1-CDC37 HSP90AB1-CDC37 HSP90AA1-HSPA1A HSP90AB1-AKT1
HSP90AA1-ERBB2 HSP90AA1-RAF1 HSP90AA1-AKT1 HSP90AA1-TP53
BCL2-BAX VDAC1-BAX YWHAB-YWHAE
"""

# Driver genes' protein-altering mutation frequencies (within the 10-40% signal range).
DRIVER_MUTATION_FREQUENCY = {
    "TP53": 0.38, "KRAS": 0.20, "BRAF": 0.12, "PIK3CA": 0.13, "PTEN": 0.11, "RB1": 0.10,
    "ARID1A": 0.12, "APC": 0.10,
}
ONCOGENE_AMPLIFICATION_RATE = {
    "MYC": 0.12, "CCND1": 0.08, "ERBB2": 0.07, "EGFR": 0.07, "CDK4": 0.06, "MDM2": 0.06,
    "CDK6": 0.05, "KRAS": 0.05,
}
SUPPRESSOR_DELETION_RATE = {"CDKN2A": 0.20, "PTEN": 0.04, "RB1": 0.03, "SMAD4": 0.05}
# Recurrent missense changes: gene -> (protein change, cDNA change).
HOTSPOTS = {
    "TP53": (("p.R175H", "c.524G>A"), ("p.R248Q", "c.743G>A"), ("p.R273H", "c.818G>A")),
    "KRAS": (("p.G12D", "c.35G>A"), ("p.G12V", "c.35G>T"), ("p.G13D", "c.38G>A")),
    "BRAF": (("p.V600E", "c.1799T>A"),),
    "PIK3CA": (("p.H1047R", "c.3140A>G"), ("p.E545K", "c.1633G>A")),
}

# (Antibody_Name, Target_Genes, Validation_Status, Company, Catalog_Number)
ANTIBODIES = (
    ("14-3-3_beta", "YWHAB", "Validated", "Santa Cruz", "sc-628"),
    ("14-3-3_epsilon_Caution", "YWHAE", "Caution", "Santa Cruz", "sc-23957"),
    ("ACC_pS79", "ACACA ACACB", "Validated", "CST", "3661"),
    ("ACC1", "ACACA", "Validated", "Epitomics", "1768-1"),
    ("Akt", "AKT1 AKT2 AKT3", "Validated", "CST", "9272"),
    ("Akt_pS473", "AKT1 AKT2 AKT3", "Validated", "CST", "9271"),
    ("Akt_pT308", "AKT1 AKT2 AKT3", "Validated", "CST", "9275"),
    ("ATM", "ATM", "Validated", "Epitomics", "1549-1"),
    ("B-Raf", "BRAF", "Validated", "Santa Cruz", "sc-166"),
    ("B-Raf_pS445", "BRAF", "Validated", "CST", "2696"),
    ("Bax", "BAX", "Validated", "Santa Cruz", "sc-7480"),
    ("Bcl-2", "BCL2", "Validated", "Dako", "M0887"),
    ("beta-Catenin", "CTNNB1", "Validated", "CST", "9562"),
    ("C-Raf", "RAF1", "Validated", "BD Biosciences", "610151"),
    ("C-Raf_pS338", "RAF1", "Validated", "CST", "9427"),
    ("Caspase-7_cleavedD198", "CASP7", "Validated", "CST", "9491"),
    ("CDK1", "CDK1", "Validated", "Epitomics", "1161-1"),
    ("Chk1", "CHEK1", "Validated", "CST", "2360"),
    ("Chk1_pS345_Caution", "CHEK1", "Caution", "CST", "2348"),
    ("Claudin-7", "CLDN7", "Validated", "Invitrogen", "34-9100"),
    ("c-Myc", "MYC", "Validated", "Santa Cruz", "sc-764"),
    ("Cyclin_B1", "CCNB1", "Validated", "Epitomics", "1495-1"),
    ("Cyclin_D1", "CCND1", "Validated", "Santa Cruz", "sc-718"),
    ("Cyclin_E1", "CCNE1", "Validated", "Santa Cruz", "sc-247"),
    ("EGFR", "EGFR", "Validated", "Santa Cruz", "sc-03"),
    ("EGFR_pY1068_Caution", "EGFR", "Caution", "CST", "2234"),
    ("EGFR_pY1173", "EGFR", "Validated", "Abcam", "ab32578"),
    ("ERCC1_Caution", "ERCC1", "Caution", "Lab Vision", "MS-671-P1"),
    ("FOXO3a", "FOXO3", "Validated", "CST", "9467"),
    ("GSK3-alpha-beta_pS21_S9", "GSK3A GSK3B", "Validated", "CST", "9331"),
    ("HER2", "ERBB2", "Validated", "Lab Vision", "MS-325-P1"),
    ("HER2_pY1248_Caution", "ERBB2", "Caution", "R&D Systems", "AF1768"),
    ("HER3", "ERBB3", "Validated", "Santa Cruz", "sc-285"),
    ("HER3_pY1298", "ERBB3", "Validated", "R&D Systems", "AF7697"),
    ("HSP70", "HSPA1A", "Validated", "CST", "4872"),
    ("IGF1R_pY1135_Y1136", "IGF1R INSR", "Validated", "CST", "3024"),
    ("IRS1", "IRS1", "Validated", "Millipore", "06-248"),
    ("LKB1", "STK11", "Validated", "Abcam", "ab15095"),
    ("LRP6_pS1490", "LRP6", "Validated", "CST", "2568"),
    ("MAPK_pT202_Y204", "MAPK1 MAPK3", "Validated", "CST", "4377"),
    ("MDM2_pS166", "MDM2", "Validated", "CST", "3521"),
    ("MEK1", "MAP2K1", "Validated", "Epitomics", "1235-1"),
    ("MEK1_pS217_S221", "MAP2K1 MAP2K2", "Validated", "CST", "9154"),
    ("Mre11", "MRE11A", "Validated", "CST", "4847"),
    ("mTOR", "MTOR", "Validated", "CST", "2983"),
    ("mTOR_pS2448", "MTOR", "Validated", "CST", "2971"),
    ("p21", "CDKN1A", "Validated", "Santa Cruz", "sc-397"),
    ("p27", "CDKN1B", "Validated", "Epitomics", "2256-1"),
    ("p53", "TP53", "Validated", "CST", "9282"),
    ("p70S6K_pT389", "RPS6KB1", "Validated", "CST", "9205"),
    ("p90RSK_pT359_S363", "RPS6KA1 RPS6KA2 RPS6KA3", "Validated", "CST", "9344"),
    ("PARP_cleaved", "PARP1", "Validated", "CST", "9541"),
    ("PDK1", "PDPK1", "Validated", "CST", "3062"),
    ("PI3K-p110-alpha_Caution", "PIK3CA", "Caution", "CST", "4249"),
    ("PI3K-p85", "PIK3R1", "Validated", "Millipore", "06-195"),
    ("Porin", "VDAC1", "Validated", "", ""),
    ("PTEN", "PTEN", "Validated", "CST", "9552"),
    ("Rad50", "RAD50", "Validated", "Millipore", "05-525"),
    ("Rb_pS807_S811", "RB1", "Validated", "CST", "9308"),
    ("Shc_pY317", "SHC1", "Validated", "CST", "2431"),
    ("Smad4", "SMAD4", "Validated", "Santa Cruz", "sc-7966"),
    ("Src_pY416", "SRC", "Validated", "CST", "2101"),
    ("STAT3_pY705", "STAT3", "Validated", "CST", "9131"),
    ("Thymidylate_Synthase", "TYMS", "Validated", "CST", "9045"),
    ("Tuberin", "TSC2", "Validated", "Epitomics", "1613-1"),
    ("Wee1", "WEE1", "Validated", "CST", "4936"),
    ("Wee1_pS642", "WEE1", "Validated", "CST", "4910"),
    ("XRCC1_Caution", "XRCC1", "Caution", "CST", "2735"),
)
MOSTLY_ZERO_ANTIBODY = "Claudin-7"

METABOLITES = (
    "2-aminoadipate", "3-phosphoglycerate", "alpha-glycerophosphate", "DHAP/glyceraldehyde 3P",
    "hexoses (HILIC neg)", "lactate", "citrate/isocitrate", "succinate", "malate",
    "fumarate/maleate", "glutamine", "glutamate", "aspartate", "asparagine", "serine",
    "glycine", "alanine", "proline", "taurine", "hypotaurine", "creatine", "carnitine",
    "acetylcarnitine", "kynurenine", "NAD", "NADP", "ATP", "ADP", "AMP", "GSH", "GSSG",
    "uridine", "thymidine", "UMP", "orotate", "2-hydroxyglutarate", "myo-inositol", "betaine",
    "choline", "phosphocholine", "C16:0 CE", "C20:4 CE", "C18:1 LPC", "C34:1 PC", "C36:2 PC",
    "C34:2 PE", "C16:0 SM", "C52:2 TAG", "C58:8 TAG", "C58:7 TAG", "C58:6 TAG",
)
MOSTLY_ZERO_METABOLITE = "C20:4 CE"


@dataclass(frozen=True)
class Tissue:
    ccle: str  # CCLE Name suffix
    lineage: str
    lineage_subtype: str
    disease: str
    tcga: tuple[str, ...]
    gdsc_descriptor_1: str
    gdsc_descriptor_2: str
    cosmic_site: str
    cosmic_histology: str
    name_templates: tuple[str, ...]  # GDSC names; {n} 2-1999, {s} and {t} 1-39
    weight: float
    growth: str = "Adherent"


TISSUES = (
    Tissue("LUNG", "lung", "NSCLC", "Lung Cancer", ("LUAD", "LUSC", "SCLC"), "lung_NSCLC",
           "lung_NSCLC_adenocarcinoma", "lung", "carcinoma",
           ("NCI-H{n}", "HCC{n}", "Calu-{s}", "PC-{s}", "LXF-{n}"), 0.17),
    Tissue("BREAST", "breast", "breast_carcinoma", "Breast Cancer", ("BRCA",), "breast",
           "breast", "breast", "carcinoma",
           ("MDA-MB-{n}", "HCC{n}", "CAL-{s}", "BT-{n}", "ZR-75-{s}", "Hs-{n}-T"), 0.08),
    Tissue("LARGE_INTESTINE", "colorectal", "colorectal_adenocarcinoma",
           "Colon/Colorectal Cancer", ("COREAD",), "large_intestine", "large_intestine",
           "large_intestine", "carcinoma",
           ("SW{n}", "HT-{s}", "LS-{n}T", "COLO-{n}", "SNU-C{s}", "NCI-H{n}"), 0.08),
    Tissue("SKIN", "skin", "melanoma", "Skin Cancer", ("SKCM",), "skin", "melanoma", "skin",
           "malignant_melanoma", ("SK-MEL-{s}", "WM{n}", "UACC-{n}", "Hs {n}T", "A{n}"), 0.08),
    Tissue("HAEMATOPOIETIC_AND_LYMPHOID_TISSUE", "blood", "AML", "Leukemia",
           ("LAML", "DLBC", "ALL", "MM"), "leukemia", "acute_myeloid_leukaemia",
           "haematopoietic_and_lymphoid_tissue", "haematopoietic_neoplasm",
           ("MOLM-{s}", "OCI-LY{s}", "KARPAS-{n}", "SU-DHL-{s}", "NALM-{s}", "KMS-{s}"), 0.14,
           "Suspension"),
    Tissue("CENTRAL_NERVOUS_SYSTEM", "central_nervous_system", "glioma", "Brain Cancer",
           ("GBM", "LGG"), "nervous_system", "glioma", "central_nervous_system", "glioma",
           ("U-{n}-MG", "LN-{n}", "SF{n}", "GB-{n}", "KNS-{s}"), 0.07),
    Tissue("OVARY", "ovary", "ovary_adenocarcinoma", "Ovarian Cancer", ("OV",),
           "urogenital_system", "ovary", "ovary", "carcinoma",
           ("OVCAR-{s}", "CAOV-{s}", "OV-{n}", "COV{n}", "EFO-{s}"), 0.06),
    Tissue("PANCREAS", "pancreas", "exocrine", "Pancreatic Cancer", ("PAAD",),
           "digestive_system", "pancreas", "pancreas", "carcinoma",
           ("PANC-{s}-{t}", "PaTu-{n}-S", "CFPAC-{s}", "SU.{s}.{t}", "HPAF-{s}"), 0.05),
    Tissue("STOMACH", "gastric", "gastric_adenocarcinoma", "Gastric Cancer", ("STAD",),
           "digestive_system", "stomach", "stomach", "carcinoma",
           ("SNU-{n}", "NUGC-{s}", "MKN{s}", "KATO-{s}", "NCI-N{n}"), 0.05),
    Tissue("KIDNEY", "kidney", "renal_cell_carcinoma", "Kidney Cancer", ("KIRC",), "kidney",
           "kidney", "kidney", "carcinoma",
           ("CAKI-{s}", "A-{n}", "RCC{n}", "KMRC-{s}", "769-P{s}"), 0.04),
    Tissue("LIVER", "liver", "hepatocellular_carcinoma", "Liver Cancer", ("LIHC",),
           "digestive_system", "liver", "liver", "carcinoma",
           ("HuH-{s}", "JHH-{s}", "PLC/PRF/{s}", "SNU-{n}", "HEP-{n}"), 0.04),
    Tissue("UPPER_AERODIGESTIVE_TRACT", "upper_aerodigestive", "head_and_neck_squamous",
           "Head and Neck Cancer", ("HNSC",), "aero_dig_tract", "head and neck",
           "upper_aerodigestive_tract", "carcinoma",
           ("Detroit{n}", "SCC-{s}", "HSC-{s}", "BICR-{s}", "PE/CA-PJ{s}"), 0.05),
    Tissue("BONE", "bone", "osteosarcoma", "Bone Cancer", ("UNCLASSIFIED",), "bone",
           "osteosarcoma", "bone", "osteosarcoma",
           ("SJSA-{s}", "MG-{n}", "TC-{n}", "SK-ES-{s}", "HOS-{s}"), 0.04),
    Tissue("PROSTATE", "prostate", "prostate_adenocarcinoma", "Prostate Cancer", ("PRAD",),
           "urogenital_system", "prostate", "prostate", "carcinoma",
           ("DU-{n}", "PC-{n}", "VCaP-{s}", "22Rv{s}", "LNCaP-C{s}"), 0.03),
    Tissue("THYROID", "thyroid", "thyroid_carcinoma", "Thyroid Cancer", ("THCA",), "thyroid",
           "thyroid", "thyroid", "carcinoma", ("BHT-{n}", "FTC-{n}", "TT{n}", "8505C{s}"), 0.02),
)
TISSUE_INDEX = {t.ccle: i for i, t in enumerate(TISSUES)}

# Lines that always exist: (GDSC name, tissue, role).  KM-H2 / KMH-2 are the planted
# ambiguity; NCI-H508 is the canonical name-normalisation example.
EXEMPLAR_LINES = (
    ("NCI-H508", "LARGE_INTESTINE", "both"),
    ("CAL-51", "BREAST", "both"),
    ("Hs-578-T", "BREAST", "both"),
    ("SW48", "LARGE_INTESTINE", "both"),
    ("KM-H2", "HAEMATOPOIETIC_AND_LYMPHOID_TISSUE", "both"),
    ("KMH-2", "THYROID", "gdsc_only"),
)
AMBIGUOUS_GDSC_NAMES = ("KM-H2", "KMH-2")
N_SAMPLE_INFO_ONLY = 6

_NAME_JUNK = re.compile(r"[\s\-_/.;]")


def normalise_name(name: str) -> str:
    """The GDSC/CCLE name normalisation the demo is built around: ``NCI-H508`` -> ``NCIH508``."""
    return _NAME_JUNK.sub("", name).upper()


# --------------------------------------------------------------------------------------------
# Entry point


@dataclass(frozen=True)
class DemoScale:
    """Sizes and mixes of a synthetic dataset (the generating model is the same at every scale).

    ``roles`` are the shares of the ``n_lines`` lines that are in both CCLE and GDSC, in
    GDSC only and in CCLE only; ``n_info_only`` sample_info rows have no data.
    ``profiled`` is the share of the CCLE lines (exp, mut, rppa, metabolites) or of the
    GDSC lines (cnv) that each omic covers; ``screened_share`` of the GDSC lines are in
    the GDSC2 dose-response file (the others only in Cell_Lines_Details and the
    copy-number file).  Genes past ``n_coding_genes`` are non-coding: copy number only.
    """

    n_lines: int = 400
    n_genes: int = 1500
    n_edges: int = 5000
    n_coding_genes: int | None = None  # None: every gene
    roles: tuple[float, float, float] = (0.855, 0.1, 0.045)  # both, gdsc_only, ccle_only
    n_info_only: int = N_SAMPLE_INFO_ONLY
    profiled: tuple[float, float, float, float, float] = (0.95, 0.95, 0.90, 0.90, 0.90)
    screened_share: float = 1.0
    n_antibodies: int = len(ANTIBODIES)  # the curated ones; more are synthesized
    n_metabolites: int = len(METABOLITES)
    n_background_compounds: int = 0

    @property
    def coding_genes(self) -> int:
        return self.n_genes if self.n_coding_genes is None else self.n_coding_genes


PROFILED_OMICS = ("exp", "mut", "cnv", "rppa", "metabolites")  # the order of DemoScale.profiled
SCALES = {
    "demo": DemoScale(),
    # The real files' sizes: 1,210 x 19,144 expression, 1,656 mutation
    # lines, 899 RPPA x 214, 928 metabolomics x 225, 810 GDSC2 lines x 175 DRUG_IDs
    # (118,595 rows), ~1,000 x 25,638 copy number (the paper's 987 x 25,638), 62,345 pairs.
    "paper": DemoScale(n_lines=1770, n_genes=25_638, n_edges=62_345, n_coding_genes=19_144,
                       roles=(0.5254, 0.0396, 0.435), n_info_only=36,
                       profiled=(0.712, 0.974, 0.987, 0.529, 0.546), screened_share=0.81,
                       n_antibodies=214, n_metabolites=225, n_background_compounds=146),
}


def demo_scale(scale: str | DemoScale = "demo", n_lines: int | None = None,
               n_genes: int | None = None, n_edges: int | None = None) -> DemoScale:
    """The named (or given) scale with explicit sizes replacing its own; checked."""
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {sorted(SCALES)} or a DemoScale, "
                             f"got {scale!r}")
        scale = SCALES[scale]
    sizes = {"n_lines": n_lines, "n_genes": n_genes, "n_edges": n_edges}
    scale = dataclasses.replace(scale, **{k: v for k, v in sizes.items() if v is not None})
    minimum_genes = len(REAL_GENES) + 100
    if scale.n_genes < minimum_genes:
        raise ValueError(f"n_genes must be at least {minimum_genes}, got {scale.n_genes}")
    if not minimum_genes <= scale.coding_genes <= scale.n_genes:
        raise ValueError(f"n_coding_genes must be between {minimum_genes} and n_genes = "
                         f"{scale.n_genes}, got {scale.coding_genes}")
    if scale.n_lines < 40:
        raise ValueError(f"n_lines must be at least 40, got {scale.n_lines}")
    if not len(CURATED_EDGES.split()) <= scale.n_edges <= 20 * scale.coding_genes:
        raise ValueError(f"n_edges must be between {len(CURATED_EDGES.split())} and "
                         f"20 * coding genes = {20 * scale.coding_genes}, got {scale.n_edges}")
    if scale.n_antibodies < len(ANTIBODIES) or scale.n_metabolites < len(METABOLITES):
        raise ValueError(f"at least {len(ANTIBODIES)} antibodies and {len(METABOLITES)} "
                         "metabolites (the curated ones)")
    if abs(sum(scale.roles) - 1) > 1e-9 or not 0 < scale.screened_share <= 1:
        raise ValueError("roles must sum to 1 and screened_share lie in (0, 1]")
    return scale


def write_demo_dataset(outdir, seed: int = 0, n_lines: int | None = None,
                       n_genes: int | None = None, n_edges: int | None = None,
                       scale: str | DemoScale = "demo",
                       names: dict[str, str] | None = None) -> dict[str, Path]:
    """Write the demo raw files and ``truth.json`` into ``outdir``; return {config key: path}.

    Deterministic in ``seed``.  ``scale`` ("demo", "paper" or a :class:`DemoScale`) sets
    every size; ``n_lines`` cell lines (>= 40), ``n_genes`` genes (>= ``len(REAL_GENES) +
    100``) and ``n_edges`` unique interactome pairs (at least the curated ones, at most 20
    per coding gene) replace its own when given.  Keys are those of ``FILE_NAMES``;
    ``names`` (config ``data.files``) renames any of them.
    """
    scale = demo_scale(scale, n_lines, n_genes, n_edges)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    model = _build_model(seed, scale)
    rngs = model.rngs
    lines, genes = model.lines, model.genes

    paths = {key: outdir / (names or {}).get(key, name) for key, name in FILE_NAMES.items()}
    _write_expression(paths["expression"], lines, genes, model.expression)
    _write_mutations(paths["mutations"], rngs["maf"], lines, genes, model.mutated,
                     model.quirks["silent_only_gene"])
    _write_sample_info(paths["sample_info"], rngs["sample_info"], lines)
    _write_rppa(paths["rppa"], paths["rppa_antibodies"], lines, model.rppa, model.antibodies)
    _write_metabolomics(paths["metabolomics"], rngs["met_rows"], lines, model.metabolites,
                        model.metabolite_names)
    _write_dose_response(paths["dose_response"], rngs["curves"], lines, model.responses)
    _write_compounds(paths["compounds"], model.responses)
    _write_cell_line_details(paths["cell_line_details"], rngs["details"], lines)
    _write_copy_number(paths["copy_number"], lines, genes, model.cn)
    _write_interactome(paths["interactome"], rngs["hint"], genes, model.edges)
    truth = _truth(seed, scale, model)
    with atomic_path(paths["truth"]) as tmp:
        tmp.write_text(json.dumps(truth, indent=1) + "\n")
    return paths


@dataclass
class _Model:
    """One draw of the generating model: the line universe, its latent omics and responses."""

    rngs: dict[str, np.random.Generator]
    scale: DemoScale
    genes: pd.DataFrame
    edges: np.ndarray
    lines: pd.DataFrame
    antibodies: tuple
    metabolite_names: tuple[str, ...]
    plans: list
    cn: dict
    expression: np.ndarray
    mutated: np.ndarray
    rppa: np.ndarray
    metabolites: np.ndarray
    responses: list
    quirks: dict
    params: dict  # omic -> the per-feature parameters and the universe's standardisation
    programmes: dict  # drug -> the expression factors its programme mixes, and their weights


def _build_model(seed: int, scale: DemoScale) -> _Model:
    rngs = _random_streams(seed)
    genes = _make_genes(rngs["genes"], scale.n_genes, scale.coding_genes)
    edges = _make_interactome(rngs["graph"], genes, scale.n_edges)
    lines = _make_cell_lines(rngs["lines"], scale, rngs["screen"])
    antibodies = ANTIBODIES + _extra_antibodies(rngs["extras"], genes,
                                                scale.n_antibodies - len(ANTIBODIES))
    metabolite_names = _metabolite_names(rngs["extras"], scale.n_metabolites)
    plans = _plan_signal(rngs["plan"], genes, edges, antibodies, metabolite_names)

    params = {}
    cn, params["cnv"] = _simulate_copy_number(rngs["cnv"], lines, genes, plans)
    expression, params["exp"] = _simulate_expression(rngs["exp"], lines, genes, cn["state"],
                                                      plans)
    mutated, params["mut"] = _simulate_mutations(rngs["mut"], len(lines), genes, plans)
    params["exp_z"] = _zscore_stats(expression)
    programmes = _expression_programmes(rngs["programmes"], genes, plans, params["exp"])
    exp_z = _zscore(expression, params["exp_z"])
    rppa, params["rppa"] = _simulate_rppa(rngs["rppa"], genes, exp_z, antibodies)
    metabolites, params["metabolites"] = _simulate_metabolites(rngs["met"], lines,
                                                               metabolite_names)
    params["rppa_z"] = _zscore_stats(rppa)
    params["metabolites_z"] = _zscore_stats(metabolites)

    design = {
        "mut": pd.DataFrame(mutated.astype(float), columns=genes["symbol"]),
        "exp": pd.DataFrame(exp_z, columns=genes["symbol"]),
        "cnv": pd.DataFrame(cn["state"], columns=genes["symbol"]),
        "rppa": pd.DataFrame(_zscore(rppa, params["rppa_z"]), columns=[a[0] for a in antibodies]),
        "metabolites": pd.DataFrame(_zscore(metabolites, params["metabolites_z"]),
                                    columns=list(metabolite_names)),
    }
    background = _background_compounds(rngs["compounds"], scale.n_background_compounds)
    responses = _plant_response(rngs["response"], lines, plans, design, background)
    coding = genes["coding"].to_numpy()
    quirks = {
        "silent_only_gene": genes["symbol"][_silent_only_gene_index(genes, plans)],
        "mostly_zero_expression_genes": sorted(
            genes["symbol"][coding & ((expression == 0).mean(axis=0) > 0.95)]),
        "mostly_zero_antibody": MOSTLY_ZERO_ANTIBODY,
        "mostly_zero_metabolite": MOSTLY_ZERO_METABOLITE,
        "outdated_rppa_symbols": RPPA_SYMBOL_UPDATES,
        "ambiguous_gdsc_names": list(AMBIGUOUS_GDSC_NAMES),
    }
    return _Model(rngs, scale, genes, edges, lines, antibodies, metabolite_names, plans, cn,
                  expression, mutated, rppa, metabolites, responses, quirks, params,
                  programmes)


def _random_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per component, so changing one leaves the others intact.

    Streams are only ever appended to this list: a child seed depends on its position.
    """
    names = ("genes", "graph", "lines", "plan", "cnv", "exp", "mut", "rppa", "met", "response",
             "maf", "sample_info", "met_rows", "curves", "details", "hint",
             "screen", "extras", "compounds", "programmes")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


# --------------------------------------------------------------------------------------------
# New cell lines from a drawn model (to check predictions on lines no model has seen)

NEW_LINE_FILES = {
    "expression": FILE_NAMES["expression"],
    "mutations": FILE_NAMES["mutations"],
    "sample_info": FILE_NAMES["sample_info"],
    "rppa": FILE_NAMES["rppa"],
    "rppa_antibodies": FILE_NAMES["rppa_antibodies"],
    "metabolomics": FILE_NAMES["metabolomics"],
    "copy_number": FILE_NAMES["copy_number"],
    "responses": "responses.csv",
    "new_lines": "new_lines.json",
}
# New ids lie outside the ranges a demo draws from, so they never collide with its lines.
NEW_COSMIC_BASE, NEW_DEPMAP_BASE, NEW_SANGER_BASE = 2_000_000, 100_000, 50_000


def write_new_cell_lines(outdir, n_lines: int, seed: int, base_seed: int = 0,
                         **demo_kwargs) -> dict[str, Path]:
    """Write ``n_lines`` new cell lines drawn from the model of the demo of ``base_seed``.

    ``demo_kwargs`` describe that demo as ``write_demo_dataset`` took it: ``scale``,
    ``n_genes``, ``n_edges`` and ``base_n_lines`` (its ``n_lines``).  The new lines share
    its genes, interactome, per-gene parameters and standardisation, planted
    coefficients, drug means and noise SDs; their latent omics and noise are new, drawn
    from ``seed``.  Every new line is profiled in every omic.  Writes the omics in the
    demo's file formats (keys of ``NEW_LINE_FILES``; one row per line, no duplicate
    metabolomics row), ``responses.csv`` (``cell_line`` = COSMIC id as the pipeline
    indexes lines, ``depmap_id, ccle_name, cell_line_name, drug, drug_id, ln_ic50``
    with noise and ``ln_ic50_noise_free``) for the 22 drugs, and ``new_lines.json`` (the
    coefficients and the centring and scaling of each signal feature, so that
    ``ln_ic50_noise_free = drug_mean + sum coef * (x - centre)`` can be recomputed from
    the files).  Returns {key: path}.
    """
    if n_lines < 1:
        raise ValueError(f"n_lines must be at least 1, got {n_lines}")
    unknown = set(demo_kwargs) - {"scale", "n_genes", "n_edges", "base_n_lines"}
    if unknown:
        raise TypeError(f"unknown demo arguments {sorted(unknown)}")
    scale = demo_scale(demo_kwargs.get("scale", "demo"), demo_kwargs.get("base_n_lines"),
                       demo_kwargs.get("n_genes"), demo_kwargs.get("n_edges"))
    model = _build_model(base_seed, scale)
    rngs = _new_line_streams(base_seed, seed)
    genes, params = model.genes, model.params
    lines = _make_new_lines(rngs["lines"], model.lines, n_lines)
    cn, _ = _simulate_copy_number(rngs["cnv"], lines, genes, model.plans, params["cnv"])
    expression, _ = _simulate_expression(rngs["exp"], lines, genes, cn["state"], model.plans,
                                         params["exp"])
    mutated, _ = _simulate_mutations(rngs["mut"], n_lines, genes, model.plans, params["mut"])
    exp_z = _zscore(expression, params["exp_z"])
    rppa, _ = _simulate_rppa(rngs["rppa"], genes, exp_z, model.antibodies, params["rppa"])
    metabolites, _ = _simulate_metabolites(rngs["met"], lines, model.metabolite_names,
                                           params["metabolites"])
    design = {
        "mut": pd.DataFrame(mutated.astype(float), columns=genes["symbol"]),
        "exp": pd.DataFrame(exp_z, columns=genes["symbol"]),
        "cnv": pd.DataFrame(cn["state"], columns=genes["symbol"]),
        "rppa": pd.DataFrame(_zscore(rppa, params["rppa_z"]),
                             columns=[a[0] for a in model.antibodies]),
        "metabolites": pd.DataFrame(_zscore(metabolites, params["metabolites_z"]),
                                    columns=list(model.metabolite_names)),
    }
    responses = _new_line_responses(rngs["response"], lines, model, design)

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = {key: outdir / name for key, name in NEW_LINE_FILES.items()}
    _write_expression(paths["expression"], lines, genes, expression)
    _write_mutations(paths["mutations"], rngs["maf"], lines, genes, mutated,
                     model.quirks["silent_only_gene"])
    _write_sample_info(paths["sample_info"], rngs["sample_info"], lines)
    _write_rppa(paths["rppa"], paths["rppa_antibodies"], lines, rppa, model.antibodies)
    _write_metabolomics(paths["metabolomics"], rngs["met_rows"], lines, metabolites,
                        model.metabolite_names, measured_twice=False)
    _write_copy_number(paths["copy_number"], lines, genes, cn)
    _write_csv(responses, paths["responses"], index=False, float_format="%.6f")
    with atomic_path(paths["new_lines"]) as tmp:
        tmp.write_text(json.dumps(_new_lines_record(seed, base_seed, scale, lines, model),
                                  indent=1) + "\n")
    return paths


def _new_line_streams(base_seed: int, seed: int) -> dict[str, np.random.Generator]:
    """Streams of their own (never those of a demo seed): keyed on both seeds."""
    names = ("lines", "cnv", "exp", "mut", "rppa", "met", "response", "maf", "sample_info",
             "met_rows")
    children = np.random.SeedSequence([base_seed, seed, 0x6E6577]).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


def _fresh_line_name(rng, taken: set, n_max: int, s_max: int) -> tuple[str, int]:
    """A cell-line name from a random tissue's templates whose normalised form is not in
    ``taken`` (then added to it), and the tissue's index."""
    weights = np.array([t.weight for t in TISSUES])
    while True:
        t = int(rng.choice(len(TISSUES), p=weights / weights.sum()))
        template = TISSUES[t].name_templates[rng.integers(len(TISSUES[t].name_templates))]
        name = template.format(n=rng.integers(2, n_max), s=rng.integers(1, s_max),
                               t=rng.integers(1, s_max))
        if normalise_name(name) not in taken:
            taken.add(normalise_name(name))
            return name, t


def _make_new_lines(rng, base: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` lines in CCLE and GDSC, profiled everywhere, with names and ids the demo's
    lines do not use."""
    taken = set(base["stripped"])
    records = []
    while len(records) < n:
        name, t = _fresh_line_name(rng, taken, 10_000, 100)
        records.append((name, t, "both"))
    lines = pd.DataFrame(records, columns=["gdsc_name", "tissue", "role"])
    lines["stripped"] = lines["gdsc_name"].map(normalise_name)
    lines["ccle_name"] = lines["stripped"] + "_" + lines["tissue"].map(lambda t: TISSUES[t].ccle)
    lines["tcga"] = [TISSUES[t].tcga[rng.integers(len(TISSUES[t].tcga))] for t in lines["tissue"]]
    for flag in ("in_gdsc", "in_ccle", "cosmic_in_info", "screened", *PROFILED_OMICS):
        lines[flag] = True
    lines["cosmic_id"] = NEW_COSMIC_BASE + rng.choice(1_000_000, n, replace=False)
    lines["sanger_id"] = [f"SIDM{k:05d}" for k in NEW_SANGER_BASE + rng.choice(50_000, n,
                                                                               replace=False)]
    lines["depmap_id"] = [f"ACH-{k:06d}" for k in NEW_DEPMAP_BASE + rng.choice(900_000, n,
                                                                              replace=False)]
    return lines


def _new_line_responses(rng, lines: pd.DataFrame, model: _Model, design) -> pd.DataFrame:
    """ln IC50 of the 22 drugs: the planted model with the base's coefficients, new noise."""
    frames = []
    for response in model.responses:
        if response.coefficients is None:
            continue
        drug = response.drug
        noise_free = np.full(len(lines), drug.mean)
        for omic in OMIC_ORDER:
            coefficients = response.coefficients[omic]
            x = design[omic][list(coefficients)].to_numpy() - response.centres[omic]
            noise_free = noise_free + x @ np.array(list(coefficients.values()))
        frames.append(pd.DataFrame({
            "cell_line": lines["cosmic_id"].astype(str).to_numpy(),
            "depmap_id": lines["depmap_id"].to_numpy(),
            "ccle_name": lines["ccle_name"].to_numpy(),
            "cell_line_name": lines["gdsc_name"].to_numpy(),
            "drug": drug.name,
            "drug_id": response.drug_id,
            "ln_ic50": noise_free + rng.normal(0.0, response.noise_sd, len(lines)),
            "ln_ic50_noise_free": noise_free,
        }))
    return pd.concat(frames, ignore_index=True).sort_values(
        ["cell_line", "drug"], kind="stable").reset_index(drop=True)


def _signal_feature_scaling(model: _Model) -> dict:
    """The ``centre`` of every drug's signal features (their mean over the base demo's
    lines, on the truth.json feature_scale) and the ``standardisation`` [mean, sd] that
    turns a file's exp, rppa or metabolites value into that scale: with the coefficients,
    what recomputes ``drug_mean + sum coef * (x - centre)`` from the written files."""
    params = model.params
    columns = {
        "exp": (params["exp_z"], list(model.genes["symbol"])),
        "rppa": (params["rppa_z"], [a[0] for a in model.antibodies]),
        "metabolites": (params["metabolites_z"], list(model.metabolite_names)),
    }
    standardisation: dict[str, dict[str, list[float]]] = {o: {} for o in columns}
    paper = [r for r in model.responses if r.coefficients is not None]
    for response in paper:
        for omic, ((mean, sd), names) in columns.items():
            index = {name: i for i, name in enumerate(names)}
            for feature in response.coefficients[omic]:
                i = index[feature]
                standardisation[omic][feature] = [float(mean[i]), float(sd[i])]
    return {
        "centre": {r.drug.name: {o: dict(zip(r.coefficients[o], map(float, r.centres[o]),
                                             strict=True)) for o in OMIC_ORDER}
                   for r in paper},
        "standardisation": standardisation,
    }


def _new_lines_record(seed, base_seed, scale, lines, model: _Model) -> dict:
    """What a caller needs to recompute the noise-free values from the written files."""
    paper = [r for r in model.responses if r.coefficients is not None]
    return {
        "seed": seed,
        "base_seed": base_seed,
        "base_scale": dataclasses.asdict(scale),
        "n_lines": len(lines),
        "cell_lines": sorted(lines["cosmic_id"].astype(str)),
        "model": "ln_ic50_noise_free = drug_mean + sum over omics and features of "
                 "coefficient * (x - centre); x as in the base truth.json feature_scale, "
                 "with z = (value - mean) / sd from 'standardisation' (the base demo's lines)",
        "drug_mean": {r.drug.name: r.drug.mean for r in paper},
        "noise_sd": {r.drug.name: float(r.noise_sd) for r in paper},
        "drug_ids": {r.drug.name: r.drug_id for r in paper},
        "coefficients": {r.drug.name: {o: {f: float(c) for f, c in coefs.items()}
                                       for o, coefs in r.coefficients.items()}
                         for r in paper},
        **_signal_feature_scaling(model),
    }


# --------------------------------------------------------------------------------------------
# Genes and interactome


def _make_genes(rng: np.random.Generator, n_genes: int, n_coding: int | None = None
                ) -> pd.DataFrame:
    """Real genes first, then synthetic ones; synthetic coordinates, UniProt and transcripts.

    The first ``n_coding`` genes (default: all) are protein-coding; the others are
    named ``LINC...`` and appear only in the copy-number file.
    """
    families = ("ZNF", "SLC", "TMEM", "CCDC", "FAM", "KIAA", "LRRC", "ANKRD")
    n_synthetic = n_genes - len(REAL_GENES)
    n_coding = n_genes if n_coding is None else n_coding
    family = rng.integers(0, len(families), n_synthetic)
    symbols = list(REAL_GENES) + [
        f"{families[f]}{9001 + k}" if len(REAL_GENES) + k < n_coding else f"LINC{9001 + k}"
        for k, f in enumerate(family)]
    entrez = list(REAL_GENES.values()) + list(range(900001, 900001 + n_synthetic))
    start = rng.integers(1_000_000, 150_000_000, n_genes)
    chromosomes = np.array([str(c) for c in range(1, 23)] + ["X"])
    return pd.DataFrame({
        "symbol": symbols,
        "entrez": entrez,
        "chrom": chromosomes[rng.integers(0, len(chromosomes), n_genes)],
        "start": start,
        "stop": start + rng.integers(2_000, 200_000, n_genes),
        "uniprot": _uniprot_accessions(rng, n_genes),
        "transcript": [f"ENST{t:011d}.{v}" for t, v in zip(
            rng.integers(200_000, 700_000, n_genes), rng.integers(1, 12, n_genes), strict=True)],
        "real": [True] * len(REAL_GENES) + [False] * n_synthetic,
        "coding": np.arange(n_genes) < n_coding,
    })


def _uniprot_accessions(rng: np.random.Generator, n: int, taken: set[str] | None = None):
    """Unique accessions shaped like UniProt's (``P04637``)."""
    alnum = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    seen = set(taken or ())
    out: list[str] = []
    while len(out) < n:
        middle = "".join(alnum[rng.integers(0, len(alnum), 3)])
        acc = f"{'OPQ'[rng.integers(0, 3)]}{rng.integers(0, 10)}{middle}{rng.integers(0, 10)}"
        if acc not in seen:
            seen.add(acc)
            out.append(acc)
    return out


def _make_interactome(rng: np.random.Generator, genes: pd.DataFrame, n_edges: int):
    """Unique unordered gene-index pairs: curated edges plus preferential attachment.

    Genes join one at a time and link to earlier genes with probability proportional to
    degree + 1; real genes tend to join early and so become hubs.  ~8% of synthetic genes
    stay outside the interactome.
    """
    index = {s: i for i, s in enumerate(genes["symbol"])}
    curated = set()
    for pair in CURATED_EDGES.split():
        a, b = (index[g] for g in pair.split("-"))
        curated.add((min(a, b), max(a, b)))
    edges = set(curated)

    real = genes["real"].to_numpy()
    in_graph = (real | (rng.random(len(genes)) > 0.08)) & genes["coding"].to_numpy()
    priority = rng.random(len(genes)) * np.where(real, 0.3, 1.0)
    order = [i for i in np.argsort(priority, kind="stable") if in_graph[i]]

    n_new = max(n_edges - len(edges), len(order))
    per_node = n_new / (len(order) - 3)
    stubs = [i for a, b in edges for i in (a, b)]
    for a, b in ((order[0], order[1]), (order[1], order[2]), (order[0], order[2])):
        edges.add((min(a, b), max(a, b)))
        stubs += [a, b]
    stubs += order[:3]
    for v in order[3:]:
        m = int(per_node) + int(rng.random() < per_node - int(per_node))
        chosen: set[int] = set()
        while len(chosen) < max(m, 1):
            t = stubs[rng.integers(len(stubs))]
            if t != v and (min(t, v), max(t, v)) not in edges:
                chosen.add(t)
        for t in sorted(chosen):
            edges.add((min(t, v), max(t, v)))
            stubs += [t, v]
        stubs.append(v)
    # Top up (preferentially) or trim (never curated edges, never isolating a gene).
    while len(edges) < n_edges:
        a, b = stubs[rng.integers(len(stubs))], stubs[rng.integers(len(stubs))]
        if a != b:
            edges.add((min(a, b), max(a, b)))
    if len(edges) > n_edges:
        candidates = sorted(edges)
        degree = np.bincount(np.array(candidates).ravel(), minlength=len(genes))
        for k in rng.permutation(len(candidates)):
            a, b = candidates[k]
            if len(edges) == n_edges:
                break
            if (a, b) not in curated and degree[a] > 1 and degree[b] > 1:
                edges.discard((a, b))
                degree[a] -= 1
                degree[b] -= 1
    return np.array(sorted(edges), dtype=np.int64)


def _neighbourhood(edges: np.ndarray, members: list[int]) -> set[int]:
    """The members plus every gene that shares an edge with one of them."""
    hit = np.isin(edges, members)
    return set(members) | set(edges[hit[:, 0], 1]) | set(edges[hit[:, 1], 0])


# --------------------------------------------------------------------------------------------
# Cell lines


def _make_cell_lines(rng: np.random.Generator, scale: DemoScale,
                     screen_rng: np.random.Generator) -> pd.DataFrame:
    """The line universe (one row per real cell line) plus sample_info-only extras.

    Columns: gdsc_name, stripped, ccle_name, tissue, tcga, role (both / gdsc_only /
    ccle_only / info_only), in_gdsc, in_ccle, cosmic_id, cosmic_in_info, sanger_id,
    depmap_id, one profiled flag per omic, and screened (in the dose-response file).
    """
    n_lines = scale.n_lines
    taken = {normalise_name(name) for name, _, _ in EXEMPLAR_LINES}
    records = [(name, TISSUE_INDEX[tissue], role) for name, tissue, role in EXEMPLAR_LINES]
    n_total = n_lines + scale.n_info_only
    while len(records) < n_total:
        name, t = _fresh_line_name(rng, taken, 2000, 40)
        if len(records) >= n_lines:
            role = "info_only"
        else:
            role = str(rng.choice(["both", "gdsc_only", "ccle_only"], p=list(scale.roles)))
        records.append((name, t, role))

    lines = pd.DataFrame(records, columns=["gdsc_name", "tissue", "role"])
    lines["stripped"] = lines["gdsc_name"].map(normalise_name)
    lines["ccle_name"] = lines["stripped"] + "_" + lines["tissue"].map(lambda t: TISSUES[t].ccle)
    lines["tcga"] = [TISSUES[t].tcga[rng.integers(len(TISSUES[t].tcga))] for t in lines["tissue"]]
    lines["in_gdsc"] = lines["role"].isin(["both", "gdsc_only"])
    lines["in_ccle"] = lines["role"].isin(["both", "ccle_only", "info_only"])

    lines["cosmic_id"] = 683_000 + rng.choice(1_117_000, size=len(lines), replace=False)
    # sample_info lacks COSMIC (and Sanger) ids for ~5% of lines: they match by name only.
    no_cosmic = lines["in_ccle"].to_numpy() & (rng.random(len(lines)) < 0.05)
    no_cosmic[: len(EXEMPLAR_LINES)] = False
    no_cosmic[lines["gdsc_name"].eq("KM-H2").to_numpy()] = True
    lines["cosmic_in_info"] = ~no_cosmic

    sanger = np.full(len(lines), "", dtype=object)
    gdsc_rows = np.flatnonzero(lines["in_gdsc"].to_numpy())
    sanger[rng.permutation(gdsc_rows)] = [f"SIDM{k:05d}" for k in range(1, len(gdsc_rows) + 1)]
    lines["sanger_id"] = sanger
    depmap = np.full(len(lines), "", dtype=object)
    ccle_rows = np.flatnonzero(lines["in_ccle"].to_numpy())
    depmap[rng.permutation(ccle_rows)] = [f"ACH-{k:06d}" for k in range(1, len(ccle_rows) + 1)]
    lines["depmap_id"] = depmap

    ccle = lines["in_ccle"].to_numpy() & lines["role"].ne("info_only").to_numpy()
    gdsc = lines["in_gdsc"].to_numpy()
    for omic, share in zip(PROFILED_OMICS, scale.profiled, strict=True):
        universe = gdsc if omic == "cnv" else ccle
        profiled = universe & (rng.random(len(lines)) < share)
        profiled[: len(EXEMPLAR_LINES)] = universe[: len(EXEMPLAR_LINES)]
        lines[omic] = profiled
    screened = gdsc.copy()
    if scale.screened_share < 1:  # GDSC1000 lines outside the GDSC2 screen
        screened &= screen_rng.random(len(lines)) < scale.screened_share
        screened[: len(EXEMPLAR_LINES)] = gdsc[: len(EXEMPLAR_LINES)]
    lines["screened"] = screened
    return lines


# --------------------------------------------------------------------------------------------
# Which features carry each drug's signal


@dataclass
class DrugPlan:
    drug: Drug
    targets: list[str]
    neighbourhood: list[str]
    features: dict[str, list[str]]  # omic -> feature names
    raw_coefficients: dict[str, np.ndarray]  # before scaling to the variance shares


def _antibody_genes(targets: str) -> list[str]:
    return [RPPA_SYMBOL_UPDATES.get(g, g) for g in targets.upper().split()]


def _plan_signal(rng: np.random.Generator, genes: pd.DataFrame, edges: np.ndarray,
                 antibodies=ANTIBODIES, metabolites=METABOLITES):
    """Pick each drug's signal features from its target neighbourhood (metabolites at random)."""
    symbols = genes["symbol"].to_numpy()
    index = {s: i for i, s in enumerate(symbols)}
    usable_antibodies = [a for a in antibodies if a[0] != MOSTLY_ZERO_ANTIBODY]
    usable_metabolites = [m for m in metabolites if m != MOSTLY_ZERO_METABOLITE]
    plans = []
    for drug in PAPER_DRUGS:
        members = _neighbourhood(edges, [index[g] for g in drug.genes])
        hood = sorted(symbols[i] for i in members)
        known = KNOWN_EFFECTS.get(drug.name, {})
        candidates = {
            "mut": hood, "exp": hood,
            "cnv": [g for g in hood if g not in SUPPRESSOR_DELETION_RATE],
            "rppa": [a[0] for a in usable_antibodies if set(_antibody_genes(a[1])) & set(hood)],
            "metabolites": usable_metabolites,
        }
        if not candidates["rppa"]:  # not with the curated edges; kept for odd parameters
            candidates["rppa"] = [a[0] for a in usable_antibodies]
        features, coefficients = {}, {}
        for omic in OMIC_ORDER:
            fixed = {g: s for g, s in known.get(omic, {}).items() if g in candidates[omic]}
            pool = [f for f in candidates[omic] if f not in fixed]
            n_more = max(N_SIGNAL_FEATURES[omic] - len(fixed), 0)
            drawn = [pool[i] for i in rng.choice(len(pool), min(n_more, len(pool)),
                                                  replace=False)]
            names = list(fixed) + sorted(drawn)
            signs = [fixed.get(f, rng.choice([-1.0, 1.0])) for f in names]
            features[omic] = names
            coefficients[omic] = np.array(signs) * rng.uniform(0.5, 1.5, len(names))
        plans.append(DrugPlan(drug, list(drug.genes), hood, features, coefficients))
    return plans


def _expression_programmes(rng, genes: pd.DataFrame, plans, exp_params: dict) -> dict:
    """Give each drug an expression programme: most of its signal, spread over many genes.

    A drug's programme mixes ``N_PROGRAMME_FACTORS`` of the expression model's shared
    factors (random weights); its genes are the ``N_PROGRAMME_GENES`` always-expressed
    coding genes loading most on that mix, each weighted by its loading, so the score
    follows the factors closely and can be read from many genes (a low-rank signal).
    The drug's known expression biomarkers stay in front, at the programme genes'
    typical weight times their planned magnitude.  Changes ``plans`` in place (their
    expression features and raw coefficients); returns {drug: factors and weights}.
    """
    loadings = exp_params["loadings"]
    symbols = genes["symbol"].to_numpy()
    usable = genes["coding"].to_numpy() & (exp_params["dropout"] == 0)
    usable[exp_params["mostly_zero"]] = False
    usable[_silent_only_gene_index(genes, plans)] = False  # keeps that quirk's gene fixed
    programmes = {}
    for plan in plans:
        factors = np.sort(rng.choice(len(loadings), N_PROGRAMME_FACTORS, replace=False))
        weights = rng.normal(size=N_PROGRAMME_FACTORS)
        direction = weights @ loadings[factors]
        known = plan.features["exp"]
        candidates = np.flatnonzero(usable & ~np.isin(symbols, known))
        top = candidates[np.argsort(-np.abs(direction[candidates]), kind="stable")]
        top = np.sort(top[:N_PROGRAMME_GENES])
        typical = np.abs(direction[top]).mean()
        plan.features["exp"] = list(known) + symbols[top].tolist()
        plan.raw_coefficients["exp"] = np.concatenate(
            [plan.raw_coefficients["exp"] * typical, direction[top]])
        programmes[plan.drug.name] = {"factors": factors.tolist(),
                                      "weights": [round(float(w), 6) for w in weights]}
    return programmes


def _signal_genes(plans, omic: str) -> set[str]:
    return {g for plan in plans for g in plan.features[omic]}


def _spare_synthetic_genes(genes: pd.DataFrame, plans) -> np.ndarray:
    """Indices of synthetic genes used by no drug's signal (to host the planted quirks)."""
    used = set().union(*(_signal_genes(plans, o) for o in ("mut", "exp", "cnv")))
    spare = ~genes["real"].to_numpy() & ~genes["symbol"].isin(used).to_numpy()
    return np.flatnonzero(spare & genes["coding"].to_numpy())


# --------------------------------------------------------------------------------------------
# Catalogue extensions for larger scales (none at the demo scale)

ANTIBODY_VENDORS = (("CST", "{n}"), ("Santa Cruz", "sc-{n}"), ("Epitomics", "{n}-1"),
                    ("Millipore", "05-{n}"), ("Abcam", "ab{n}"), ("BD Biosciences", "6{n}"))
LIPID_CLASSES = ("TAG", "DAG", "PC", "PE", "LPC", "LPE", "SM", "CE", "PC-O", "PE-O", "PI", "PS")
COMPOUND_PREFIXES = ("AZD", "GSK", "BMS-", "JNJ-", "PF-", "AT-", "KU-", "SB-", "ZM-", "OSI-",
                     "NU-", "VE-", "BI-", "AGI-", "LY", "CCT", "IOX", "WZ-", "MIRA-", "ABT-")
COMPOUND_PATHWAYS = (
    "Apoptosis regulation", "Cell cycle", "Chromatin histone acetylation",
    "Chromatin histone methylation", "Chromatin other", "Cytoskeleton", "DNA replication",
    "EGFR signaling", "ERK MAPK signaling", "Genome integrity", "Hormone-related",
    "IGF1R signaling", "JNK and p38 signaling", "Metabolism", "Mitosis", "Other",
    "Other, kinases", "p53 pathway", "PI3K/MTOR signaling", "Protein stability and degradation",
    "RTK signaling", "WNT signaling", "ABL signaling",
)


def _extra_antibodies(rng, genes: pd.DataFrame, n: int) -> tuple:
    """``n`` synthetic antibodies on coding genes, in the antibody table's layout."""
    if n <= 0:
        return ()
    coding = genes.loc[genes["coding"] & ~genes["real"], "symbol"].to_numpy()
    taken = {a[0] for a in ANTIBODIES}
    out = []
    while len(out) < n:
        targets = sorted(rng.choice(coding, 1 + int(rng.random() < 0.1), replace=False))
        name = targets[0].capitalize()
        if rng.random() < 0.4:
            name += f"_p{'STY'[rng.integers(3)]}{rng.integers(10, 1500)}"
        caution = rng.random() < 0.12
        name += "_Caution" if caution else ""
        if name in taken:
            continue
        taken.add(name)
        vendor, catalog = ANTIBODY_VENDORS[rng.integers(len(ANTIBODY_VENDORS))]
        out.append((name, " ".join(targets), "Caution" if caution else "Validated", vendor,
                    catalog.format(n=rng.integers(100, 9999))))
    return tuple(out)


def _metabolite_names(rng, n: int) -> tuple[str, ...]:
    """The curated metabolites, then synthetic lipids before the last three (C58 TAGs)."""
    if n <= len(METABOLITES):
        return METABOLITES
    pool = [f"C{c}:{d} {k}" for k in LIPID_CLASSES for c in range(14, 60, 2) for d in range(9)]
    pool = [m for m in pool if m not in METABOLITES]
    extra = [pool[i] for i in sorted(rng.choice(len(pool), n - len(METABOLITES),
                                                replace=False))]
    return METABOLITES[:-3] + tuple(extra) + METABOLITES[-3:]


def _background_compounds(rng, n: int) -> list[tuple[Drug, float, float]]:
    """``n`` further screened compounds (drug, coverage, ln IC50 SD) below the 95% cut."""
    used_ids = {d.drug_id for d in PAPER_DRUGS} | {d.drug_id for d, _, _ in DISTRACTORS}
    used_ids |= {OXALIPLATIN_LOW_COVERAGE_ID} | {c[0] for c in UNSCREENED_COMPOUNDS}
    used_names = {d.name for d in PAPER_DRUGS} | {d.name for d, _, _ in DISTRACTORS}
    ids = [i for i in range(1000, 2200) if i not in used_ids]
    out = []
    for drug_id in sorted(rng.choice(ids, n, replace=False)) if n > 0 else []:
        name = f"{COMPOUND_PREFIXES[rng.integers(len(COMPOUND_PREFIXES))]}{rng.integers(10, 9999)}"
        if name in used_names:
            name = f"{name}-{drug_id}"
        used_names.add(name)
        target = list(REAL_GENES)[rng.integers(len(REAL_GENES))]
        pathway = COMPOUND_PATHWAYS[rng.integers(len(COMPOUND_PATHWAYS))]
        drug = Drug(name, int(drug_id), target, pathway, (), round(rng.uniform(-2.0, 5.5), 2),
                    0.0)
        out.append((drug, float(rng.uniform(0.70, 0.945)), float(rng.uniform(0.8, 2.0))))
    return out


# --------------------------------------------------------------------------------------------
# Latent omics for every line of the universe


def _simulate_copy_number(rng, lines: pd.DataFrame, genes: pd.DataFrame, plans,
                          params: dict | None = None) -> tuple[dict, dict]:
    """GDSC gene-level copy number: max CN, min CN, zygosity, disruption and the state.

    Also returns the per-gene alteration rates: drawn, unless ``params`` gives them.
    """
    n, g = len(lines), len(genes)
    if params is None:
        symbols = genes["symbol"]
        p_del = rng.uniform(0.0, 0.01, g)
        p_amp = rng.uniform(0.0, 0.02, g)
        p_loh = rng.uniform(0.03, 0.18, g)
        for gene, rate in ONCOGENE_AMPLIFICATION_RATE.items():
            p_amp[symbols.eq(gene).to_numpy()] = rate
        for gene, rate in SUPPRESSOR_DELETION_RATE.items():
            p_del[symbols.eq(gene).to_numpy()] = rate
        signal = symbols.isin(_signal_genes(plans, "cnv")).to_numpy()
        p_loh[signal] = rng.uniform(0.12, 0.25, signal.sum())
        spare = _spare_synthetic_genes(genes, plans)
        quiet = rng.choice(spare, max(1, round(0.05 * g)), replace=False)  # altered in < 5%
        p_del[quiet], p_amp[quiet], p_loh[quiet] = 0.0, 0.0, rng.uniform(0.0, 0.015, len(quiet))
        params = {"p_del": p_del, "p_amp": p_amp, "p_loh": p_loh}
    p_del, p_amp, p_loh = params["p_del"], params["p_amp"], params["p_loh"]

    ploidy = rng.choice([2, 3, 4], size=(n, 1), p=[0.65, 0.2, 0.15])
    u = rng.random((n, g))
    deleted = u < p_del
    amplified = ~deleted & (u < p_del + p_amp)
    loh = ~deleted & ~amplified & (u < p_del + p_amp + p_loh)
    del u

    coin = rng.random((n, g))
    max_cn = ploidy + (coin < 0.25)  # neutral; partial gains stay neutral
    min_cn = np.maximum(ploidy - (coin > 0.92), 1)
    zygosity = np.zeros((n, g), dtype=np.int8)  # 0 H, 1 L, 2 homozygous deletion ("0")
    disruption = rng.random((n, g)) < 0.02
    copy_neutral = coin < 0.3
    min_cn = np.where(loh, np.where(copy_neutral, ploidy, 1), min_cn)
    max_cn = np.where(loh, np.maximum(min_cn, ploidy - (coin > 0.6)), max_cn)
    del copy_neutral
    zygosity[loh] = 1
    amp_max = rng.integers(AMPLIFICATION_MIN_CN, 25, (n, g))
    max_cn = np.where(amplified, amp_max, max_cn)
    min_cn = np.where(amplified, np.maximum(amp_max - rng.integers(0, 9, (n, g)), ploidy),
                      min_cn)
    del amp_max
    max_cn = np.where(deleted, np.where(coin < 0.75, 0, ploidy), max_cn)
    min_cn = np.where(deleted, 0, min_cn)
    del coin
    zygosity[deleted] = 2
    disruption |= deleted

    # Copy numbers are small integers: int8 keeps paper-scale arrays small.
    max_cn, min_cn = max_cn.astype(np.int8), min_cn.astype(np.int8)
    zygosity_text = np.array(["H", "L", "0"], dtype=object)[zygosity]
    state = cnv_alteration_state(max_cn, min_cn, zygosity_text, AMPLIFICATION_MIN_CN)
    del zygosity_text
    unknown = rng.random((n, g)) < 0.002
    cells = {"max": max_cn, "min": min_cn, "zygosity": zygosity, "disruption": disruption,
             "unknown": unknown, "state": state.astype(np.float64)}
    return cells, params


def _standardised_latent(z: np.ndarray, params: dict | None):
    """(z standardised per column, mean, SD): with its own mean and SD for a new model
    (``params`` None), with the universe's stored ones for new lines of a drawn model."""
    if params is None:
        z_mean, z_sd = z.mean(axis=0), z.std(axis=0)
    else:
        z_mean, z_sd = params["z_mean"], params["z_sd"]
    return (z - z_mean) / z_sd, z_mean, z_sd


def _simulate_expression(rng, lines, genes, cnv_state, plans, params: dict | None = None):
    """log2(TPM+1), rounded to 4 decimals as written; and the per-gene parameters.

    With ``params`` (new lines of a drawn model) only the per-line draws are made, and the
    latent score is standardised with the universe's mean and SD.
    """
    n, g = len(lines), len(genes)
    new = params is None
    tissue_effect = rng.normal(0.0, 0.6, (len(TISSUES), g)) if new else params["tissue_effect"]
    line_factors = rng.normal(size=(n, 6))
    loadings = rng.normal(0.0, 0.5, (6, g)) if new else params["loadings"]
    factors = line_factors @ loadings
    z = tissue_effect[lines["tissue"].to_numpy()] + factors + rng.normal(size=(n, g))
    del factors
    z, z_mean, z_sd = _standardised_latent(z, params)
    level = rng.uniform(1.5, 7.0, g) if new else params["level"]
    spread = rng.uniform(0.4, 1.4, g) if new else params["spread"]
    values = level + spread * z
    del z
    values = values + 1.2 * (cnv_state == 1)
    values[cnv_state == -2] = 0.0

    if new:
        dropout = np.where(rng.random(g) < 0.75, 0.0, rng.uniform(0.05, 0.5, g))
        dropout[genes["symbol"].isin(_signal_genes(plans, "exp")).to_numpy()] = 0.0
    else:
        dropout = params["dropout"]
    values[rng.random((n, g)) < dropout] = 0.0
    values = np.clip(values, 0.0, None)

    if new:  # genes expressed in 2% of lines only
        spare = _spare_synthetic_genes(genes, plans)
        mostly_zero = rng.choice(spare, max(1, round(0.02 * g)), replace=False)
        for gene in mostly_zero:
            expressed_in = rng.choice(n, int(0.02 * n), replace=False)
            values[:, gene] = 0.0
            values[expressed_in, gene] = rng.uniform(0.05, 1.0, len(expressed_in))
        params = {"tissue_effect": tissue_effect, "loadings": loadings, "z_mean": z_mean,
                  "z_sd": z_sd, "level": level, "spread": spread, "dropout": dropout,
                  "mostly_zero": mostly_zero}
    else:
        for gene in params["mostly_zero"]:
            expressed = rng.random(n) < 0.02
            values[:, gene] = 0.0
            values[expressed, gene] = rng.uniform(0.05, 1.0, int(expressed.sum()))
    return np.round(values, 4), params


def _simulate_mutations(rng, n_lines: int, genes: pd.DataFrame, plans,
                        params: dict | None = None):
    """Binary protein-altering mutation status (line x gene) and the gene frequencies."""
    if params is None:
        g = len(genes)
        tier = rng.random(g)
        frequency = np.where(tier < 0.7, rng.uniform(0.003, 0.04, g),
                             np.where(tier < 0.95, rng.uniform(0.05, 0.10, g),
                                      rng.uniform(0.10, 0.20, g)))
        symbols = genes["symbol"]
        signal = symbols.isin(_signal_genes(plans, "mut")).to_numpy()
        frequency[signal] = rng.uniform(0.10, 0.40, signal.sum())
        for gene, f in DRIVER_MUTATION_FREQUENCY.items():
            frequency[symbols.eq(gene).to_numpy()] = f
        frequency[_silent_only_gene_index(genes, plans)] = 0.0
        frequency[~genes["coding"].to_numpy()] = 0.0
        params = {"frequency": frequency}
    return rng.random((n_lines, len(genes))) < params["frequency"], params


def _silent_only_gene_index(genes, plans) -> int:
    return int(_spare_synthetic_genes(genes, plans)[0])


def _simulate_rppa(rng, genes: pd.DataFrame, exp_z: np.ndarray, antibodies=ANTIBODIES,
                   params: dict | None = None):
    """Centred RPPA levels, partly driven by the target genes' expression; and the
    per-antibody parameters."""
    n = exp_z.shape[0]
    new = params is None
    column = {s: i for i, s in enumerate(genes["symbol"])}
    line_factors = rng.normal(size=(n, 4))
    loadings = rng.normal(0.0, 0.5, (4, len(antibodies))) if new else params["loadings"]
    noise = line_factors @ loadings + rng.normal(size=(n, len(antibodies)))
    if new:
        noise_mean, noise_sd = noise.mean(axis=0), noise.std(axis=0)
        weights, offsets, gains = [], [], []
    else:
        noise_mean, noise_sd = params["noise_mean"], params["noise_sd"]
        weights, offsets, gains = params["weight"], params["offset"], params["gain"]
    noise = (noise - noise_mean) / noise_sd
    values = np.empty((n, len(antibodies)))
    for a, (name, targets, *_rest) in enumerate(antibodies):
        present = [column[t] for t in _antibody_genes(targets) if t in column]
        driver = exp_z[:, present].mean(axis=1) if present else np.zeros(n)
        if new:
            weights.append(rng.uniform(0.3, 0.7))
        level = weights[a] * driver + math.sqrt(1 - weights[a]**2) * noise[:, a]
        if new:
            offsets.append(rng.normal(0.0, 0.3))
            gains.append(rng.uniform(0.3, 1.0))
        values[:, a] = offsets[a] + gains[a] * level
        if name == MOSTLY_ZERO_ANTIBODY:
            values[:, a] = 0.0
            if new:
                seen_in = rng.choice(n, int(0.02 * n), replace=False)
            else:
                seen_in = np.flatnonzero(rng.random(n) < 0.02)
            values[seen_in, a] = rng.normal(0.0, 0.5, len(seen_in))
    if new:
        params = {"loadings": loadings, "noise_mean": noise_mean, "noise_sd": noise_sd,
                  "weight": weights, "offset": offsets, "gain": gains}
    return np.round(values, 4), params


def _simulate_metabolites(rng, lines: pd.DataFrame, names=METABOLITES,
                          params: dict | None = None):
    """Positive abundances within 3.5-7.7 with tissue effects; and the per-metabolite
    parameters."""
    n, m = len(lines), len(names)
    new = params is None
    tissue_effect = rng.normal(0.0, 0.5, (len(TISSUES), m)) if new else params["tissue_effect"]
    z = tissue_effect[lines["tissue"].to_numpy()]
    line_factors = rng.normal(size=(n, 3))
    loadings = rng.normal(0.0, 0.4, (3, m)) if new else params["loadings"]
    z = z + line_factors @ loadings + rng.normal(size=(n, m))
    z, z_mean, z_sd = _standardised_latent(z, params)
    level = rng.uniform(4.5, 6.5, m) if new else params["level"]
    spread = rng.uniform(0.2, 0.45, m) if new else params["spread"]
    values = np.clip(level + spread * z, 3.5, 7.7)
    zero = names.index(MOSTLY_ZERO_METABOLITE)
    values[:, zero] = 0.0
    if new:
        seen_in = rng.choice(n, int(0.02 * n), replace=False)
        params = {"tissue_effect": tissue_effect, "loadings": loadings, "z_mean": z_mean,
                  "z_sd": z_sd, "level": level, "spread": spread}
    else:
        seen_in = np.flatnonzero(rng.random(n) < 0.02)
    values[seen_in, zero] = rng.uniform(3.5, 4.5, len(seen_in))
    return np.round(values, 4), params


def _zscore_stats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and SDs (1 where a column is constant) over the lines of the universe."""
    sd = values.std(axis=0)
    return values.mean(axis=0), np.where(sd > 0, sd, 1.0)


def _zscore(values: np.ndarray, stats: tuple[np.ndarray, np.ndarray] | None = None
            ) -> np.ndarray:
    mean, sd = _zscore_stats(values) if stats is None else stats
    return (values - mean) / sd


# --------------------------------------------------------------------------------------------
# Planted drug response


@dataclass
class DrugResponse:
    drug: Drug
    ln_ic50: np.ndarray  # every line of the universe
    measured: np.ndarray  # bool, the (line, drug) pairs written to the dose-response file
    drug_id: int
    coefficients: dict[str, dict[str, float]] | None = None
    shares: dict[str, float] | None = None
    oracle_r2: float | None = None
    noise_sd: float | None = None
    centres: dict[str, np.ndarray] | None = None  # omic -> mean of each signal feature


def _missing_count(rng, n_gdsc: int, coverage: float | None) -> int:
    """Lines left unmeasured: a few (coverage strictly > 95%) or enough for ``coverage``."""
    if coverage is None:
        most = math.ceil(0.05 * n_gdsc) - 1
        return int(rng.integers(1, most + 1)) if most >= 1 else 0
    return max(math.floor(0.05 * n_gdsc) + 1, round((1 - coverage) * n_gdsc))


def _measured_mask(rng, lines: pd.DataFrame, coverage: float | None) -> np.ndarray:
    gdsc = np.flatnonzero(lines["screened"].to_numpy())
    measured = lines["screened"].to_numpy().copy()
    measured[rng.choice(gdsc, _missing_count(rng, len(gdsc), coverage), replace=False)] = False
    return measured


def _plant_response(rng, lines: pd.DataFrame, plans, design, background=()
                    ) -> list[DrugResponse]:
    """ln IC50 for every drug (paper drugs with signal, then the distractors and the
    background compounds of larger scales)."""
    responses = []
    for plan in plans:
        drug = plan.drug
        measured = _measured_mask(rng, lines, None)
        target_r2 = rng.uniform(*TARGET_R2)
        signal_var = target_r2 * 1.2 * drug.paper_mse
        shares = np.sort(np.array(BASE_SHARES) * np.exp(rng.normal(0.0, 0.25, 5)))[::-1]
        shares /= shares.sum()
        signal = np.zeros(len(lines))
        coefficients, components, centres = {}, {}, {}
        for omic, share in zip(OMIC_ORDER, shares, strict=True):
            x = design[omic][plan.features[omic]].to_numpy()
            centres[omic] = x.mean(axis=0)
            x = x - centres[omic]
            raw = plan.raw_coefficients[omic]
            part = x @ raw
            spread = part[measured].var()
            scale = math.sqrt(share * signal_var / spread) if spread > 0 else 0.0
            components[omic] = part * scale
            coefficients[omic] = dict(zip(plan.features[omic], raw * scale, strict=True))
            signal += components[omic]
        noise_sd = math.sqrt(signal[measured].var() * (1 - target_r2) / target_r2)
        noise = rng.normal(0.0, noise_sd, len(lines))
        y = drug.mean + signal + noise
        total = ((y[measured] - y[measured].mean()) ** 2).sum()
        variances = {o: components[o][measured].var() for o in OMIC_ORDER}
        response = DrugResponse(drug, y, measured, drug.drug_id, coefficients,
                                {o: v / sum(variances.values()) for o, v in variances.items()},
                                1 - (noise[measured] ** 2).sum() / total, noise_sd, centres)
        responses.append(response)
        if drug.name == "Oxaliplatin":  # second DRUG_ID: same biology, own noise, low coverage
            again = drug.mean + signal + rng.normal(0.0, noise_sd, len(lines))
            responses.append(DrugResponse(drug, again, _measured_mask(rng, lines, 0.45),
                                          OXALIPLATIN_LOW_COVERAGE_ID))
    for drug, coverage, sd in (*DISTRACTORS, *background):
        y = drug.mean + rng.normal(0.0, sd, len(lines))
        responses.append(DrugResponse(drug, y, _measured_mask(rng, lines, coverage),
                                      drug.drug_id))
    return responses


# --------------------------------------------------------------------------------------------
# Writers: CCLE / DepMap


def _write_csv(frame: pd.DataFrame, path: Path, **kwargs) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, **kwargs)


def _write_expression(path, lines, genes, expression) -> None:
    rows = np.flatnonzero(lines["exp"].to_numpy())
    rows = rows[np.argsort(lines["depmap_id"].to_numpy()[rows])]
    columns = genes["symbol"] + " (" + genes["entrez"].astype(str) + ")"
    order = np.argsort(genes["symbol"].to_numpy(), kind="stable")
    order = order[genes["coding"].to_numpy()[order]]  # protein-coding genes only
    frame = pd.DataFrame(expression[np.ix_(rows, order)],
                         index=lines["depmap_id"].to_numpy()[rows],
                         columns=columns.to_numpy()[order])
    _write_csv(frame, path, float_format="%.6g")


def _variant_types(rng, variant: np.ndarray) -> np.ndarray:
    """MAF Variant_Type per row: DEL / INS for indels, a few DNP missense, else SNP."""
    vtype = np.where(np.isin(variant, ["Frame_Shift_Del", "In_Frame_Del"]), "DEL",
                     np.where(np.isin(variant, ["Frame_Shift_Ins", "In_Frame_Ins"]), "INS",
                              "SNP"))
    dnp = (variant == "Missense_Mutation") & (rng.random(len(variant)) < 0.03)
    return np.where(dnp, "DNP", vtype).astype(object)


def _protein_fields(variant, gene, codon, offset, ref_aa, alt_aa, ref, alt, hotspot):
    """(cDNA_Change, Codon_Change, Protein_Change) of one MAF row (randomness drawn already).

    ``ref`` / ``alt`` are the genomic alleles of the row; ``hotspot`` >= 0 picks one of the
    gene's recurrent changes.
    """
    if hotspot >= 0:
        protein, cdna = HOTSPOTS[gene][hotspot % len(HOTSPOTS[gene])]
        codon = int(protein[3:-1])
        return cdna, f"c.({3 * codon - 2}-{3 * codon})c{cdna[-3]}c>c{cdna[-1]}c", protein
    base = 3 * codon - offset
    codon_change = f"c.({3 * codon - 2}-{3 * codon}){ref[0].lower()}{ref[0]}g>"
    codon_change += f"{ref[0].lower()}{alt[0]}g"
    if variant in NON_CODING and variant != "Silent":
        return f"c.{base}+{codon % 400 + 1}{ref}>{alt}", "", ""
    protein = {
        "Missense_Mutation": f"p.{ref_aa}{codon}{alt_aa}",
        "Nonsense_Mutation": f"p.{ref_aa}{codon}*",
        "Silent": f"p.{ref_aa}{codon}{ref_aa}",
        "Frame_Shift_Del": f"p.{ref_aa}{codon}fs",
        "Frame_Shift_Ins": f"p.{ref_aa}{codon}fs",
        "In_Frame_Del": f"p.{ref_aa}{codon}del",
        "In_Frame_Ins": f"p.{codon}_{codon + 1}ins{alt_aa}",
        "Splice_Site": f"p.X{codon}_splice",
    }[variant]
    if variant.endswith("_Del"):
        return f"c.{base}_{base + len(ref) - 1}del{ref}", codon_change, protein
    if variant.endswith("_Ins"):
        return f"c.{base}_{base + 1}ins{alt}", codon_change, protein
    return f"c.{base}{ref}>{alt}", codon_change, protein


def _allele_counts(rng, n: int, present: float) -> list[str]:
    """``alt:depth`` read counts for the share ``present`` of rows, else empty."""
    depth = rng.integers(20, 300, n)
    alt = (rng.uniform(0.05, 1.0, n) * depth).astype(int)
    shown = rng.random(n) < present
    return [f"{a}:{d}" if s else "" for a, d, s in zip(alt, depth, shown, strict=True)]


def _counts_where(counts: np.ndarray, shown: np.ndarray) -> pd.Series:
    """Integer counts where ``shown``, empty elsewhere."""
    return pd.Series(counts, dtype="Int64").where(shown)


def _maf_table(rng, genes: pd.DataFrame, lines: pd.DataFrame, line_idx, gene_idx, variant):
    """The 34 MAF columns for rows given as (line index, gene index, Variant_Classification)."""
    n = len(variant)
    gene = genes.iloc[gene_idx]
    symbol, chrom = gene["symbol"].to_numpy(), gene["chrom"].to_numpy()
    vtype = _variant_types(rng, variant)
    width = np.select([vtype == "DNP", vtype == "DEL"], [2, rng.integers(1, 4, n)], 1)
    start = gene["start"].to_numpy() + (
        rng.random(n) * (gene["stop"].to_numpy() - gene["start"].to_numpy())).astype(np.int64)
    end = np.where(vtype == "INS", start + 1, start + width - 1)
    bases = np.array(list("ACGT"))
    ref_codes = rng.integers(0, 4, (n, 3))
    alt_codes = (ref_codes + rng.integers(1, 4, (n, 3))) % 4  # never the reference base
    ref_bases = ["".join(b[:w]) for b, w in zip(bases[ref_codes], width, strict=True)]
    alt_bases = ["".join(b[:w]) for b, w in zip(bases[alt_codes], width, strict=True)]
    ref_allele = np.where(vtype == "INS", "-", np.array(ref_bases, dtype=object))
    alt_allele = np.where(vtype == "DEL", "-", np.array(alt_bases, dtype=object))
    genome = [
        f"g.chr{c}:{s}_{e}del{r}" if t == "DEL" else
        f"g.chr{c}:{s}_{e}ins{a}" if t == "INS" else f"g.chr{c}:{s}{r}>{a}"
        for c, s, e, r, a, t in zip(chrom, start, end, ref_bases, alt_bases, vtype, strict=True)
    ]
    amino = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    hotspot = np.where((variant == "Missense_Mutation") & np.isin(symbol, list(HOTSPOTS))
                       & (rng.random(n) < 0.5), rng.integers(0, 6, n), -1)
    changes = [_protein_fields(*row) for row in zip(
        variant, symbol, rng.integers(2, 1500, n), rng.integers(0, 3, n),
        amino[rng.integers(0, 20, n)], amino[rng.integers(0, 20, n)], ref_bases, alt_bases,
        hotspot, strict=True)]
    is_hotspot = hotspot >= 0
    deleterious = np.isin(variant, ["Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins",
                                    "Splice_Site"])
    annotation = np.select(
        [deleterious, np.isin(variant, PROTEIN_ALTERING), variant == "Silent"],
        ["damaging", "other non-conserving", "silent"], "other conserving")
    in_dbsnp = rng.random(n) < 0.05
    return pd.DataFrame({
        "Hugo_Symbol": symbol,
        "Entrez_Gene_Id": gene["entrez"].to_numpy(),
        "NCBI_Build": 37,
        "Chromosome": chrom,
        "Start_position": start,
        "End_position": end,
        "Strand": "+",
        "Variant_Classification": variant,
        "Variant_Type": vtype,
        "Reference_Allele": ref_allele,
        "Tumor_Seq_Allele1": alt_allele,
        "dbSNP_RS": np.where(in_dbsnp, [f"rs{k}" for k in rng.integers(10**6, 10**9, n)], ""),
        "dbSNP_Val_Status": np.where(in_dbsnp & (rng.random(n) < 0.5), "byFrequency", ""),
        "Genome_Change": genome,
        "Annotation_Transcript": gene["transcript"].to_numpy(),
        "Tumor_Sample_Barcode": lines["ccle_name"].to_numpy()[line_idx],
        "cDNA_Change": [c[0] for c in changes],
        "Codon_Change": [c[1] for c in changes],
        "Protein_Change": [c[2] for c in changes],
        "isDeleterious": deleterious,
        "isTCGAhotspot": is_hotspot,
        "TCGAhsCnt": _counts_where(rng.integers(5, 300, n), is_hotspot),
        "isCOSMIChotspot": is_hotspot,
        "COSMIChsCnt": _counts_where(rng.integers(20, 3000, n), is_hotspot),
        "ExAC_AF": np.where(in_dbsnp, np.round(rng.uniform(1e-5, 1e-2, n), 6), np.nan),
        "CGA_WES_AC": _allele_counts(rng, n, 0.9),
        "SangerWES_AC": _allele_counts(rng, n, 0.5),
        "SangerRecalibWES_AC": _allele_counts(rng, n, 0.5),
        "RNAseq_AC": _allele_counts(rng, n, 0.7),
        "HC_AC": _allele_counts(rng, n, 0.3),
        "RD_AC": _allele_counts(rng, n, 0.3),
        "WGS_AC": _allele_counts(rng, n, 0.1),
        "Variant_annotation": annotation,
        "DepMap_ID": lines["depmap_id"].to_numpy()[line_idx],
    })


def _write_mutations(path, rng, lines, genes, mutated, silent_only_gene: str) -> None:
    """MAF rows: protein-altering rows for the latent mutations, plus non-coding noise rows.

    Every profiled line gets at least one noise row; the silent-only gene gets Silent or
    Intron rows in ~40% of lines and never a protein-altering one.
    """
    profiled = np.flatnonzero(lines["mut"].to_numpy())
    profiled = profiled[np.argsort(lines["depmap_id"].to_numpy()[profiled])]
    line_pos, gene_idx = np.nonzero(mutated[profiled])
    twice = rng.random(len(gene_idx)) < 0.1  # a second hit in the same gene
    line_pos = np.concatenate([line_pos, line_pos[twice]])
    gene_idx = np.concatenate([gene_idx, gene_idx[twice]])
    variant = rng.choice(PROTEIN_ALTERING, len(gene_idx), p=PROTEIN_ALTERING_WEIGHTS)

    n_noise = 1 + rng.poisson(6, len(profiled))
    noise_line = np.repeat(np.arange(len(profiled)), n_noise)
    noise_gene = rng.integers(0, int(genes["coding"].sum()), len(noise_line))  # coding first
    noise_variant = rng.choice(NON_CODING, len(noise_line), p=NON_CODING_WEIGHTS)
    silent_lines = np.flatnonzero(rng.random(len(profiled)) < 0.4)
    silent_gene = int(np.flatnonzero(genes["symbol"].eq(silent_only_gene))[0])

    line_pos = np.concatenate([line_pos, noise_line, silent_lines])
    gene_idx = np.concatenate([gene_idx, noise_gene, np.full(len(silent_lines), silent_gene)])
    variant = np.concatenate([variant, noise_variant,
                              rng.choice(["Silent", "Intron"], len(silent_lines))])
    order = np.lexsort((gene_idx, line_pos))
    table = _maf_table(rng, genes, lines, profiled[line_pos[order]], gene_idx[order],
                       variant[order].astype(object))
    _write_csv(table[MUTATION_COLUMNS], path, index=False)


def _write_sample_info(path, rng, lines) -> None:
    info = lines[lines["in_ccle"]].sort_values("depmap_id")
    n = len(info)
    tissue = [TISSUES[t] for t in info["tissue"]]

    def sometimes(values, share):
        return [v if rng.random() < share else None for v in values]

    frame = pd.DataFrame({
        "DepMap_ID": info["depmap_id"].to_numpy(),
        "stripped_cell_line_name": info["stripped"].to_numpy(),
        "CCLE Name": info["ccle_name"].to_numpy(),
        "alias": sometimes(info["gdsc_name"].str.replace("-", " "), 0.08),
        "COSMIC_ID": np.where(info["cosmic_in_info"], info["cosmic_id"], np.nan),
        "lineage": [t.lineage for t in tissue],
        "lineage_subtype": [t.lineage_subtype for t in tissue],
        "lineage_sub_subtype": sometimes(["NOS"] * n, 0.3),
        "sex": rng.choice(["Male", "Female", "Unknown"], n, p=[0.47, 0.45, 0.08]),
        "source": sometimes(rng.choice(["ATCC", "DSMZ", "JCRB", "ECACC", "Academic lab",
                                        "RIKEN"], n), 0.9),
        "Achilles_n_replicates": sometimes(rng.integers(2, 5, n).astype(float), 0.6),
        "cell_line_NNMD": sometimes(np.round(rng.normal(-3.0, 0.6, n), 6), 0.6),
        "culture_type": [t.growth for t in tissue],
        "culture_medium": rng.choice(["RPMI + 10% FBS", "DMEM + 10% FBS", "MEM + 10% FBS"], n),
        "cas9_activity": sometimes(np.round(rng.uniform(20, 95, n), 2), 0.5),
        "RRID": [f"CVCL_{''.join(rng.choice(list('0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'), 4))}"
                 for _ in range(n)],
        "sample_collection_site": [t.cosmic_site for t in tissue],
        "primary_or_metastasis": sometimes(rng.choice(["Primary", "Metastasis"], n), 0.8),
        "disease": [t.disease for t in tissue],
        "disease_subtype": [t.gdsc_descriptor_2 for t in tissue],
        "age": sometimes(rng.integers(2, 85, n).astype(float), 0.7),
        "Sanger_model_ID": np.where(info["cosmic_in_info"] & info["in_gdsc"],
                                    info["sanger_id"], None),
        "additional_info": sometimes(["Commonly misidentified"] * n, 0.02),
    })
    _write_csv(frame[SAMPLE_INFO_COLUMNS], path, index=False)


def _write_rppa(path, info_path, lines, rppa, antibodies=ANTIBODIES) -> None:
    rows = np.flatnonzero(lines["rppa"].to_numpy())
    rows = rows[np.argsort(lines["ccle_name"].to_numpy()[rows])]
    frame = pd.DataFrame(rppa[rows], index=lines["ccle_name"].to_numpy()[rows],
                         columns=[a[0] for a in antibodies])
    _write_csv(frame, path, float_format="%.6g")
    _write_csv(pd.DataFrame(antibodies, columns=RPPA_INFO_COLUMNS), info_path, index=False)


def _write_metabolomics(path, rng, lines, metabolites, names=METABOLITES,
                        measured_twice: bool = True) -> None:
    """One row per profiled line in shuffled order; one line measured twice (by default)."""
    rows = rng.permutation(np.flatnonzero(lines["metabolites"].to_numpy()))
    values = metabolites[rows]
    if measured_twice:
        twice = int(rng.integers(len(rows)))
        again = np.clip(values[twice] + rng.normal(0.0, 0.03, values.shape[1]), 3.5, 7.7)
        again[values[twice] == 0] = 0.0
        where = int(rng.integers(len(rows) + 1))
        rows = np.insert(rows, where, rows[twice])
        values = np.insert(values, where, np.round(again, 4), axis=0)
    frame = pd.DataFrame(values, columns=list(names))
    frame.insert(0, "DepMap_ID", lines["depmap_id"].to_numpy()[rows])
    frame.insert(0, "CCLE_ID", lines["ccle_name"].to_numpy()[rows])
    _write_csv(frame, path, index=False, float_format="%.6g")


# --------------------------------------------------------------------------------------------
# Writers: GDSC


def _write_workbook(path: Path, sheets: dict[str, list[list]], n_cells: int | None = None
                    ) -> None:
    """Write rows of plain Python values; None leaves a cell empty.

    Shared strings (the default) are faster here than ``constant_memory`` streaming; big
    sheets (``n_cells`` in all, needed when a sheet's rows are an iterator) are streamed
    row by row to bound memory.
    """
    if n_cells is None:
        n_cells = sum(len(rows) * len(rows[0]) for rows in sheets.values() if rows)
    with atomic_path(path) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp), {"constant_memory": n_cells > STREAMING_MIN_CELLS})
        workbook.set_properties({"author": "modrp demo", "created": FIXED_XLSX_DATE})
        for name, rows in sheets.items():
            sheet = workbook.add_worksheet(name)
            for r, row in enumerate(rows):
                sheet.write_row(r, 0, row)
        workbook.close()


def _nice_concentration(ln_ic50_mean: float) -> float:
    """A screening top concentration (uM) about e^2.5 above the typical IC50."""
    ladder = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 4, 5, 8, 10, 20, 40, 80, 100,
                       200, 500, 1000, 2000])
    return float(ladder[np.argmin(np.abs(np.log(ladder) - (ln_ic50_mean + 2.5)))])


def _write_dose_response(path, rng, lines, responses) -> None:
    rows = [DOSE_RESPONSE_COLUMNS]
    curve_id = 15_946_310
    gdsc_order = np.argsort(lines["cosmic_id"].to_numpy())
    line_fields = list(zip(lines["cosmic_id"].astype(int).tolist(), lines["gdsc_name"],
                           lines["sanger_id"], lines["tcga"], strict=True))
    for response in sorted(responses, key=lambda r: r.drug_id):
        drug = response.drug
        company = int(rng.choice([1001, 1021, 1045, 1046]))
        max_conc = _nice_concentration(drug.mean)
        min_conc = round(max_conc / 1000, 10)
        measured = [i for i in gdsc_order if response.measured[i]]
        y = response.ln_ic50[measured]
        z_score = (y - y.mean()) / y.std(ddof=1)
        log_grid = np.linspace(math.log(min_conc), math.log(max_conc), 32)
        slope = rng.uniform(0.8, 1.5, (len(measured), 1))
        viability = 1 / (1 + np.exp(slope * (log_grid[None, :] - y[:, None])))
        auc = np.clip(viability.mean(axis=1) + rng.normal(0, 0.01, len(measured)), 0.005, 1.0)
        rmse = rng.uniform(0.02, 0.25, len(measured))
        for k, i in enumerate(measured):
            rows.append([
                "GDSC2", 342, curve_id, *line_fields[i], response.drug_id, drug.name, drug.target,
                drug.pathway, company, "Y", min_conc, max_conc, round(float(y[k]), 6),
                round(float(auc[k]), 6), round(float(rmse[k]), 6), round(float(z_score[k]), 6),
            ])
            curve_id += 1
    _write_workbook(path, {"Sheet1": rows})


def _write_compounds(path, responses) -> None:
    screened = {(r.drug_id, r.drug) for r in responses}
    rows = [(drug_id, "MGH" if drug_id % 3 == 0 else "SANGER", drug.name,
             drug.synonyms or None, drug.target, drug.pathway)
            for drug_id, drug in screened]
    rows += [(drug_id, "SANGER", name, synonyms, target, pathway)
             for drug_id, name, synonyms, target, pathway in UNSCREENED_COMPOUNDS]
    frame = pd.DataFrame(sorted(rows, key=lambda row: row[0]), columns=COMPOUND_COLUMNS)
    _write_csv(frame, path, index=False)


def _write_cell_line_details(path, rng, lines) -> None:
    gdsc = lines[lines["in_gdsc"]].sort_values("gdsc_name", key=lambda s: s.str.upper())
    details = [CELL_DETAILS_COLUMNS]
    for _, line in gdsc.iterrows():
        tissue = TISSUES[line["tissue"]]
        msi_h = rng.random() < (0.2 if tissue.ccle in ("LARGE_INTESTINE", "STOMACH") else 0.03)
        details.append([
            line["gdsc_name"], int(line["cosmic_id"]), "Y" if rng.random() < 0.96 else "N",
            "Y" if line["cnv"] else "N", "Y" if rng.random() < 0.93 else "N",
            "Y" if rng.random() < 0.92 else "N", "Y" if line["screened"] else "N",
            tissue.gdsc_descriptor_1,
            tissue.gdsc_descriptor_2, line["tcga"], "MSI-H" if msi_h else "MSS/MSI-L",
            "R" if rng.random() < 0.7 else "D/F12", tissue.growth,
        ])
    totals = [sum(row[c] == "Y" for row in details[1:]) for c in range(2, 7)]
    details.append(["TOTAL:", None, *totals, None, None, None, None, None, None])

    classification = [["Line", "COSMIC_ID", "Site", "Histology"]]
    classification += [[line["gdsc_name"], int(line["cosmic_id"]),
                        TISSUES[line["tissue"]].cosmic_site,
                        TISSUES[line["tissue"]].cosmic_histology]
                       for _, line in gdsc.iterrows()]
    labels = sorted({t for tissue in TISSUES for t in tissue.tcga})
    decode = [["Cancer Type (matching TCGA label)", "Description"]]
    decode += [[label, "Not classified in a TCGA cancer type" if label == "UNCLASSIFIED"
                else f"TCGA study {label}"] for label in labels]
    decode += [["Y", "data available"], ["N", "data not available"]]
    _write_workbook(path, {"Cell line details": details,
                           "COSMIC tissue classification": classification,
                           "Decode": decode})


def _copy_number_cells(cn: dict, rows: np.ndarray) -> np.ndarray:
    """The ``"max,min,zygosity,disruption"`` strings (line x gene) for the given lines."""
    max_cn, min_cn = cn["max"][rows], cn["min"][rows]
    zygosity, disruption = cn["zygosity"][rows], cn["disruption"][rows].astype(np.int64)
    code = ((max_cn.astype(np.int64) * 64 + min_cn) * 3 + zygosity) * 2 + disruption
    unique, inverse = np.unique(code, return_inverse=True)
    text = np.array([f"{c // 384},{c // 6 % 64},{'HL0'[c // 2 % 3]},{'-D'[c % 2]}"
                     for c in unique], dtype=object)
    cells = text[inverse.reshape(code.shape)]
    cells[cn["unknown"][rows]] = "-1,-1,-,-"
    return cells


def _write_copy_number(path, lines, genes, cn) -> None:
    rows = np.flatnonzero(lines["cnv"].to_numpy())
    rows = rows[np.argsort(lines["gdsc_name"].to_numpy()[rows])]
    cells = _copy_number_cells(cn, rows).T  # gene x line

    def sheet():
        yield ["gene", "chr", "start", "stop", *lines["gdsc_name"].to_numpy()[rows]]
        yield [None, None, None, None, *(int(c) for c in lines["cosmic_id"].to_numpy()[rows])]
        for (symbol, chrom, start, stop), values in zip(
                genes[["symbol", "chrom", "start", "stop"]].itertuples(index=False), cells,
                strict=True):
            yield [symbol, int(chrom) if chrom.isdigit() else chrom, int(start), int(stop),
                   *values.tolist()]

    _write_workbook(path, {"Gene_level_CN": sheet()},
                    n_cells=(len(genes) + 2) * (len(rows) + 4))


# --------------------------------------------------------------------------------------------
# Writer: HINT


def _references(rng) -> str:
    methods = ("0018", "0019", "0397", "0398", "0006", "0007", "0676", "0096")
    refs = [f"{rng.integers(10_000_000, 33_000_000)}:{methods[rng.integers(len(methods))]}:"
            f"{'HT' if rng.random() < 0.4 else 'LC'}:binary"
            for _ in range(1 + rng.poisson(0.6))]
    return "|".join(refs)


def _write_interactome(path, rng, genes, edges) -> None:
    """HINT binary high-quality table, with a few orphan, reversed and self-interaction rows."""
    symbol, uniprot = genes["symbol"].to_numpy(), genes["uniprot"].to_numpy()
    rows = []
    for a, b in edges:
        if uniprot[a] > uniprot[b]:
            a, b = b, a
        rows.append([uniprot[a], uniprot[b], symbol[a], symbol[b], _references(rng), 9606])
    for k in rng.choice(len(edges), 5, replace=False):  # the same pair, other orientation
        a, b = edges[k]
        rows.append([uniprot[b], uniprot[a], symbol[b], symbol[a], _references(rng), 9606])
    for a in rng.choice(np.unique(edges), 4, replace=False):  # self-interactions
        rows.append([uniprot[a], uniprot[a], symbol[a], symbol[a], _references(rng), 9606])
    orphans = [f"C{rng.integers(1, 23)}orf{900 + k}" for k in range(6)]
    orphan_ids = _uniprot_accessions(rng, len(orphans), taken=set(uniprot))
    for k, (name, acc) in enumerate(zip(orphans, orphan_ids, strict=True)):
        if k % 2:
            partner = int(rng.integers(len(genes)))
            rows.append([acc, uniprot[partner], name, symbol[partner], _references(rng), 9606])
        else:
            rows.append([acc, orphan_ids[k + 1], name, orphans[k + 1], _references(rng), 9606])
    frame = pd.DataFrame(rows, columns=HINT_COLUMNS).sort_values(
        ["Uniprot_A", "Uniprot_B"], kind="stable")
    _write_csv(frame, path, sep="\t", index=False)


# --------------------------------------------------------------------------------------------
# truth.json


def _truth(seed, scale, model: _Model) -> dict:
    lines, edges, plans, responses = model.lines, model.edges, model.plans, model.responses
    paper = [r for r in responses if r.coefficients is not None]
    gdsc = lines["screened"].to_numpy()
    both = lines[lines["role"].eq("both")]
    kmh = lines[lines["gdsc_name"].eq("KM-H2")].iloc[0]
    counts = {omic: int(lines[omic].sum()) for omic in OMIC_ORDER}
    ccle = lines["role"].isin(["both", "ccle_only"])
    all_five = ccle & lines[["exp", "mut", "rppa", "metabolites"]].all(axis=1) & lines["cnv"]

    def rounded(value):
        return round(float(value), 6)

    truth = {
        "seed": seed,
        "n_lines": int(len(lines) - scale.n_info_only),
        "strongest_omic": OMIC_ORDER[0],
        "omic_order": list(OMIC_ORDER),
        "oracle_r2": {r.drug.name: rounded(r.oracle_r2) for r in paper},
        "explained_variance_share": {
            r.drug.name: {o: rounded(s) for o, s in r.shares.items()} for r in paper},
        "coefficients": {
            r.drug.name: {o: {f: rounded(c) for f, c in coefs.items()}
                          for o, coefs in r.coefficients.items()} for r in paper},
        "drug_mean": {r.drug.name: r.drug.mean for r in paper},
        "noise_sd": {r.drug.name: rounded(r.noise_sd) for r in paper},
        "expression_programmes": model.programmes,
        "targets": {p.drug.name: p.targets for p in plans},
        "neighbourhood": {p.drug.name: p.neighbourhood for p in plans},
        "feature_scale": {
            "mut": "1 if a protein-altering mutation (classes in mutation_classes), else 0",
            "exp": "log2(TPM+1) z-scored over all lines of the universe",
            "rppa": "RPPA value z-scored over all lines of the universe",
            "metabolites": "abundance z-scored over all lines of the universe",
            "cnv": "cnv_alteration_state of the true cell (unknown cells included)",
            "model": "ln_ic50 = drug_mean + sum coef * (x - centre) + noise; centre: the mean "
                     "of x over all lines; x of exp, rppa and metabolites is (value - mean) / sd "
                     "with 'standardisation'",
        },
        **_signal_feature_scaling(model),
        "mutation_classes": {"protein_altering": list(PROTEIN_ALTERING),
                             "non_coding": list(NON_CODING)},
        "drug_ids": {r.drug.name: r.drug_id for r in paper},
        "duplicate_drug_ids": {"Oxaliplatin": [PAPER_DRUGS[9].drug_id,
                                               OXALIPLATIN_LOW_COVERAGE_ID]},
        "coverage": {f"{r.drug.name} ({r.drug_id})": rounded(r.measured[gdsc].mean())
                     for r in responses},
        "distractors": [d.name for d, _, _ in DISTRACTORS],
        "planted_quirks": {**model.quirks, "ambiguous_depmap_id": kmh["depmap_id"]},
        "line_map": {str(c): d for c, d in zip(both["cosmic_id"], both["depmap_id"],
                                               strict=True)},
        "name_only_matches": sorted(both.loc[~both["cosmic_in_info"], "depmap_id"]),
        "counts": {
            "gdsc_lines": int(gdsc.sum()),
            "ccle_lines": int(ccle.sum()),
            "matched_lines": len(both),
            "sample_info_rows": int(lines["in_ccle"].sum()),
            "interactome_pairs": len(edges),
            **counts,
            "all_five": int(all_five.sum()),
        },
    }
    sizes_only = dataclasses.replace(SCALES["demo"], n_lines=scale.n_lines,
                                     n_genes=scale.n_genes, n_edges=scale.n_edges)
    if scale != sizes_only:  # (a demo-scale truth.json stays as it always was)
        truth["scale"] = {
            **{k: v for k, v in dataclasses.asdict(scale).items()
               if not isinstance(v, tuple)},
            "gdsc1000_lines": int(lines["in_gdsc"].sum()),
            "dose_response_rows": int(sum(r.measured.sum() for r in responses)),
            "drug_ids": len(responses),
        }
    return truth
