"""How far a scale (or a modified map) is from a phantom's truth: the numbers tests and benchmarks share.

Each metric takes an array the shape of the phantom's map and the
:class:`~occupy.phantoms.Phantom`, and reads it in the phantom's ``core`` (where an
estimate should meet the truth), its labelled domains, or its ``shell`` of solvent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .phantoms import Phantom

__all__ = ["Amplification", "amplification_error", "blur_invariance", "core_scale", "occupancy_correlation",
           "shell_spill"]


def core_scale(scale: np.ndarray, phantom: Phantom) -> tuple[float, ...]:
    """The median of ``scale`` in each domain's core.

    Parameters
    ----------
    scale : numpy.ndarray
        A scale estimated for ``phantom.data`` (same shape).
    phantom : Phantom
        The phantom and its truth.

    Returns
    -------
    tuple of float
        One median per domain, in domain order (nan for a domain without core voxels).

    Examples
    --------
    >>> from occupy.phantoms import occupancy_phantom
    >>> ph = occupancy_phantom(0, box=32)
    >>> core_scale(ph.truth(), ph)
    (1.0, 0.75, 0.5, 0.25)
    """
    _check(scale, phantom)
    return tuple(float(np.median(scale[sel])) if (sel := _core(phantom, d)).any() else float("nan")
                 for d in range(len(phantom.occupancies)))


def blur_invariance(scale: np.ndarray, phantom: Phantom) -> float:
    """The weakest over the strongest core scale among the full-occupancy domains.

    1 when the scale does not follow blur; the further below 1, the more it does. On
    the ``blur`` family every domain is at full occupancy, so all count.

    Parameters
    ----------
    scale : numpy.ndarray
        A scale estimated for ``phantom.data`` (same shape).
    phantom : Phantom
        The phantom; at least two of its domains at occupancy 1.

    Returns
    -------
    float
        ``min / max`` of :func:`core_scale` over the domains at occupancy 1.

    Raises
    ------
    ValueError
        If fewer than two domains are at full occupancy.

    Examples
    --------
    >>> import numpy as np
    >>> from occupy.phantoms import blur_phantom
    >>> ph = blur_phantom(0, box=32)
    >>> steps = np.array([0.0, 0.9, 0.8, 0.7, 0.6], np.float32)[ph.labels]
    >>> round(blur_invariance(steps, ph), 3)
    0.667
    """
    full = [s for s, occ in zip(core_scale(scale, phantom), phantom.occupancies) if occ == 1.0]
    if len(full) < 2:
        raise ValueError(f"{phantom.family} phantom: {len(full)} domain(s) at full occupancy, at least 2 needed")
    return min(full) / max(full)


def occupancy_correlation(scale: np.ndarray, phantom: Phantom) -> float:
    """Pearson's r of ``scale`` with the true occupancy, over the labelled (non-solvent) voxels.

    Parameters
    ----------
    scale : numpy.ndarray
        A scale estimated for ``phantom.data`` (same shape).
    phantom : Phantom
        The phantom; its domains not all at one occupancy.

    Returns
    -------
    float
        r over the voxels with ``labels > 0`` (nan if ``scale`` is constant there).

    Raises
    ------
    ValueError
        If every domain has the same occupancy (r is undefined).

    Examples
    --------
    >>> from occupy.phantoms import occupancy_phantom
    >>> ph = occupancy_phantom(0, box=32)
    >>> round(occupancy_correlation(ph.truth(), ph), 6)
    1.0
    >>> round(occupancy_correlation(2 * ph.truth() + 1, ph), 6)
    1.0
    """
    _check(scale, phantom)
    if len(set(phantom.occupancies)) < 2:
        raise ValueError(f"{phantom.family} phantom: every domain at occupancy {phantom.occupancies[0]:g}")
    inside = phantom.labels > 0
    s = scale[inside].astype(np.float64)
    t = phantom.truth()[inside].astype(np.float64)
    s -= s.mean()
    t -= t.mean()
    denominator = np.sqrt((s * s).sum() * (t * t).sum())
    return float(np.clip((s * t).sum() / denominator, -1.0, 1.0)) if denominator > 0 else float("nan")


def shell_spill(scale: np.ndarray, phantom: Phantom) -> float:
    """The median of ``scale`` in the shell of solvent 2-6 voxels outside the domains.

    The truth there is 0; a scale that spills out of the domains into the solvent
    (a wide filter, say) raises it.

    Parameters
    ----------
    scale : numpy.ndarray
        A scale estimated for ``phantom.data`` (same shape).
    phantom : Phantom
        The phantom.

    Returns
    -------
    float
        The median over ``phantom.shell``.

    Examples
    --------
    >>> import numpy as np
    >>> from occupy.phantoms import occupancy_phantom
    >>> ph = occupancy_phantom(0, box=32)
    >>> shell_spill(ph.truth(), ph), shell_spill(np.ones_like(ph.data), ph)
    (0.0, 1.0)
    """
    _check(scale, phantom)
    return float(np.median(scale[phantom.shell]))


@dataclass(frozen=True)
class Amplification:
    """How well a modified (amplified) map restores the partial domains, from :func:`amplification_error`.

    Parameters
    ----------
    relative : tuple of float
        Each domain's relative core density in the modified map (see
        :func:`amplification_error`); about 1 for the full-occupancy domains.
    ideal : tuple of float
        Each domain's ideal relative density, ``occupancy ** (1 / gamma)``.
    mae : float
        Mean absolute difference of ``relative`` and ``ideal`` over the partial domains.

    Examples
    --------
    >>> Amplification(relative=(1.0, 0.8), ideal=(1.0, 0.84), mae=0.04).mae
    0.04
    """

    relative: tuple[float, ...]
    ideal: tuple[float, ...]
    mae: float


def amplification_error(modified: np.ndarray, phantom: Phantom, gamma: float) -> Amplification:
    """Compare each partial domain's density in an amplified map with the ideal ``occupancy ** (1/gamma)``.

    Amplification by ``gamma`` divides a voxel by ``scale ** (1 - 1/gamma)``, so a domain
    at occupancy ``o`` whose scale is ``o`` ends at ``o ** (1/gamma)`` of a full one. So
    that domains of different blur or shape compare, each is measured against its own
    noise-free density at full occupancy: the apparent occupancy of domain ``d`` in the
    modified map ``M`` is

        ``a_d = occupancy_d * mean(M[core_d]) / mean(clean[core_d])``

    (``clean[core_d] / occupancy_d`` is the domain at full occupancy), and its relative
    density is ``relative_d = a_d / mean(a_f)``, the mean over the domains ``f`` at
    occupancy 1. The error is ``mae = mean(|relative_d - occupancy_d ** (1/gamma)|)``
    over the domains at occupancy below 1.

    Parameters
    ----------
    modified : numpy.ndarray
        The modified map (same shape as ``phantom.data``).
    phantom : Phantom
        The phantom; at least one domain at occupancy 1 and one below.
    gamma : float
        The amplification's gamma (positive).

    Returns
    -------
    Amplification
        ``relative`` and ``ideal`` per domain (in domain order) and ``mae``.

    Raises
    ------
    ValueError
        If ``gamma`` is not positive, or no domain is at full occupancy, or none below.

    Examples
    --------
    >>> import numpy as np
    >>> from occupy.phantoms import occupancy_phantom
    >>> ph = occupancy_phantom(0, box=32)
    >>> boost = np.array([1.0, *(o ** -0.5 for o in ph.occupancies)], np.float32)  # occ ** (1/2 - 1)
    >>> result = amplification_error(ph.clean * boost[ph.labels], ph, gamma=2)
    >>> [round(r, 3) for r in result.relative], round(result.mae, 6)
    ([1.0, 0.866, 0.707, 0.5], 0.0)
    """
    _check(modified, phantom)
    if not gamma > 0:
        raise ValueError(f"gamma must be positive, not {gamma!r}")
    occ = np.array(phantom.occupancies)
    if not ((occ == 1.0).any() and (occ < 1.0).any()):
        raise ValueError(f"{phantom.family} phantom: needs a domain at occupancy 1 and one below")
    apparent = np.array([o * modified[sel].mean(dtype=np.float64) / phantom.clean[sel].mean(dtype=np.float64)
                         for d, o in enumerate(occ) for sel in [_core(phantom, d)]])
    relative = apparent / apparent[occ == 1.0].mean()
    ideal = occ ** (1.0 / gamma)
    mae = float(np.abs(relative - ideal)[occ < 1.0].mean())
    return Amplification(tuple(float(r) for r in relative), tuple(float(i) for i in ideal), mae)


def _core(phantom: Phantom, d: int) -> np.ndarray:
    return phantom.core & (phantom.labels == d + 1)


def _check(array: np.ndarray, phantom: Phantom) -> None:
    if np.shape(array) != phantom.data.shape:
        raise ValueError(f"array of shape {np.shape(array)} for a phantom of shape {phantom.data.shape}")
