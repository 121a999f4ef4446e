"""The ``occupy`` command-line options: names, panels, and short and long help texts."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["OptionSpec", "OPTIONS", "PANELS"]


@dataclass(frozen=True)
class OptionSpec:
    decls: tuple[str, ...]
    panel: str
    short: str
    long: str = ""
    everyday: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        for d in self.decls:
            if d.isidentifier():
                return d
        longest = max((d for d in self.decls if d.startswith("--")), key=len)
        return longest.lstrip("-").split("/")[0].replace("-", "_")


PANELS = ("Input", "Modification", "Estimation", "Output", "Run")

_F = {"type": float}
OPTIONS: tuple[OptionSpec, ...] = (
    # Input
    OptionSpec(("-i", "--input-map", "input_map"), "Input", "Input map (MRC/CCP4).", everyday=True,
               long="The cryo-EM map to analyse, not solvent-flattened or masked if you can help it: "
                    "the solvent model needs some solvent. Any box shape; float16/int8/int16/uint16/float32.",
               kwargs={"type": str, "metavar": "MAP"}),
    OptionSpec(("--emdb", "emdb"), "Input", "Download EMDB entry ID and use it as input.", everyday=True,
               long="Fetches emd_<ID>.map.gz from the EMDB archive (mirror: OCCUPY_EMDB_URL), unpacks it "
                    "to emd_<ID>.map in the output directory and reuses that file on later runs.",
               kwargs={"type": str, "metavar": "ID"}),
    OptionSpec(("-r", "--resolution", "resolution"), "Input", "Nominal resolution (Å); sets the lowpass.",
               everyday=True, long="Used as the lowpass when --lowpass is not given. If both are given the "
                                   "larger (coarser) one is used.", kwargs={**_F, "metavar": "Å"}),
    OptionSpec(("-lp", "--lowpass", "lowpass"), "Input", "Lowpass (Å) before solvent modelling / occ scale.",
               everyday=True, long="Default max(8 Å, 3 x voxel size). Sets the kernel size and radius too "
                                   "(k = lowpass/voxel, radius = lowpass/(2 voxel)). Larger values give "
                                   "smoother, more confident scale; use the worst resolution among the "
                                   "components whose occupancy you want.", kwargs={**_F, "metavar": "Å"}),
    OptionSpec(("--solvent-def", "--solvent-definition", "solvent_def"), "Input",
               "Mask (>0.9 = inside) helping to find solvent.", everyday=True,
               long="A rough mask of the molecule. Only used to pick the solvent sample for the solvent "
                    "model (inside or outside, whichever is flatter); it does not limit where the map is "
                    "modified. Must have the input's shape.", kwargs={"type": str, "metavar": "MASK"}),
    OptionSpec(("--pixel-size", "pixel_size"), "Input", "Voxel size (Å) if the header's is missing or wrong.",
               long="Overrides the voxel size in the header for the calculation and the outputs.",
               kwargs={**_F, "metavar": "Å"}),
    # Modification
    OptionSpec(("--amplify", "amplify"), "Modification", "Amplify confident partial occupancy.", everyday=True,
               long="Scales each voxel by S^(1/gamma - 1), raising a component of scale S towards "
                    "S^(1/gamma). Writes ampl_<gamma>_<stem>.mrc. Uses the occ-mode (lowpassed) scale.",
               kwargs={"is_flag": True}),
    OptionSpec(("--attenuate", "attenuate"), "Modification", "Attenuate partial occupancy.", everyday=True,
               long="Scales each voxel by S^(gamma - 1), weakening low-scale components (detergent belts, "
                    "flexible parts); fills what was removed with synthetic solvent noise. Writes "
                    "attn_<gamma>_<stem>.mrc.", kwargs={"is_flag": True}),
    OptionSpec(("-g", "--gamma", "gamma"), "Modification", "Strength of amplify/attenuate (>= 1).", everyday=True,
               long="1 changes nothing; 2-5 is typical for amplification, 2-3 for attenuation; ~30 is the "
                    "limit (everything non-solvent full, or only full-scale parts kept). Default 2.",
               kwargs={**_F, "metavar": "G"}),
    OptionSpec(("--exclude-solvent/--retain-solvent", "exclude_solvent"), "Modification",
               "Flatten solvent in the outputs.", everyday=True,
               long="Multiplies by the solvent confidence so solvent goes to zero. Alone, writes "
                    "solExcl_<stem>.mrc; with --amplify/--attenuate the modified maps get _solExcl.",
               kwargs={"default": False}),
    OptionSpec(("--sigmoid", "sigmoid"), "Modification", "Sigmoid modification with this power.",
               long="Pushes scale above --pivot up and below it down with f(S) = 1/(1+(mu(1-S)/(S(1-mu)))^G); "
                    "writes sigm_<G>-<P>_<stem>.mrc. Needs --pivot.", kwargs={**_F, "metavar": "G"}),
    OptionSpec(("--pivot", "pivot"), "Modification", "Fixed point of --sigmoid (0..1).",
               long="The scale value the sigmoid leaves unchanged.", kwargs={**_F, "metavar": "P"}),
    OptionSpec(("--hedge-confidence", "hedge_confidence"), "Modification", "Raise confidence to this power.",
               long="Values > 1 make the solvent confidence more conservative, e.g. 10 when amplification "
                    "shows a sphere of noise around the molecule.", kwargs={**_F, "metavar": "P"}),
    OptionSpec(("--scale-limit", "scale_limit"), "Modification", "Never modify where scale <= this.",
               long="Voxels at or below this scale are left as they are (default 0.05).",
               kwargs={**_F, "default": 0.05, "show_default": True}),
    OptionSpec(("--lowpass-output", "lowpass_output"), "Modification", "Lowpass (Å) the modified maps.",
               long="Optional hard lowpass of each modified map before the final clip.",
               kwargs={**_F, "metavar": "Å"}),
    OptionSpec(("--hist-match", "hist_match"), "Modification", "Match output histogram to the input's.",
               long="Instead of clipping outputs to the input range, map their values onto the input's "
                    "value distribution.", kwargs={"is_flag": True}),
    OptionSpec(("--omit-confidence", "omit_confidence"), "Modification", "Ignore the solvent model (expert).",
               long="Uses confidence 1 everywhere: solvent noise will be amplified too.",
               kwargs={"is_flag": True}),
    OptionSpec(("--seed", "seed"), "Modification", "Seed of the synthetic solvent noise.",
               long="Attenuation adds seeded noise; the same seed gives identical output bits.",
               kwargs={"type": int, "default": 0, "show_default": True}),
    # Estimation
    OptionSpec(("-t", "--tau", "tau"), "Estimation", "Percentile of the full-scale tile (0..1].",
               long="Default derived from n_v (x^n_v + x - 1 = 0). Lower values put more of the map at "
                    "scale 1; prefer changing the kernel size.", kwargs={**_F, "metavar": "TAU"}),
    OptionSpec(("-k", "--kernel-size", "--kernel", "kernel_size"), "Estimation", "Kernel box size (odd, 3..31).",
               long="Default lowpass/voxel made odd and clipped to 3..9. 5 or 7 is usually right (n_v 30-100).",
               kwargs={"type": int, "metavar": "K"}),
    OptionSpec(("--kernel-radius", "kernel_radius"), "Estimation", "Kernel radius (voxels).",
               long="Default lowpass/(2 voxel). Voxels of the k^3 box within this radius form the kernel.",
               kwargs={**_F, "metavar": "R"}),
    OptionSpec(("--tile-size", "tile_size"), "Estimation", "Side (voxels) of full-scale search tiles.",
               long="Default box/20 per axis (12 for a 240-259 box). Smaller tiles narrow what counts as "
                    "full scale and stretch the scale range.", kwargs={"type": int, "metavar": "N"}),
    OptionSpec(("--lp-scale", "--occupancy", "lp_scale"), "Estimation", "Estimate scale on the lowpassed map.",
               long="occ mode: reduces resolution effects so the scale approximates occupancy. Default "
                    "when modifying.", kwargs={"is_flag": True}),
    OptionSpec(("--raw-scale", "raw_scale"), "Estimation", "Estimate scale on the raw map.",
               long="res mode: scale includes resolution effects. Default when only estimating.",
               kwargs={"is_flag": True}),
    OptionSpec(("--s0", "s0"), "Estimation", "Naive full scale: tau x map maximum.",
               long="Skips the tile search; writes scale_naive_<stem>.mrc.", kwargs={"is_flag": True}),
    OptionSpec(("--max-box", "max_box"), "Estimation", "Downsample to this box first (0 = never).",
               long="Fourier-crops larger maps for speed; outputs are padded back to the input box.",
               kwargs={"type": int, "default": 0, "show_default": True}),
    # Output
    OptionSpec(("-o", "--output-dir", "output_dir"), "Output", "Directory for the outputs.", everyday=True,
               long="Created if missing. Default: the current directory.",
               kwargs={"type": str, "default": ".", "metavar": "DIR"}),
    OptionSpec(("--plot", "plot"), "Output", "Write PNG plots of the solvent model and scale.", everyday=True,
               long="solModel_, modification_ (when modifying) and scale_slices_<stem>.png. Needs "
                    "matplotlib (pip install 'occupy[plot]').", kwargs={"is_flag": True}),
    OptionSpec(("--show-chimerax", "show_chimerax"), "Output", "Open the results in ChimeraX.", everyday=True,
               long="Starts `chimerax` (or $CHIMERAX) on the script when found.", kwargs={"is_flag": True}),
    OptionSpec(("--chimerax/--no-chimerax", "chimerax"), "Output", "Write the ChimeraX script.",
               long="chimX_<stem>.cxc colours every map by scale and defines scale_color and occupy_level.",
               kwargs={"default": True}),
    OptionSpec(("--min-vis-scale", "min_vis_scale"), "Output", "Lowest scale on the colour key.",
               long="Scale values below this get the bottom colour.", kwargs={**_F, "default": 0.2,
                                                                              "show_default": True}),
    OptionSpec(("--save-all-maps", "save_all_maps"), "Output", "Also write lowpass, confidence, factor maps.",
               long="lowpass_<stem>.mrc, conf_<stem>.mrc and modification_<stem>.mrc.",
               kwargs={"is_flag": True}),
    # Run
    OptionSpec(("-j", "--threads", "threads"), "Run", "Threads (default: OMP_NUM_THREADS or all cores).",
               everyday=True, long="Results are identical for any thread count.",
               kwargs={"type": int, "metavar": "N"}),
    OptionSpec(("-q", "--quiet", "quiet"), "Run", "Print nothing but errors.", everyday=True,
               kwargs={"is_flag": True}),
    OptionSpec(("-v", "--verbose", "verbose"), "Run", "Print parameters and the log; tracebacks on error.",
               everyday=True, kwargs={"is_flag": True}),
    OptionSpec(("--demo", "demo"), "Run", "Run on a built-in synthetic map with known occupancies.",
               everyday=True, long="Writes occupy_demo.mrc and runs the pipeline with the other options "
                                   "given, then compares estimated and true occupancy per domain.",
               kwargs={"is_flag": True}),
)
