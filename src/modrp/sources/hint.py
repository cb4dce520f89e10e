"""HINT binary high-quality interactome (``HomoSapiens_binary_hq.txt``).  Both the
current and the pre-2019 layouts carry ``Gene_A``/``Gene_B``."""

from __future__ import annotations

import pandas as pd

from modrp.sources._common import read_text_table, require_columns


def unique_gene_pairs(gene_a: pd.Series, gene_b: pd.Series) -> pd.DataFrame:
    """Unordered, de-duplicated pairs of distinct genes: ``gene_a < gene_b``."""
    a = gene_a.astype(str).str.strip().str.upper()
    b = gene_b.astype(str).str.strip().str.upper()
    keep = (a != "") & (b != "") & (a != b) & (a != "NAN") & (b != "NAN")
    a, b = a[keep], b[keep]
    lo = a.where(a < b, b)
    hi = b.where(a < b, a)
    pairs = pd.DataFrame({"gene_a": lo.to_numpy(), "gene_b": hi.to_numpy()})
    return pairs.drop_duplicates().sort_values(["gene_a", "gene_b"]).reset_index(drop=True)


def read_interactome(path) -> pd.DataFrame:
    """HINT file -> unique unordered gene pairs ``gene_a, gene_b`` (self-interactions dropped)."""
    what = "interactome (HomoSapiens_binary_hq.txt)"
    # index_col=False: a tab closing each data row (one field more than the header) must
    # not turn the first column into the index and shift every other column left.
    frame = read_text_table(path, what, index_col=False)
    require_columns(frame, ["Uniprot_A", "Uniprot_B", "Gene_A", "Gene_B"], what, path)
    return unique_gene_pairs(frame["Gene_A"], frame["Gene_B"])
