"""One training step of the paper's expression subnetworks at paper scale, and Adam's share.

For the graph and the dense embedding of expression (n = 9,000 genes, 133k interactome
nonzeros, batch 64 as in the pipeline, 22 drugs), times a step of the pipeline's
training loop (forward on a column-major batch, masked MSE, backward, Adam) with
``modrp.train.Adam`` (torch's fused Adam kernel) and with the same update written as
tensor operations (how modrp computed it before; kept here only as the baseline), in
interleaved rounds, and prints the step and the update alone with their ratios.

    python benchmarks/subnetwork_step.py            # about a minute on 2 cores
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
from graph_layer import random_interactome

from modrp.model import build_subnetwork
from modrp.train import Adam, keep_freed_memory, masked_mse


class TensorOpAdam(Adam):
    """The same update as eight tensor operations per parameter (the baseline)."""

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for p, first, second, steps in zip(self.parameters, self.first, self.second,
                                           self.steps, strict=True):
            if p.grad is None:
                continue
            steps.add_(1)
            count = int(steps)
            first.mul_(beta1).add_(p.grad, alpha=1 - beta1)
            second.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            denominator = (second.sqrt() / math.sqrt(1 - beta2**count)).add_(self.eps)
            p.addcdiv_(first, denominator, value=-self.lr / (1 - beta1**count))


class Step:
    """One training step; ``update_s`` adds up the time spent in the optimizer."""

    def __init__(self, model, optimizer, x, y):
        self.model, self.optimizer, self.x, self.y = model, optimizer, x, y
        self.measured = torch.ones_like(y, dtype=torch.bool)
        self.update_s = 0.0

    def __call__(self) -> None:
        self.optimizer.zero_grad()
        masked_mse(self.model(self.x), self.y, self.measured).backward()
        start = time.perf_counter()
        self.optimizer.step()
        self.update_s += time.perf_counter() - start


def same_update(steps: int = 30) -> bool:
    """Whether both optimizers move the same parameters alike under the same gradients."""
    generator = torch.Generator().manual_seed(2)
    start = torch.randn(1000, generator=generator)
    params = [torch.nn.Parameter(start.clone()) for _ in range(2)]
    optimizers = Adam([params[0]]), TensorOpAdam([params[1]])
    for _ in range(steps):
        grad = torch.randn(1000, generator=generator)
        for param, optimizer in zip(params, optimizers, strict=True):
            param.grad = grad.clone()
            optimizer.step()
    return torch.allclose(params[0], params[1], rtol=1e-5, atol=1e-7)


def time_rounds(steps: dict, repeats: int, calls: int) -> dict[str, tuple[list, list]]:
    """(ms per step, ms per update) of each candidate, a value per round, interleaved."""
    results = {name: ([], []) for name in steps}
    for step in steps.values():
        step()
    for _ in range(repeats):
        for name, step in steps.items():
            step.update_s = 0.0
            start = time.perf_counter()
            for _ in range(calls):
                step()
            results[name][0].append((time.perf_counter() - start) / calls * 1e3)
            results[name][1].append(step.update_s / calls * 1e3)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=9000, help="genes")
    parser.add_argument("--nnz", type=int, default=133000, help="interactome nonzeros")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5, help="timing rounds")
    parser.add_argument("--graph-calls", type=int, default=100, help="steps a round")
    parser.add_argument("--dense-calls", type=int, default=4, help="steps a round")
    args = parser.parse_args()
    keep_freed_memory()
    torch.manual_seed(0)
    adjacency = random_interactome(args.n, args.nnz, seed=0)
    # a column-major batch, as the pipeline cuts it from the transposed data matrix
    x = torch.randn(args.n, args.batch).t()
    y = torch.randn(args.batch, 22)
    print(f"fused and tensor-op Adam update alike: {same_update()}")
    print(f"expression subnetworks: n={args.n}, batch {args.batch}, 22 drugs, "
          f"{torch.get_num_threads()} CPU threads; median of {args.repeats} rounds (best)")
    print(f"  {'':<30} {'step ms':>18} {'update ms':>18}")
    calls = {"graph": args.graph_calls, "dense": args.dense_calls}
    for kind in ("graph", "dense"):
        torch.manual_seed(1)
        model = build_subnetwork("exp", kind, args.n, 22, adjacency)
        twin = build_subnetwork("exp", kind, args.n, 22, adjacency)
        twin.load_state_dict(model.state_dict())
        steps = {"modrp.train.Adam (fused)": Step(model, Adam(model.parameters()), x, y),
                 "tensor-op Adam": Step(twin, TensorOpAdam(twin.parameters()), x, y)}
        results = time_rounds(steps, args.repeats, calls[kind])
        n_params = sum(p.numel() for p in model.parameters())
        print(f"{kind} embedding, {n_params / 1e6:.2f}M parameters")
        for name, pair in results.items():
            cells = [f"{statistics.median(ms):.2f} ({min(ms):.2f})" for ms in pair]
            print(f"  {name:<30} {cells[0]:>18} {cells[1]:>18}")
        fused, ops = ([statistics.median(values) for values in pair]
                      for pair in results.values())
        ratios = [f"{ops[i] / fused[i]:.2f}x" for i in (0, 1)]
        print(f"  {'tensor-op / fused':<30} {ratios[0]:>18} {ratios[1]:>18}")


if __name__ == "__main__":
    main()
