"""Which BLAS library this process (PyTorch) has loaded, for the benchmarks' peer line.

Debian's python3-torch links libblas.so.3, which the alternatives system points at OpenBLAS when a
libopenblas0 package is installed and at the reference BLAS (libblas3, unoptimised Fortran) otherwise. On the
reference BLAS, torch.mm runs 20-40x slower, which would make any comparison meaningless, so the benchmarks
name the library and warn when it is not an optimised one.
"""
import os
import sys


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
            return f"OpenBLAS ({os.path.basename(os.path.dirname(path))})"
    for path in real:
        if "mkl" in path:
            return "MKL"
    for path in real:
        if "/blas/libblas" in path:
            return "reference BLAS"
    return os.path.basename(real[0]) if real else "unknown BLAS"


def warn_if_unoptimised(prog):
    name = blas_library()
    if name == "reference BLAS":
        print(f"{prog}: PyTorch runs on the reference BLAS (Debian's libblas3), 20-40x slower than OpenBLAS on "
              "matrix products: not a fair peer. Install Debian's libopenblas0-pthread.", file=sys.stderr)
    return name
