"""Graph embedding (paper eq. 4) at paper scale: sparse GraphEmbedding vs the dense masked layer.

Measured in one run, on a random symmetric interactome with self-loops and a
few hubs (endpoint weight ~ rank^-0.6):

  (a) DenseMaskedEmbedding: one training step (forward, backward, Adam step)
  (b) GraphEmbedding: the same step, on the kernels it picks (the compiled ones of
      modrp.graph_kernels where they apply), and on torch's kernels for comparison
  (c) torch's three sparse kernels, each timed on its own, on the operands the
      layer gives them: forward SpMM, weight-gradient SDDMM, input-gradient SpMM
      (the transposed values); (c') the same three called back to back, which
      shows how much of (b) - (c) is the kernels leaving each other's cache;
      (c'') each of the three timed alone again, but with the cache flushed before
      every call (a 64 MiB buffer rewritten), so its operands come from memory as
      they do inside a step at this size
  (d) when the layer runs the compiled kernels, its sparse products timed the same
      way: the forward SpMM, and one backward pass giving both the SDDMM and the
      transposed SpMM; (d'') the two out of cache, as (c''); (d''') the time the
      column-major step spends inside its sparse calls (the forward's ReLU included:
      it cannot be clocked apart), clocked around each call during steps timed apart
      from the interleaved rounds (so compared with those steps only)
  (e) with its default ReLU the layer calls, in place of the plain forward of (d),
      the forward with the ReLU applied in the kernel, and (e') one more, non-sparse
      pass: the ReLU's backward with the bias gradient.  Both timed like (d), printed
      for information, and left out of (d)

then the ratios dense/sparse time (goal >= 40x), sparse step/kernel sum (goal <= 1.5x:
against (d) when the layer runs the compiled kernels, else against (c); the other
sums for information) and dense/sparse memory
(goal >= 100x), each for the sparse step on column-major input, the layout the
pipeline's training batches arrive in, with the row-major step beside it.
Every step computes every gradient, the input's included (as if a layer came
before), and its backward starts from an upstream gradient laid out like the
layer's output, as a following nn.Linear hands it back.  The sparse step and its kernels are timed
in interleaved rounds, so a busy shared machine slows them alike; the median
and the best round are both printed.  On CPU the process first lets malloc keep
freed blocks (``modrp.train.keep_freed_memory``), as the pipeline's training jobs
do; ``--default-malloc`` measures with glibc's defaults instead, under which every
step pays page faults for its batch-sized buffers.

On CPU everything runs on ``--threads`` torch threads, by default the pipeline's
``train.threads`` default (1): each training job runs that many, and the demo and
SLURM runs put one job on each core.  ``--threads 0`` keeps torch's own default (one
per core), for a step that has the machine to itself.

    python benchmarks/graph_layer.py                  # paper scale, CPU, < 4 minutes
    python benchmarks/graph_layer.py --threads 0      # every core on the one step
    python benchmarks/graph_layer.py --batch 64       # the pipeline's training batch
    python benchmarks/graph_layer.py --device cuda
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import scipy.sparse as sp
import torch
from torch.profiler import ProfilerActivity, profile

from modrp import graph_kernels
from modrp.config import _load_schema
from modrp.model import DenseMaskedEmbedding, GraphEmbedding, feature_major, sddmm, spmm
from modrp.train import Adam, keep_freed_memory


def random_interactome(n: int, nnz: int, seed: int) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency with self-loops and about ``nnz`` nonzeros."""
    rng = np.random.default_rng(seed)
    n_edges = max(0, (nnz - n) // 2)
    weight = np.arange(1, n + 1) ** -0.6
    weight /= weight.sum()
    edges = np.empty((0, 2), dtype=np.int64)
    while len(edges) < n_edges:
        a = rng.choice(n, size=n_edges, p=weight)
        b = rng.choice(n, size=n_edges, p=weight)
        pairs = np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)[a != b]
        edges = np.unique(np.concatenate([edges, pairs]), axis=0)
    edges = edges[rng.permutation(len(edges))[:n_edges]]
    rows = np.concatenate([edges[:, 0], edges[:, 1], np.arange(n)])
    cols = np.concatenate([edges[:, 1], edges[:, 0], np.arange(n)])
    ones = np.ones(len(rows), dtype=np.float32)
    return sp.csr_matrix((ones, (rows, cols)), shape=(n, n))


