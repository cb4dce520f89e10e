"""The paper's network (Wang et al. 2022, Methods), one block per equation.

    eq. 3  DenseEmbedding     y1 = f(W1^T x + b1)                  metabolites (200 units)
    eq. 4  GraphEmbedding     y1 = f((W1 o A)^T x + b1)            A: interactome + self-loops
    eq. 5  OmicsSubnetwork    y2 = f(W2^T y1 + b2), dropout, then one output per drug
    eq. 6  FusionModel        z = [y_m] for m = 1..M              (M x n_drugs, omic-major)
    eq. 7  AttentionFusion    W(d,m,i) = exp(W3(d,m,i)) k(d,i) / sum_m exp(W3(d,m,i))

The paper writes the activation f without naming it; we use ReLU.  It says the
embedding and dense layer biases start at zero, so those here do; the per-drug
head's bias, which the paper does not have (see OmicsSubnetwork), is set by training
to each drug's training-line mean (modrp.train.start_at_training_means).

How the graph embedding is computed.  Only the nonzeros of W1 o A exist: one
weight per edge of A, kept in A's CSR order with rows as *output* features, so
S = CSR(A's structure, weights) = (W1 o A)^T and the forward pass is one
sparse-times-dense product S x^T (SpMM).  The backward is two more sparse
kernels, in a custom autograd Function: the weight gradient is grad^T x
evaluated on A's nonzeros only (SDDMM, torch.sparse.sampled_addmm), the input
gradient is S^T grad^T (A is symmetric: S^T has A's structure, its values
permuted).  Alternatives measured on the 2-core CPU this was written on
(n = 9,000, nnz = 133k, batch 350, float32; ms; the machine is shared, +-30%):

    forward product         CSR SpMM (MKL) 4-5; COO 13-17; dense @ CSR 24-30;
                            gather + index_add 135
    weight gradient         SDDMM 3-4; gather + multiply + sum, chunked, 60-110
    one step, autograd      CSR 215-235; COO 415-430; gather 530-700
    one step, Function      19-27 with torch's kernels, glibc's malloc defaults
    one step, dense masked  1,550-2,000

The kernels want the batch as columns, (n, batch) row-major: MKL's
column-major SpMM takes 19 ms instead of 4, and SDDMM on a row-major x 8 instead
of 3.5.  So x is transposed once (seen as 3-D, which torch copies on all threads:
1.2 ms where the 2-D transpose copy takes 4) and the layer returns a column-major
view; nn.Linear and elementwise layers take it as is and hand its gradient back
column-major, so no second transpose happens.  Batches cut as columns of a
transposed data matrix (``x_t[:, rows].t()``) skip the transpose altogether.
``benchmarks/graph_layer.py`` measures the layer against the dense one in one run.

Two sets of kernels compute these three products.  torch's (MKL's CSR SpMM and
sampled_addmm) run everywhere, CUDA included.  On CPU float32, modrp.graph_kernels
(a small C file compiled on first use, with torch's kernels as the fallback) runs a
forward SpMM of its own and one backward pass over S^T that gathers each
neighbour's gradient row once for both the weight and the input gradient, where
torch's two kernels gather a row each.  Inside a training step that is the point:
the step's n x batch operands (12.6 MB each at paper scale) no longer sit together
in a 32 MB L3, so every gather pass costs memory traffic.  For the same reason the
default ReLU runs inside the compiled forward, on each output row while it is in
cache, keeping one bit per output; one pass over the upstream gradient and those bits
then gives the ReLU's backward and the bias gradient, where torch's in-place ReLU,
threshold_backward and row sum made three passes over n x batch tensors.  Measured
with benchmarks/graph_layer.py (2-core AMD EPYC, shared, its speed varying between
runs; column-major input, batch 350; ms, seven runs, two threads):

    kernels alone           compiled: SpMM 1.6-1.9 + both backward products 3.2-4.3
                            = 4.7-6.3 (5.9-8.0 out of cache); the forward with its
                            ReLU 1.8-2.2, the ReLU backward with the bias gradient
                            0.2; torch's three kernels 6.8-9.4
    one training step       compiled 7.0-8.9, which is 0.95-1.10x torch's three
                            kernels, 1.43-1.54x the compiled SpMM and backward (so
                            the issue's 1.5x is met in four runs of seven), 1.11-1.33x
                            those out of cache (five runs); on torch's kernels
                            1.81-2.23x torch's three; row-major input adds 1.2-1.5
                            (the transpose)
    inside a step           the sparse calls (the forward's ReLU included) take
                            6.1-7.6 ms of a 7.5-8.9 ms step (1.17-1.23x)
    ReLU in the kernels     against the same layer with its ReLU apart, in
                            alternating runs: 7.05-7.26 ms against 7.65-7.73, 1.50-
                            1.53x the SpMM and backward against 1.56-1.58x
    one thread              as the pipeline's training jobs run (train.threads: 1),
                            five runs on a day the machine ran twice as slow: step
                            21-28 ms, 1.15-1.24x the compiled SpMM and backward;
                            two threads on two shared cores wait on each other
                            whenever the VM deschedules one

What remains beyond the kernels: they run slower inside a step than alone in a loop,
where their operands stay in cache, and the ReLU's backward, Adam and autograd take
the other ~1.4 ms.  With glibc's malloc defaults every step also faults its freshly
freed output and gradient buffers back in (~1,650 page faults a step here, ~200
after); the training jobs call ``modrp.train.keep_freed_memory`` first.  Tried and
dropped (within noise or slower): the ReLU's mask applied inside the backward's gather
(as a byte or a bit per output: the step no faster than with the one-pass ReLU
backward before it), an earlier fused ReLU whose backward read the output rather than
a bitmask, splitting the batch into column blocks that fit in cache, non-temporal
stores of the outputs, software prefetching of the gathered rows, AVX-512 (the
backward 30% slower), ordering the genes to keep neighbours close (reverse
Cuthill-McKee: no change).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch.autograd.function import once_differentiable

from modrp import graph_kernels

# Paper, Results: hidden sizes and dropouts of the dense layer (eq. 5) per omic; the
# dense embedding (eq. 3) of metabolites has 200 units.  The paper gives no size for
# other dense embeddings; ``None`` keeps the input size, as the graph embedding does.
PAPER_SUBNETWORK: dict[str, dict] = {
    "exp": {"hidden": 64, "dropout": 0.2, "dense_embedding": None},
    "mut": {"hidden": 32, "dropout": 0.2, "dense_embedding": None},
    "cnv": {"hidden": 32, "dropout": 0.4, "dense_embedding": None},
    "rppa": {"hidden": 128, "dropout": 0.4, "dense_embedding": None},
    "metabolites": {"hidden": 64, "dropout": 0.2, "dense_embedding": 200},
}


# --- sparse kernels of the graph embedding ------------------------------------------------

def _csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    n = crow.numel() - 1
    with warnings.catch_warnings():
        # torch flags its whole CSR layout as beta; the three ops used here are stable.
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, col, values, (n, n), check_invariants=False)


def feature_major(x: torch.Tensor) -> torch.Tensor:
    """``x`` (batch, n) as a contiguous (n, batch) tensor, the layout the kernels read."""
    x_t = x.t()
    if x_t.is_contiguous():
        return x_t
    # Seen as 3-D, the transpose goes through torch's multi-threaded copy kernel.
    return x_t.unsqueeze(0).contiguous().squeeze(0)


def spmm(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, dense_t: torch.Tensor,
         bias: torch.Tensor | None = None) -> torch.Tensor:
    """S @ dense_t (+ bias per row) for S = CSR(crow, col, values); (n, batch) row-major."""
    if bias is not None:
        return torch.addmm(bias.unsqueeze(1), _csr(crow, col, values), dense_t)
    # torch.sparse.mm zeroes a result and copies it before multiplying.  With beta=0
    # addmm ignores its input, NaNs included (torch.addmm's documented contract), so
    # an uninitialised tensor serves as input and output and both passes go.
    out = torch.empty_like(dense_t)
    return torch.addmm(out, _csr(crow, col, values), dense_t, beta=0, out=out)


def sddmm(crow: torch.Tensor, col: torch.Tensor, left_t: torch.Tensor,
          right_t: torch.Tensor) -> torch.Tensor:
    """Values of left_t @ right_t^T on the nonzeros of CSR(crow, col), in CSR order.

    Both operands are (n, batch) row-major: entry k, at row r and column c, is the
    dot product of left_t[r] and right_t[c].
    """
    pattern = _csr(crow, col, left_t.new_zeros(col.numel()))
    return torch.sparse.sampled_addmm(pattern, left_t, right_t.t()).values()


class _GraphAffine(torch.autograd.Function):
    """S x_t + b for x_t (n, batch): eq. 4's (W o A)^T x + b with the batch as columns.

    S = CSR(crow, col, weight) = (W o A)^T, so ``weight[k]`` joins input feature
    ``col[k]`` to output feature r, the CSR row of k.  Backward: the SDDMM gives
    the weight gradient, S^T (same structure, permuted values) the input's.
    ``compiled`` picks modrp.graph_kernels over torch's kernels; the caller checks
    that they take the operands.  ``relu`` (compiled kernels only) makes it eq. 4 with
    f = ReLU: relu(S x_t + b), the ReLU applied by the forward kernel, its backward
    and the bias gradient done in one pass before the sparse backward.
    """

    @staticmethod
    def forward(ctx, x_t, weight, bias, crow, col, transpose_perm, compiled=False, relu=False):
        if relu and not compiled:
            raise ValueError("the ReLU is fused into the compiled kernels only")
        ctx.compiled, ctx.relu = compiled, relu
        if relu:
            y_t, mask = graph_kernels.forward_relu(crow, col, weight, bias, x_t)
            ctx.save_for_backward(x_t, weight, crow, col, transpose_perm, mask)
            return y_t
        ctx.save_for_backward(x_t, weight, crow, col, transpose_perm)
        if compiled:
            return graph_kernels.forward(crow, col, weight, bias, x_t)
        return spmm(crow, col, weight, x_t, bias)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_t):
        x_t, weight, crow, col, transpose_perm, *relu_mask = ctx.saved_tensors
        grad_t = grad_t.contiguous()  # already is when the layers after keep the layout
        grad_x_t = grad_weight = grad_bias = None
        if ctx.relu:
            # the gradient before the ReLU, and the bias gradient, from one pass
            grad_t, grad_bias = graph_kernels.relu_backward(
                grad_t, *relu_mask, bias_grad=ctx.needs_input_grad[2])
        elif ctx.needs_input_grad[2]:
            grad_bias = grad_t.sum(dim=1)
        if ctx.compiled:
            # one pass over S^T for both products (see graph_kernels.c)
            grad_x_t, grad_weight = graph_kernels.backward(
                crow, col, transpose_perm, weight, x_t, grad_t,
                input_grad=ctx.needs_input_grad[0], weight_grad=ctx.needs_input_grad[1])
            return grad_x_t, grad_weight, grad_bias, None, None, None, None, None
        if ctx.needs_input_grad[1]:
            grad_weight = sddmm(crow, col, grad_t, x_t)
        if ctx.needs_input_grad[0]:
            # S^T = W o A, and A is symmetric: A's CSR structure, the values permuted.
            grad_x_t = spmm(crow, col, weight.index_select(0, transpose_perm), grad_t)
        return grad_x_t, grad_weight, grad_bias, None, None, None, None, None


def _checked_adjacency(adjacency) -> sp.csr_matrix:
    a = sp.csr_matrix(adjacency, dtype=np.float32, copy=True)
    a.eliminate_zeros()
    a.sum_duplicates()
    a.sort_indices()
    a.data[:] = 1.0  # eq. 4's A is 0/1: any stored value is an edge
    n_rows, n_cols = a.shape
    if n_rows != n_cols:
        raise ValueError(f"adjacency must be square, got {a.shape}")
    if (a != a.T).nnz:
        raise ValueError("adjacency must be symmetric (an undirected interactome)")
    if (a.diagonal() == 0).any():
        raise ValueError("adjacency must have every self-loop set (graph.py sets them)")
    return a


def _index_dtype(nnz: int) -> torch.dtype:
    # int32 is what MKL and cuSPARSE take; torch would otherwise convert on every call.
    return torch.int32 if nnz < 2**31 else torch.int64


def _check_loaded_structure(layer: GraphEmbedding, _incompatible) -> None:
    """After a checkpoint is loaded: its CSR structure must index within the layer, since
    the kernels follow these indices without bounds checks."""
    crow, col, perm = (layer.crow_indices.long(), layer.col_indices.long(),
                       layer.transpose_perm.long())
    n, nnz = crow.numel() - 1, col.numel()
    if not (int(crow[0]) == 0 and int(crow[-1]) == nnz and bool((crow.diff() >= 0).all())
            and (nnz == 0 or (int(col.min()) >= 0 and int(col.max()) < n))
            and (nnz == 0 or (int(perm.min()) >= 0 and int(perm.max()) < nnz))
            and torch.equal(torch.bincount(perm, minlength=nnz),
                            torch.ones(nnz, dtype=torch.long))):
        raise ValueError(f"GraphEmbedding: the loaded CSR structure ({n} rows, {nnz} "
                         "entries) is not a valid one (indices out of range, rows not "
                         "rising, or transpose_perm not a permutation): a damaged checkpoint")


# --- eq. 3 and eq. 4: embeddings ----------------------------------------------------------

def _is_plain_relu(activation: nn.Module) -> bool:
    """Whether calling ``activation`` does nothing but torch.relu: an nn.ReLU itself (not
    a subclass, which may do more), with no forward hooks on it or on every module."""
    return (type(activation) is nn.ReLU and not activation._forward_hooks
            and not activation._forward_pre_hooks
            and not nn.modules.module._global_forward_hooks
            and not nn.modules.module._global_forward_pre_hooks)


class GraphEmbedding(nn.Module):
    """Eq. 4: y = f((W o A)^T x + b), one weight per nonzero of A; output size = input size.

    ``adjacency`` is the symmetric 0/1 interactome adjacency over the omic's features
    with every self-loop set.  Parameters: ``weight`` (nnz,) and ``bias`` (n,);
    buffers: A's CSR structure and the permutation that transposes it.  No n x n
    tensor exists, in the forward pass or the backward.

    ``kernels``: "auto" runs modrp.graph_kernels (compiled C) on CPU float32 operands
    when it is available and torch's sparse kernels otherwise; "torch" always runs
    torch's; "compiled" runs the compiled ones or raises.  Both compute the same
    products, to float rounding.
    """

    KERNELS = ("auto", "torch", "compiled")

    def __init__(self, adjacency: sp.csr_matrix, activation: nn.Module | None = None,
                 kernels: str = "auto"):
        super().__init__()
        if kernels not in self.KERNELS:
            raise ValueError(f"kernels must be one of {self.KERNELS}, got {kernels!r}")
        self.kernels = kernels
        a = _checked_adjacency(adjacency)
        n, nnz = a.shape[0], a.nnz
        index = _index_dtype(nnz)
        # Entry k of A.T sits where (col, row) of entry k sits in A: label A's entries
        # 1..nnz, transpose, and read the labels back in CSR order.
        labels = sp.csr_matrix((np.arange(1, nnz + 1, dtype=np.float64), a.indices, a.indptr),
                               shape=a.shape).T.tocsr()
        labels.sort_indices()
        self.register_buffer("crow_indices", torch.as_tensor(a.indptr, dtype=index))
        self.register_buffer("col_indices", torch.as_tensor(a.indices, dtype=index))
        self.register_buffer("transpose_perm",
                             torch.as_tensor(labels.data.astype(np.int64) - 1, dtype=index))
        # Uniform in +-1/sqrt(fan-in) of each output feature, like nn.Linear's default.
        fan_in = torch.as_tensor(np.diff(a.indptr), dtype=torch.float32)
        bound = fan_in.rsqrt().repeat_interleave(fan_in.long())
        self.weight = nn.Parameter((torch.rand(nnz) * 2 - 1) * bound)
        self.bias = nn.Parameter(torch.zeros(n))
        # On the compiled kernels an nn.ReLU runs inside the forward kernel (see
        # forward).  On torch's, in place: y_t is a fresh tensor that nothing else
        # holds, so this spares one more batch x n buffer (the forward product is not
        # saved for backward).
        self.activation = nn.ReLU(inplace=True) if activation is None else activation
        self.out_features = n
        self.register_load_state_dict_post_hook(_check_loaded_structure)

    @property
    def nnz(self) -> int:
        return self.weight.numel()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, n) -> (batch, n), returned as a column-major view (see module doc)."""
        # x_t is saved for backward: a copy of x, unless x arrives column-major.
        x_t = feature_major(x)
        operands = (x_t, self.weight, self.bias, self.crow_indices, self.col_indices,
                    self.transpose_perm)
        compiled = self.uses_compiled_kernels(*operands)
        if compiled and _is_plain_relu(self.activation):
            # the compiled forward applies the ReLU itself (see graph_kernels.c)
            return _GraphAffine.apply(*operands, compiled, True).t()
        y_t = _GraphAffine.apply(*operands, compiled, False)
        return self.activation(y_t).t()

    def uses_compiled_kernels(self, *operands: torch.Tensor) -> bool:
        """Whether a forward on these operands runs modrp.graph_kernels."""
        if self.kernels == "torch":
            return False
        if graph_kernels.applies_to(*operands) and graph_kernels.library() is not None:
            return True
        if self.kernels == "compiled":
            if not graph_kernels.applies_to(*operands):
                raise ValueError("the compiled graph kernels take contiguous CPU float32 "
                                 "operands with int32 indices; got "
                                 f"{sorted({f'{t.device.type} {t.dtype}' for t in operands})}")
            raise graph_kernels.KernelsUnavailable(graph_kernels.unavailable_reason())
        return False

    def extra_repr(self) -> str:
        return (f"features={self.out_features}, edges_with_self_loops={self.nnz}, "
                f"kernels={self.kernels}")


