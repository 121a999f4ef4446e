"""The output nodes of occupy's RELION job: ``RELION_OUTPUT_NODES.star`` and the plots PDF.

Node types follow RELION 4/5's own labels (``src/pipeline_jobs.h``: ``DensityMap.mrc``
for maps, ``Image3D.mrc.<program>.<kind>`` for other 3-D images such as RELION's own
``Image3D.mrc.relion.localresmap``, ``LogFile.pdf.<program>`` for plots,
``ProcessData.star.<program>.<kind>`` for tables); RELION reads the file in
``PipeLine::getOutputNodesFromStarFile`` (``src/pipeliner.cpp``), block ``output_nodes``.
RELION 3.1 reads the same function's older form, which knows only integer types
(``_rlnPipeLineNodeType``, the ``NODE_*`` numbers of its ``src/pipeline_jobs.h``), so every
node carries both: RELION 4/5 read the label, 3.1 the number.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import OptionError

__all__ = ["NODES_FILE", "NODE_LABELS", "PLOTS_PDF", "RELION31_NODE_TYPES", "check_star_name", "node_name",
           "output_nodes", "output_nodes_star", "plots_pdf"]

NODES_FILE = "RELION_OUTPUT_NODES.star"
PLOTS_PDF = "logfile.pdf"            # the name RELION's own jobs give their plots
_MAP = "DensityMap.mrc"
# output role -> RELION node type label; roles not listed (log, script, CSV, PNG) are no nodes
NODE_LABELS = {
    "scale": "Image3D.mrc.occupy.localscale",
    "amplify": _MAP, "attenuate": _MAP, "sigmoid": _MAP, "exclude_solvent": _MAP, "lowpass": _MAP,
    "confidence": "Image3D.mrc.occupy.confidence",
    "modification": "Image3D.mrc.occupy.modification",
    "summary_star": "ProcessData.star.occupy.summary",
    "plots_pdf": "LogFile.pdf.occupy",
    "solvent_def": "Mask3D.mrc.occupy.solventdef", "subtraction_mask": "Mask3D.mrc.occupy.subtraction",
}
# first word of a node type label -> RELION 3.1's integer type (3.1.3 src/pipeline_jobs.h): NODE_3DREF 6
# (offered as a 3-D reference), NODE_RESMAP 12 ("cannot be used as input", like RELION's local-resolution
# map), NODE_MASK 7 (a 3-D mask), NODE_PDF_LOGFILE 13 (opened in the PDF viewer). 3.1 has no type for other data (ProcessData): 99 is
# none of its types, so none of its jobs offers the table as an input (their browsers list .Nodes/<type>/)
RELION31_NODE_TYPES = {"DensityMap": 6, "Mask3D": 7, "Image3D": 12, "LogFile": 13, "ProcessData": 99}


def check_star_name(path: str | os.PathLike, what: str) -> None:
    """Refuse a name that cannot be written into RELION's STAR files, before any work.

    STAR values are separated by white space and may be quoted, but have no escapes: a
    quote character or a control character in a name cannot be written safely.

    Parameters
    ----------
    path : str or os.PathLike
        The job directory or the input.
    what : str
        How the message names it.

    Raises
    ------
    OptionError
        Saying what is wrong.
    """
    text = os.fspath(path)
    if any(ord(c) < 32 or ord(c) == 127 for c in text) or '"' in text or "'" in text:
        raise OptionError(f"cannot use the {what} {text!r} in RELION's STAR files: it contains a quote or a "
                          "control character; rename it")


def node_name(path: str | os.PathLike) -> str:
    """Path as RELION names nodes: relative to the project directory (the cwd) when inside it.

    Parameters
    ----------
    path : str or os.PathLike
        An output.

    Returns
    -------
    str
        With ``/`` separators.

    Examples
    --------
    >>> node_name("External/job005/./scale_occ_map.mrc")
    'External/job005/scale_occ_map.mrc'
    """
    rel = os.path.relpath(os.path.abspath(path))
    return str(Path(path) if rel.startswith("..") else Path(rel)).replace(os.sep, "/")


def output_nodes(paths: dict[str, Path] | list[tuple[str, Path]]) -> list[tuple[str, str]]:
    """The nodes among a run's outputs: (node name, type label), in output order.

    Parameters
    ----------
    paths : dict of str to pathlib.Path, or list of (str, pathlib.Path)
        Role -> file (several runs' outputs as a list of pairs).

    Returns
    -------
    list of (str, str)
        One per output whose role has a label in ``NODE_LABELS``.
    """
    items = paths.items() if isinstance(paths, dict) else paths
    return [(node_name(p), NODE_LABELS[role]) for role, p in items if role in NODE_LABELS]


def output_nodes_star(nodes: list[tuple[str, str]]) -> str:
    """Text of ``RELION_OUTPUT_NODES.star``.

    Parameters
    ----------
    nodes : list of (str, str)
        Node name (relative to the project) and type label, e.g. from ``output_nodes``.

    Returns
    -------
    str
        A ``data_output_nodes`` loop of ``_rlnPipeLineNodeName``, ``_rlnPipeLineNodeTypeLabel``
        (RELION 4/5) and ``_rlnPipeLineNodeType`` (RELION 3.1, from ``RELION31_NODE_TYPES``).

    Examples
    --------
    >>> print(output_nodes_star([("External/job005/ampl_4.0_map.mrc", "DensityMap.mrc")]))
    # version 30001
    <BLANKLINE>
    data_output_nodes
    <BLANKLINE>
    loop_
    _rlnPipeLineNodeName
    _rlnPipeLineNodeTypeLabel
    _rlnPipeLineNodeType
    External/job005/ampl_4.0_map.mrc DensityMap.mrc 6
    <BLANKLINE>
    """
    from ..io.star import StarTable, star_text
    rows = [(name, label, RELION31_NODE_TYPES[label.split(".")[0]]) for name, label in nodes]
    table = StarTable("output_nodes", ["_rlnPipeLineNodeName", "_rlnPipeLineNodeTypeLabel", "_rlnPipeLineNodeType"],
                      rows)
    return star_text([table], comment="version 30001")


def plots_pdf(pngs: list[Path], dest: Path, first_page=None) -> None:
    """Gather PNG plots into one PDF, a page each, at their own size, after an optional first page.

    Parameters
    ----------
    pngs : list of pathlib.Path
        The images, in page order (may be empty when ``first_page`` is given).
    dest : pathlib.Path
        The PDF to write.
    first_page : matplotlib.figure.Figure, optional
        A page to put first (``occupy.outputs.summary_page.summary_figure``: the numbers and
        warnings of every map).
    """
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.image import imread
    dpi = 100
    with PdfPages(dest) as pdf:
        if first_page is not None:
            pdf.savefig(first_page)
        for png in pngs:
            img = imread(png, format="png")
            fig = Figure(figsize=(img.shape[1] / dpi, img.shape[0] / dpi), dpi=dpi)
            fig.figimage(img, resize=False)
            pdf.savefig(fig, dpi=dpi)
