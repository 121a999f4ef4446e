"""occupy as a RELION (3.1, 4, 5) External job: the ``occupy-relion`` program.

``args`` turns RELION's ``--name value`` arguments into run options, ``nodes`` writes the
output-node file and the plots PDF, ``job`` runs the job and leaves RELION's exit marker.
"""
from __future__ import annotations

from .args import parse_relion_args
from .job import main
from .nodes import check_star_name, output_nodes_star

__all__ = ["check_star_name", "main", "output_nodes_star", "parse_relion_args"]
