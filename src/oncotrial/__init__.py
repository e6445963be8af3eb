"""oncotrial: run a single-arm phase Ib/II oncology trial from protocol to published analysis."""

__version__ = "0.1.0"
__all__ = ["__version__"]
