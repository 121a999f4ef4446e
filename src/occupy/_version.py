"""The package version: one place, read by the build (scikit-build-core's regex provider) and by ``occupy``."""
__version__ = "0.2.0"
