"""The model against the paper: graph embedding == dense masked layer, kill matrix, freezing."""

from __future__ import annotations

import io

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch.profiler import ProfilerActivity, profile

from modrp.model import (
    PAPER_SUBNETWORK,
    AttentionFusion,
    ConcatenationModel,
    DenseEmbedding,
    DenseMaskedEmbedding,
    FusionModel,
    GraphEmbedding,
    OmicsSubnetwork,
    _GraphAffine,
    build_subnetwork,
)

N_DRUGS = 22


def random_graph(n: int, edges: int, seed: int) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency with self-loops; some nodes may stay isolated."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, size=(2, edges))
    keep = a != b
    rows = np.concatenate([a[keep], b[keep], np.arange(n)])
    cols = np.concatenate([b[keep], a[keep], np.arange(n)])
    adjacency = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
    adjacency.data[:] = 1.0  # duplicates summed to 2 above
    return adjacency


def edge_positions(layer: GraphEmbedding) -> tuple[torch.Tensor, torch.Tensor]:
    """(input feature, output feature) of each stored weight."""
    outputs = torch.repeat_interleave(torch.arange(layer.out_features),
                                      layer.crow_indices.diff().long())
    return layer.col_indices.long(), outputs


def sparse_and_dense(adjacency, dtype=torch.float64, kernels="auto"):
    sparse = GraphEmbedding(adjacency, kernels=kernels).to(dtype)
    dense = DenseMaskedEmbedding(adjacency).to(dtype).copy_from(sparse)
    return sparse, dense


def compare_with_dense(adjacency, batch: int, dtype=torch.float64, tol=1e-12, kernels="auto"):
    sparse, dense = sparse_and_dense(adjacency, dtype, kernels)
    n = adjacency.shape[0]
    x = torch.randn(batch, n, dtype=dtype, requires_grad=True)
    x_dense = x.detach().clone().requires_grad_()
    upstream = torch.randn(batch, n, dtype=dtype)
    y, y_dense = sparse(x), dense(x_dense)
    torch.testing.assert_close(y, y_dense, rtol=tol, atol=tol)
    assert y.abs().sum() > 0  # ReLU did not zero everything: the comparison has content
    y.backward(upstream)
    y_dense.backward(upstream)
    torch.testing.assert_close(x.grad, x_dense.grad, rtol=tol, atol=tol)
    torch.testing.assert_close(sparse.bias.grad, dense.bias.grad, rtol=tol, atol=tol)
    inputs, outputs = edge_positions(sparse)
    torch.testing.assert_close(sparse.weight.grad, dense.weight.grad[inputs, outputs],
                               rtol=tol, atol=tol)
    # the dense gradient is zero off the graph, so nothing was lost by storing edges only
    off_graph = dense.weight.grad.clone()
    off_graph[inputs, outputs] = 0
    assert off_graph.abs().max() == 0
    assert sparse.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("n,edges,batch", [(5, 4, 3), (40, 60, 8), (257, 900, 17)])
def test_graph_embedding_equals_dense_masked(n, edges, batch):
    torch.manual_seed(n)
    compare_with_dense(random_graph(n, edges, seed=n), batch)


def test_graph_embedding_equals_dense_masked_float32():
    torch.manual_seed(1)
    compare_with_dense(random_graph(300, 1500, seed=1), batch=32, dtype=torch.float32, tol=1e-5)


def test_isolated_nodes_and_batch_of_one():
    torch.manual_seed(2)
    only_self_loops = sp.identity(6, dtype=np.float32, format="csr")
    compare_with_dense(only_self_loops, batch=1)
    adjacency = random_graph(30, 5, seed=2)  # 5 edges among 30 nodes: most are isolated
    assert (np.diff(adjacency.indptr) == 1).sum() > 10
    compare_with_dense(adjacency, batch=1)


def test_weights_follow_the_graph_orientation():
    # a path 0 - 1 - 2: output 0 may only read inputs 0 and 1
    adjacency = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]], dtype=np.float32))
    layer = GraphEmbedding(adjacency, activation=torch.nn.Identity()).double()
    with torch.no_grad():
        layer.weight.fill_(1.0)
    x = torch.tensor([[1.0, 10.0, 100.0]], dtype=torch.float64)
    assert layer(x).tolist() == [[11.0, 111.0, 110.0]]


