"""Type stub for the parallel reductions (see _stats.pyx)."""
import numpy as np
import numpy.typing as npt

def minmax(values: npt.NDArray[np.float32], n_threads: int) -> tuple[float, float]: ...
def finite_minmax(values: npt.NDArray[np.float32], n_threads: int) -> tuple[float, float, int]: ...
STAT_BLOCK_VOXELS: int

def mean_std(values: npt.NDArray[np.float32], n_threads: int) -> tuple[float, float, float, float]: ...

def block_stats(values: npt.NDArray[np.float32], n_threads: int) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float32], npt.NDArray[np.float32]
]: ...
def histogram(
    values: npt.NDArray[np.float32], edges: npt.NDArray[np.float64], n_threads: int
) -> npt.NDArray[np.int64]: ...
def rows_minmax(
    vol: npt.NDArray[np.float32],
    x0: npt.NDArray[np.int64],
    x1: npt.NDArray[np.int64],
    n_threads: int,
) -> tuple[float, float, int]: ...
def rows_histogram(
    vol: npt.NDArray[np.float32],
    x0: npt.NDArray[np.int64],
    x1: npt.NDArray[np.int64],
    edges: npt.NDArray[np.float64],
    n_threads: int,
) -> npt.NDArray[np.int64]: ...
def histogram_above(
    values: npt.NDArray[np.float32], edges: npt.NDArray[np.float64], level: float, n_threads: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]: ...

def merge_block_stats(
    n: int,
    bsum: npt.NDArray[np.float64],
    bm2: npt.NDArray[np.float64],
    bmin: npt.NDArray[np.float32],
    bmax: npt.NDArray[np.float32],
) -> tuple[float, float, float, float]: ...

def finite_minmax_rows(
    vol: npt.NDArray[np.float32], x0: npt.NDArray[np.int64], x1: npt.NDArray[np.int64], n_threads: int
) -> tuple[float, float, int, float, float, int]: ...
