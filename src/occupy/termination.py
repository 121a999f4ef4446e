"""One termination policy: SIGINT, SIGTERM and SIGHUP stop a run at the next safe point.

Schedulers end jobs with SIGTERM (SLURM at a time limit, then SIGKILL after a grace
period), terminals send SIGHUP when they close, users press Ctrl-C. Every front end runs
inside :func:`handle_signals`: a signal then raises :class:`Terminated` in the main
thread, at the next Python instruction (a compiled kernel finishes its current call
first). Unwinding does the cleaning: the output set discards its staged files (or rolls
back a commit in progress), an atomic write removes its temporary file, the output
directory helper removes the directories the run created. The front end then prints
one line and exits with ``128 + N``. Further signals during that cleanup are ignored,
so a second Ctrl-C cannot leave half-cleaned files.

The Python API installs no handlers (a library must not take over a process's signals),
but any exception, ``KeyboardInterrupt`` and :class:`Terminated` included, leaves no
staged file and no created directory behind.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["SIGNALS", "SignalGuard", "Terminated", "failure_status", "handle_signals", "stop_on_signals"]

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminated(BaseException):
    """A run was stopped by a signal; ``exit_status`` is ``128 + signum``.

    A ``BaseException`` (like ``KeyboardInterrupt``), so that ``except Exception``
    blocks do not swallow it.

    Parameters
    ----------
    signum : int
        The signal's number.
    """

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(f"terminated by {signal.Signals(self.signum).name}")

    @property
    def exit_status(self) -> int:
        """``128 + signum``: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP.

        Returns
        -------
        int
            The exit status a terminated program reports.
        """
        return 128 + self.signum


class SignalGuard:
    """What ``handle_signals`` yields: the signal received, and a way to stop raising.

    Attributes
    ----------
    received : int or None
        The first signal received in the block, if any.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._holding = False

    def hold(self) -> None:
        """From now on, signals are only recorded: the work is done (e.g. its exit marker is next)."""
        self._holding = True

    def handle(self, signum: int, _frame) -> None:
        """The signal handler: record the signal, and raise ``Terminated`` for the first one.

        Parameters
        ----------
        signum : int
            The signal's number.
        _frame : frame or None
            Unused (the handler's second argument).

        Raises
        ------
        Terminated
            For the first signal, unless ``hold`` was called.
        """
        if self.received is not None or self._holding:
            self.received = self.received or signum
            return                # already unwinding or finished: let it complete
        self.received = signum
        raise Terminated(signum)


@contextmanager
def handle_signals() -> Iterator[SignalGuard]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`Terminated` (once).

    The first signal raises; later ones are ignored while the block unwinds, and all are
    only recorded after ``SignalGuard.hold``. Outside the main thread (where Python cannot
    install handlers) the block runs unchanged. The previous handlers are restored on exit.

    Yields
    ------
    SignalGuard
        The signal received, and ``hold()``.

    Examples
    --------
    >>> import os, signal
    >>> try:
    ...     with handle_signals():
    ...         os.kill(os.getpid(), signal.SIGTERM)
    ... except Terminated as stop:
    ...     stop.exit_status
    143
    """
    guard = SignalGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = {sig: signal.signal(sig, guard.handle) for sig in SIGNALS}
    try:
        yield guard
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_on_signals() -> SignalGuard:
    """For the rest of this process, SIGINT, SIGTERM and SIGHUP raise :class:`Terminated` (once).

    For a worker process that ends when its run has cleaned up (``occupy.batch``); in the
    main program use ``handle_signals``, which restores the previous handlers.

    Returns
    -------
    SignalGuard
        The guard whose ``handle`` is installed.
    """
    guard = SignalGuard()
    for sig in SIGNALS:
        signal.signal(sig, guard.handle)
    return guard


def failure_status(exc: BaseException, verbose_hint: bool = True) -> tuple[int, str]:
    """Give the exit status and one-line message for an exception that ended a program.

    The part of every front end's error report that needs no command-line library
    (``occupy.cli.common.describe_failure`` adds click's usage errors).

    Parameters
    ----------
    exc : BaseException
        The exception.
    verbose_hint : bool, optional
        Point unexpected errors to ``--verbose``.

    Returns
    -------
    tuple of (int, str)
        128 + N when stopped by signal N (``Terminated``; 130 for Ctrl-C); 2 for
        ``OptionError``; 1 for any other failure (``OccupyError`` says what; anything else
        is "unexpected"); and the message.

    Examples
    --------
    >>> from occupy.errors import OptionError
    >>> failure_status(OptionError("--gamma must be >= 1, got 0.5"))
    (2, '--gamma must be >= 1, got 0.5')
    >>> failure_status(ValueError("boom"))
    (1, 'unexpected ValueError: boom  (run with --verbose for details)')
    """
    from .errors import OccupyError, OptionError
    if isinstance(exc, Terminated):
        return exc.exit_status, f"stopped by {signal.Signals(exc.signum).name}"
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted"
    if isinstance(exc, OccupyError):
        return 2 if isinstance(exc, OptionError) else 1, str(exc)
    hint = "  (run with --verbose for details)" if verbose_hint else ""
    return 1, f"unexpected {type(exc).__name__}: {exc}{hint}"
