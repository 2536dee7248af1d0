"""Which BLAS library this process (PyTorch) has loaded, for the benchmarks' peer line, and its thread count.

Debian's python3-torch links libblas.so.3, which the alternatives system points at OpenBLAS when a
libopenblas0 package is installed and at the reference BLAS (libblas3, unoptimised Fortran) otherwise. On the
reference BLAS, torch.mm runs 20-40x slower, which would make any comparison meaningless, so the benchmarks
name the library and warn when it is not an optimised one.
"""
import ctypes
import ctypes.util
import os
import sys

import torch


def blas_library():
    """A short name of the BLAS library mapped into this process ('OpenBLAS (...)', 'reference BLAS', ...)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() or "mkl" in line.lower()}
    except OSError:
        return "unknown BLAS"
    real = sorted({os.path.realpath(p) for p in paths if p.startswith("/")})
    for path in real:
        if "openblas" in path:
            return f"OpenBLAS{openblas_detail()} ({os.path.basename(os.path.dirname(path))})"
    for path in real:
        if "mkl" in path:
            return "MKL"
    for path in real:
        if "/blas/libblas" in path:
            return "reference BLAS"
    return os.path.basename(real[0]) if real else "unknown BLAS"


def openblas_detail():
    """' 0.3.21, Cooperlake kernels': the version and the kernel set OpenBLAS picked for this CPU (AVX-512 ones
    for Cooperlake or SkylakeX, AVX2 ones for Haswell or Zen), or '' when the library does not say."""
    lib = openblas()
    if lib is None:
        return ""
    try:
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        config = lib.openblas_get_config().decode().split()
        core = lib.openblas_get_corename().decode()
    except (AttributeError, UnicodeDecodeError):
        return ""
    version = config[1] if len(config) > 1 and config[0] == "OpenBLAS" else ""
    return f" {version}, {core} kernels" if version else f" ({core} kernels)"


def warn_if_unoptimised(prog):
    name = blas_library()
    if name == "reference BLAS":
        print(f"{prog}: PyTorch runs on the reference BLAS (Debian's libblas3), 20-40x slower than OpenBLAS on "
              "matrix products: not a fair peer. Install Debian's libopenblas0-pthread.", file=sys.stderr)
    return name


def openblas():
    """The OpenBLAS library torch loaded (Debian links libblas.so.3 to it), or None."""
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_num_threads.restype = ctypes.c_int
            return lib
        except (OSError, AttributeError):
            continue
    return None


def set_threads(n, prog):
    """Sets ATen's and OpenBLAS's thread counts (torch.mm runs in OpenBLAS, which ignores torch.set_num_threads)
    and returns them with the BLAS library's name, warning under `prog` when it is the reference BLAS."""
    torch.set_num_threads(n)
    blas = openblas()
    if blas is not None:
        blas.openblas_set_num_threads(n)
    return {
        "threads": torch.get_num_threads(),
        "blas_threads": blas.openblas_get_num_threads() if blas else None,
        "blas": warn_if_unoptimised(prog),
    }
