"""The numerical stages of a run, in the order the pipeline calls them.

``lowpass`` (Fourier filter, crop and pad) -> ``scale`` (parameters, local maximum from
``maxfilter``, full-scale reference from ``tiles``) -> ``solvent`` (Gaussian model of
the solvent histogram) -> ``confidence`` (per-bin curve, per-voxel lookup) ->
``modification`` (amplify, attenuate, sigmoid, solvent flattening).

Each stage takes and returns NumPy arrays and small dataclasses; none reads or writes
files. Each compiled kernel family in ``occupy/_ext`` has exactly one Python caller,
named like it: ``maxfilter`` calls ``_maxfilter``, ``tiles`` ``_tiles``, ``confidence``
``_confidence`` and ``modification`` ``_modification`` (``occupy.stats`` calls
``_stats`` and ``occupy.threads`` ``_threads``). The wrapper validates, allocates and
chooses the thread count; the kernel only computes.
"""
