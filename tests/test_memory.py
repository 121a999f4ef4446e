"""Memory bounded by the map, whatever its content (bench/README.md#targets): peak RSS of whole runs
on a map of noise (most voxels at full scale, the kind that used to cost more), and the input map
set aside while the occ-mode scale is made, read again for the modification only if unchanged."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import occupy_peak, write_demo_map, write_mrc

import occupy
from occupy.errors import OccupyError

BOX = 256
MAP_MB = BOX ** 3 * 4 / 2 ** 20


@pytest.fixture(scope="module")
def noise_maps(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("noise")
    for n in (48, BOX):
        write_mrc(folder / f"noise{n}.mrc", np.random.default_rng(n).standard_normal((n, n, n)).astype(np.float32))
    return folder


@pytest.mark.parametrize("args, maps", [((), 2.45), (("--occupancy",), 2.45),
                                        (("--amplify", "--attenuate", "--gamma", "4"), 2.6)])
def test_peak_memory_is_a_few_maps_on_noise(noise_maps: Path, tmp_path: Path, args: tuple, maps: float) -> None:
    """Beyond a small map's run, a 256^3 map of noise costs at most ``maps`` times its bytes: the
    full-scale voxels are summed where they lie, the modified maps are written as they are made,
    the confidence is kept as a one-byte index, and in occ mode the input is set aside."""
    peaks = []
    for n in (48, BOX):
        code, err, peak, _ = occupy_peak("-i", str(noise_maps / f"noise{n}.mrc"), "-o", str(tmp_path / f"o{n}"),
                                         *args, cwd=tmp_path)
        assert code == 0, err
        peaks.append(peak)
    assert (peaks[1] - peaks[0]) / MAP_MB <= maps, peaks


def test_an_input_changed_during_the_run_is_refused(tmp_path: Path) -> None:
    """The input is read again for the modification; if the file changed meanwhile the run stops with
    one message and writes nothing."""
    path = write_demo_map(tmp_path / "map.mrc", box=48, seed=3)

    def touch_at_scale(stage: str) -> None:
        if stage == "scale":
            path.write_bytes(path.read_bytes())

    with pytest.raises(OccupyError, match=r"map.mrc: the input map changed while it was being processed$"):
        occupy.run(path, output_dir=tmp_path / "out", amplify=True, progress=touch_at_scale)
    assert not (tmp_path / "out").exists()


def test_an_input_set_aside_gives_the_same_outputs(tmp_path: Path) -> None:
    """With a plot the input stays in memory; without, it is read again: the modified maps agree."""
    path = write_demo_map(tmp_path / "map.mrc", box=40, seed=4)
    kept = occupy.run(path, output_dir=tmp_path / "kept", amplify=True, attenuate=True, plot=True)
    again = occupy.run(path, output_dir=tmp_path / "again", amplify=True, attenuate=True)
    for kind in ("amplify", "attenuate"):
        assert kept.output_paths[kind].read_bytes() == again.output_paths[kind].read_bytes()


def test_only_regular_files_are_read_again(tmp_path: Path) -> None:
    """A pipe or a device has no identity to check, so a map read from one is never set aside;
    a missing file has none either."""
    import os

    from occupy.io.source import MapSource, file_identity
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    path = write_demo_map(tmp_path / "map.mrc", box=24, seed=1)
    assert file_identity(fifo) is None and file_identity("/dev/null") is None
    assert file_identity(tmp_path / "missing.mrc") is None
    assert MapSource.of(path, None).identity == file_identity(path) is not None
