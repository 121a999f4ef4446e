"""Type stub for the compiled confidence lookup (see _confidence.pyx)."""
import numpy as np
import numpy.typing as npt

def lookup_confidence(
    values: npt.NDArray[np.float32],
    table: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
    vmin: float,
    vmax: float,
    n_threads: int,
) -> None: ...
