"""What the seed README promises and what users of the original OccuPy type, each checked as a user sees it."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import log_value, occupy_warnings, one_error, run_cli

import occupy
from occupy.cli.occupy import find_chimerax
from occupy.cli.spellings import ORIGINAL_ONLY
from occupy.errors import OccupyWarning

@pytest.fixture()
def gro(tmp_path, test_data) -> Path:
    """EMD-1997 (GroEL, 2.02 Å voxels): the default kernel is the small one the warning is about."""
    shutil.copy(test_data / "emd_1997.map", tmp_path / "map.mrc")
    return tmp_path


# --kernel-size alone changes the kernel --------------------------------------------------------

def test_kernel_size_raises_n_v_and_only_a_smaller_given_kernel_warns(gro) -> None:
    r = run_cli("occupy", "-i", "map.mrc", "-o", "default", cwd=gro)
    assert r.returncode == 0, r.stderr
    assert "small kernel" not in r.stderr                    # derived from the lowpass: no advice to give
    assert log_value(gro / "default" / "log_map.txt", "n_v") == "27"
    r = run_cli("occupy", "-i", "map.mrc", "-o", "k5", "--kernel-size", "5", cwd=gro)
    assert r.returncode == 0, r.stderr
    assert log_value(gro / "k5" / "log_map.txt", "n_v") == "33"
    assert log_value(gro / "k5" / "log_map.txt", "kernel radius") == "2"
    assert "small kernel" not in r.stderr
    default = occupy.read_map(gro / "default" / "scale_res_map.mrc").data
    assert not np.array_equal(default, occupy.read_map(gro / "k5" / "scale_res_map.mrc").data)
    r = run_cli("occupy", "-i", "map.mrc", "-o", "r1", "--kernel-radius", "1", cwd=gro)
    assert r.returncode == 0, r.stderr
    advice = next(ln for ln in r.stderr.splitlines() if "small kernel" in ln)
    assert "n_v = 7): smaller than the kernel the lowpass gives (size 3, n_v = 27)" in advice
    assert "leave --kernel-size and --kernel-radius out" in advice


def test_kernel_radius_rule() -> None:
    from occupy.params import derive_parameters
    base = derive_parameters((64, 64, 64), 2.02)                       # lp 8 Å: radius 1.98, k 3
    assert (base.kernel_size, base.n_v) == (3, 27)
    for k, n_v in ((5, 33), (7, 123), (9, 257)):
        with occupy_warnings("ignore"):
            p = derive_parameters((64, 64, 64), 2.02, kernel_size=k)
        assert p.kernel_radius == (k - 1) / 2 and p.n_v == n_v
    with occupy_warnings("ignore"):                                    # an explicit radius still wins
        assert derive_parameters((64, 64, 64), 2.02, kernel_size=5, kernel_radius=1.98).n_v == 27
        p = derive_parameters((64, 64, 64), 1.0, kernel_size=5)        # lp/(2 pix) = 4 > (5-1)/2
    assert p.kernel_radius == 4.0


# the original's spellings ----------------------------------------------------------------------

def test_original_spellings_are_accepted(gro) -> None:
    r = run_cli("occupy", "-i", "map.mrc", "--raw_scale", "--amplify", "-o", "raw", "-q", cwd=gro)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (gro / "raw").iterdir()) == [
        "ampl_2.0_map.mrc", "chimX_map.cxc", "log_map.txt", "scale_res_map.mrc"]
    forms = {"value": ["--amplify", "4", "--attenuate"], "short": ["-am", "4", "-at", "4"],
             "gamma": ["--amplify", "--attenuate", "--gamma", "4"]}
    for name, args in forms.items():
        r = run_cli("occupy", "-i", "map.mrc", *args, "-o", name, "-q", cwd=gro)
        assert r.returncode == 0, (name, r.stderr)
    for out in ("ampl_4.0_map.mrc", "attn_4.0_map.mrc", "scale_occ_map.mrc"):
        ref = (gro / "gamma" / out).read_bytes()
        assert (gro / "value" / out).read_bytes() == ref == (gro / "short" / out).read_bytes()
    r = run_cli("occupy", "-i", "map.mrc", "--amplify", "4", "--gamma", "3", "-o", "clash", cwd=gro)
    assert r.returncode == 2 and "--amplify 4 and --gamma 3 disagree" in r.stderr
    assert not (gro / "clash").exists()


@pytest.mark.parametrize("args, message", [
    (["--amplify", "4", "--gamma", "3"], "--amplify 4 and --gamma 3 disagree"),
    (["--gamma", "3", "--amplify", "4"], "--amplify 4 and --gamma 3 disagree"),
    (["--amplify", "4", "--attenuate", "3"], "--attenuate 3 and --gamma 4 disagree"),
])
def test_relion_refuses_flag_values_that_disagree_like_the_cli(args, message) -> None:
    """occupy-relion takes --amplify 4 as the CLI does, and refuses a different --gamma in either order."""
    from occupy.errors import OptionError
    from occupy.relion import parse_relion_args
    with pytest.raises(OptionError, match=message):
        parse_relion_args(["--o", "job/", "--in_3dref", "m.mrc", *args])
    agreed = parse_relion_args(["--o", "job/", "--in_3dref", "m.mrc", "--gamma", "4", "--amplify", "4",
                                "--attenuate", "yes"])[2]
    assert agreed["gamma"] == 4.0 and agreed["amplify"] is True and agreed["attenuate"] is True


def test_emdb_id_spelling_reuses_the_download(tmp_path, test_data) -> None:
    shutil.copy(test_data / "emd_1997.map", tmp_path / "emd_1997.map")
    r = run_cli("occupy", "--emdb-id", "EMD-1997", "-q", cwd=tmp_path,
                env={"OCCUPY_EMDB_URL": "http://127.0.0.1:9/none"})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "scale_res_emd_1997.mrc").is_file()


@pytest.mark.parametrize("option", sorted(ORIGINAL_ONLY))
def test_original_options_we_lack_say_what_to_use(tmp_path, option) -> None:
    r = run_cli("occupy", "-i", "map.mrc", option, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    error = one_error(r.stderr, f"{option} is an option of the original OccuPy")
    assert ORIGINAL_ONLY[option] in error
    assert list(tmp_path.iterdir()) == []


# -o with a map name ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["out_map.mrc", "nested/x.MAP", "res.ccp4"])
def test_output_dir_named_like_a_map_is_a_usage_error(gro, name) -> None:
    r = run_cli("occupy", "-i", "map.mrc", "-o", name, "--amplify", cwd=gro)
    assert r.returncode == 2
    assert "ends in a map extension: -o names the output directory" in r.stderr
    assert sorted(p.name for p in gro.iterdir()) == ["map.mrc"]


# masked input ----------------------------------------------------------------------------------

def test_masked_input_warns_once_and_unmasked_does_not(test_data, tmp_path) -> None:
    with pytest.warns(OccupyWarning, match="71% of the voxels are exactly 0"):
        masked = occupy.run(test_data / "emd_3488.mrc", output_dir=tmp_path / "m", chimerax=False)
    hits = [w for w in masked.warnings if "solvent-flattened or masked" in w]
    assert len(hits) == 1 and "width 0.0024" in hits[0] and "--solvent-def" in hits[0]
    plain = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "p", chimerax=False)
    assert not [w for w in plain.warnings if "masked" in w]
    log = (tmp_path / "m" / "log_emd_3488.txt").read_text()
    assert log.count("solvent-flattened or masked") == 1


def test_flattened_fraction_on_synthetic_maps() -> None:
    from occupy.stages.solvent import flattened_fraction
    rng = np.random.default_rng(4)
    noise = rng.normal(size=(40, 40, 40)).astype(np.float32)
    assert flattened_fraction(noise)[0] < 0.001
    masked = noise.copy()
    masked[:, :, :30] = -0.5                                       # 75% at one value
    fraction, value = flattened_fraction(masked)
    assert abs(fraction - 0.75) < 0.01 and value == -0.5


# log labels ------------------------------------------------------------------------------------

def test_log_names_each_quantity_with_its_unit(gro) -> None:
    r = run_cli("occupy", "-i", "map.mrc", "-q", cwd=gro)
    assert r.returncode == 0, r.stderr
    log = (gro / "log_map.txt").read_text()
    for label in ("solvent histogram mode (map value)", "solvent mean, fitted (map value)",
                  "solvent width, fitted sigma (map value)", "solvent edge (map value)",
                  "non-solvent >= 99% of density from (map value)", "confidence > 0.5 from (map value)",
                  "confidence > 0.5 from (relative to s_full)", "s_full (map value)", "lowpass (A)",
                  "kernel radius (voxels)", "map threshold (map value)"):
        assert label in log, label
    for old in ("solvent peak", "content > 99% above", "confidence limit"):
        assert old not in log
    absolute = float(log_value(gro / "log_map.txt", "confidence > 0.5 from (map value)"))
    relative = float(log_value(gro / "log_map.txt", "confidence > 0.5 from (relative"))
    s_full = float(log_value(gro / "log_map.txt", "s_full"))
    assert relative == pytest.approx(absolute / s_full, rel=1e-4)


# ChimeraX --------------------------------------------------------------------------------------

def test_chimerax_script_full_region_and_colour_before_hide(gro) -> None:
    r = run_cli("occupy", "-i", "map.mrc", "--amplify", "--attenuate", "-q", cwd=gro)
    assert r.returncode == 0, r.stderr
    lines = (gro / "chimX_map.cxc").read_text().splitlines()
    volumes = [ln for ln in lines if ln.startswith("volume #")]
    # full resolution; the coloured maps one voxel inside their box (vertices on its last plane would be
    # outside the scale map's grid for ChimeraX, and grey), the hidden scale over all of it
    assert len(volumes) == 4 and all(" step 1 " in ln for ln in volumes)
    assert [ln.split()[3] for ln in volumes] == ["1,1,1,98,98,98", "all", "1,1,1,98,98,98", "1,1,1,98,98,98"]
    for model in (2, 3, 4):
        hide = lines.index(f"hide #{model} models")
        coloured = [i for i, ln in enumerate(lines) if ln.startswith(f"scale_color #{model} ")
                    or ln.startswith(f"volume #{model} ")]
        assert coloured and max(coloured) < hide


def test_find_chimerax(tmp_path) -> None:
    exe = tmp_path / "bin" / "chimerax"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    bundle = tmp_path / "Apps" / "ChimeraX-1.8.app" / "Contents" / "MacOS" / "ChimeraX"
    bundle.parent.mkdir(parents=True)
    bundle.write_text("")
    older = tmp_path / "Apps" / "ChimeraX-1.6.app" / "Contents" / "MacOS" / "ChimeraX"
    older.parent.mkdir(parents=True)
    older.write_text("")
    apps = (tmp_path / "Apps",)
    assert find_chimerax({"OCCUPY_CHIMERAX": "/x/ChimeraX", "CHIMERAX": "/y"}, apps) == "/x/ChimeraX"
    assert find_chimerax({"CHIMERAX": "/y"}, apps) == "/y"
    assert find_chimerax({"PATH": str(exe.parent)}, apps) == str(exe)
    assert find_chimerax({"PATH": str(tmp_path / "none")}, apps) == str(bundle)
    assert find_chimerax({"PATH": str(tmp_path / "none")}, (tmp_path / "none",)) is None


def test_show_chimerax_starts_the_program_named_by_occupy_chimerax(gro) -> None:
    marker = gro / "started.txt"
    fake = gro / "fake-chimerax"
    fake.write_text(f"#!/bin/sh\necho \"$1\" > {marker}\n")
    fake.chmod(0o755)
    r = run_cli("occupy", "-i", "map.mrc", "--show-chimerax", "-o", "out", cwd=gro, env={"OCCUPY_CHIMERAX": str(fake)})
    assert r.returncode == 0, r.stderr
    for _ in range(50):
        if marker.exists():
            break
        import time
        time.sleep(0.1)
    assert marker.read_text().strip() == str((gro / "out" / "chimX_map.cxc").resolve())


# help at 80 columns ----------------------------------------------------------------------------

def _spellings(program_options) -> list[str]:
    out = []
    for opt in program_options:
        out += [f for f in opt.flags] + [f for s in opt.switches for f in s.flags]
    return out


@pytest.mark.parametrize("which", ["--help", "--help-all"])
def test_help_at_80_columns_keeps_every_option_whole(tmp_path, which) -> None:
    from occupy.cli.common import command_options
    r = run_cli("occupy", which, cwd=tmp_path, columns=80)
    assert r.returncode == 0
    assert max(len(ln) for ln in r.stdout.splitlines()) <= 80
    shown = [o for o in command_options("occupy") if which == "--help-all" or o.everyday]
    for spelling in _spellings(shown):
        assert re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", r.stdout), spelling
    text = " ".join(r.stdout.split())
    if which == "--help-all":
        assert "Use --help-all" not in text and "Exit status" in text
        assert "(Also --solvent-definition.)" in text and "(Also --raw_scale.)" in text
    else:
        assert "Use --help-all for every option" in text