def test_column_major_input_gives_the_same_result():
    torch.manual_seed(3)
    layer = GraphEmbedding(random_graph(50, 100, seed=3)).double()
    x = torch.randn(9, 50, dtype=torch.float64)
    column_major = x.t().contiguous().t()
    assert not column_major.is_contiguous()
    assert torch.equal(layer(x), layer(column_major))


def test_gradcheck_of_the_sparse_function():
    torch.manual_seed(4)
    layer = GraphEmbedding(random_graph(7, 9, seed=4))
    x_t = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(layer.nnz, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(7, dtype=torch.float64, requires_grad=True)

    def fn(x_t, weight, bias):
        return _GraphAffine.apply(x_t, weight, bias, layer.crow_indices, layer.col_indices,
                                  layer.transpose_perm)

    assert torch.autograd.gradcheck(fn, (x_t, weight, bias))


def test_layer_never_holds_an_n_by_n_tensor():
    n, batch = 400, 4
    adjacency = random_graph(n, 800, seed=5)
    layer = GraphEmbedding(adjacency).double()
    nnz = adjacency.nnz
    assert nnz < n * n / 50
    state = [*layer.parameters(), *layer.buffers()]
    assert max(t.numel() for t in state) <= max(nnz, n + 1)
    assert sum(t.numel() for t in state) <= 3 * nnz + 2 * n + 1
    # nor does any step of forward or backward allocate one
    x = torch.randn(batch, n, dtype=torch.float64, requires_grad=True)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        layer(x).backward(torch.randn(batch, n, dtype=torch.float64))
    allocations = [e.nbytes() for e in prof.profiler.kineto_results.events()
                   if e.name() == "[memory]" and e.nbytes() > 0]
    assert allocations  # the profiler did see the step's allocations
    assert max(allocations) < n * n * 8 / 10
    # the reference does, which shows the check can fail
    dense = DenseMaskedEmbedding(adjacency).double()
    assert dense.weight.numel() == n * n


def test_state_holds_the_graph_structure():
    layer = GraphEmbedding(random_graph(20, 30, seed=6))
    keys = set(layer.state_dict())
    assert {"weight", "bias", "crow_indices", "col_indices", "transpose_perm"} <= keys
    # transpose_perm maps each entry (i, j) to the position of (j, i)
    inputs, outputs = edge_positions(layer)
    perm = layer.transpose_perm.long()
    assert torch.equal(inputs[perm], outputs) and torch.equal(outputs[perm], inputs)


def test_bad_adjacency_is_refused():
    directed = sp.csr_matrix(np.array([[1, 1], [0, 1]], dtype=np.float32))
    with pytest.raises(ValueError, match="symmetric"):
        GraphEmbedding(directed)
    no_self_loop = sp.csr_matrix(np.array([[0, 1], [1, 1]], dtype=np.float32))
    with pytest.raises(ValueError, match="self-loop"):
        GraphEmbedding(no_self_loop)


def stored_differently(adjacency: sp.csr_matrix) -> dict[str, sp.csr_matrix]:
    """The same graph in CSR forms scipy allows: each row's columns reversed, every
    entry stored twice, and stored zeros (one direction only) where there is no edge."""
    a = sp.csr_matrix(adjacency)
    n, counts = a.shape[0], np.diff(a.indptr)
    rows = [a.indices[a.indptr[r]:a.indptr[r + 1]] for r in range(n)]
    reversed_ = sp.csr_matrix((a.data.copy(), np.concatenate([r[::-1] for r in rows]),
                               a.indptr.copy()), shape=a.shape)
    twice = sp.csr_matrix((np.ones(2 * a.nnz, dtype=np.float32),
                           np.concatenate([np.concatenate([r, r]) for r in rows]),
                           np.concatenate([[0], np.cumsum(2 * counts)])), shape=a.shape)
    dense = a.toarray()
    free = [(i, j) for i in range(n) for j in range(n) if dense[i, j] == 0][::7]
    assert free
    coo = a.tocoo()
    zeros = sp.coo_matrix((np.concatenate([coo.data, np.zeros(len(free), dtype=np.float32)]),
                           (np.concatenate([coo.row, [i for i, _ in free]]),
                            np.concatenate([coo.col, [j for _, j in free]]))),
                          shape=a.shape).tocsr()
    assert not reversed_.has_sorted_indices and twice.nnz == 2 * a.nnz
    assert zeros.nnz == a.nnz + len(free)
    return {"columns reversed": reversed_, "entries twice": twice, "stored zeros": zeros}


@pytest.mark.parametrize("form", ["columns reversed", "entries twice", "stored zeros"])
@pytest.mark.parametrize("kernels", ["auto", "torch"])
def test_any_csr_form_of_a_graph_gives_the_same_layer(form, kernels):
    adjacency = random_graph(30, 45, seed=16)
    other = stored_differently(adjacency)[form]
    canonical, layer = GraphEmbedding(adjacency), GraphEmbedding(other)
    # one weight per edge, a stored zero is no edge, in A's sorted CSR order
    for name in ("crow_indices", "col_indices", "transpose_perm"):
        assert torch.equal(getattr(layer, name), getattr(canonical, name)), name
    torch.manual_seed(16)
    compare_with_dense(other, batch=5, dtype=torch.float32, tol=1e-5, kernels=kernels)


def test_graph_weights_start_uniform_within_one_over_root_fan_in():
    adjacency = random_graph(200, 1500, seed=17)
    torch.manual_seed(17)
    layer = GraphEmbedding(adjacency)
    # output feature r reads its neighbours and itself: fan-in = row r's entry count
    fan_in = np.diff(adjacency.indptr)
    bound = torch.as_tensor(np.repeat(fan_in, fan_in).astype(np.float64) ** -0.5)
    scaled = layer.weight.detach().double() / bound
    assert scaled.numel() > 2000 and scaled.abs().max() <= 1 + 1e-6
    assert scaled.min() < -0.95 and scaled.max() > 0.95  # both signs, up to the bound
    assert abs(float(scaled.mean())) < 0.1  # U(-1, 1) mean of > 2000 draws: sd < 0.013
    assert torch.equal(layer.bias, torch.zeros(200))


def test_initialisation_is_seeded():
    adjacency = random_graph(30, 40, seed=7)
    torch.manual_seed(0)
    first = GraphEmbedding(adjacency).weight.detach().clone()
    torch.manual_seed(0)
    second = GraphEmbedding(adjacency).weight.detach().clone()
    torch.manual_seed(1)
    third = GraphEmbedding(adjacency).weight.detach().clone()
    assert torch.equal(first, second) and not torch.equal(first, third)


def test_cpu_training_is_bit_for_bit_repeatable():
    adjacency = random_graph(60, 120, seed=8)

    def run():
        torch.manual_seed(0)
        model = build_subnetwork("exp", "graph", 60, N_DRUGS, adjacency)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, target = torch.randn(16, 60), torch.randn(16, N_DRUGS)
        for _ in range(3):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(x), target).backward()
            optimizer.step()
        return [p.detach().clone() for p in model.parameters()]

    torch.use_deterministic_algorithms(True)
    try:
        first, second = run(), run()
    finally:
        torch.use_deterministic_algorithms(False)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