class DenseMaskedEmbedding(nn.Module):
    """Eq. 4 computed densely: f(x (W * A) + b) with an n x n weight and an n x n mask.

    Only the test reference and the benchmark baseline for :class:`GraphEmbedding`;
    never use it in a model (at 9,000 genes it holds gigabytes).
    """

    def __init__(self, adjacency: sp.csr_matrix, activation: nn.Module | None = None):
        super().__init__()
        a = _checked_adjacency(adjacency)
        n = a.shape[0]
        self.register_buffer("mask", torch.as_tensor(a.toarray()))
        # Row i = input feature, column j = output feature, as in eq. 4's W^T x.
        fan_in = self.mask.sum(dim=0)
        self.weight = nn.Parameter((torch.rand(n, n) * 2 - 1) * fan_in.rsqrt() * self.mask)
        self.bias = nn.Parameter(torch.zeros(n))
        self.activation = nn.ReLU() if activation is None else activation
        self.out_features = n

    @torch.no_grad()
    def copy_from(self, graph: GraphEmbedding) -> DenseMaskedEmbedding:
        """Take ``graph``'s weights and bias, so both layers compute the same function."""
        rows = torch.repeat_interleave(torch.arange(graph.out_features, device=self.weight.device),
                                       graph.crow_indices.diff().long())
        self.weight.zero_()
        self.weight[graph.col_indices.long(), rows] = graph.weight.to(self.weight)
        self.bias.copy_(graph.bias)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(torch.addmm(self.bias, x, self.weight * self.mask))


