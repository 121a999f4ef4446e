"""The command-line programs ``occupy`` (``.occupy``) and ``occupy-batch`` (``.batch``).

Both are thin layers over the Python API; what they share (options generated from the
declarations in ``occupy.options``, the one error handler) is in ``.common``.
"""