# --- subnetworks --------------------------------------------------------------------------

def test_paper_subnetwork_sizes():
    # Results section: dense layer 64 exp/metabolites, 32 mut/cnv, 128 rppa; dropout 0.2
    # exp/mut/metabolites, 0.4 cnv/rppa; metabolites' dense embedding 200 units.
    assert {omic: (spec["hidden"], spec["dropout"]) for omic, spec in
            PAPER_SUBNETWORK.items()} == {"exp": (64, 0.2), "mut": (32, 0.2), "cnv": (32, 0.4),
                                          "rppa": (128, 0.4), "metabolites": (64, 0.2)}
    assert PAPER_SUBNETWORK["metabolites"]["dense_embedding"] == 200


@pytest.mark.parametrize("omic,kind", [("exp", "graph"), ("mut", "graph"), ("cnv", "graph"),
                                       ("rppa", "dense"), ("metabolites", "dense")])
def test_subnetwork_shapes(omic, kind):
    torch.manual_seed(9)
    n = 45
    adjacency = random_graph(n, 60, seed=9) if kind == "graph" else None
    model = build_subnetwork(omic, kind, n, N_DRUGS, adjacency)
    assert isinstance(model, OmicsSubnetwork)
    assert model.dense.out_features == PAPER_SUBNETWORK[omic]["hidden"]
    assert model.dropout.p == PAPER_SUBNETWORK[omic]["dropout"]
    expected_embedding = GraphEmbedding if kind == "graph" else DenseEmbedding
    assert isinstance(model.embedding, expected_embedding)
    if omic == "metabolites":
        assert model.embedding.out_features == 200
    for batch in (1, 7):
        assert model(torch.randn(batch, n)).shape == (batch, N_DRUGS)


