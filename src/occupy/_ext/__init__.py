"""Compiled kernels (Cython + OpenMP)."""
