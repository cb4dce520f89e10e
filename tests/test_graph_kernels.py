"""The compiled graph kernels (graph_kernels.c) against torch's, and how they are built."""

from __future__ import annotations

import os
import platform
import subprocess
import time
import warnings

import pytest
import torch
from test_model import compare_with_dense, random_graph

from modrp import graph_kernels
from modrp.model import GraphEmbedding, _GraphAffine, sddmm, spmm


def _has_compiler() -> bool:
    try:
        graph_kernels._compiler()
    except graph_kernels.KernelsUnavailable:
        return False
    return True


needs_compiler = pytest.mark.skipif(not _has_compiler(), reason="no C compiler on this machine")


@pytest.fixture
def fresh_library(monkeypatch):
    """The kernels are looked for afresh before the test and after it."""
    graph_kernels._loaded.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    graph_kernels._loaded.cache_clear()


def operands(n: int, edges: int, batch: int, seed: int):
    torch.manual_seed(seed)
    layer = GraphEmbedding(random_graph(n, edges, seed=seed))
    weight = torch.randn(layer.nnz)
    return (layer.crow_indices, layer.col_indices, layer.transpose_perm, weight,
            torch.randn(n), torch.randn(n, batch), torch.randn(n, batch))


# batch sizes around the unrolled and vector widths; 257 nodes with few edges leaves
# rows of one entry (self-loop only) next to hubs
@needs_compiler
@pytest.mark.parametrize("n,edges,batch", [(1, 0, 1), (5, 4, 3), (40, 60, 8), (257, 900, 17),
                                           (257, 3000, 33), (120, 2000, 350)])
def test_compiled_kernels_compute_what_torchs_do(n, edges, batch):
    crow, col, perm, weight, bias, x_t, grad_t = operands(n, edges, batch, seed=n + batch)
    assert graph_kernels.library() is not None
    tol = {"rtol": 1e-5, "atol": 1e-5}
    torch.testing.assert_close(graph_kernels.forward(crow, col, weight, bias, x_t),
                               spmm(crow, col, weight, x_t, bias), **tol)
    torch.testing.assert_close(graph_kernels.forward(crow, col, weight, None, x_t),
                               spmm(crow, col, weight, x_t), **tol)
    grad_x_t = spmm(crow, col, weight.index_select(0, perm), grad_t)
    grad_weight = sddmm(crow, col, grad_t, x_t)
    both = graph_kernels.backward(crow, col, perm, weight, x_t, grad_t, True, True)
    torch.testing.assert_close(both[0], grad_x_t, **tol)
    torch.testing.assert_close(both[1], grad_weight, **tol)
    # each product alone gives the same values, and the other is not made
    input_only = graph_kernels.backward(crow, col, perm, weight, x_t, grad_t, True, False)
    weight_only = graph_kernels.backward(crow, col, perm, weight, x_t, grad_t, False, True)
    assert input_only[1] is None and weight_only[0] is None
    assert torch.equal(input_only[0], both[0]) and torch.equal(weight_only[1], both[1])


@needs_compiler
@pytest.mark.parametrize("n,edges,batch", [(5, 4, 3), (40, 60, 8), (257, 900, 17)])
def test_layer_on_compiled_kernels_equals_dense_masked(n, edges, batch):
    torch.manual_seed(n)
    compare_with_dense(random_graph(n, edges, seed=n), batch, dtype=torch.float32, tol=1e-5,
                       kernels="compiled")


@needs_compiler
@pytest.mark.parametrize("wanted", [(True, True, True), (False, True, True), (True, False, False),
                                    (False, False, True), (True, True, False)])
def test_every_combination_of_gradients_matches_torchs(wanted):
    """x, weight, bias each needing a gradient or not, through the autograd Function."""
    crow, col, perm, weight, bias, x_t, grad_t = operands(60, 200, 7, seed=11)
    results = {}
    for compiled in (False, True):
        inputs = [t.clone().requires_grad_(w) for t, w in zip((x_t, weight, bias), wanted,
                                                              strict=True)]
        y_t = _GraphAffine.apply(*inputs, crow, col, perm, compiled)
        needing = [t for t in inputs if t.requires_grad]
        results[compiled] = [y_t.detach(), *torch.autograd.grad(y_t, needing, grad_t)]
    for torchs, ours in zip(results[False], results[True], strict=True):
        torch.testing.assert_close(ours, torchs, rtol=1e-5, atol=1e-5)