def test_subnetwork_biases_start_at_zero():
    torch.manual_seed(18)
    graph = build_subnetwork("exp", "graph", 30, N_DRUGS, random_graph(30, 40, seed=18))
    dense = build_subnetwork("metabolites", "dense", 12, N_DRUGS)
    biases = [graph.embedding.bias, graph.dense.bias, graph.head.bias,
              dense.embedding.linear.bias, dense.dense.bias, dense.head.bias]
    assert all(torch.equal(b, torch.zeros_like(b)) for b in biases)
    assert all(layer.weight.abs().sum() > 0 for layer in (graph.dense, graph.head,
                                                          dense.embedding.linear))


def test_subnetwork_dropout_acts_in_training_only():
    torch.manual_seed(19)
    model = build_subnetwork("cnv", "dense", 20, N_DRUGS)  # dropout 0.4 after the dense layer
    x = torch.randn(6, 20)
    kept = model.activation(model.dense(model.embedding(x)))
    assert (kept > 0).sum() > 50
    model.eval()
    torch.testing.assert_close(model(x), model.head(kept))
    model.train()
    first, second = model(x), model(x)
    assert not torch.equal(first, second)
    # each hidden unit dropped or scaled by 1 / (1 - p), before the head
    torch.manual_seed(20)
    dropped = model(x)
    torch.manual_seed(20)
    mask = torch.nn.functional.dropout(torch.ones_like(kept), 0.4, training=True)
    torch.testing.assert_close(dropped, model.head(kept * mask))
    torch.testing.assert_close(mask.unique(), torch.tensor([0.0, 1 / 0.6]))


def test_build_subnetwork_refuses_bad_requests():
    with pytest.raises(ValueError, match="unknown omic"):
        build_subnetwork("methylation", "dense", 10, N_DRUGS)
    with pytest.raises(ValueError, match="needs its adjacency"):
        build_subnetwork("exp", "graph", 10, N_DRUGS)
    with pytest.raises(ValueError, match="expected \\(12, 12\\)"):
        build_subnetwork("exp", "graph", 12, N_DRUGS, random_graph(10, 5, seed=0))
    with pytest.raises(ValueError, match="'graph' or 'dense'"):
        build_subnetwork("exp", "sparse", 10, N_DRUGS)


# --- fusion -------------------------------------------------------------------------------

def random_attention(n_omics: int = 5, seed: int = 10) -> AttentionFusion:
    torch.manual_seed(seed)
    fusion = AttentionFusion(n_omics, N_DRUGS).double()
    with torch.no_grad():
        fusion.w3.normal_()
        fusion.bias.normal_()
    return fusion


def test_kill_matrix_isolates_drugs():
    fusion = random_attention()
    z = torch.randn(4, 5 * N_DRUGS, dtype=torch.float64)
    before = fusion(z)
    for omic, drug in [(0, 0), (3, 7), (4, N_DRUGS - 1)]:
        changed = z.clone()
        changed[:, omic * N_DRUGS + drug] += 5.0  # omic-major: omic m's outputs are a block
        after = fusion(changed)
        others = [d for d in range(N_DRUGS) if d != drug]
        assert torch.equal(after[:, others], before[:, others])
        assert (after[:, drug] - before[:, drug]).abs().min() > 1e-3


