"""Type stub for the region kernels (see _regions.pyx)."""
import numpy as np
import numpy.typing as npt

def count_above_below(
    a: npt.NDArray[np.float32], above: float, b: npt.NDArray[np.float32], below: float, n_threads: int
) -> tuple[int, int]: ...

def above_bits(a: npt.NDArray[np.float32], level: float, n_threads: int) -> npt.NDArray[np.uint8]: ...

def count_bits_below(
    bits: npt.NDArray[np.uint8], b: npt.NDArray[np.float32], below: float, n_threads: int
) -> tuple[int, int]: ...

def gather_where_equal(
    key: npt.NDArray[np.float32], value: float, src: npt.NDArray[np.float32], n_threads: int
) -> npt.NDArray[np.float32]: ...

def summarize_scale(
    scale: npt.NDArray[np.float32], solid: npt.NDArray[np.uint8], below: float, n_threads: int
) -> tuple[
    tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float32], npt.NDArray[np.float32]],
    npt.NDArray[np.int64],
    int,
    int,
]: ...

def pairwise_sum_f32(a: npt.NDArray[np.float32]) -> float: ...

def sum_full_blocks(
    key: npt.NDArray[np.float32], value: float, src: npt.NDArray[np.float32],
    per_block: npt.NDArray[np.int64], n_threads: int
) -> tuple[int, float]: ...
