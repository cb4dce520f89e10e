"""Compiled CPU kernels of the graph embedding: graph_kernels.c, built on first use.

``GraphEmbedding`` calls these on CPU float32 tensors when a C compiler is at hand,
and torch's sparse kernels otherwise (CUDA, other dtypes, no compiler).  Both paths
compute the same products; what the compiled one adds is a backward that gathers each
neighbour's gradient row once for the weight gradient and the input gradient together
(see the C file), a forward free of MKL's per-call setup, and, for the layer's default
ReLU, a forward that applies the ReLU to each output row while it is in cache and
keeps a bit per output, from which one pass gives the ReLU's backward and the bias
gradient (``forward_relu``, ``relu_backward``).

The library is compiled with the C compiler in ``$CC`` (default ``cc``) and OpenMP,
with AVX2/FMA where the CPU has them, into a per-user cache
(``$MODRP_KERNEL_CACHE``, else ``$XDG_CACHE_HOME/modrp`` or ``~/.cache/modrp``), one
file per source, compiler and flags, so machines of a cluster that share a home
directory but differ in CPU each get their own.  It links libgomp by its usual name,
which resolves to the copy torch has already loaded: one OpenMP thread pool, sized by
``torch.get_num_threads()``.  ``MODRP_GRAPH_KERNELS=torch`` turns the compiled path
off.  When compiling fails, a warning says why, once, and torch's kernels are used.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("graph_kernels.c")
_BASE_FLAGS = ["-O3", "-std=c11", "-fPIC", "-shared", "-fopenmp"]
COMPILE_TIMEOUT_S = 300
# A compile's temporary file older than this was left by a process killed outright
# (SIGKILL, a lost node): far past the timeout, with room for clocks that differ
# between the machines sharing a cache.
STALE_PARTIAL_S = 3600


class KernelsUnavailable(RuntimeError):
    """The compiled kernels cannot be built or loaded here."""


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def compiler_flags() -> list[str]:
    """Flags for this machine: AVX2 and FMA on x86-64 CPUs that have both.

    ISO C (-std=c11) keeps a * b + c as two roundings; -ffp-contract=fast lets the
    compiler fuse them into FMA instructions, which is what -mfma is for.
    """
    flags = list(_BASE_FLAGS)
    if platform.machine().lower() in ("x86_64", "amd64") and {"avx2", "fma"} <= _cpu_flags():
        flags += ["-mavx2", "-mfma", "-ffp-contract=fast"]
    return flags


def cache_dir() -> Path:
    if os.environ.get("MODRP_KERNEL_CACHE"):
        return Path(os.environ["MODRP_KERNEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "modrp"


def _compiler() -> list[str]:
    command = shlex.split(os.environ.get("CC") or "cc")
    if not command or shutil.which(command[0]) is None:
        raise KernelsUnavailable(f"no C compiler: {command[0] if command else '$CC is empty'!r} "
                                 "is not on PATH (set CC to one)")
    return command


def _remove_stale_partials(directory: Path) -> None:
    cutoff = time.time() - STALE_PARTIAL_S
    for partial in directory.glob(".graph_kernels-*.so"):
        try:
            if partial.stat().st_mtime < cutoff:
                partial.unlink()
        except OSError:
            pass  # removed by another job first, or not ours to remove


def build(directory: Path | None = None, rebuild: bool = False) -> Path:
    """The compiled library's path, compiling it first unless the cache has it (or
    ``rebuild`` asks for a fresh one)."""
    compiler = _compiler()
    flags = compiler_flags()
    try:
        version = subprocess.run([*compiler, "--version"], capture_output=True, text=True,
                                 check=False, timeout=60).stdout
    except subprocess.TimeoutExpired as error:
        raise KernelsUnavailable(f"{shlex.join(compiler)} --version did not answer") from error
    key = hashlib.sha256("\0".join([SOURCE.read_text(), version, *compiler, *flags])
                         .encode()).hexdigest()[:16]
    directory = cache_dir() if directory is None else directory
    target = directory / f"graph_kernels-{key}.so"
    if target.exists() and not rebuild:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(directory)
    # Compiled under a name of its own, then renamed: jobs compiling at once never see
    # each other's half-written file.
    handle, partial = tempfile.mkstemp(prefix=".graph_kernels-", suffix=".so", dir=directory)
    os.close(handle)
    command = [*compiler, *flags, str(SOURCE), "-o", partial]
    try:
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False,
                                    timeout=COMPILE_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            raise KernelsUnavailable(f"{shlex.join(command)} took over "
                                     f"{COMPILE_TIMEOUT_S} s") from error
        if result.returncode != 0:
            raise KernelsUnavailable(f"{shlex.join([*compiler, *flags])} failed:\n"
                                     f"{result.stderr.strip()}")
        os.chmod(partial, 0o755)  # mkstemp makes it private; a shared cache serves all
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


def _load(path: Path) -> ctypes.CDLL:
    library = ctypes.CDLL(str(path))
    i64, i32, ptr = ctypes.c_int64, ctypes.c_int, ctypes.c_void_p
    library.graph_forward.argtypes = [i64, i64, ptr, ptr, ptr, ptr, ptr, ptr, ptr, i32]
    library.graph_forward.restype = None
    library.graph_relu_backward.argtypes = [i64, i64, ptr, ptr, ptr, ptr, i32]
    library.graph_relu_backward.restype = None
    library.graph_backward.argtypes = [i64, i64, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, i32]
    library.graph_backward.restype = None
    return library


@functools.cache
def _loaded() -> tuple[ctypes.CDLL | None, str]:
    """The loaded kernels and "", or None and why (with one warning)."""
    if os.environ.get("MODRP_GRAPH_KERNELS", "").strip().lower() == "torch":
        return None, "MODRP_GRAPH_KERNELS=torch turns them off"
    try:
        try:
            return _load(build()), ""
        except OSError:
            # a cached file that does not load (truncated, from another libc): once more
            return _load(build(rebuild=True)), ""
    except (KernelsUnavailable, OSError) as error:
        warnings.warn(f"compiled graph kernels unavailable, using torch's sparse kernels: "
                      f"{error}", RuntimeWarning, stacklevel=3)
        return None, str(error)


def library() -> ctypes.CDLL | None:
    """The loaded kernels, or None when they cannot be had (see unavailable_reason)."""
    return _loaded()[0]


def unavailable_reason() -> str:
    """Why ``library()`` gave None ("" when it did not)."""
    return _loaded()[1]


def applies_to(*tensors: torch.Tensor) -> bool:
    """Whether the compiled kernels take these operands: CPU, float32 or int32, contiguous."""
    return all(t.device.type == "cpu" and t.dtype in (torch.float32, torch.int32)
               and t.is_contiguous() for t in tensors)


def _pointer(tensor: torch.Tensor | None) -> int | None:
    return None if tensor is None else tensor.data_ptr()


def _layout_problems(name: str, tensor: torch.Tensor | None, dtype: torch.dtype) -> list[str]:
    if tensor is None or (tensor.dtype == dtype and applies_to(tensor)):
        return []
    return [f"{name} is {tensor.device.type} {tensor.dtype}"
            f"{'' if tensor.is_contiguous() else ', not contiguous'}, not contiguous CPU {dtype}"]


def _check_shapes(crow, col, values, dense, bias=None, transpose_perm=None) -> None:
    """Refuse operands whose sizes or layouts disagree: the C code trusts them with its
    pointers (int32 indices, float32 numbers, contiguous, on the CPU)."""
    n = crow.numel() - 1
    problems = []
    for name, tensor, dtype in (("crow_indices", crow, torch.int32),
                                ("col_indices", col, torch.int32),
                                ("transpose_perm", transpose_perm, torch.int32),
                                ("values", values, torch.float32),
                                ("dense operand", dense, torch.float32),
                                ("bias", bias, torch.float32)):
        problems += _layout_problems(name, tensor, dtype)
    if dense.dim() != 2 or dense.shape[0] != n:
        problems.append(f"dense operand {tuple(dense.shape)} is not ({n}, batch)")
    if crow.dim() != 1 or n < 0 or int(crow[-1]) != col.numel():
        problems.append(f"crow_indices end at {int(crow[-1]) if n >= 0 else None}, "
                        f"col_indices hold {col.numel()}")
    for name, tensor in (("values", values), ("transpose_perm", transpose_perm)):
        if tensor is not None and tensor.numel() != col.numel():
            problems.append(f"{name} hold {tensor.numel()}, col_indices {col.numel()}")
    if bias is not None and bias.shape != (n,):
        problems.append(f"bias {tuple(bias.shape)} is not ({n},)")
    if problems:
        raise ValueError("graph kernels: " + "; ".join(problems))


def forward(crow: torch.Tensor, col: torch.Tensor, weight: torch.Tensor,
            bias: torch.Tensor | None, x_t: torch.Tensor) -> torch.Tensor:
    """S x_t + bias for S = CSR(crow, col, weight); x_t (n, batch) row-major."""
    return _forward(crow, col, weight, bias, x_t, relu=False)[0]


def forward_relu(crow: torch.Tensor, col: torch.Tensor, weight: torch.Tensor,
                 bias: torch.Tensor | None, x_t: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """relu(S x_t + bias), and the mask of where its gradient passes, for ``relu_backward``.

    The output is torch.relu's, bit for bit (NaN and -0.0 kept).  The mask holds one bit
    per output, uint8 (n, ceil(batch / 8)): output (r, c) is bit c % 8 of byte
    (r, c // 8), set where the gradient passes (the output > 0, or NaN, as in torch's
    threshold_backward).
    """
    return _forward(crow, col, weight, bias, x_t, relu=True)


def _forward(crow, col, weight, bias, x_t, relu: bool):
    _check_shapes(crow, col, weight, x_t, bias)
    n, batch = x_t.shape
    y_t = torch.empty_like(x_t)
    mask = torch.empty(n, mask_bytes(batch), dtype=torch.uint8) if relu else None
    library().graph_forward(n, batch, _pointer(crow), _pointer(col), _pointer(weight),
                            _pointer(bias), _pointer(x_t), _pointer(y_t), _pointer(mask),
                            torch.get_num_threads())
    return y_t, mask


def mask_bytes(batch: int) -> int:
    """Bytes of one row of a ReLU mask: a bit per sample of the batch."""
    return (batch + 7) // 8


def relu_backward(upstream_t: torch.Tensor, mask: torch.Tensor, bias_grad: bool
                  ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(The gradient before the ReLU, the bias gradient or None), in one pass.

    ``upstream_t`` (n, batch) is the gradient of ``forward_relu``'s output; the first
    result is it where ``mask`` is set, 0 elsewhere (torch's threshold_backward), the
    second its row sums.
    """
    if upstream_t.dim() != 2:
        raise ValueError(f"graph kernels: the upstream gradient {tuple(upstream_t.shape)} "
                         "is not (n, batch)")
    n, batch = upstream_t.shape
    problems = []
    if not applies_to(upstream_t) or upstream_t.dtype != torch.float32:
        problems.append(f"the upstream gradient is {upstream_t.device.type} "
                        f"{upstream_t.dtype}"
                        f"{'' if upstream_t.is_contiguous() else ', not contiguous'}, "
                        "not contiguous CPU float32")
    if mask.dtype != torch.uint8 or mask.device.type != "cpu" or not mask.is_contiguous() \
            or tuple(mask.shape) != (n, mask_bytes(batch)):
        problems.append(f"the ReLU mask is {mask.device.type} {mask.dtype} "
                        f"{tuple(mask.shape)}"
                        f"{'' if mask.is_contiguous() else ', not contiguous'}, not "
                        f"contiguous CPU uint8 ({n}, {mask_bytes(batch)})")
    if problems:
        raise ValueError("graph kernels: " + "; ".join(problems))
    grad_t = torch.empty_like(upstream_t)
    grad_bias = upstream_t.new_empty(n) if bias_grad else None
    library().graph_relu_backward(n, batch, _pointer(upstream_t), _pointer(mask),
                                  _pointer(grad_t), _pointer(grad_bias),
                                  torch.get_num_threads())
    return grad_t, grad_bias