def test_attention_is_a_softmax_over_omics():
    fusion = random_attention()
    attention = fusion.attention()
    assert attention.shape == (5, N_DRUGS)
    assert (attention > 0).all()
    torch.testing.assert_close(attention.sum(dim=0), torch.ones(N_DRUGS, dtype=torch.float64))
    # eq. 7 written out, element by element, for a few entries
    w3 = fusion.w3.detach()
    for d, m in [(0, 0), (5, 2), (N_DRUGS - 1, 4)]:
        expected = torch.exp(w3[d, m, d]) / torch.exp(w3[d, :, d]).sum()
        torch.testing.assert_close(attention[m, d], expected)
    # and the prediction is that mix of each drug's own outputs, plus the bias
    z = torch.randn(3, 5 * N_DRUGS, dtype=torch.float64)
    mix = (attention.unsqueeze(0) * z.view(3, 5, N_DRUGS)).sum(dim=1) + fusion.bias
    torch.testing.assert_close(fusion(z), mix)


def test_fresh_attention_weighs_omics_equally():
    attention = AttentionFusion(4, N_DRUGS).attention()
    torch.testing.assert_close(attention, torch.full((4, N_DRUGS), 0.25))


def small_subnetworks(seed: int = 11) -> tuple[dict, dict]:
    torch.manual_seed(seed)
    adjacency = random_graph(30, 40, seed=seed)
    subnetworks = {"exp": build_subnetwork("exp", "graph", 30, N_DRUGS, adjacency),
                   "mut": build_subnetwork("mut", "graph", 30, N_DRUGS, adjacency),
                   "metabolites": build_subnetwork("metabolites", "dense", 12, N_DRUGS)}
    inputs = {"exp": torch.randn(8, 30), "mut": torch.randn(8, 30),
              "metabolites": torch.randn(8, 12)}
    return subnetworks, inputs


def test_fusion_with_frozen_subnetworks_trains_only_the_attention():
    subnetworks, inputs = small_subnetworks()
    model = FusionModel(subnetworks, AttentionFusion(3, N_DRUGS))
    model.train()
    assert all(not sub.training for sub in model.subnetworks.values())  # no dropout
    frozen = {k: v.clone() for k, v in model.subnetworks.state_dict().items()}
    attention_before = [p.detach().clone() for p in model.fusion.parameters()]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss = torch.nn.functional.mse_loss(model(inputs), torch.randn(8, N_DRUGS))
    loss.backward()
    optimizer.step()
    assert all(torch.equal(v, frozen[k]) for k, v in model.subnetworks.state_dict().items())
    assert all(p.grad is None for p in model.subnetworks.parameters())
    assert all(not torch.equal(p, before) for p, before in
               zip(model.fusion.parameters(), attention_before, strict=True))
    assert model.attention().shape == (3, N_DRUGS)


def test_unfrozen_fusion_trains_the_subnetworks_too():
    subnetworks, inputs = small_subnetworks()
    model = FusionModel(subnetworks, AttentionFusion(3, N_DRUGS), freeze=False)
    before = model.subnetworks["exp"].head.weight.detach().clone()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    torch.nn.functional.mse_loss(model(inputs), torch.randn(8, N_DRUGS)).backward()
    optimizer.step()
    assert not torch.equal(model.subnetworks["exp"].head.weight, before)


def test_fusion_reads_each_omic_in_order():
    subnetworks, inputs = small_subnetworks()
    model = FusionModel(subnetworks, AttentionFusion(3, N_DRUGS)).eval()
    z = model.concatenated_outputs(inputs)
    assert z.shape == (8, 3 * N_DRUGS)
    torch.testing.assert_close(z[:, N_DRUGS:2 * N_DRUGS], subnetworks["mut"](inputs["mut"]))
    with pytest.raises(KeyError, match="metabolites"):
        model({"exp": inputs["exp"], "mut": inputs["mut"]})


