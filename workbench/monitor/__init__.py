"""Monitoring, early warning and evaluation against the plan's targets.

Progress is measured the way statistical offices measure SDG progress:

* **Open SDG** (Statistics Canada / ONS, ``sdg-build`` ``ProgressMeasure``):
  with a target, ``R = d * CAGR_obs / |CAGR_req|`` (``d`` = +1 when higher is
  better, -1 when lower is better, times the sign of the base value), status
  ``substantial / moderate / limited progress / deterioration`` at 0.95, 0.60
  and 0, a score from -5 to 5 (5 when the target is achieved); without a
  target the observed CAGR itself against 0.015 / 0.005 / 0, thresholds
  shrunk by the natural-limit factor ``C``; a target of 0 becomes 0.001.
* **UNSD** progress chart: the latest value projected to the target year with
  the observed CAGR, ``X = (v_est - v_base) / (v_target - v_base)``, on track
  at ``X >= 0.95``, fair progress at ``X >= 0.10``, deterioration at
  ``X <= -0.10``.

For bounded percentages ``scale="logit"`` projects on the logit scale so a
rate never passes 100 %.  The arithmetic is written by hand (vectorised in
``workbench.monitor._core``) because no maintained Python library implements these
methods; trend fits use ``scipy.stats.linregress`` / ``theilslopes`` and
exact Poisson/binomial intervals come from ``scipy.stats``.

Examples
--------
>>> import pandas as pd
>>> from workbench.monitor import assess_progress
>>> u5mr = pd.Series({2020: 7.5, 2022: 6.8})
>>> p = assess_progress(u5mr, target=6.0, direction="lower", target_year=2030)
>>> round(p.ratio, 4), p.status, p.score
(2.1665, 'substantial_progress', 5.0)
>>> q = assess_progress(u5mr, 6.0, "lower", 2030, method="unsd")
>>> round(q.projected_value, 4), round(q.ratio, 4), q.status
(4.5951, 1.9366, 'on_track')
"""

__all__ = [
    "Progress", "assess_progress", "target_status", "fit_trend", "assess", "early_warnings",
    "evaluation_summary", "latest_by_region", "data_gaps", "status_heatmap",
    "trend_to_target_chart", "status_label", "evaluation_target_year", "select_regions",
    "format_status", "format_warnings", "format_districts", "format_gaps", "warning_counts",
    "totals", "projected_to_miss", "build_register", "register_status", "register_counts",
    "format_register", "resolved_by_domain", "REGISTER_STATES", "METHODS", "SCALES",
    "EVALUATIONS", "STATUS_GROUPS", "WARNING_KINDS", "KEYS", "TREND_METHODS", "forecast",
    "FORECAST_METHODS",
]

from ._assess import assess
from ._charts import status_heatmap, trend_to_target_chart
from ._evaluation import (
    data_gaps,
    evaluation_summary,
    evaluation_target_year,
    latest_by_region,
    select_regions,
    totals,
)
from ._forecast import FORECAST_METHODS, forecast
from ._formatting import (
    format_districts,
    format_gaps,
    format_status,
    format_warnings,
    projected_to_miss,
    warning_counts,
)
from ._labels import (
    EVALUATIONS,
    KEYS,
    METHODS,
    SCALES,
    STATUS_GROUPS,
    TREND_METHODS,
    WARNING_KINDS,
    status_label,
)
from ._progress import Progress, assess_progress, fit_trend, target_status
from ._register import (
    REGISTER_STATES,
    build_register,
    format_register,
    register_counts,
    register_status,
    resolved_by_domain,
)
from ._warnings import early_warnings