def unpacked(mask: torch.Tensor, batch: int) -> torch.Tensor:
    """A ReLU mask's bits as a bool (n, batch) tensor: bit c % 8 of byte c // 8."""
    bits = (mask.long().unsqueeze(2) >> torch.arange(8)) & 1
    return bits.reshape(mask.shape[0], -1)[:, :batch].bool()


def portable_flags() -> list[str]:
    """The compile flags without AVX2 and FMA, even where the compiler targets them."""
    flags = list(graph_kernels._BASE_FLAGS)
    if platform.machine().lower() in ("x86_64", "amd64"):
        flags += ["-mno-avx2", "-mno-fma"]
    return flags


@pytest.fixture(params=["this machine's flags", "portable C"])
def any_build(request, fresh_library, tmp_path):
    """The kernels as built for this machine, and built without AVX2 and FMA, so the
    plain loops that stand in for the AVX2 intrinsics run too."""
    if request.param == "portable C":
        fresh_library.setattr(graph_kernels, "compiler_flags", portable_flags)
        fresh_library.setenv("MODRP_KERNEL_CACHE", str(tmp_path))
    assert graph_kernels.library() is not None
    return request.param


@needs_compiler
@pytest.mark.parametrize("n,edges,batch", [(3, 2, 2), (5, 4, 3), (40, 60, 8), (257, 900, 17),
                                           (120, 2000, 350)])
