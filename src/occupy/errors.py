"""Exception and warning types that reach the user as one clear line."""
from __future__ import annotations

import warnings

__all__ = ["OccupyError", "OccupyWarning", "warn"]


class OccupyError(Exception):
    """A failure caused by the input or the environment, reported as ``error: <message>``."""


class OccupyWarning(UserWarning):
    """Something the user should know about, which does not stop the run."""


def warn(message: str, sink: list[str] | None = None) -> None:
    """Issue an :class:`OccupyWarning` and, if given, append the message to ``sink``."""
    if sink is not None:
        sink.append(message)
    warnings.warn(message, OccupyWarning, stacklevel=3)
