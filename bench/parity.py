"""Print our numbers next to the original OccuPy 0.1.13's on the cubic test maps (algorithm.md §13).

    python bench/parity.py

Reads the recorded reference (tests/data/reference_occupy_0.1.13.json, made by
bench/make_reference.py) and the maps in ../shared/data (or $OCCUPY_TEST_DATA), runs our
``estimate_scale`` (res and occ mode) and ``fit_solvent``, and prints one table row per map.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from occupy import read_map
from occupy.stages.scale import estimate_scale
from occupy.stages.solvent import fit_solvent

REPO = Path(__file__).resolve().parents[1]
REF = json.loads((REPO / "tests" / "data" / "reference_occupy_0.1.13.json").read_text())
DATA = Path(os.environ.get("OCCUPY_TEST_DATA", REPO.parent / "shared" / "data"))


def _sample(cfg: dict, name: str) -> np.ndarray:
    return np.array(REF["scale_samples"][cfg["outputs"][name]["sample_key"]].split(), dtype=np.float32)


def _indices(shape) -> tuple[np.ndarray, ...]:
    flat = np.array(REF["sample"]["indices"]["x".join(map(str, shape))].split(), dtype=np.int64)
    zyx = flat.reshape(-1, 3)
    return zyx[:, 0], zyx[:, 1], zyx[:, 2]


def main() -> None:
    print("| map | n_v | tau | res s_full ours / orig | res max abs diff | occ s_full diff | "
          "occ mean abs diff | solvent sigma diff | solvent mean diff (widths) |")
    print("|" + "---|" * 9)
    for name, rec in REF["maps"].items():
        m = read_map(DATA / name)
        idx = _indices(m.shape)
        res_cfg, occ_cfg = rec["configs"]["res"], rec["configs"]["occ"]
        res = estimate_scale(m.data, m.voxel_size, mode="res")
        occ = estimate_scale(m.data, m.voxel_size, mode="occ")
        stem = name.rsplit(".", 1)[0]
        d_res = np.abs(res.scale[idx] - _sample(res_cfg, f"scale_res_{stem}.mrc")).max()
        d_occ = np.abs(occ.scale[idx] - _sample(occ_cfg, f"scale_occ_{stem}.mrc")).mean()
        sol = fit_solvent(occ.lowpassed)
        ref_sol = occ_cfg["solvent"]
        print(f"| {name} | {res.params.n_v} / {res_cfg['n_v']} | {res.tau} / {res_cfg['tau']} | "
              f"{res.s_full:.6g} / {res_cfg['s_full']:.6g} | {d_res:.1e} | "
              f"{100 * (occ.s_full / occ_cfg['s_full'] - 1):+.1f}% | {d_occ:.4f} | "
              f"{100 * (sol.sigma / ref_sol['sigma'] - 1):+.1f}% | "
              f"{(sol.mean - ref_sol['mean']) / ref_sol['sigma']:+.3f} |")


if __name__ == "__main__":
    main()
