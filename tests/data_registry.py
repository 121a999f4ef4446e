"""The real EMDB maps the tests use: a registry of names and sha256 sums, as scikit-image keeps one.

Where the files come from, in order:

1. ``$OCCUPY_TEST_DATA`` if set, else ``../shared/data`` beside the repository (offline);
2. otherwise a cache filled on first use with pooch from the files' public sources (the
   PyPI archives of ccpem-utils, and two GitHub repositories; see ../shared/data/PROVENANCE.md).

Every file's sha256 is checked on every test session, wherever it came from: a wrong file
fails the tests loudly instead of changing their numbers.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE_ENV = "OCCUPY_TEST_DATA_CACHE"

REGISTRY = {
    "emd_3488.mrc": "2fdf1909cbfbc21d3af4230e8a8ff57bf4d4b6ccc72b480992df4dfe39e30209",
    "emd_3488_contour_mask.mrc": "806a077ad6580e6f9af051e86181c1d1367ac254b8bf91fe24dfef9ba1c524e7",
    "emd_5168.map": "5420bd53c98f76613b64dcb3b67451fbca60f78673b93cc54e5300084e987d54",
    "emd_1997.map": "1d9b73bff3779381d71b3885dcfb94e002f0e6b89bd748bbbf41dd82f58b128f",
    "emd_21457_seg_nstart.mrc": "28319876bad242746d0e6e754de2ead03b7f59ac940f89a34f617379f2b5c10e",
    "5me2.pdb": "03f02baa67021db02426f511dcfdbc34e8c30bb5f7560cbc320caa9c4ef42a5b",
}

_PYPI = "https://files.pythonhosted.org/packages"
_DEV8 = (f"{_PYPI}/28/ef/2fadc871f695378f40d8a5af23a883fce8f7b1eea3c54116bbd51e708bfd/"
         "ccpem_utils-0.0.1.dev8.tar.gz",
         "231c6354eaeccb3404782dc44271d1dd257cd9a129443e4201314970abc00122",
         "ccpem_utils-0.0.1.dev8/ccpem_utils_tests/test_data/")
_DEV35 = (f"{_PYPI}/b9/ad/7654d62af717eeb734c66a1d8692bfed29a12b90ec0cf969edde5a735fa4/"
          "ccpem_utils-0.0.1.dev35.tar.gz",
          "9ef8258a46db7a0a1b57a8355e91e2ee37c4ddb79858dfa8a00774c7392641df",
          "ccpem_utils-0.0.1.dev35/ccpem_utils_tests/test_data/")
# name -> (url, sha256 of what the url serves, member of that archive or None for the file itself)
SOURCES = {
    "emd_3488.mrc": (_DEV8[0], _DEV8[1], _DEV8[2] + "emd_3488.mrc"),
    "5me2.pdb": (_DEV8[0], _DEV8[1], _DEV8[2] + "5me2.pdb"),
    "emd_3488_contour_mask.mrc": (_DEV35[0], _DEV35[1], _DEV35[2] + "emd_3488_contour_mask.mrc"),
    "emd_21457_seg_nstart.mrc": (_DEV35[0], _DEV35[1], _DEV35[2] + "emd_21457_seg_nstart.mrc"),
    "emd_5168.map": ("https://github.com/Topf-Lab/TEMPy/raw/09baa53/Examples/Test_Files/emd_5168.map",
                     REGISTRY["emd_5168.map"], None),
    "emd_1997.map": ("https://github.com/haddocking/powerfit/raw/f83d738/test-cases/EMD-1997/1997.map",
                     REGISTRY["emd_1997.map"], None),
}

HOW_TO_GET = ("set OCCUPY_TEST_DATA to a folder holding them (the project's CI uses ../shared/data), or run "
              "the tests once with network access to fetch them into the cache")


class DataUnavailable(Exception):
    """The maps are neither in an offline folder nor fetchable."""


class DataCorrupt(Exception):
    """A file is present but its sha256 is not the registry's."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(folder: Path) -> Path:
    """``folder`` if it holds every registered file with the registered sha256."""
    missing = [name for name in REGISTRY if not (folder / name).is_file()]
    if missing:
        raise DataUnavailable(f"{folder} lacks {', '.join(missing)}")
    wrong = [name for name, digest in REGISTRY.items() if sha256(folder / name) != digest]
    if wrong:
        raise DataCorrupt(f"{folder}: sha256 of {', '.join(wrong)} differs from the registry")
    return folder


def _offline_folder() -> Path:
    given = os.environ.get("OCCUPY_TEST_DATA")
    return Path(given).resolve() if given else (REPO.parent / "shared" / "data").resolve()


def _fetch(cache: Path) -> Path:
    """Fill ``cache`` from the sources (pooch checks each download's sha256)."""
    try:
        import pooch
    except ImportError:
        raise DataUnavailable("pooch is not installed (pip install '.[test]')") from None
    cache.mkdir(parents=True, exist_ok=True)
    for name, (url, digest, member) in SOURCES.items():
        if (cache / name).is_file() and sha256(cache / name) == REGISTRY[name]:
            continue
        try:
            if member is None:
                pooch.retrieve(url, known_hash=f"sha256:{digest}", fname=name, path=cache)
            else:
                extracted = pooch.retrieve(url, known_hash=f"sha256:{digest}", path=cache / "archives",
                                           processor=pooch.Untar(members=[member]))
                Path(extracted[0]).replace(cache / name)
        except Exception as exc:  # noqa: BLE001 - offline, moved source: the data are just unavailable
            raise DataUnavailable(f"cannot fetch {name} from {url}: {type(exc).__name__}: {exc}") from None
    return cache


def maps_folder() -> Path:
    """The folder holding every registered map, each with its sha256 checked.

    Raises
    ------
    DataUnavailable
        When they are not offline and cannot be fetched.
    DataCorrupt
        When a file is there but differs from the registry.
    """
    offline = _offline_folder()
    if offline.is_dir() or os.environ.get("OCCUPY_TEST_DATA"):
        try:
            return _verified(offline)
        except DataUnavailable:
            if os.environ.get("OCCUPY_TEST_DATA"):
                raise
    cache = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "occupy-test-data")
    return _verified(_fetch(cache))
