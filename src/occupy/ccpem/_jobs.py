"""The pipeliner job types: ``occupy.map_analysis`` (a map) and ``occupy.map_analysis.class3d``.

Registered in pyproject.toml under the ``ccpem_pipeliner.jobs`` entry point group; the
pipeliner loads this module, nothing in occupy does. A job runs one command,
``occupy-relion --o JOBDIR --in_3dref INPUT ...`` from the project directory, so the
outputs, the summary table, the node types and the one-line failure message are those of
the RELION External job (docs/relion.md). Its options are generated from occupy's
declaration (``occupy.ccpem.joboptions``); its output nodes are the ones ``occupy-relion``
lists in ``RELION_OUTPUT_NODES.star``.
"""
from __future__ import annotations

import shutil
import sysconfig
from typing import Any, Sequence

from pipeliner.external_program_utils import ExternalProgram
from pipeliner.job_options import (
    BooleanJobOption,
    FileDescription,
    FloatJobOption,
    InputNodeJobOption,
    IntJobOption,
    JobOption,
    JobOptionValidationResult,
    MultipleChoiceJobOption,
    StringJobOption,
)
from pipeliner.node_factory import create_node
from pipeliner.nodes import NODE_DENSITYMAP, NODE_MASK3D, NODE_OPTIMISERDATA
from pipeliner.pipeliner_job import PipelinerCommand, PipelinerJob, Ref
from pipeliner.results_display_objects import ResultsDisplayObject

from .._version import __version__
from ..constants import MAP_EXTENSIONS, MIN_VIS_SCALE
from ..io.classification import is_classification
from ..outputs.summary_table import SUMMARY_STAR
from ..relion.args import PROGRAM
from ..relion.nodes import NODE_LABELS
from ._display import results_display
from .joboptions import JobOptionSpec, check_job_values, job_option_specs, relion_arguments
from .results import node_type, output_nodes, summary_table

__all__ = ["OccupyClassesJob", "OccupyMapJob"]

PAPER = Ref(
    authors=["Forsberg BO", "Shah PNM", "Burt A"],
    title="A robust normalized local filter to estimate compositional heterogeneity directly from cryo-EM maps",
    journal="Nature Communications", year="2023", volume="14", doi="10.1038/s41467-023-41478-1")
# input files among the generated options, and the node type the pipeliner gives them
_FILE_NODES = {"solvent_def": NODE_MASK3D}


def _script(name: str) -> str:
    """A console script of this environment (beside its interpreter), else of PATH."""
    return shutil.which(name, path=sysconfig.get_path("scripts")) or shutil.which(name) or name


def _job_option(spec: JobOptionSpec) -> JobOption:
    """The pipeliner job option of one generated option."""
    common: dict[str, Any] = {"label": spec.label, "help_text": spec.help, "jobop_group": spec.group}
    if spec.widget == "bool":
        return BooleanJobOption(default_value=spec.default, **common)
    if spec.widget == "choice":
        return MultipleChoiceJobOption(choices=list(spec.choices), default_value=str(spec.default), **common)
    if spec.widget == "file":
        return InputNodeJobOption(node_type=_FILE_NODES.get(spec.name, NODE_DENSITYMAP),
                                  pattern=FileDescription("3D map", [".mrc", ".map"]), **common)
    if spec.widget in ("int", "float"):
        kind = IntJobOption if spec.widget == "int" else FloatJobOption
        return kind(default_value=spec.default, hard_min=spec.hard_min, hard_max=spec.hard_max, **common)
    return StringJobOption(default_value=spec.default or "", **common)


class _OccupyJob(PipelinerJob):
    """What both job types share: options, command, nodes, validation, results display."""

    OUT_DIR = "Occupy"
    INPUT = ""                     # key of the input job option

    def __init__(self) -> None:
        super().__init__()
        info = self.jobinfo
        info.version = __version__
        info.job_author = "the occupy developers"
        info.programs = [ExternalProgram(_script(PROGRAM), name="occupy", vers_com=[_script("occupy"), "--version"])]
        info.references = [PAPER]
        self.joboptions[self.INPUT] = self.input_option()
        for spec in job_option_specs():
            self.joboptions[spec.name] = _job_option(spec)
        self.get_runtab_options(threads=True)

    def input_option(self) -> InputNodeJobOption:
        """Give the job option of the job's input.

        Returns
        -------
        InputNodeJobOption
            Required, typed for the pipeliner's file browser.
        """
        raise NotImplementedError

    def input_problem(self, value: str) -> str:
        """Say what is wrong with the input for this job type.

        Parameters
        ----------
        value : str
            The input as given.

        Returns
        -------
        str
            The problem, or ``""``.
        """
        raise NotImplementedError

    def option_values(self) -> dict[str, Any]:
        """Give the generated options' values.

        Returns
        -------
        dict of str to object
            Option name -> value (None or ``""`` when blank).
        """
        return {spec.name: self.joboptions[spec.name].value for spec in job_option_specs()}

    def additional_joboption_validation(self) -> list[JobOptionValidationResult]:
        """Check the values as every occupy front end does (``occupy.options.check_option``).

        Returns
        -------
        list of JobOptionValidationResult
            An error per bad value (but those the pipeliner's own range check refused
            already), per bad combination and for an input of the wrong kind.
        """
        refused = {name for name, jo in self.joboptions.items() if any(r.type == "error" for r in jo.validate())}
        errors = [JobOptionValidationResult("error", [self.joboptions[name]] if name else [], message)
                  for name, message in check_job_values(self.option_values()) if name not in refused]
        given = self.joboptions[self.INPUT].value
        problem = self.input_problem(given) if given else ""
        if problem:
            errors.append(JobOptionValidationResult("error", [self.joboptions[self.INPUT]], problem))
        return errors

    def get_commands(self) -> list[PipelinerCommand]:
        """Give the one command: ``occupy-relion`` run from the project directory.

        Returns
        -------
        list of PipelinerCommand
            ``occupy-relion --o JOBDIR --in_3dref INPUT [--name value ...] --j N``.
        """
        command = [_script(PROGRAM), "--o", self.output_dir, "--in_3dref", self.joboptions[self.INPUT].get_string()]
        command += relion_arguments(self.option_values()) + ["--j", str(self.get_nr_threads())]
        return [PipelinerCommand(command)]

    def create_output_nodes(self) -> None:
        """Declare the summary table, the one output known before the run."""
        kind, keywords = node_type(NODE_LABELS["summary_star"])
        self.add_output_node(SUMMARY_STAR, kind, keywords)

    def create_post_run_output_nodes(self) -> None:
        """Add every node ``occupy-relion`` listed, with its type (``occupy.relion.nodes``)."""
        known = {node.name for node in self.output_nodes}
        for name, label in output_nodes(self.output_dir):
            if name not in known:
                kind, keywords = node_type(label)
                self.output_nodes.append(create_node(name, kind, keywords))

    def gather_metadata(self) -> dict[str, Any]:
        """Give the summary table, a row per map or class, as the job's metadata.

        Returns
        -------
        dict
            ``{"summary": [{column: text, ...}, ...]}``.
        """
        header, rows = summary_table(self.output_dir)
        return {"summary": [dict(zip(header, row)) for row in rows]}

    def create_results_display(self) -> Sequence[ResultsDisplayObject]:
        """Make what Doppio shows: table, slices, histograms (``occupy.ccpem._display``).

        Returns
        -------
        list of ResultsDisplayObject
            The display objects.
        """
        level = self.joboptions["min_vis_scale"].value
        return results_display(self.output_dir, MIN_VIS_SCALE if level is None else level)


