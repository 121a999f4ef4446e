"""``StageClock``: wall time per stage of a run, its progress callback and its abort check."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = ["StageClock"]


class StageClock:
    """Wall time per stage, the progress callback and the abort check between stages.

    Parameters
    ----------
    progress : callable, optional
        Called with a stage's name as it starts.
    check_abort : callable, optional
        Called before each stage; raising from it stops the run.
    """

    def __init__(self, progress: Callable[[str], None] | None = None,
                 check_abort: Callable[[], None] | None = None):
        self.progress = progress
        self.check_abort = check_abort
        self.timings: dict[str, float] = {}
        self._running: tuple[str, float] | None = None

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` (times of repeated names add up)."""
        if self.check_abort is not None:
            self.check_abort()
        if self.progress is not None:
            self.progress(name)
        started = time.perf_counter()
        self._running = (name, started)
        try:
            yield
        finally:
            self._running = None
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    def snapshot(self) -> dict[str, float]:
        """Give the wall times so far, the running stage's included.

        Returns
        -------
        dict of str to float
            Stage name -> seconds, in the order the stages started.
        """
        timings = dict(self.timings)
        if self._running is not None:
            name, started = self._running
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        return timings
