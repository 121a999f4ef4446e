"""STAR files, RELION's metadata format, read and written with gemmi.

gemmi (a maintained, compiled CIF/STAR library with wheels for every platform we build)
does the parsing and the quoting; this module only turns its errors into one clear
message and lays out RELION's tables: a ``data_<name>`` block holding one ``loop_``, or
a list of ``_label value`` pairs.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Sequence

from ..errors import OccupyError

__all__ = ["StarTable", "read_star", "star_text", "star_value"]


class StarTable:
    """One block of a STAR file to write: a loop (the default) or a list of pairs.

    Parameters
    ----------
    name : str
        Block name without ``data_`` (``output_nodes``).
    labels : sequence of str
        Column labels, with their leading underscore (``_rlnPipeLineNodeName``).
    rows : sequence of sequence
        The values, one sequence per row; written with ``star_value``.
    as_pairs : bool, optional
        Write the single row as ``_label value`` pairs (RELION's ``data_model_general``).
    """

    def __init__(self, name: str, labels: Sequence[str], rows: Sequence[Sequence[Any]], as_pairs: bool = False):
        if as_pairs and len(rows) != 1:
            raise ValueError("a block of pairs has exactly one row")
        self.name, self.labels, self.rows, self.as_pairs = name, list(labels), list(rows), as_pairs


def star_value(value: Any) -> str:
    """Spell one value for a STAR file.

    Parameters
    ----------
    value : object
        None (written ``None``, as RELION does), a bool (``1``/``0``), an int, a float
        (6 significant digits; ``nan`` if not finite) or anything else as text.

    Returns
    -------
    str
        The token, in double quotes when it is empty, has white space or starts like
        STAR syntax. Double quotes in text become single ones, so that RELION's reader
        and gemmi's, which have no escapes, read it back.

    Examples
    --------
    >>> star_value(0.123456789), star_value(3), star_value("a b"), star_value(None), star_value("run_it025")
    ('0.123457', '3', '"a b"', 'None', 'run_it025')
    """
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else "nan"
    text = " ".join(str(value).split()).replace('"', "'")     # one line, one kind of quote
    return f'"{text}"' if _needs_quotes(text) else text


_RESERVED = ("data_", "save_", "loop_", "global_", "stop_")


def _needs_quotes(text: str) -> bool:
    """STAR syntax: empty, white space, a leading special character, or a reserved word.

    (gemmi's own ``quote`` also quotes every name with an underscore, which RELION
    never does; its reader, which checks these files in the tests, reads both.)
    """
    return (not text or any(c.isspace() for c in text) or text[0] in "_#$'\"[];"
            or text.lower().startswith(_RESERVED))


def star_text(tables: Sequence[StarTable], comment: str | None = None) -> str:
    """Lay out blocks as the text of a STAR file.

    Parameters
    ----------
    tables : sequence of StarTable
        The blocks, in order.
    comment : str, optional
        A first line (``# ...``), e.g. which program wrote the file.

    Returns
    -------
    str
        The file's text, columns aligned.

    Examples
    --------
    >>> print(star_text([StarTable("output_nodes", ["_rlnPipeLineNodeName", "_rlnPipeLineNodeTypeLabel"],
    ...                            [["External/job005/a.mrc", "DensityMap.mrc"]])]).strip())
    data_output_nodes
    <BLANKLINE>
    loop_
    _rlnPipeLineNodeName
    _rlnPipeLineNodeTypeLabel
    External/job005/a.mrc DensityMap.mrc
    """
    import gemmi
    doc = gemmi.cif.Document()
    for table in tables:
        block = doc.add_new_block(table.name)
        if table.as_pairs:
            for label, value in zip(table.labels, table.rows[0]):
                block.set_pair(label, star_value(value))
            continue
        loop = block.init_loop("", table.labels)
        for row in table.rows:
            loop.add_row([star_value(v) for v in row])
    text = doc.as_string(gemmi.cif.Style.Aligned)
    head = f"# {comment}\n\n" if comment else ""
    return head + text.replace("\nloop_", "\n\nloop_")


def read_star(path: str | os.PathLike, what: str = "STAR file"):
    """Parse a STAR file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    what : str, optional
        How messages name it.

    Returns
    -------
    gemmi.cif.Document
        The parsed blocks.

    Raises
    ------
    OccupyError
        When the file cannot be read or is not STAR, saying which and where.
    """
    import gemmi
    p = Path(path)
    if p.is_dir():
        raise OccupyError(f"cannot read {what} {p}: it is a directory")
    try:
        return gemmi.cif.read_file(str(p))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OccupyError(f"cannot read {what} {p}: {reason}") from exc
    except (ValueError, RuntimeError) as exc:
        detail = str(exc).replace(str(p), "").lstrip(":")
        raise OccupyError(f"{what} {p} is not a readable STAR file ({detail.strip()})") from exc
