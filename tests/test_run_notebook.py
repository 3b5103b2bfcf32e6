"""tools/run_notebook.py's configurations: the environment a kernel set and thread count give, and the
check that the kernel got them (what `make portability` and tools/matrix.py rely on)."""

from __future__ import annotations

from tools.run_notebook import environment, kernel_mismatch


def test_a_kernel_set_replaces_the_callers_and_native_removes_it():
    base = {"PATH": "/bin", "ATEN_CPU_CAPABILITY": "avx512"}
    assert environment("default", 1, base) == {"PATH": "/bin", "ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    assert environment("native", 2, base) == {"PATH": "/bin", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    assert environment("avx2", None, base) == {"PATH": "/bin", "ATEN_CPU_CAPABILITY": "avx2"}


def test_a_kernel_that_did_not_get_its_kernels_or_threads_is_a_problem():
    assert kernel_mismatch({"capability": "AVX2", "threads": 1}, "default", 1) is not None
    assert kernel_mismatch({"capability": "DEFAULT", "threads": 2}, "default", 1) is not None
    assert kernel_mismatch({"capability": "DEFAULT", "threads": 1}, "default", 1) is None
    # PyTorch before 2.5 names the generic kernels "NO AVX"
    assert kernel_mismatch({"capability": "NO AVX", "threads": 1}, "default", 1) is None
    # native, or nothing asked: whatever the CPU offers
    assert kernel_mismatch({"capability": "AVX512", "threads": 2}, "native", 2) is None
    assert kernel_mismatch({"capability": "AVX512", "threads": 2}, None, None) is None
    # a kernel that died before its probe reported is already a failed run
    assert kernel_mismatch({}, "default", 1) is None
