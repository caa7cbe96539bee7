"""Inspection: what each granularity brings to a fitted multi-granularity model.

:func:`granularity_report` tabulates, per granularity, the out-of-fold and
test scores, the weight in the fused model and the fit time;
:class:`GranularityDisplay` draws them (matplotlib, imported when plotting).
"""

from ._display import GranularityDisplay
from ._report import granularity_report

__all__ = ["GranularityDisplay", "granularity_report"]
