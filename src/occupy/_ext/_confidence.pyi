"""Type stub for the compiled confidence lookup (see _confidence.pyx)."""
import numpy as np
import numpy.typing as npt

def lookup_confidence(
    values: npt.NDArray[np.float32],
    table: npt.NDArray[np.float32] | npt.NDArray[np.uint8] | npt.NDArray[np.uint16],
    out: npt.NDArray[np.float32] | npt.NDArray[np.uint8] | npt.NDArray[np.uint16],
    vmin: float,
    vmax: float,
    n_threads: int,
) -> None: ...

def expand_index(
    index: npt.NDArray[np.uint8] | npt.NDArray[np.uint16],
    values: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
    n_threads: int,
) -> None: ...
