"""The command-line programs ``occupy`` (:mod:`.occupy`) and ``occupy-batch`` (:mod:`.batch`).

Both are thin layers over the Python API; what they share (options generated from the
declarations in :mod:`occupy.options`, the one error handler) is in :mod:`.common`.
"""
