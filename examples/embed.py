"""Using occupy from Python: arrays in, arrays out; or the whole pipeline on a file.

Run:  python examples/embed.py
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import occupy


def main() -> None:
    # A small synthetic map: four domains at occupancy 1.0/0.7/0.4/0.2 in noisy solvent.
    demo = occupy.make_demo_map(box=64, seed=0)
    data, voxel = demo.data, demo.voxel_size

    # 1. Arrays: local scale of the lowpassed map ("occ" mode approximates occupancy).
    est = occupy.estimate_scale(data, voxel, mode="occ", threads=2)
    print(f"estimate_scale: s_full={est.s_full:.4g} tau={est.tau:.4g} "
          f"kernel={est.params.kernel_size} (n_v={est.params.n_v}) lowpass={est.params.lowpass:g} A")
    for d, occ in enumerate(demo.occupancies):
        inside = demo.core & (demo.labels == d + 1)
        print(f"  domain {d}: true occupancy {occ:.1f}, median scale {np.median(est.scale[inside]):.2f}")

    # 2. Solvent model and confidence of the lowpassed map, then amplify by the scale.
    solvent = occupy.fit_solvent(est.lowpassed)
    conf = occupy.confidence(est.lowpassed, solvent)
    amplified, factor = occupy.modify(data, est.scale, conf, solvent, mode="amplify", gamma=4)
    print(f"fit_solvent: mean={solvent.mean:.3g} sigma={solvent.sigma:.3g} edge={solvent.edge:.3g}; "
          f"amplified range {amplified.min():.3g}..{amplified.max():.3g}, max factor {factor.max():.3g}")

    # 3. Files: what the `occupy` command does, with all its outputs, in a temporary directory.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.mrc"
        occupy.write_map(path, data, voxel_size=voxel)
        result = occupy.run(path, output_dir=tmp, amplify=True, gamma=4, threads=2)
        print(f"occupy.run: s_full={result.s_full:.4g}, solvent edge={result.solvent_edge:.4g}, "
              f"warnings={len(result.warnings)}")
        for role, p in result.output_paths.items():
            print(f"  {role}: {p.name}")
        scale_map = occupy.read_map(result.output_paths["scale"])
        print(f"  scale map {scale_map.shape}, voxel {scale_map.voxel_size:g} A")
    print(f"s_full = {result.s_full:.6g}")


if __name__ == "__main__":
    main()
