"""Where the programs print: rich on a terminal, plain lines otherwise.

rich (and rich-click, for ``--help``) load only when they show something: a run whose
output goes to a file or a pipe, as in pipelines and classification loops, does not
pay for importing them (bench/README.md).
"""
from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

__all__ = ["HELP_FLAGS", "Stream", "wants_help"]

HELP_FLAGS = ("-h", "--help", "--help-all")
_MARKUP = re.compile(r"\[/?(bold|italic|red|green|yellow|dim|underline)?( [a-z]+)*\]")


def wants_help(args: list[str]) -> bool:
    """Tell whether a command line asks for help (then the rich-click command is built).

    Parameters
    ----------
    args : list of str
        The arguments.

    Returns
    -------
    bool
        True with ``-h``, ``--help`` or ``--help-all`` among them.

    Examples
    --------
    >>> wants_help(["-i", "map.mrc"]), wants_help(["--help-all"])
    (False, True)
    """
    return any(a in HELP_FLAGS for a in args)


class Stream:
    """Print to stdout or stderr: through rich on a terminal, as plain text otherwise.

    Parameters
    ----------
    stderr : bool, optional
        Print to standard error.
    quiet : bool, optional
        Print nothing.
    """

    def __init__(self, stderr: bool = False, quiet: bool = False):
        self.stderr = stderr
        self.quiet = quiet
        self.file = sys.stderr if stderr else sys.stdout
        self._console = None
        if not quiet and self.file.isatty():
            from rich.console import Console
            self._console = Console(stderr=stderr, highlight=False, soft_wrap=True)

    def print(self, text: str, markup: bool = True) -> None:
        """Print one message.

        Parameters
        ----------
        text : str
            The message; with ``markup``, rich's ``[bold]...[/]`` tags style it on a
            terminal and are dropped elsewhere.
        markup : bool, optional
            Interpret the tags.
        """
        if self.quiet:
            return
        if self._console is not None:
            self._console.print(text, markup=markup)
        else:
            print(_MARKUP.sub("", text) if markup else text, file=self.file, flush=True)

    def show(self, renderable: Any) -> None:
        """Print a rich object (a table, a panel), loading rich for it.

        Parameters
        ----------
        renderable : object
            Anything rich can print.
        """
        if self.quiet:
            return
        from rich.console import Console
        console = self._console or Console(file=self.file, highlight=False, soft_wrap=True)
        console.print(renderable)

    @contextmanager
    def status(self, text: str) -> Iterator[Callable[[str], None]]:
        """Show a spinner with a status line on a terminal (nothing elsewhere).

        Parameters
        ----------
        text : str
            The first status.

        Yields
        ------
        callable
            Updates the status line.
        """
        if self._console is None:
            yield lambda _text: None
            return
        with self._console.status(text, spinner="dots") as status:
            yield status.update