class DenseEmbedding(nn.Module):
    """Eq. 3: y = f(W^T x + b), an ordinary fully connected layer."""

    def __init__(self, n_in: int, n_out: int, activation: nn.Module | None = None):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        nn.init.zeros_(self.linear.bias)
        self.activation = nn.ReLU() if activation is None else activation
        self.out_features = n_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.linear(x))


# --- eq. 5: one omic's subnetwork ---------------------------------------------------------

class OmicsSubnetwork(nn.Module):
    """Embedding -> dense layer (eq. 5: linear, ReLU, dropout) -> one output per drug.

    On its own this is the single-omics model of the paper's Table 1; its outputs
    are what the fusion layers concatenate (eq. 6).
    """

    def __init__(self, embedding: nn.Module, hidden: int, dropout: float, n_drugs: int):
        super().__init__()
        self.embedding = embedding
        self.dense = nn.Linear(embedding.out_features, hidden)
        nn.init.zeros_(self.dense.bias)
        self.activation = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_drugs)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, n_features) -> (batch, n_drugs) predicted ln IC50."""
        hidden = self.dropout(self.activation(self.dense(self.embedding(x))))
        return self.head(hidden)


def build_subnetwork(omic: str, embedding_kind: str, n_features: int, n_drugs: int,
                     adjacency: sp.csr_matrix | None = None) -> OmicsSubnetwork:
    """The paper's subnetwork for ``omic`` with a ``"graph"`` or ``"dense"`` embedding."""
    if omic not in PAPER_SUBNETWORK:
        raise ValueError(f"unknown omic {omic!r}; expected one of {list(PAPER_SUBNETWORK)}")
    spec = PAPER_SUBNETWORK[omic]
    if embedding_kind == "graph":
        if adjacency is None:
            raise ValueError(f"a graph embedding of {omic!r} needs its adjacency matrix")
        if adjacency.shape != (n_features, n_features):
            raise ValueError(f"adjacency of {omic!r} is {adjacency.shape}, "
                             f"expected ({n_features}, {n_features}) for its features")
        embedding = GraphEmbedding(adjacency)
    elif embedding_kind == "dense":
        embedding = DenseEmbedding(n_features, spec["dense_embedding"] or n_features)
    else:
        raise ValueError(f"embedding kind of {omic!r} must be 'graph' or 'dense', "
                         f"got {embedding_kind!r}")
    return OmicsSubnetwork(embedding, spec["hidden"], spec["dropout"], n_drugs)


