"""The element-wise part of one recurrent step, fused into a single pass in C, for the CPU.

Per time step the LSTM does one matrix product and then a dozen element-wise
operations on (B, H) tensors. On a CPU each of those is a separate pass over
memory with its own dispatch cost, and together they cost more than the matrix
product. Here they are one loop, compiled on first use with the system's C
compiler (about a second) and cached under ``$XDG_CACHE_HOME/assignment3`` (``~/.cache``; a
temporary folder when that is not writable). A compiler that rejects OpenMP or ``-march=native``
(Apple's clang) builds without them. Where no compiler works, or the tensors are not float32 on
the CPU, the caller falls back to the same step written with PyTorch operations (``lib.bptt``),
and says so once per process, in one line.

The C code follows the equations; the gate blocks of a (B, 4H) row are o, i, f, g.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import torch

SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp(x): Cephes' polynomial after Cody-Waite range reduction (relative error ~2e-7); unlike
   libm's expf it inlines, so the loops below vectorise. */
static inline float exp_(float x) {
    x = fminf(fmaxf(x, -87.0f), 88.0f);
    float n = rintf(x * 1.44269504088896341f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}
static inline float sigmoid_(float x) { return 1.0f / (1.0f + exp_(-x)); }
static inline float tanh_(float x) { return 2.0f / (1.0f + exp_(-2.0f * x)) - 1.0f; }

/* LSTM, forward. z (B, 4H): pre-activations [o i f g], replaced by the activated gates.
   c_prev (B, H) or NULL for c(0) = 0. Writes c, tanh(c) and h; h's rows are h_stride apart. */
void lstm_forward_step(float *z, const float *c_prev, float *c, float *tanh_c, float *h, long h_stride,
                       long B, long H, int threads) {
    #pragma omp parallel for num_threads(threads) if(threads > 1) schedule(static)
    for (long b = 0; b < B; b++) {
        float *restrict o = z + b * 4 * H, *restrict i = o + H, *restrict f = i + H, *restrict g = f + H;
        float *restrict cb = c + b * H, *restrict tb = tanh_c + b * H, *restrict hb = h + b * h_stride;
        const float *cp = c_prev ? c_prev + b * H : 0;
        #pragma omp simd
        for (long k = 0; k < H; k++) {
            float g_ = tanh_(g[k]);                                /* (1) */
            float i_ = sigmoid_(i[k]);                             /* (2) */
            float f_ = sigmoid_(f[k]);                             /* (3) */
            float o_ = sigmoid_(o[k]);                             /* (4) */
            float c_ = g_ * i_ + (cp ? cp[k] : 0.0f) * f_;         /* (5) */
            float t_ = tanh_(c_);
            o[k] = o_; i[k] = i_; f[k] = f_; g[k] = g_;
            cb[k] = c_; tb[k] = t_; hb[k] = t_ * o_;               /* (6) */
        }
    }
}

/* LSTM, backward through (1)-(6) at one step. gates (B, 4H) activated [o i f g]; dh = dL/dh(t);
   dc holds dL/dc(t+1) * f(t+1) on entry and dL/dc(t) * f(t) on exit; writes dL/d pre-activations. */
void lstm_backward_step(const float *gates, const float *c_prev, const float *tanh_c, const float *dh,
                        float *dc, float *grad_pre, long B, long H, int threads) {
    #pragma omp parallel for num_threads(threads) if(threads > 1) schedule(static)
    for (long b = 0; b < B; b++) {
        const float *o = gates + b * 4 * H, *i = o + H, *f = i + H, *g = f + H;
        const float *tb = tanh_c + b * H, *dhb = dh + b * H, *cp = c_prev ? c_prev + b * H : 0;
        float *restrict dcb = dc + b * H;
        float *restrict d_o = grad_pre + b * 4 * H, *restrict d_i = d_o + H, *restrict d_f = d_i + H,
              *restrict d_g = d_f + H;
        #pragma omp simd
        for (long k = 0; k < H; k++) {
            float t_ = tb[k];
            float dc_ = dcb[k] + dhb[k] * o[k] * (1.0f - t_ * t_);     /* through (6) into c(t) */
            d_o[k] = dhb[k] * t_ * o[k] * (1.0f - o[k]);              /* (6), (4) */
            d_i[k] = dc_ * g[k] * i[k] * (1.0f - i[k]);               /* (5), (2) */
            d_f[k] = dc_ * (cp ? cp[k] : 0.0f) * f[k] * (1.0f - f[k]); /* (5), (3) */
            d_g[k] = dc_ * i[k] * (1.0f - g[k] * g[k]);               /* (5), (1) */
            dcb[k] = dc_ * f[k];                                      /* (5): on to c(t-1) */
        }
    }
}

/* Vanilla RNN: h = tanh(z), z (B, H) contiguous, h's rows h_stride apart. */
void rnn_forward_step(const float *z, float *h, long h_stride, long B, long H, int threads) {
    #pragma omp parallel for num_threads(threads) if(threads > 1) schedule(static)
    for (long b = 0; b < B; b++) {
        #pragma omp simd
        for (long k = 0; k < H; k++) h[b * h_stride + k] = tanh_(z[b * H + k]);
    }
}
"""