def backward(crow: torch.Tensor, col: torch.Tensor, transpose_perm: torch.Tensor,
             weight: torch.Tensor, x_t: torch.Tensor, grad_t: torch.Tensor,
             input_grad: bool, weight_grad: bool):
    """(S^T grad_t or None, the SDDMM grad_t x_t^T on S's entries or None), in one pass."""
    _check_shapes(crow, col, weight, grad_t, transpose_perm=transpose_perm)
    if x_t.shape != grad_t.shape:
        raise ValueError(f"graph kernels: x_t {tuple(x_t.shape)} and grad_t "
                         f"{tuple(grad_t.shape)} differ")
    if problems := _layout_problems("dense operand", x_t, torch.float32):
        raise ValueError("graph kernels: " + "; ".join(problems))
    n, batch = grad_t.shape
    grad_x_t = torch.empty_like(grad_t) if input_grad else None
    grad_weight = torch.empty_like(weight) if weight_grad else None
    if input_grad or weight_grad:
        library().graph_backward(n, batch, _pointer(crow), _pointer(col),
                                 _pointer(transpose_perm), _pointer(weight), _pointer(x_t),
                                 _pointer(grad_t), _pointer(grad_x_t), _pointer(grad_weight),
                                 torch.get_num_threads())
    return grad_x_t, grad_weight