def test_concatenation_model_is_a_linear_layer_on_frozen_outputs():
    subnetworks, inputs = small_subnetworks()
    model = ConcatenationModel(subnetworks, N_DRUGS)
    assert isinstance(model.fusion, torch.nn.Linear)
    assert model.fusion.in_features == 3 * N_DRUGS
    z = model.concatenated_outputs(inputs)
    torch.testing.assert_close(model(inputs), model.fusion(z))
    assert not any(p.requires_grad for p in model.subnetworks.parameters())
    assert all(p.requires_grad for p in model.fusion.parameters())
    with pytest.raises(AttributeError):
        model.attention()


def test_concatenation_model_starts_at_the_average_of_the_omics():
    subnetworks, inputs = small_subnetworks()
    model = ConcatenationModel(subnetworks, N_DRUGS).eval()
    each = torch.stack([subnetworks[omic](inputs[omic]) for omic in ("exp", "mut", "metabolites")])
    torch.testing.assert_close(model(inputs), each.mean(dim=0))
    assert torch.equal(model.fusion.bias, torch.zeros(N_DRUGS))


def test_state_dict_round_trip_reproduces_outputs():
    subnetworks, inputs = small_subnetworks(seed=12)
    model = FusionModel(subnetworks, random_attention(3, seed=12).float()).eval()
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    assert "fusion.kill" in state  # saved with the model, so loading checks it too

    other_subnetworks, _ = small_subnetworks(seed=13)  # same shapes, other weights
    other = FusionModel(other_subnetworks, AttentionFusion(3, N_DRUGS)).eval()
    assert not torch.equal(other(inputs), model(inputs))
    other.load_state_dict(state)
    assert torch.equal(other(inputs), model(inputs))
    assert torch.equal(other.attention(), model.attention())


def test_edge_values_other_than_one_still_mean_an_edge():
    torch.manual_seed(14)
    adjacency = random_graph(25, 40, seed=14) * 3.0
    dense = DenseMaskedEmbedding(adjacency)
    assert set(dense.mask.unique().tolist()) == {0.0, 1.0}
    compare_with_dense(adjacency, batch=4)


def test_sparse_addmm_with_beta_zero_ignores_nan_in_its_output_buffer():
    # spmm hands addmm an uninitialised buffer; torch documents that beta=0 ignores it
    adjacency = random_graph(20, 30, seed=15)
    layer = GraphEmbedding(adjacency).double()
    dense_t = torch.randn(20, 6, dtype=torch.float64)
    sparse = torch.sparse_csr_tensor(layer.crow_indices, layer.col_indices,
                                     layer.weight.detach(), (20, 20), check_invariants=True)
    out = torch.full((20, 6), float("nan"), dtype=torch.float64)
    torch.addmm(out, sparse, dense_t, beta=0, out=out)
    torch.testing.assert_close(out, sparse.to_dense() @ dense_t)


@pytest.mark.parametrize("damage", ["column out of range", "rows not rising",
                                    "perm not a permutation", "perm out of range"])
def test_a_checkpoint_with_a_damaged_graph_structure_is_refused(damage):
    """The kernels follow the loaded indices without bounds checks, so a checkpoint whose
    structure indexes outside the layer is refused when loaded."""
    layer = GraphEmbedding(random_graph(12, 30, seed=4))
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    fresh = GraphEmbedding(random_graph(12, 30, seed=4))
    fresh.load_state_dict(state)  # intact: loads
    assert torch.equal(fresh.weight, layer.weight)
    if damage == "column out of range":
        state["col_indices"][3] = 12
    elif damage == "rows not rising":
        state["crow_indices"][5] = int(state["crow_indices"][7]) + 1
    elif damage == "perm not a permutation":
        state["transpose_perm"][1] = state["transpose_perm"][0]
    else:
        state["transpose_perm"][0] = -1
    with pytest.raises(ValueError, match="not a valid one .* a damaged checkpoint"):
        GraphEmbedding(random_graph(12, 30, seed=4)).load_state_dict(state)
