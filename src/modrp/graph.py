"""Interactome -> one sparse adjacency matrix per omic, over that omic's features.

Two features are adjacent when one of the genes behind the first interacts
with one of the genes behind the second in the interactome, or when they
share a gene (RPPA: a phospho and a total antibody of the same protein).
Every feature has a self-loop, so the graph embedding (paper eq. 4) keeps each
feature's own value.  The paper keeps "only genes with mutual interactions";
``drop_isolated`` does the same for the features without any partner.
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
    """A symmetric CSR adjacency (self-loops set) and the feature order of its rows."""

    features: list[str]
    adjacency: sp.csr_matrix

    @property
    def n_edges(self) -> int:
        """Undirected edges between distinct features."""
        return int((self.adjacency.nnz - self.adjacency.shape[0]) // 2)

    def n_connected(self) -> int:
        """Features with at least one partner besides themselves."""
        degree = np.diff(self.adjacency.indptr) - 1
        return int((degree > 0).sum())


def feature_adjacency(features: list[str], feature_genes: pd.DataFrame,
                      edges: pd.DataFrame) -> sp.csr_matrix:
    """Symmetric 0/1 CSR adjacency among ``features`` with self-loops.

    ``feature_genes`` maps features to genes (columns ``feature, gene``);
    ``edges`` holds gene pairs (``gene_a, gene_b``).  Computed as the support of
    F (G + I) F^T with F the feature-by-gene incidence and G the gene graph.
    """
    n = len(features)
    feature_index = pd.Index(features)
    links = feature_genes[feature_genes["feature"].isin(feature_index)]
    genes = pd.Index(sorted(set(links["gene"])))
    incidence = sp.csr_matrix(
        (np.ones(len(links), dtype=np.float32),
         (feature_index.get_indexer(links["feature"]), genes.get_indexer(links["gene"]))),
        shape=(n, len(genes)),
    )
    a = genes.get_indexer(edges["gene_a"])
    b = genes.get_indexer(edges["gene_b"])
    inside = (a >= 0) & (b >= 0)
    a, b = a[inside], b[inside]
    gene_graph = sp.csr_matrix(
        (np.ones(2 * len(a) + len(genes), dtype=np.float32),
         (np.concatenate([a, b, np.arange(len(genes))]),
          np.concatenate([b, a, np.arange(len(genes))]))),
        shape=(len(genes), len(genes)),
    )
    adjacency = (incidence @ gene_graph @ incidence.T).tocsr()
    adjacency = (adjacency + sp.identity(n, dtype=np.float32, format="csr")).tocsr()
    adjacency.data[:] = 1.0
    adjacency.sort_indices()
    return adjacency.astype(np.float32)


def build_feature_graph(omic: str, features: list[str], feature_genes: pd.DataFrame,
                        edges: pd.DataFrame, drop_isolated: bool) -> FeatureGraph:
    """The graph of one omic; raises InputError when no feature touches the interactome."""
    links = feature_genes[feature_genes["omic"] == omic] if "omic" in feature_genes else \
        feature_genes
    adjacency = feature_adjacency(features, links, edges)
    graph = FeatureGraph(list(features), adjacency)
    if graph.n_connected() == 0:
        interactome_genes = pd.unique(edges[["gene_a", "gene_b"]].to_numpy().ravel())[:3]
        raise InputError(
            f"graph for omic {omic!r}: none of its {len(features)} features has an interaction "
            f"in the interactome (its genes, e.g. {list(links['gene'][:3])}, never meet the "
            f"interactome's, e.g. {list(interactome_genes)}); check that both use gene symbols"
        )
    if drop_isolated:
        keep = np.flatnonzero(np.diff(adjacency.indptr) > 1)
        graph = FeatureGraph([features[i] for i in keep], adjacency[keep][:, keep].tocsr())
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