# --- eq. 6 and eq. 7: fusion --------------------------------------------------------------

class AttentionFusion(nn.Module):
    """Eq. 7: prediction(d) = sum_m sum_i W(d,m,i) z(m,i) + bias(d).

    W(d,m,i) = exp(W3(d,m,i)) k(d,i) / sum_m exp(W3(d,m,i)), a softmax over omics
    times the kill matrix k = identity, so drug d only sees drug d's outputs of
    each omic.  W3 starts at zero: every omic weighs 1/M.
    """

    def __init__(self, n_omics: int, n_drugs: int):
        super().__init__()
        self.n_omics, self.n_drugs = n_omics, n_drugs
        self.w3 = nn.Parameter(torch.zeros(n_drugs, n_omics, n_drugs))
        self.register_buffer("kill", torch.eye(n_drugs))
        self.bias = nn.Parameter(torch.zeros(n_drugs))

    def output_weights(self) -> torch.Tensor:
        """W(d, m, i) of eq. 7, shape (n_drugs, n_omics, n_drugs)."""
        # softmax over m is exactly exp(W3(d,m,i)) / sum_m exp(W3(d,m,i)), minus the overflow.
        return torch.softmax(self.w3, dim=1) * self.kill.unsqueeze(1)

    def attention(self) -> torch.Tensor:
        """(n_omics, n_drugs): the weight W(d, m, d) each drug d puts on omic m."""
        return self.output_weights().diagonal(dim1=0, dim2=2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z (batch, n_omics * n_drugs), omic-major -> (batch, n_drugs)."""
        z = z.reshape(-1, self.n_omics, self.n_drugs)
        return torch.einsum("dmi,bmi->bd", self.output_weights(), z) + self.bias


class FusionModel(nn.Module):
    """Eq. 6 then a fusion layer: each subnetwork reads its own omic, outputs are joined.

    ``subnetworks`` maps omic name -> subnetwork, in the paper's omic order; that
    order is the omic-major order of z.  With ``freeze`` (the default, as in the
    paper) the subnetworks keep their pretrained weights, stay in eval mode
    (no dropout) and are run without autograd: only the fusion layer learns.
    """

    def __init__(self, subnetworks: dict[str, OmicsSubnetwork], fusion: nn.Module,
                 freeze: bool = True):
        super().__init__()
        self.omics = list(subnetworks)
        self.subnetworks = nn.ModuleDict(subnetworks)
        self.fusion = fusion
        self.freeze_subnetworks(freeze)

    def freeze_subnetworks(self, frozen: bool = True) -> FusionModel:
        self.subnetworks_frozen = frozen
        self.subnetworks.requires_grad_(not frozen)
        return self.train(self.training)

    def train(self, mode: bool = True) -> FusionModel:
        super().train(mode)
        if self.subnetworks_frozen:
            self.subnetworks.eval()
        return self

    def concatenated_outputs(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Eq. 6: z = [y_m], (batch, n_omics * n_drugs), omic-major."""
        missing = [omic for omic in self.omics if omic not in inputs]
        if missing:
            raise KeyError(f"no input for omics {missing}; the model reads {self.omics}")
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.subnetworks_frozen):
            return torch.cat([self.subnetworks[omic](inputs[omic]) for omic in self.omics],
                             dim=1)

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """{omic: (batch, n_features)} -> (batch, n_drugs) predicted ln IC50."""
        return self.fusion(self.concatenated_outputs(inputs))

    def attention(self) -> torch.Tensor:
        """(n_omics, n_drugs) attention weights; rows follow ``self.omics``."""
        return self.fusion.attention()


class ConcatenationModel(FusionModel):
    """The paper's "multi-omics without attention layer" (Table 2).

    Frozen subnetworks' concatenated outputs -> one linear layer to n_drugs; no
    kill matrix, so every drug's prediction may use every drug's outputs.
    """

    def __init__(self, subnetworks: dict[str, OmicsSubnetwork], n_drugs: int):
        n_omics = len(subnetworks)
        linear = nn.Linear(n_omics * n_drugs, n_drugs)
        with torch.no_grad():  # start at the average of the omics' predictions of each drug
            linear.weight.copy_(torch.eye(n_drugs).repeat(1, n_omics) / n_omics)
            linear.bias.zero_()
        super().__init__(subnetworks, linear, freeze=True)

    def attention(self) -> torch.Tensor:
        raise AttributeError("a concatenation model has no attention weights")