def test_the_relu_fused_into_the_kernels_computes_what_torchs_does(any_build, n, edges,
                                                                   batch):
    crow, col, perm, weight, bias, x_t, upstream = operands(n, edges, batch, seed=n + batch)
    x_t[0, 0] = float("nan")  # torch.relu keeps NaN, and passes its gradient
    x_t[:, -1] = 0.0
    bias[: n // 2] = 0.0  # rows of exact zeros: not kept
    reference = torch.relu(spmm(crow, col, weight, x_t, bias))
    assert reference.isnan().any() and (reference == 0).any() and (reference > 0).any()
    y_t, mask = graph_kernels.forward_relu(crow, col, weight, bias, x_t)
    tol = {"rtol": 1e-5, "atol": 1e-5, "equal_nan": True}
    torch.testing.assert_close(y_t, reference, **tol)
    assert mask.dtype == torch.uint8 and mask.shape == (n, (batch + 7) // 8)
    assert torch.equal(unpacked(mask, batch), (reference > 0) | reference.isnan())
    upstream[0, :] = float("inf")  # dropped where the output was not kept, not inf * 0
    wanted = torch.ops.aten.threshold_backward(upstream, reference, 0.0)
    grad_t, grad_bias = graph_kernels.relu_backward(upstream, mask, bias_grad=True)
    assert torch.equal(grad_t, wanted)
    torch.testing.assert_close(grad_bias, wanted.sum(dim=1), rtol=1e-5, atol=1e-5,
                               equal_nan=True)
    assert graph_kernels.relu_backward(upstream, mask, bias_grad=False)[1] is None
    # the same forward without the ReLU is the plain product
    torch.testing.assert_close(graph_kernels.forward(crow, col, weight, bias, x_t),
                               spmm(crow, col, weight, x_t, bias), **tol)


@needs_compiler
def test_the_portable_flags_really_leave_avx2_out():
    """The compiler's own macros under the flags the portable build uses: the C file
    picks its intrinsics by __AVX2__, whatever $CC or its defaults target."""
    def macros(flags):
        return subprocess.run([*graph_kernels._compiler(), *flags, "-dM", "-E", "-x", "c",
                               os.devnull], capture_output=True, text=True, check=True).stdout

    assert "__AVX2__" not in macros(portable_flags())
    if "-mavx2" in graph_kernels.compiler_flags():
        assert "__AVX2__" in macros(graph_kernels.compiler_flags())


@needs_compiler
def test_the_fused_relu_keeps_the_sign_of_zero_as_torch_relu_does(any_build):
    layer = GraphEmbedding(random_graph(4, 0, seed=0))  # self-loops only
    crow, col = layer.crow_indices, layer.col_indices
    weight = torch.tensor([-1.0, 1.0, -1.0, 1.0])
    bias = torch.tensor([-0.0, -0.0, 0.0, 0.0])
    x_t = torch.zeros(4, 11)  # a vector of 8 and a tail of 3
    plain = graph_kernels.forward(crow, col, weight, bias, x_t)
    assert torch.signbit(plain[0]).all() and not torch.signbit(plain[1:]).any()
    y_t, mask = graph_kernels.forward_relu(crow, col, weight, bias, x_t)
    assert torch.equal(torch.signbit(y_t), torch.signbit(torch.relu(plain)))
    assert not unpacked(mask, 11).any()  # no gradient through either zero


@needs_compiler
@pytest.mark.parametrize("wanted", [(True, True, True), (False, True, True), (True, False, False),
                                    (False, False, True)])
def test_the_fused_relu_gives_torchs_gradients(wanted):
    """relu(S x + b) through the autograd Function, ReLU fused, against torch's kernels
    followed by torch.relu; x, weight, bias each needing a gradient or not."""
    crow, col, perm, weight, bias, x_t, upstream = operands(60, 200, 13, seed=21)
    results = []
    for fused in (False, True):
        inputs = [t.clone().requires_grad_(w) for t, w in zip((x_t, weight, bias), wanted,
                                                              strict=True)]
        if fused:
            y_t = _GraphAffine.apply(*inputs, crow, col, perm, True, True)
        else:
            y_t = torch.relu(_GraphAffine.apply(*inputs, crow, col, perm, False))
        assert 0 < (y_t == 0).float().mean() < 1
        needing = [t for t in inputs if t.requires_grad]
        results.append([y_t.detach(), *torch.autograd.grad(y_t, needing, upstream)])
    for torchs, ours in zip(*results, strict=True):
        torch.testing.assert_close(ours, torchs, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="compiled kernels only"):
        _GraphAffine.apply(x_t, weight, bias, crow, col, perm, False, True)


@needs_compiler
def test_the_layer_fuses_its_relu_and_runs_other_activations_apart():
    adjacency = random_graph(50, 120, seed=4)
    x = torch.randn(9, 50)

    def steps(layer):
        """grad_fn names from the output back to the sparse Function."""
        names, node = [], layer(x).grad_fn
        while node is not None and not names[-1:] == ["_GraphAffineBackward"]:
            names.append(type(node).__name__)
            node = node.next_functions[0][0]
        return names

    assert steps(GraphEmbedding(adjacency)) == ["TBackward0", "_GraphAffineBackward"]
    assert steps(GraphEmbedding(adjacency, kernels="torch")) == [
        "TBackward0", "ReluBackward0", "_GraphAffineBackward"]

    class NoisyReLU(torch.nn.ReLU):
        def forward(self, x):
            return super().forward(x) + 1.0

    hooked = GraphEmbedding(adjacency)
    seen = []
    hooked.activation.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    assert steps(hooked) == ["TBackward0", "ReluBackward0", "_GraphAffineBackward"]
    assert seen == [(50, 9)]  # the hook saw the ReLU run, on the (n, batch) product
    torch.manual_seed(5)
    for activation in (torch.nn.Tanh(), torch.nn.LeakyReLU(0.1), NoisyReLU()):
        compiled = GraphEmbedding(adjacency, activation=activation, kernels="compiled")
        reference = GraphEmbedding(adjacency, activation=activation, kernels="torch")
        reference.load_state_dict(compiled.state_dict())
        assert steps(compiled)[1] != "_GraphAffineBackward"
        ys = [layer(x) for layer in (compiled, reference)]
        torch.testing.assert_close(ys[0], ys[1], rtol=1e-5, atol=1e-5)
        grads = [torch.autograd.grad(y.square().sum(), layer.weight)[0]
                 for y, layer in zip(ys, (compiled, reference), strict=True)]
        torch.testing.assert_close(grads[0], grads[1], rtol=1e-4, atol=1e-5)


@needs_compiler
@pytest.mark.parametrize("register", [torch.nn.modules.module.register_module_forward_hook,
                                      torch.nn.modules.module.register_module_forward_pre_hook])
def test_a_hook_on_every_module_sees_the_relu_run(register):
    layer = GraphEmbedding(random_graph(20, 30, seed=6))
    seen = []
    handle = register(lambda module, *args: seen.append(type(module).__name__))
    try:
        layer(torch.randn(3, 20))
    finally:
        handle.remove()
    assert seen.count("ReLU") == 1


@needs_compiler
def test_a_relu_mask_or_gradient_the_kernel_cannot_take_is_refused():
    crow, col, perm, weight, bias, x_t, upstream = operands(20, 40, 10, seed=12)
    _, mask = graph_kernels.forward_relu(crow, col, weight, bias, x_t)
    for wrong, said in [(mask[:, :1].contiguous(), r"cpu torch.uint8 \(20, 1\), not"),
                        (mask[:19], r"\(19, 2\), not contiguous CPU uint8 \(20, 2\)"),
                        (mask.to(torch.int8), "torch.int8"),
                        (mask.t().contiguous().t(), "not contiguous, not")]:
        with pytest.raises(ValueError, match=said):
            graph_kernels.relu_backward(upstream, wrong, bias_grad=True)
    with pytest.raises(ValueError, match=r"upstream gradient is cpu torch.float64, not"):
        graph_kernels.relu_backward(upstream.double(), mask, bias_grad=True)
    with pytest.raises(ValueError, match=r"upstream gradient is cpu torch.int32, not"):
        graph_kernels.relu_backward(upstream.int(), mask, bias_grad=True)
    with pytest.raises(ValueError, match=r"float32, not contiguous, not"):
        graph_kernels.relu_backward(upstream.t().contiguous().t(), mask, bias_grad=True)
    with pytest.raises(ValueError, match=r"\(20, 10, 1\) is not \(n, batch\)"):
        graph_kernels.relu_backward(upstream.unsqueeze(2), mask, bias_grad=True)


@needs_compiler
def test_operands_of_the_wrong_size_are_refused_before_the_c_code_sees_them():
    crow, col, perm, weight, bias, x_t, grad_t = operands(20, 40, 4, seed=12)
    with pytest.raises(ValueError, match=r"dense operand \(21, 4\) is not \(20, batch\)"):
        graph_kernels.forward(crow, col, weight, bias, torch.randn(21, 4))
    with pytest.raises(ValueError, match=r"bias \(19,\) is not \(20,\)"):
        graph_kernels.forward(crow, col, weight, bias[:19], x_t)
    with pytest.raises(ValueError, match="values hold"):
        graph_kernels.forward(crow, col, weight[:-1], bias, x_t)
    with pytest.raises(ValueError, match=r"crow_indices end at \d+, col_indices hold"):
        graph_kernels.forward(crow, col[:-1], weight[:-1], bias, x_t)
    with pytest.raises(ValueError, match=r"crow_indices end at \d+, col_indices hold"):
        graph_kernels.backward(crow, col[:-1], perm[:-1], weight[:-1], x_t, grad_t, True, True)
    with pytest.raises(ValueError, match="transpose_perm hold"):
        graph_kernels.backward(crow, col, perm[:-1], weight, x_t, grad_t, True, True)
    with pytest.raises(ValueError, match="differ"):
        graph_kernels.backward(crow, col, perm, weight, x_t[:, :3].contiguous(), grad_t,
                               True, True)
    # layouts the C code would misread: a transposed view, int64 indices, float64 numbers
    with pytest.raises(ValueError, match=r"dense operand is cpu torch.float32, not contiguous"):
        graph_kernels.forward(crow, col, weight, bias, torch.randn(4, 20).t())
    with pytest.raises(ValueError, match=r"col_indices is cpu torch.int64, not contiguous CPU "
                                         r"torch.int32"):
        graph_kernels.backward(crow, col.long(), perm, weight, x_t, grad_t, True, True)
    with pytest.raises(ValueError, match=r"values is cpu torch.float64"):
        graph_kernels.forward_relu(crow, col, weight.double(), bias, x_t)
    with pytest.raises(ValueError, match=r"dense operand is cpu torch.float32, not contiguous"):
        graph_kernels.backward(crow, col, perm, weight, grad_t.t().contiguous().t(), grad_t,
                               True, True)
    with pytest.raises(ValueError, match=r"transpose_perm is cpu torch.int64"):
        graph_kernels.backward(crow, col, perm.long(), weight, x_t, grad_t, True, True)
    layer = GraphEmbedding(random_graph(20, 40, seed=12), kernels="compiled")
    for features in (12, 21, 5000):
        with pytest.raises(ValueError, match="is not \\(20, batch\\)"):
            layer(torch.randn(4, features))


@needs_compiler
def test_compiled_kernels_give_the_same_bits_on_any_thread_count():
    crow, col, perm, weight, bias, x_t, grad_t = operands(300, 4000, 45, seed=9)
    threads = torch.get_num_threads()
    results = []
    try:
        for count in (1, 2, 3):
            torch.set_num_threads(count)
            y_t, mask = graph_kernels.forward_relu(crow, col, weight, bias, x_t)
            results.append([graph_kernels.forward(crow, col, weight, bias, x_t), y_t, mask,
                            *graph_kernels.relu_backward(grad_t, mask, bias_grad=True),
                            *graph_kernels.backward(crow, col, perm, weight, x_t, grad_t,
                                                    True, True)])
    finally:
        torch.set_num_threads(threads)
    for other in results[1:]:
        assert all(torch.equal(a, b) for a, b in zip(results[0], other, strict=True))


@needs_compiler
def test_auto_picks_the_compiled_kernels_only_where_they_apply():
    layer = GraphEmbedding(random_graph(20, 30, seed=1))
    x_t = torch.randn(20, 4)
    state = [*layer.parameters(), *layer.buffers()]
    assert layer.kernels == "auto" and layer.uses_compiled_kernels(x_t, *state)
    assert not GraphEmbedding(random_graph(20, 30, seed=1), kernels="torch") \
        .uses_compiled_kernels(x_t, *state)
    double = layer.double()
    state64 = [*double.parameters(), *double.buffers()]
    assert not double.uses_compiled_kernels(x_t.double(), *state64)
    strict = GraphEmbedding(random_graph(20, 30, seed=1), kernels="compiled").double()
    with pytest.raises(ValueError, match="float32"):
        strict(torch.randn(4, 20, dtype=torch.float64))
    with pytest.raises(ValueError, match="kernels must be one of"):
        GraphEmbedding(random_graph(20, 30, seed=1), kernels="mkl")


def test_without_a_compiler_torchs_kernels_are_used(fresh_library, tmp_path):
    fresh_library.setenv("CC", str(tmp_path / "no-such-cc"))
    fresh_library.setenv("MODRP_KERNEL_CACHE", str(tmp_path / "cache"))
    with pytest.warns(RuntimeWarning, match="no C compiler"):
        assert graph_kernels.library() is None
    assert "no-such-cc" in graph_kernels.unavailable_reason()
    torch.manual_seed(0)
    compare_with_dense(random_graph(40, 60, seed=2), batch=5, dtype=torch.float32, tol=1e-5)
    layer = GraphEmbedding(random_graph(40, 60, seed=2), kernels="compiled")
    with pytest.raises(graph_kernels.KernelsUnavailable, match="no-such-cc"):
        layer(torch.randn(5, 40))


def test_a_failed_compile_says_why_and_leaves_nothing_behind(fresh_library, tmp_path):
    failing = tmp_path / "failing-cc"
    failing.write_text("#!/bin/sh\necho 'error: this compiler refuses' >&2\nexit 1\n")
    failing.chmod(0o755)
    cache = tmp_path / "cache"
    fresh_library.setenv("CC", str(failing))
    with pytest.raises(graph_kernels.KernelsUnavailable, match="this compiler refuses"):
        graph_kernels.build(cache)
    assert list(cache.iterdir()) == []
    fresh_library.setenv("MODRP_KERNEL_CACHE", str(cache))
    with pytest.warns(RuntimeWarning, match="this compiler refuses"):
        assert graph_kernels.library() is None


def test_a_compile_removes_temporaries_that_killed_compiles_left(fresh_library, tmp_path):
    # a stand-in compiler that writes an empty file where -o says
    writer = tmp_path / "writing-cc"
    writer.write_text('#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && : > "$2"; '
                      'shift; done\n')
    writer.chmod(0o755)
    fresh_library.setenv("CC", str(writer))
    cache = tmp_path / "cache"
    cache.mkdir()
    stale, live = cache / ".graph_kernels-stale.so", cache / ".graph_kernels-live.so"
    stale.write_bytes(b"half")
    live.write_bytes(b"half")
    hours_ago = time.time() - 2 * graph_kernels.STALE_PARTIAL_S
    os.utime(stale, (hours_ago, hours_ago))
    target = graph_kernels.build(cache)
    assert target.exists() and not stale.exists()
    assert live.exists()  # young enough to belong to a compile still running
    assert sorted(p.name for p in cache.iterdir()) == sorted([live.name, target.name])


def test_the_switch_turns_the_compiled_kernels_off(fresh_library):
    fresh_library.setenv("MODRP_GRAPH_KERNELS", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert graph_kernels.library() is None
    assert "MODRP_GRAPH_KERNELS" in graph_kernels.unavailable_reason()
    layer = GraphEmbedding(random_graph(10, 12, seed=3))
    assert not layer.uses_compiled_kernels(torch.randn(10, 2), *layer.parameters(),
                                           *layer.buffers())


@needs_compiler
def test_the_build_is_cached_per_source(tmp_path, monkeypatch):
    first = graph_kernels.build(tmp_path)
    built = first.stat().st_mtime_ns
    assert graph_kernels.build(tmp_path) == first and first.stat().st_mtime_ns == built
    edited = tmp_path / "graph_kernels.c"
    edited.write_text(graph_kernels.SOURCE.read_text() + "\n/* edited */\n")
    monkeypatch.setattr(graph_kernels, "SOURCE", edited)
    second = graph_kernels.build(tmp_path)
    assert second != first and second.exists()
    assert sorted(p.name for p in tmp_path.glob("*.so")) == sorted([first.name, second.name])


@needs_compiler
def test_the_build_is_cached_per_flags(tmp_path, monkeypatch):
    """Machines sharing a cache but not a CPU must not load each other's build."""
    first = graph_kernels.build(tmp_path)
    monkeypatch.setattr(graph_kernels, "compiler_flags", portable_flags)
    second = graph_kernels.build(tmp_path)
    assert second != first and first.exists() and second.exists()


def test_avx2_is_targeted_only_with_fma_on_x86_64(monkeypatch):
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    for cpu, wanted in [({"avx2", "fma", "sse4_2"}, True), ({"avx2"}, False), ({"fma"}, False),
                        (set(), False)]:
        monkeypatch.setattr(graph_kernels, "_cpu_flags", lambda cpu=cpu: cpu)
        flags = graph_kernels.compiler_flags()
        assert flags[:len(graph_kernels._BASE_FLAGS)] == graph_kernels._BASE_FLAGS
        assert ("-mavx2" in flags, "-mfma" in flags) == (wanted, wanted), cpu
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")  # its flags name no AVX2
    monkeypatch.setattr(graph_kernels, "_cpu_flags", lambda: {"avx2", "fma"})
    assert graph_kernels.compiler_flags() == graph_kernels._BASE_FLAGS


@needs_compiler
def test_a_cached_library_that_does_not_load_is_built_again(fresh_library, tmp_path):
    target = graph_kernels.build(tmp_path)
    assert target.stat().st_mode & 0o777 == 0o755  # loadable by others sharing the cache
    target.write_bytes(b"not a shared object")
    fresh_library.setenv("MODRP_KERNEL_CACHE", str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert graph_kernels.library() is not None
    assert target.read_bytes() != b"not a shared object"
