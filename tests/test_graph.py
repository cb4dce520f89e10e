"""Interactome graphs: symmetry, self-loops, feature order, antibody mapping, refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from modrp.errors import InputError
from modrp.graph import (
    build_feature_graph,
    feature_adjacency,
    load_feature_graph,
    save_feature_graph,
)


def identity_genes(omic, features):
    return pd.DataFrame({"omic": omic, "feature": features, "gene": features})


EDGES = pd.DataFrame({"gene_a": ["A", "B", "C", "X"], "gene_b": ["B", "C", "A", "Y"]})


def test_adjacency_is_symmetric_with_self_loops_in_feature_order():
    features = ["C", "A", "B", "D"]
    adjacency = feature_adjacency(features, identity_genes("exp", features), EDGES)
    dense = adjacency.toarray()
    assert (dense == dense.T).all()
    assert (np.diag(dense) == 1).all()
    # rows follow the given feature order: C(0) is linked to A(1) and B(2), D(3) to nobody
    assert dense[0].tolist() == [1, 1, 1, 0]
    assert dense[3].tolist() == [0, 0, 0, 1]
    assert adjacency.dtype == np.float32 and sp.isspmatrix_csr(adjacency)


def test_random_graph_matches_dense_construction():
    rng = np.random.default_rng(1)
    genes = [f"G{i}" for i in range(40)]
    pairs = rng.choice(40, size=(120, 2))
    edges = pd.DataFrame({"gene_a": [genes[a] for a, _ in pairs],
                          "gene_b": [genes[b] for _, b in pairs]})
    features = list(rng.permutation(genes)[:30])
    adjacency = feature_adjacency(features, identity_genes("mut", features), edges).toarray()
    expected = np.eye(30)
    position = {g: i for i, g in enumerate(features)}
    for a, b in zip(edges["gene_a"], edges["gene_b"], strict=True):
        if a in position and b in position:
            expected[position[a], position[b]] = expected[position[b], position[a]] = 1
    np.testing.assert_array_equal(adjacency, expected)


def test_antibodies_linked_through_their_genes():
    links = pd.DataFrame({"omic": "rppa",
                          "feature": ["Akt", "Akt_pS473", "Akt_pS473", "p53", "Other"],
                          "gene": ["AKT1", "AKT1", "AKT2", "TP53", "ZZZ"]})
    edges = pd.DataFrame({"gene_a": ["AKT2"], "gene_b": ["TP53"]})
    graph = build_feature_graph("rppa", ["Akt", "Akt_pS473", "p53", "Other"], links, edges,
                                drop_isolated=False)
    dense = graph.adjacency.toarray()
    assert dense[0, 1] == 1  # share AKT1
    assert dense[1, 2] == 1  # AKT2 - TP53
    assert dense[0, 2] == 0  # AKT1 has no edge to TP53
    assert dense[3].sum() == 1  # only its self-loop
    assert graph.n_connected() == 3
    # Akt's only partner is another antibody of its own gene: linked, not an interaction
    assert graph.with_interaction == 2
    kept = build_feature_graph("rppa", ["Akt", "Akt_pS473", "p53", "Other"], links, edges,
                               drop_isolated=True)
    assert kept.features == ["Akt_pS473", "p53"]
    assert kept.adjacency.toarray().tolist() == [[1, 1], [1, 1]]


def test_antibodies_sharing_genes_but_no_interaction_is_an_error():
    """Two antibodies of one protein link to each other whatever the interactome; an
    interactome in other ids (here Ensembl) must still be reported, not pass silently."""
    links = pd.DataFrame({"omic": "rppa", "feature": ["Akt", "Akt_pS473", "mTOR", "EGFR"],
                          "gene": ["AKT1", "AKT1", "MTOR", "EGFR"]})
    edges = pd.DataFrame({"gene_a": ["ENSG00000142208"], "gene_b": ["ENSG00000198793"]})
    with pytest.raises(InputError, match="none of its 4 features has an interaction"):
        build_feature_graph("rppa", ["Akt", "Akt_pS473", "mTOR", "EGFR"], links, edges,
                            drop_isolated=False)


def test_drop_isolated_keeps_order_and_submatrix():
    features = ["C", "D", "A", "B"]
    graph = build_feature_graph("exp", features, identity_genes("exp", features), EDGES,
                                drop_isolated=True)
    assert graph.features == ["C", "A", "B"]
    assert graph.adjacency.shape == (3, 3)
    assert graph.n_edges == 3


def test_no_matching_genes_is_an_error():
    with pytest.raises(InputError, match="none of its 2 features has an interaction.*never "
                       "meet the interactome's.*gene symbols"):
        build_feature_graph("cnv", ["Q1", "Q2"], identity_genes("cnv", ["Q1", "Q2"]), EDGES,
                            drop_isolated=True)


def test_genes_in_the_interactome_but_not_interacting_is_told_apart():
    # both genes have partners in the interactome, but not each other
    edges = pd.DataFrame({"gene_a": ["AKT1", "EGFR", "MDM2"], "gene_b": ["TP53", "KRAS", "TP53"]})
    with pytest.raises(InputError, match=r"none of its 2 features has an interaction.*2 of "
                       r"its genes \(e.g. \['KRAS', 'TP53'\]\) are in the interactome, but no "
                       "two of them interact") as raised:
        build_feature_graph("mut", ["KRAS", "TP53"], identity_genes("mut", ["KRAS", "TP53"]),
                            edges, drop_isolated=True)
    assert "gene symbols" not in str(raised.value)


def test_npz_round_trip_and_scipy_compatible(tmp_path):
    features = ["A", "B", "C", "D"]
    graph = build_feature_graph("exp", features, identity_genes("exp", features), EDGES, False)
    path = tmp_path / "exp.npz"
    save_feature_graph(graph, path)
    again = load_feature_graph(path)
    assert again.features == features
    assert (again.adjacency != graph.adjacency).nnz == 0
    assert sp.load_npz(path).shape == (4, 4)


def test_a_self_interaction_does_not_make_antibodies_of_one_gene_partners():
    # an edge AKT1-AKT1 must not turn two AKT1 antibodies into interaction partners
    links = pd.DataFrame({"omic": "rppa", "feature": ["Akt", "Akt_pS473", "p53", "mdm2"],
                          "gene": ["AKT1", "AKT1", "TP53", "MDM2"]})
    edges = pd.DataFrame({"gene_a": ["AKT1", "TP53"], "gene_b": ["AKT1", "MDM2"]})
    graph = build_feature_graph("rppa", ["Akt", "Akt_pS473", "p53", "mdm2"], links, edges,
                                drop_isolated=True)
    assert graph.with_interaction == 2
    assert graph.features == ["p53", "mdm2"]


def test_a_feature_without_genes_keeps_its_self_loop():
    # the identity, not a shared gene, gives every feature its self-loop
    features = ["A", "B", "NOGENE"]
    adjacency = feature_adjacency(features, identity_genes("exp", ["A", "B"]), EDGES).toarray()
    assert adjacency.diagonal().tolist() == [1, 1, 1]
    assert adjacency[2].tolist() == [0, 0, 1]


def test_a_feature_whose_own_genes_interact_has_no_partner_by_that():
    # Akt_pS473's genes AKT1 and AKT2 interact with each other only: no partner
    links = pd.DataFrame({"omic": "rppa", "feature": ["Akt_pS473", "Akt_pS473", "p53", "mdm2"],
                          "gene": ["AKT1", "AKT2", "TP53", "MDM2"]})
    edges = pd.DataFrame({"gene_a": ["AKT1", "MDM2"], "gene_b": ["AKT2", "TP53"]})
    graph = build_feature_graph("rppa", ["Akt_pS473", "p53", "mdm2"], links, edges,
                                drop_isolated=True)
    assert graph.with_interaction == 2
    assert graph.features == ["p53", "mdm2"]


def test_a_graph_uses_only_its_own_omics_feature_genes():
    # an RPPA antibody named like a gene (TAZ, antibody of WWTR1) must not lend its
    # gene to the expression feature TAZ
    links = pd.concat([identity_genes("exp", ["TAZ", "YAP1", "X"]),
                       pd.DataFrame({"omic": ["rppa"], "feature": ["TAZ"],
                                     "gene": ["WWTR1"]})], ignore_index=True)
    edges = pd.DataFrame({"gene_a": ["WWTR1", "TAZ"], "gene_b": ["YAP1", "X"]})
    dense = build_feature_graph("exp", ["TAZ", "YAP1", "X"], links, edges,
                                drop_isolated=False).adjacency.toarray()
    assert dense.tolist() == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
