"""Run options shared by the CLI, the Python API, RELION jobs and batch runs."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import OccupyError

__all__ = ["RunOptions", "RunResult"]


@dataclass
class RunOptions:
    """Every setting of a run; names match the long CLI options (``-`` -> ``_``)."""

    # input
    resolution: float | None = None
    lowpass: float | None = None
    solvent_def: str | None = None
    pixel_size: float | None = None
    # modification
    amplify: bool = False
    attenuate: bool = False
    gamma: float | None = None
    exclude_solvent: bool = False
    sigmoid: float | None = None
    pivot: float | None = None
    hedge_confidence: float | None = None
    scale_limit: float = 0.05
    lowpass_output: float | None = None
    hist_match: bool = False
    omit_confidence: bool = False
    seed: int = 0
    # estimation
    tau: float | None = None
    kernel_size: int | None = None
    kernel_radius: float | None = None
    tile_size: int | None = None
    scale_mode: str = "auto"          # "auto" | "occ" | "res"
    s0: bool = False
    max_box: int = 0
    # output
    output_dir: str = "."
    plot: bool = False
    chimerax: bool = True
    min_vis_scale: float = 0.2
    save_all_maps: bool = False
    threads: int | None = None
    command_line: str | None = None
    keep_arrays: bool = False
    # progress: called with a stage name when a stage starts (None = silent)
    progress: Callable[[str], None] | None = None
    # abort check: called between stages; raising stops the run (RELION abort)
    check_abort: Callable[[], None] | None = None

    @property
    def modifying(self) -> bool:
        return self.amplify or self.attenuate or self.sigmoid is not None

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "RunOptions":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(unknown)}")
        return cls(**kwargs)

    def validate(self) -> None:
        """Raise :class:`OccupyError` for settings that cannot be honoured."""
        if self.gamma is not None and not self.gamma >= 1:
            raise OccupyError(f"--gamma must be >= 1 (got {self.gamma:g}); values below 1 would swap "
                              "amplification and attenuation - use the other option instead")
        if self.tau is not None and not (0 < self.tau <= 1):
            raise OccupyError(f"--tau must be in (0, 1], got {self.tau:g}")
        if self.kernel_size is not None:
            k = self.kernel_size
            if k % 2 == 0:
                raise OccupyError(f"--kernel-size must be odd, got {k}")
            if not 3 <= k <= 31:
                raise OccupyError(f"--kernel-size must be between 3 and 31, got {k}")
        if self.kernel_radius is not None and not self.kernel_radius > 0:
            raise OccupyError(f"--kernel-radius must be positive, got {self.kernel_radius:g}")
        if self.tile_size is not None and self.tile_size < 1:
            raise OccupyError(f"--tile-size must be at least 1, got {self.tile_size}")
        for name in ("resolution", "lowpass", "lowpass_output", "pixel_size"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise OccupyError(f"--{name.replace('_', '-')} must be positive, got {v:g}")
        if self.hedge_confidence is not None and not self.hedge_confidence >= 1:
            raise OccupyError(f"--hedge-confidence must be >= 1, got {self.hedge_confidence:g}")
        if not 0 <= self.scale_limit < 1:
            raise OccupyError(f"--scale-limit must be in [0, 1), got {self.scale_limit:g}")
        if self.sigmoid is not None:
            if not self.sigmoid >= 1:
                raise OccupyError(f"--sigmoid must be >= 1, got {self.sigmoid:g}")
            if self.pivot is None or not 0 < self.pivot < 1:
                raise OccupyError("--sigmoid needs --pivot P with 0 < P < 1")
        if self.max_box < 0 or (0 < self.max_box < 16):
            raise OccupyError(f"--max-box must be 0 (off) or at least 16, got {self.max_box}")
        if self.scale_mode not in ("auto", "occ", "res"):
            raise OccupyError(f"scale mode must be auto, occ or res, got {self.scale_mode!r}")
        if not 0 <= self.min_vis_scale < 1:
            raise OccupyError(f"--min-vis-scale must be in [0, 1), got {self.min_vis_scale:g}")
        if self.threads is not None and self.threads < 1:
            raise OccupyError(f"--threads must be at least 1, got {self.threads}")


@dataclass
class RunResult:
    """What a run produced: output paths, the numbers that matter, warnings and timings."""

    input_path: Path
    output_paths: dict[str, Path] = field(default_factory=dict)  # role -> path
    scale_mode: str = "res"
    kernel_size: int = 0
    kernel_radius: float = 0.0
    n_v: int = 0
    tau: float = 0.0
    lowpass: float = 0.0
    gamma: float | None = None
    s_full: float = 0.0
    tile_center_A: tuple[float, float, float] | None = None
    solvent_mean: float = 0.0
    solvent_width: float = 0.0
    solvent_edge: float = 0.0
    map_threshold: float = 0.0
    scale_threshold: float = 0.0
    bad_solvent_model: bool = False
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    arrays: dict[str, Any] = field(default_factory=dict)  # only with keep_arrays=True
