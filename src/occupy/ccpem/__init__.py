"""occupy as CCP-EM pipeliner (Doppio) jobs: the ``occupy[ccpem]`` plugin.

Two job types, registered through the ``ccpem_pipeliner.jobs`` entry point group:
``occupy.map_analysis`` (one map) and ``occupy.map_analysis.class3d`` (every class of a
3-D classification). Each job runs ``occupy-relion`` in its job directory, so outputs,
summary table, node types and failures are those of the RELION job (docs/relion.md).

``joboptions`` generates the job options from occupy's one declaration of options and
turns their values back into ``occupy-relion`` arguments; ``results`` reads what a
finished job wrote, for the results display. Neither imports the pipeliner. The job
classes (``occupy.ccpem._jobs``) do, and are loaded only by the pipeliner itself, so
``import occupy`` never imports it. See docs/ccpem.md.
"""
from __future__ import annotations

__all__: list[str] = []
