"""Record the original OccuPy 0.1.13's accuracy on our synthetic demo maps (algorithm.md §13).

Regenerate: ``bash ../shared/reference/setup_reference.sh; python bench/make_reference_demo.py``.
For demo seeds 0-2 it writes the demo map, runs ``ref_occupy -i occupy_demo.mrc --lp-scale
--amplify 4`` in a temporary directory and records, per seed, the Pearson r of the
original's occ-mode scale with the true occupancy over the domain cores, and the apparent
occupancy of each domain in its amplified map.  Output:
``tests/data/reference_demo_0.1.13.json``.  The original is only run, never imported here.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import mrcfile
import numpy as np

from occupy.demo import domain_table, make_demo_map
from occupy.io import MapData, write_map

REPO = Path(__file__).resolve().parents[1]
REF = Path(os.environ.get("OCCUPY_REFERENCE", REPO.parent / "shared" / "reference" / "ref_occupy"))
OUT = REPO / "tests" / "data" / "reference_demo_0.1.13.json"


def truth_pearson(demo, scale: np.ndarray) -> float:
    truth = np.zeros_like(demo.data)
    for i, occ in enumerate(demo.occupancies):
        truth[demo.labels == i + 1] = occ
    return float(np.corrcoef(scale[demo.core], truth[demo.core])[0, 1])


def main() -> int:
    record = {"reference": "OccuPy 0.1.13", "command": "occupy -i occupy_demo.mrc --lp-scale --amplify 4",
              "seeds": {}}
    for seed in (0, 1, 2):
        demo = make_demo_map(seed=seed)
        with tempfile.TemporaryDirectory() as tmp:
            write_map(Path(tmp) / "occupy_demo.mrc", demo.data,
                      like=MapData(data=demo.data, voxel_size=demo.voxel_size,
                                   voxel_size_xyz=(demo.voxel_size,) * 3))
            subprocess.run([str(REF), "-i", "occupy_demo.mrc", "--lp-scale", "--amplify", "4"], cwd=tmp,
                           check=True, capture_output=True)
            scale = mrcfile.read(Path(tmp) / "scale_occ_occupy_demo.mrc")
            ampl = mrcfile.read(Path(tmp) / "ampl_4.0_occupy_demo.mrc")
        rows = domain_table(demo, scale, {"amplify": ampl})
        record["seeds"][str(seed)] = {
            "pearson_r_core": truth_pearson(demo, scale),
            "apparent_amplified": [r["amplify"] for r in rows],
            "apparent_input": [r["input"] for r in rows],
            "median_scale": [r["scale"] for r in rows],
        }
        print(seed, record["seeds"][str(seed)])
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