class OccupyMapJob(_OccupyJob):
    """Local scale of one map, with the amplified, attenuated or solvent-flattened maps asked for."""

    PROCESS_NAME = "occupy.map_analysis"
    INPUT = "input_map"

    def __init__(self) -> None:
        super().__init__()
        self.jobinfo.display_name = "Local scale (relative occupancy) of a map"
        self.jobinfo.short_desc = "Estimate local scale; amplify or attenuate partial occupancy"
        self.jobinfo.long_desc = (
            "Estimates the local scale of a cryo-EM map, a per-voxel value in [0, 1] that approximates relative "
            "occupancy (and, without lowpass, relative resolution), from that one map: no half-maps, no mask. It "
            "can then amplify or attenuate confidently estimated partial occupancy, or flatten solvent. Runs "
            "occupy-relion in the job directory; see occupy's docs/ccpem.md.")

    def input_option(self) -> InputNodeJobOption:
        """Give the map input.

        Returns
        -------
        InputNodeJobOption
            A required density map.
        """
        return InputNodeJobOption(
            label="Input map", node_type=NODE_DENSITYMAP, is_required=True,
            pattern=FileDescription("3D map", [e for e in MAP_EXTENSIONS if e != ".gz"]),
            help_text="The map to analyse: best unsharpened and unmasked (the solvent model needs solvent), "
                      "e.g. a refinement's or post-processing's map, or one 3-D class.")

    def input_problem(self, value: str) -> str:
        """Refuse a classification given as the map.

        Parameters
        ----------
        value : str
            The input as given.

        Returns
        -------
        str
            The problem, or ``""``.
        """
        if is_classification(value):
            return f"{value} is not a map: for a classification use the {OccupyClassesJob.PROCESS_NAME} job"
        return ""


class OccupyClassesJob(_OccupyJob):
    """Local scale of every 3-D class of a classification, in one job, with one summary table."""

    PROCESS_NAME = "occupy.map_analysis.class3d"
    INPUT = "input_classification"

    def __init__(self) -> None:
        super().__init__()
        self.jobinfo.display_name = "Local scale of every 3-D class"
        self.jobinfo.short_desc = "Local scale of each class of a 3-D classification, in one table"
        self.jobinfo.long_desc = (
            "Runs occupy on every class map of a RELION 3-D classification (Class3D, InitialModel or MultiBody) "
            "in one job: a scale map (and any modified map asked for) per class, a summary table with the class "
            "distribution and resolution, and one ChimeraX script of all classes. Empty classes are skipped. "
            "Runs occupy-relion in the job directory; see occupy's docs/ccpem.md.")

    def input_option(self) -> InputNodeJobOption:
        """Give the classification input.

        Returns
        -------
        InputNodeJobOption
            A required optimiser (or model) STAR file of a classification.
        """
        return InputNodeJobOption(
            label="Classification", node_type=NODE_OPTIMISERDATA, node_kwds=["relion"], is_required=True,
            pattern=FileDescription("Optimiser or model STAR file", ["_optimiser.star", "_model.star"]),
            help_text="The classification's run_itNNN_optimiser.star (or run_itNNN_model.star): its class maps "
                      "are the model file's _rlnReferenceImage, relative to the project directory.")

    def input_problem(self, value: str) -> str:
        """Refuse a map given as the classification.

        Parameters
        ----------
        value : str
            The input as given.

        Returns
        -------
        str
            The problem, or ``""``.
        """
        if not is_classification(value):
            return f"{value} is not a classification's STAR file: for a map use the {OccupyMapJob.PROCESS_NAME} job"
        return ""
