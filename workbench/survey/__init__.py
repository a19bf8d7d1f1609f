"""Design-based estimation for special surveys (专项调查), checked against R ``survey``.

:class:`SurveyDesign` describes a stratified multi-stage sample (strata, clusters, weights,
finite population corrections) or a replicate-weight design (JK1, JKn, BRR, Fay,
bootstrap, or the agency's columns) and estimates means, totals (also of categorical
variables), proportions with R's ``svyciprop`` intervals, ratios, quantiles and variances
with Taylor-linearisation or replicate standard errors, t intervals on the design's
degrees of freedom (PSUs minus strata; each domain's own for quantiles and proportions),
design effects, and domain estimation that keeps the whole design.  Weighting:
post-stratification, raking, calibration (linear, raking, logit; bounds; explicit
intercept), trimming and nonresponse adjustment, each returning a new design whose
variance uses R's calibration residuals (or re-weighted replicates).  Tests of
independence: ``svychisq``'s F, Chisq, Wald and adjWald.

Written by hand because no maintained Python library does this correctly and fast; the
arithmetic follows Lumley's R ``survey`` (``svyrecvar``, ``svymean``, ``postStratify``,
``rake``, ``calibrate``/``grake``, ``svychisq``, ``svyquantile``, ``svyciprop``,
``as.svrepdesign``, ``svrVar``) and is vectorised with ``np.bincount`` on integer codes.
Reference values written by R survey 4.1.1 are kept in ``tests/reference/survey/``.

Modules: ``_design`` (the object, domains), ``_estimators``, ``_intervals``, ``_tests``
(chisq), ``_weighting`` and ``_calibrate``, ``_variance`` (linearisation), ``_replicate``,
``_io`` (SPSS/Stata files), ``_extras`` (sample size, flags, plots), ``_report`` (notebook
helpers).

Examples
--------
>>> import pandas as pd
>>> from workbench.survey import SurveyDesign
>>> df = pd.DataFrame({"s": ["a"] * 4 + ["b"] * 4, "y": [1., 2, 3, 4, 5, 6, 7, 8],
...                    "w": [2.] * 8, "N": [8] * 8})
>>> d = SurveyDesign(df, strata="s", weights="w", fpc="N")
>>> d.mean("y")[["variable", "estimate", "se", "n"]].round(4)
  variable  estimate      se  n
0        y       4.5  0.3227  8
"""

from __future__ import annotations

from ._calibrate import CALFUNS
from ._design import LONELY_PSU, SurveyDesign
from ._extras import flag_unreliable, forest_plot, sample_size
from ._intervals import CIPROP_METHODS
from ._io import SurveyFile, read_survey
from ._replicate import REPLICATE_TYPES
from ._report import (
    IDENTIFIER_COLUMNS,
    difference_tests,
    domain_estimates,
    survey_data,
    survey_margins,
    weight_diagnostics,
    weight_plot,
)
from ._tests import STATISTICS as CHISQ_STATISTICS

__all__ = [
    "SurveyDesign", "sample_size", "read_survey", "SurveyFile", "flag_unreliable",
    "forest_plot", "LONELY_PSU", "REPLICATE_TYPES", "IDENTIFIER_COLUMNS", "survey_data",
    "weight_diagnostics", "domain_estimates", "difference_tests", "survey_margins",
    "weight_plot", "CALFUNS", "CIPROP_METHODS", "CHISQ_STATISTICS",
]
