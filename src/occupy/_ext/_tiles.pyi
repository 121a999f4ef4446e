"""Type stub for the compiled tile search (see _tiles.pyx)."""
import numpy as np
import numpy.typing as npt

def tile_rank_max(
    data: npt.NDArray[np.floating],
    starts: npt.NDArray[np.int32],
    tz: int,
    ty: int,
    tx: int,
    rank: int,
    n_threads: int,
) -> tuple[float, int]: ...
