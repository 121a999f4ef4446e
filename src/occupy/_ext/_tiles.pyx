# cython: language_level=3
"""Placeholder, replaced by the kernel implementation."""
