"""Type stub for the compiled local-maximum kernel (see _maxfilter.pyx)."""
import numpy as np
import numpy.typing as npt

def max_filter_runs(
    src: npt.NDArray[np.floating],
    out: npt.NDArray[np.floating],
    zidx: npt.NDArray[np.int32],
    yidx: npt.NDArray[np.int32],
    xidx: npt.NDArray[np.int32],
    plane_runs: npt.NDArray[np.int32],
    plane_start: npt.NDArray[np.int32],
    plane_of: npt.NDArray[np.int32],
    lengths: npt.NDArray[np.int32],
    cz: int,
    cy: int,
    cx: int,
    n_threads: int,
    divisor: float = 0.0,
    band: int = 0,
) -> None: ...
