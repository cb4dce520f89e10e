"""Interactome -> one sparse adjacency matrix per omic, over that omic's features.

Two features are adjacent when one of the genes behind the first interacts
with one of the genes behind the second in the interactome, or when they
share a gene (RPPA: a phospho and a total antibody of the same protein).
Every feature has a self-loop, so the graph embedding (paper eq. 4) keeps each
feature's own value.  The paper keeps "only genes with mutual interactions";
``drop_isolated`` does the same for the features without an interactome partner.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from modrp.errors import InputError
from modrp.io import atomic_path


@dataclass
class FeatureGraph:
    """A symmetric CSR adjacency (self-loops set) and the feature order of its rows.

    ``with_interaction``: how many of the omic's features, before any were dropped,
    have a partner through an interactome edge (sharing a gene does not count);
    set by :func:`build_feature_graph`, None for a graph read back from disk.
    """

    features: list[str]
    adjacency: sp.csr_matrix
    with_interaction: int | None = None

    @property
    def n_edges(self) -> int:
        """Undirected edges between distinct features."""
        return int((self.adjacency.nnz - self.adjacency.shape[0]) // 2)

    def n_connected(self) -> int:
        """Features with at least one partner besides themselves."""
        degree = np.diff(self.adjacency.indptr) - 1
        return int((degree > 0).sum())


def _feature_pairs(features: list[str], feature_genes: pd.DataFrame,
                   edges: pd.DataFrame) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """F G F^T and F F^T over ``features``, with F the feature-by-gene incidence and G the
    symmetric gene graph without self-loops: the feature pairs joined through an
    interactome edge, and those that share a gene."""
    feature_index = pd.Index(features)
    links = feature_genes[feature_genes["feature"].isin(feature_index)]
    genes = pd.Index(sorted(set(links["gene"])))
    incidence = sp.csr_matrix(
        (np.ones(len(links), dtype=np.float32),
         (feature_index.get_indexer(links["feature"]), genes.get_indexer(links["gene"]))),
        shape=(len(features), len(genes)),
    )
    a = genes.get_indexer(edges["gene_a"])
    b = genes.get_indexer(edges["gene_b"])
    inside = (a >= 0) & (b >= 0) & (a != b)
    a, b = a[inside], b[inside]
    gene_graph = sp.csr_matrix(
        (np.ones(2 * len(a), dtype=np.float32), (np.concatenate([a, b]), np.concatenate([b, a]))),
        shape=(len(genes), len(genes)),
    )
    return incidence @ gene_graph @ incidence.T, incidence @ incidence.T


def _support(matrix: sp.spmatrix) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.data[:] = 1.0
    matrix.sort_indices()
    return matrix


def _adjacency(through: sp.spmatrix, shared: sp.spmatrix) -> sp.csr_matrix:
    """The support of F G F^T + F F^T + I (see :func:`_feature_pairs`)."""
    identity = sp.identity(through.shape[0], dtype=np.float32, format="csr")
    return _support(through + shared + identity)


def _partner_counts(through: sp.spmatrix) -> np.ndarray:
    """Per feature, how many other features it reaches through an interactome edge (the
    support of F G F^T off its diagonal); a shared gene alone is not one."""
    off_diagonal = _support(through).tolil()
    off_diagonal.setdiag(0)
    return np.diff(_support(off_diagonal).indptr)


def feature_adjacency(features: list[str], feature_genes: pd.DataFrame,
                      edges: pd.DataFrame) -> sp.csr_matrix:
    """Symmetric 0/1 CSR adjacency among ``features`` with self-loops.

    ``feature_genes`` maps features to genes (columns ``feature, gene``);
    ``edges`` holds gene pairs (``gene_a, gene_b``).  Computed as the support of
    F (G + I) F^T + I with F the feature-by-gene incidence and G the gene graph.
    """
    return _adjacency(*_feature_pairs(features, feature_genes, edges))


def build_feature_graph(omic: str, features: list[str], feature_genes: pd.DataFrame,
                        edges: pd.DataFrame, drop_isolated: bool) -> FeatureGraph:
    """The graph of one omic; raises InputError when no feature has an interactome partner.

    ``drop_isolated`` keeps only the features with an interactome partner among the
    omic's features; two antibodies of one protein are linked but are not, by that
    alone, an interaction.
    """
    links = feature_genes[feature_genes["omic"] == omic] if "omic" in feature_genes else \
        feature_genes
    through, shared = _feature_pairs(features, links, edges)
    adjacency = _adjacency(through, shared)
    interacting = _partner_counts(through) > 0
    if not interacting.any():
        interactome_genes = pd.unique(edges[["gene_a", "gene_b"]].to_numpy().ravel())
        genes = links.loc[links["feature"].isin(features), "gene"]
        met = genes[genes.isin(interactome_genes)].unique()
        if len(met):
            why = (f"{len(met)} of its genes (e.g. {list(met[:3])}) are in the interactome, "
                   "but no two of them interact; a graph embedding needs interactions among "
                   "the omic's own features (embed it densely instead)")
        else:
            why = (f"its genes, e.g. {list(genes[:3])}, never meet the interactome's, e.g. "
                   f"{list(interactome_genes[:3])}; check that both use gene symbols")
        raise InputError(f"graph for omic {omic!r}: none of its {len(features)} features has "
                         f"an interaction in the interactome ({why})")
    graph = FeatureGraph(list(features), adjacency, int(interacting.sum()))
    if drop_isolated:
        keep = np.flatnonzero(interacting)
        graph = FeatureGraph([features[i] for i in keep], adjacency[keep][:, keep].tocsr(),
                             graph.with_interaction)
    return graph


def save_feature_graph(graph: FeatureGraph, path: Path) -> None:
    """Write an ``.npz`` that ``scipy.sparse.load_npz`` reads, plus the feature names."""
    csr = graph.adjacency
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(
                handle, format=np.array("csr"), shape=np.array(csr.shape), data=csr.data,
                indices=csr.indices, indptr=csr.indptr,
                features=np.array(graph.features, dtype=str),
            )


def load_feature_graph(path: Path) -> FeatureGraph:
    """Read a graph written by :func:`save_feature_graph`."""
    adjacency = sp.load_npz(path).tocsr()
    with np.load(path, allow_pickle=False) as archive:
        features = archive["features"].tolist()
    return FeatureGraph(features, adjacency)