_FLOAT = ctypes.c_void_p
_SIGNATURES = {
    "lstm_forward_step": [_FLOAT] * 5 + [ctypes.c_long] * 3 + [ctypes.c_int],
    "lstm_backward_step": [_FLOAT] * 6 + [ctypes.c_long] * 2 + [ctypes.c_int],
    "rnn_forward_step": [_FLOAT] * 2 + [ctypes.c_long] * 3 + [ctypes.c_int],
}
_BASE_FLAGS = ["-O3", "-ffast-math", "-shared", "-fPIC"]
# Tried in order: Apple's clang has no OpenMP and may reject -march=native; the last needs neither.
_FLAG_SETS = (["-march=native", "-fopenmp"], ["-march=native"], [])
_library = None  # the loaded kernels, False once building them has failed
FALLBACK_ENV = "ASSIGNMENT3_KERNELS_FAILED"  # set once the build failed, so that worker processes stay quiet


def cache_dir() -> Path:
    """Where the compiled kernels are kept: the user's cache, or a temporary folder when that is not writable."""
    home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "assignment3"
    try:
        home_cache.mkdir(parents=True, exist_ok=True)
        if os.access(home_cache, os.W_OK):
            return home_cache
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"assignment3-kernels-{os.getuid() if hasattr(os, 'getuid') else 0}"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def _compile(compiler: str, flags: list[str], library: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        source, built = Path(scratch) / "kernels.c", Path(scratch) / "kernels.so"
        source.write_text(SOURCE)
        subprocess.run([compiler, *_BASE_FLAGS, *flags, str(source), "-o", str(built), "-lm"], check=True,
                       capture_output=True, text=True, timeout=120)
        handle, tmp = tempfile.mkstemp(dir=library.parent, suffix=".tmp")  # two processes may build at once
        os.close(handle)
        shutil.copy(built, tmp)
        os.replace(tmp, library)


def _build() -> ctypes.CDLL:
    compiler = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise RuntimeError("no C compiler (gcc or cc) on PATH")
    cpu = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else platform.processor()
    errors = []
    for flags in _FLAG_SETS:
        key = hashlib.sha256("\n".join([SOURCE, compiler, *_BASE_FLAGS, *flags, platform.node(), cpu]).encode())
        library = cache_dir() / f"recurrent_kernels-{key.hexdigest()[:16]}.so"
        try:
            if not library.exists():
                _compile(compiler, flags, library)
            handle = ctypes.CDLL(str(library))
        except (OSError, subprocess.SubprocessError) as error:
            errors.append(" ".join(str(getattr(error, "stderr", "") or error).split())[:200])
            continue
        for name, argtypes in _SIGNATURES.items():
            getattr(handle, name).argtypes, getattr(handle, name).restype = argtypes, None
        return handle
    raise RuntimeError(f"{compiler} failed with every set of flags ({errors[-1]})")


def kernels() -> ctypes.CDLL | None:
    """The compiled kernels, or None (with one warning per process tree) when they cannot be built."""
    global _library
    if _library is None:
        try:
            _library = _build()
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            if not os.environ.get(FALLBACK_ENV):
                warnings.warn(f"The fused C kernels for the recurrent step could not be built ({error}); using the "
                              f"same step written with PyTorch operations, which is slower.", stacklevel=3)
                os.environ[FALLBACK_ENV] = "1"  # inherited by worker processes started after this one
            _library = False
    return _library or None


@contextmanager
def flushed_denormals():
    """Subnormal floats flushed to zero for the block. A saturated network's gradients shrink through the tanh
    chain into the subnormals, where each multiplication is many times slower on x86 CPUs; flushed, they cost
    nothing (measured: an RNN at T = 20, 12.5 -> 7.6 ms per step). Values below 1e-38 change no result."""
    changed = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if changed:
            torch.set_flush_denormal(False)


def usable(*tensors: torch.Tensor) -> bool:
    """Whether the C kernels can run on these tensors (float32, CPU), building them if needed."""
    return all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors) and kernels() is not None
