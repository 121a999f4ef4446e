"""Fault injection for tests/test_termination.py: stop an occupy process at a chosen point.

Put this directory on PYTHONPATH and set ``OCCUPY_TEST_PAUSE_AT`` to one of

- ``stage:NAME``  when the pipeline stage NAME starts (e.g. ``stage:lowpass``),
- ``write:N``     after the N-th output file has been staged (its temporary file exists),
- ``commit:N``    after the N-th output file has been renamed to its final name,
- ``download:N``  after N bytes of an EMDB download have been written,
- ``nodes``       in occupy-relion, after the run, before RELION_OUTPUT_NODES.star.
- ``class:N``     in occupy-relion on a classification, when the N-th class has finished
                  (in the main thread; the other classes go on meanwhile).

At that point the process writes ``$OCCUPY_TEST_READY/ready-<pid>`` and sleeps until a
signal arrives (or ``continue-<pid>`` appears there), so the test can act at a known place. Python runs sitecustomize in
every interpreter started with this PYTHONPATH, including multiprocessing's forkserver,
whose workers inherit the patches. Nothing here is part of occupy.
"""
import os

_AT = os.environ.get("OCCUPY_TEST_PAUSE_AT", "")


def _pause() -> None:
    """Announce the pause, then wait for a signal (which raises) or ``continue-<pid>``."""
    import time
    folder = os.environ["OCCUPY_TEST_READY"]
    with open(os.path.join(folder, f"ready-{os.getpid()}"), "w") as fh:
        fh.write(_AT)
    for _ in range(600):     # at most a minute
        if os.path.exists(os.path.join(folder, f"continue-{os.getpid()}")):
            return
        time.sleep(0.05)


def _patch() -> None:
    kind, _, arg = _AT.partition(":")
    if kind == "stage":
        from occupy import pipeline
        original = pipeline.StageClock.__call__

        def call(self, name):
            if name == arg:
                _pause()
            return original(self, name)
        pipeline.StageClock.__call__ = call
    elif kind in ("write", "commit"):
        from occupy.outputs import outputset
        target = "stage" if kind == "write" else "publish"
        holder = outputset.OutputSet if kind == "write" else outputset
        original = getattr(holder, target)
        count = [0]

        def counted(*args, **kwargs):
            result = original(*args, **kwargs)
            count[0] += 1
            if count[0] == int(arg):
                _pause()
            return result
        setattr(holder, target, counted)
    elif kind == "download":
        from occupy.io import transfer
        original = transfer._write
        written = [0]

        def write(sink, chunk):
            original(sink, chunk)
            written[0] += len(chunk)
            if written[0] >= int(arg) and written[0] - len(chunk) < int(arg):
                _pause()
        transfer._write = write
    elif kind == "class":
        from occupy.relion import job
        original_report = job._report_class
        reported = [0]

        def report(outcome):
            original_report(outcome)
            reported[0] += 1
            if reported[0] == int(arg):
                _pause()
        job._report_class = report
    elif kind == "nodes":
        from occupy.relion import job
        original = job.stage_nodes

        def write(*args, **kwargs):
            _pause()
            return original(*args, **kwargs)
        job.stage_nodes = write


if _AT:
    _patch()
