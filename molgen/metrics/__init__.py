"""MOSES-compatible distribution metrics (and GuacaMol's KL and FCD scores)."""

from molgen.metrics.evaluate import MOSES_COLUMNS, evaluate
from molgen.metrics.reference import ReferenceStats, compute_reference, moses_reference
from molgen.metrics.report import markdown_table, property_plots, published_rows

__all__ = ["MOSES_COLUMNS", "evaluate", "ReferenceStats", "compute_reference", "moses_reference",
           "markdown_table", "property_plots", "published_rows"]
