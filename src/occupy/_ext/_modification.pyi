"""Type stub for the fused modification kernels (see _modification.pyx)."""
import numpy as np
import numpy.typing as npt

def n_sub_blocks(n: int) -> int: ...
def factor_block(
    scale: npt.NDArray[np.float32],
    conf: npt.NDArray[np.float32],
    factor: npt.NDArray[np.float32],
    mode: int,
    g: float,
    mu: float,
    limit: float,
    use_conf: bool,
    need: npt.NDArray[np.int64],
    n_threads: int,
) -> None: ...
def modify_block(
    data: npt.NDArray[np.float32],
    factor: npt.NDArray[np.float32],
    conf: npt.NDArray[np.float32],
    noise: npt.NDArray[np.float32],
    offsets: npt.NDArray[np.int64],
    out: npt.NDArray[np.float32],
    noise_mean: float,
    noise_sigma: float,
    use_conf: bool,
    use_noise: bool,
    keep_input: bool,
    clip: bool,
    lo: float,
    hi: float,
    n_threads: int,
) -> None: ...