class TrainingStep:
    """One step of ``layer`` on ``x``: forward, every gradient, then the Adam step of the
    pipeline's training jobs (``modrp.train.Adam``, torch.optim.Adam's update rule)."""

    def __init__(self, layer: torch.nn.Module, x: torch.Tensor):
        self.layer, self.x = layer, x
        self.params = list(layer.parameters())
        self.optimizer = Adam(self.params, lr=1e-3)
        with torch.no_grad():
            self.upstream = torch.empty_like(layer(x)).normal_()

    def __call__(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        y = self.layer(self.x)
        # autograd.grad hands x's gradient back as a preceding layer would receive it,
        # without the copy that accumulating it into a leaf's .grad may add.
        inputs = [self.x, *self.params] if self.x.requires_grad else self.params
        grads = torch.autograd.grad(y, inputs, self.upstream)
        for param, grad in zip(self.params, grads[-len(self.params):], strict=True):
            param.grad = grad
        self.optimizer.step()

    def state(self) -> list[torch.Tensor]:
        """What the layer holds between steps: parameters, buffers, Adam's two moments."""
        return [*self.params, *self.layer.buffers(), *self.optimizer.first,
                *self.optimizer.second]

    def kernel_operands(self) -> tuple:
        """crow, col, transpose_perm, weight, bias, x_t, grad_t: what the layer hands its
        kernels in a step, detached."""
        layer = self.layer
        return (layer.crow_indices, layer.col_indices, layer.transpose_perm,
                layer.weight.detach(), layer.bias.detach(),
                feature_major(self.x.detach()), feature_major(self.upstream))

    def kernels(self) -> dict:
        """The three sparse calls a GraphEmbedding step makes on torch's kernels."""
        crow, col, perm, weight, bias, x_t, grad_t = self.kernel_operands()
        weight_t = weight.index_select(0, perm)
        return {
            "forward SpMM": lambda: spmm(crow, col, weight, x_t, bias),
            "weight-gradient SDDMM": lambda: sddmm(crow, col, grad_t, x_t),
            "input-gradient SpMM": lambda: spmm(crow, col, weight_t, grad_t),
        }

    def compiled_kernels(self) -> dict:
        """The sparse products with modrp.graph_kernels: the forward SpMM, and one backward
        pass giving both the SDDMM and the transposed SpMM."""
        crow, col, perm, weight, bias, x_t, grad_t = self.kernel_operands()
        return {
            "forward SpMM": lambda: graph_kernels.forward(crow, col, weight, bias, x_t),
            "SDDMM + transposed SpMM": lambda: graph_kernels.backward(
                crow, col, perm, weight, x_t, grad_t, input_grad=True, weight_grad=True),
        }

    def compiled_relu_calls(self) -> dict:
        """What a step with the default ReLU calls besides: the forward with the ReLU in
        the kernel (in place of the plain one), and the ReLU's backward with the bias
        gradient."""
        crow, col, perm, weight, bias, x_t, grad_t = self.kernel_operands()
        _, mask = graph_kernels.forward_relu(crow, col, weight, bias, x_t)
        return {
            "forward SpMM with its ReLU": lambda: graph_kernels.forward_relu(
                crow, col, weight, bias, x_t),
            "ReLU backward + bias gradient": lambda: graph_kernels.relu_backward(
                grad_t, mask, bias_grad=True),
        }

    def kernels_back_to_back(self):
        """torch's three calls in a row, as a step makes them: a fresh output each and the
        gather of the transposed weights, but no transpose, activation, autograd, Adam."""
        crow, col, perm, weight, bias, x_t, grad_t = self.kernel_operands()

        def run():
            spmm(crow, col, weight, x_t, bias)
            sddmm(crow, col, grad_t, x_t)
            spmm(crow, col, weight.index_select(0, perm), grad_t)

        return run


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_rounds(candidates: dict, repeats: int, device: torch.device,
                budget_s: float = 0.5) -> dict[str, list[float]]:
    """ms per call of each candidate, one value per round; rounds interleave candidates."""
    calls = {}
    for name, fn in candidates.items():
        fn()  # warm-up: first-call allocations, MKL / cuSPARSE handles
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        calls[name] = max(1, int(budget_s / (time.perf_counter() - start)))
    results = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            sync(device)
            start = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            sync(device)
            results[name].append((time.perf_counter() - start) / calls[name] * 1e3)
    return results


def time_out_of_cache(candidates: dict, repeats: int, device: torch.device,
                      calls: int = 8, flush_mib: int = 64) -> dict[str, list[float]]:
    """ms per call of each candidate, each call preceded (untimed) by rewriting a buffer
    larger than the last-level cache, so the call finds none of its operands there."""
    flush = torch.zeros(flush_mib * 2**20 // 4, device=device)
    results = {name: [] for name in candidates}
    for fn in candidates.values():
        fn()  # warm-up
    for _ in range(repeats):
        for name, fn in candidates.items():
            total = 0.0
            for _ in range(calls):
                flush.add_(1.0)
                sync(device)
                start = time.perf_counter()
                fn()
                sync(device)
                total += time.perf_counter() - start
            results[name].append(total / calls * 1e3)
    return results


SPARSE_CALLS = ("forward", "forward_relu", "backward")


def time_inside_step(step: TrainingStep, repeats: int, calls: int = 50) -> dict[str, list]:
    """ms per step, and ms of it spent inside modrp.graph_kernels' sparse calls (the
    forward, with or without its ReLU, and the backward), one value per round: the
    step's split between its sparse kernels and the rest."""
    inside = [0.0]
    originals = [getattr(graph_kernels, name) for name in SPARSE_CALLS]

    def clocked(call):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                inside[0] += time.perf_counter() - start
        return run

    results = {"step": [], "inside": []}
    for name, call in zip(SPARSE_CALLS, originals, strict=True):
        setattr(graph_kernels, name, clocked(call))
    try:
        step()  # warm-up
        for _ in range(repeats):
            inside[0] = 0.0
            start = time.perf_counter()
            for _ in range(calls):
                step()
            results["step"].append((time.perf_counter() - start) / calls * 1e3)
            results["inside"].append(inside[0] / calls * 1e3)
    finally:
        for name, call in zip(SPARSE_CALLS, originals, strict=True):
            setattr(graph_kernels, name, call)
    return results


def storage_bytes(tensors, exclude=()) -> int:
    """Bytes of the distinct storages behind ``tensors``, leaving out those of ``exclude``."""
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen = {}
    for t in tensors:
        if t is not None and t.numel() and t.untyped_storage().data_ptr() not in skip:
            seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
    return sum(seen.values())


def held_bytes(step: TrainingStep) -> tuple[int, int]:
    """(layer state, activations) held between forward and backward, in bytes.

    State: parameters, their gradients, Adam state, buffers.  Activations: tensors
    saved for backward and the output.  Counted from the tensors themselves, each
    storage once; the input x (the caller's) is left out.
    """
    step()  # Adam state exists from here on
    saved = []

    def pack(t):
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = step.layer(step.x)
    state = step.state()
    gradients = sum(p.numel() * p.element_size() for p in step.params)
    return (storage_bytes(state) + gradients,
            storage_bytes([*saved, y], exclude=[step.x, *state]))


def peak_bytes(step: TrainingStep, device: torch.device) -> int:
    """Peak bytes during one step: what ``held_bytes`` counts plus temporaries.

    Bytes held before the step (parameters, gradients, Adam state, buffers) plus the
    highest rise above what was allocated when the step began: on CUDA from
    torch.cuda.max_memory_allocated, on CPU the highest running sum of the allocations
    and frees the torch profiler records during the step.  So the input, the upstream
    gradient and whatever else is alive (other steps, kernel operands) are left out.
    """
    step()
    before = storage_bytes([*step.state(), *(p.grad for p in step.params)])
    if device.type == "cuda":
        sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        allocated = torch.cuda.memory_allocated(device)
        step()
        sync(device)
        return before + torch.cuda.max_memory_allocated(device) - allocated
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == "[memory]" and str(e.device_type()).endswith("CPU"))
    return before + int(np.cumsum([0] + [nbytes for _, nbytes in events]).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=9000, help="features (genes)")
    parser.add_argument("--nnz", type=int, default=133000, help="nonzeros incl. self-loops")
    parser.add_argument("--batch", type=int, default=350)
    parser.add_argument("--repeats", type=int, default=7, help="timing rounds")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    pipeline_threads = _load_schema()["properties"]["train"]["properties"]["threads"]["default"]
    parser.add_argument("--threads", type=int, default=pipeline_threads,
                        help="CPU threads (default %(default)s, the pipeline's train.threads "
                             "default; 0: torch's default, one per core)")
    parser.add_argument("--default-malloc", action="store_true",
                        help="keep glibc's malloc defaults (the pipeline's jobs do not)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.threads < 0:
        parser.error("--threads must be 0 (torch's default) or more")
    if args.threads:
        torch.set_num_threads(args.threads)
    kept = device.type == "cpu" and not args.default_malloc and keep_freed_memory()
    torch.manual_seed(args.seed)

    adjacency = random_interactome(args.n, args.nnz, args.seed)
    degree = np.diff(adjacency.indptr) - 1
    threads = torch.get_num_threads()
    where = (f"{threads} CPU thread{'s' * (threads != 1)}" if device.type == "cpu"
             else torch.cuda.get_device_name(device))
    print(f"graph: n={args.n}, nnz={adjacency.nnz} incl. self-loops, degree median "
          f"{int(np.median(degree))}, max {degree.max()}; batch {args.batch}, float32, {where}")
    if device.type == "cpu":
        print("malloc keeps freed blocks below 1 GiB, as in the pipeline's training jobs"
              if kept else "malloc with its defaults (freed blocks go back to the system)")

    # The sparse layer is timed first: a dense step's gigabyte-sized frees leave the C
    # allocator returning memory to the system, and every later batch-sized buffer
    # would pay page faults that a training loop without a dense layer never sees.
    sparse = GraphEmbedding(adjacency).to(device)
    x = torch.randn(args.batch, args.n, device=device, requires_grad=True)
    sparse_step = TrainingStep(sparse, x)
    # Batches cut from a transposed data matrix arrive column-major: no transpose needed.
    x_columns = x.detach().t().contiguous().t().requires_grad_()
    sparse_columns_step = TrainingStep(sparse, x_columns)
    compiled = sparse.uses_compiled_kernels(feature_major(x.detach()), *sparse.parameters(),
                                            *sparse.buffers())
    print("GraphEmbedding runs " + ("the compiled kernels (modrp.graph_kernels)" if compiled
                                    else "torch's sparse kernels"))
    candidates = {"(b) GraphEmbedding": sparse_step,
                  "    same, column-major input": sparse_columns_step}
    if compiled:
        torch_layer = GraphEmbedding(adjacency, kernels="torch").to(device)
        torch_layer.load_state_dict(sparse.state_dict())
        candidates["    same, torch's kernels"] = TrainingStep(torch_layer, x_columns)
    kernels = {f"    {name}": fn for name, fn in sparse_step.kernels().items()}
    own = ({f"    {name} ": fn for name, fn in sparse_step.compiled_kernels().items()}
           if compiled else {})
    relu_calls = {}
    if compiled:
        relu_calls = {f"{label} {name}": fn for label, (name, fn) in zip(
            ("(e)", "(e')"), sparse_step.compiled_relu_calls().items(), strict=True)}
    ms = time_rounds({**candidates, **kernels,
                      "(c') the three, back to back": sparse_step.kernels_back_to_back(),
                      **own, **relu_calls},
                     args.repeats, device)
    load = os.getloadavg()[0]

    def summed(per_call) -> list[float]:
        """Round by round, the sum of several calls' ms (one list of rounds per call)."""
        return [sum(round_ms) for round_ms in zip(*per_call, strict=True)]

    ordered = {name: ms[name] for name in [*candidates, *kernels]}
    ordered["(c) sum of torch's three kernels"] = summed(ms[name] for name in kernels)
    ordered["(c') the three, back to back"] = ms["(c') the three, back to back"]
    cold = time_out_of_cache(kernels, args.repeats, device)
    ordered["(c'') the three, each out of cache"] = summed(cold.values())
    if compiled:
        ordered.update({name: ms[name] for name in own})
        ordered["(d) sum of the two compiled kernels"] = summed(ms[name] for name in own)
        cold = time_out_of_cache(own, args.repeats, device)
        ordered["(d'') the two, each out of cache"] = summed(cold.values())
        split = time_inside_step(sparse_columns_step, args.repeats)
        ordered["    column-major step, clocked"] = split["step"]
        ordered["(d''') its sparse calls, inside it"] = split["inside"]
        ordered.update({name: ms[name] for name in relu_calls})
    ms = ordered
    memory = {name: (*held_bytes(step), peak_bytes(step, device)) for name, step in
              [("(b) GraphEmbedding", sparse_step),
               ("    same, column-major input", sparse_columns_step)]}

    dense = DenseMaskedEmbedding(adjacency).to(device).copy_from(sparse)
    with torch.no_grad():
        agree = torch.allclose(sparse(x), dense(x), rtol=1e-4, atol=1e-4)
    dense_step = TrainingStep(dense, x)
    ms = {**time_rounds({"(a) dense masked layer": dense_step}, args.repeats, device), **ms}
    memory = {"(a) dense masked layer": (*held_bytes(dense_step), peak_bytes(dense_step, device)),
              **memory}

    print(f"sparse and dense layers compute the same outputs: {agree}")
    print(f"\nms per training step or kernel call; median of {args.repeats} rounds (best "
          f"round); sparse candidates interleaved; 1-minute load average after timing "
          f"them: {load:.1f} on {os.cpu_count()} CPUs")
    for name, values in ms.items():
        print(f"  {name:<36} {statistics.median(values):9.2f}   ({min(values):.2f})")

    how = "bytes held before the step + " + (
        "its peak rise in torch.cuda.max_memory_allocated" if device.type == "cuda"
        else "peak running sum of the profiler's allocations")
    print("\nmemory, MiB; the input x and the upstream gradient left out:")
    print("  state: parameters, gradients, Adam state, buffers")
    print("  activations: tensors saved for backward, and the output")
    print(f"  peak: all of it plus temporaries, during one step ({how})")
    print(f"  {'':<36} {'state':>9} {'activ.':>9} {'held':>9} {'peak':>9}")
    for name, (state, act, peak) in memory.items():
        print(f"  {name:<36} {state / 2**20:9.1f} {act / 2**20:9.1f} "
              f"{(state + act) / 2**20:9.1f} {peak / 2**20:9.1f}")

    def ratio(a: str, b: str) -> str:
        med = statistics.median(ms[a]) / statistics.median(ms[b])
        return f"{med:7.2f}x ({min(ms[a]) / min(ms[b]):.2f}x)"

    def memory_ratio(sparse_name: str, pick) -> float:
        return pick(memory["(a) dense masked layer"]) / pick(memory[sparse_name])

    # The goal lines read the column-major step: the layout the pipeline's batches arrive
    # in (modrp.train.Batch cuts them as columns of the transposed data matrix).  The
    # row-major step, which pays a transposed copy of x, is printed beside each.
    step, columns = "(b) GraphEmbedding", "    same, column-major input"
    sums = "(c) sum of torch's three kernels"
    # against the kernels the layer runs: (d) when it runs the compiled ones
    kernel_sum = "(d) sum of the two compiled kernels" if compiled else sums
    held = [memory_ratio(name, lambda m: m[0] + m[1]) for name in (columns, step)]
    rows = [("dense / sparse step time", ratio("(a) dense masked layer", columns), "goal >= 40x"),
            ("  same, row-major input", ratio("(a) dense masked layer", step), ""),
            (f"sparse step / {kernel_sum[:3]} kernel sum", ratio(columns, kernel_sum),
             "goal <= 1.5x"),
            ("  same, row-major input", ratio(step, kernel_sum), "")]
    if compiled:
        rows += [("  sparse step / (c) torch's kernels", ratio(columns, sums),
                  "for information"),
                 ("  torch-kernel step / (c)",
                  ratio("    same, torch's kernels", sums), ""),
                 ("  column-major step / (d'') sum",
                  ratio(columns, "(d'') the two, each out of cache"),
                  "(d) out of cache; for information"),
                 ("  clocked step / (d''')",
                  ratio("    column-major step, clocked", "(d''') its sparse calls, inside it"),
                  "the step against its sparse calls' share of it")]
    rows += [("  (c') back to back / (c) sum", ratio("(c') the three, back to back", sums), ""),
             ("  column-major step / (c'') sum",
              ratio(columns, "(c'') the three, each out of cache"),
              "kernels out of cache; for information")]
    print("\nratios, median rounds (best rounds); the sparse step on column-major input, "
          "as the pipeline's batches arrive:")
    for label, value, note in rows:
        print(f"  {label:<36} {value}   {note}".rstrip())
    state = memory_ratio(columns, lambda m: m[0])
    peak = memory_ratio(columns, lambda m: m[2])
    print(f"  {'dense / sparse memory, held':<36} {held[0]:7.1f}x          goal >= 100x")
    print(f"  {'  same, row-major input':<36} {held[1]:7.1f}x")
    print(f"  {'  state only':<36} {state:7.1f}x")
    print(f"  {'  peak':<36} {peak:7.1f}x")


if __name__ == "__main__":
    main()
