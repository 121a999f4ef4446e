"""Exception and warning types that reach the user as one clear line."""
from __future__ import annotations

import warnings

__all__ = ["OccupyError", "OccupyWarning", "OptionError", "warn"]


class OccupyError(Exception):
    """A failure caused by the input or the environment.

    The command-line programs report it as one line, ``error: <message>``, with no
    traceback (unless ``--verbose``).
    """


class OptionError(OccupyError):
    """An option value that cannot be honoured (out of range, malformed, contradictory).

    Raised before any work is done; a subclass of ``OccupyError``, so callers that
    catch that catch this too.
    """


class OccupyWarning(UserWarning):
    """Something the user should know about, which does not stop the run."""


def warn(message: str, sink: list[str] | None = None) -> None:
    """Issue an ``OccupyWarning`` and, if given, append the message to ``sink``.

    Parameters
    ----------
    message : str
        The warning text (one line).
    sink : list of str, optional
        A list that collects the run's warnings (e.g. ``RunResult.warnings``).

    Examples
    --------
    >>> import warnings
    >>> seen = []
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     warn("kernel is small", seen)
    >>> seen
    ['kernel is small']
    """
    if sink is not None:
        sink.append(message)
    warnings.warn(message, OccupyWarning, stacklevel=3)
