"""Missing data: gaps in the indicator system, mechanism diagnostics, flagged imputation.

Coverage compares the cells the catalogue expects (indicator x district x year x each
breakdown level named in ``disaggregations``) with the rows present in the database.
Little's MCAR test (EM maximum likelihood, as ``naniar::mcar_test``), the md.pattern table
and Rubin's rules with Barnard-Rubin degrees of freedom (as ``mice::pool.scalar``) are
written by hand in :mod:`workbench.missing._stats` because no maintained Python library
reproduces R's results; imputation uses pandas and scikit-learn.  Imputed values always
carry ``imputed=True``; observed values are never changed.

Examples
--------
>>> import pandas as pd
>>> from workbench.missing import md_pattern, pool_rubin
>>> md_pattern(pd.DataFrame({"a": [1, None, 3], "b": [1.0, 2.0, None]})).table["count"].tolist()
[1, 1, 1, 3]
>>> round(float(pool_rubin([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]).t), 4)
2.3333
"""

__all__ = ["LittleResult", "PatternTable", "RubinPool", "Coverage", "little_mcar_test",
           "md_pattern", "pool_rubin", "panel_coverage", "coverage_gaps", "compare_groups",
           "missingness_model", "impute_panel", "impute_survey", "multiple_impute",
           "mi_pool_mean", "evaluate_by_masking", "share_imputed", "flag_values",
           "write_imputed", "missing_matrix_plot", "coverage_heatmap", "coverage_choropleth",
           "imputed_series_plot", "PANEL_METHODS", "SURVEY_METHODS", "BREAKDOWN_LEVELS",
           "IMPUTED_MARK", "load_dataset", "SURVEY_IDENTIFIERS"]

from ._common import BREAKDOWN_LEVELS, IMPUTED_MARK, PANEL_METHODS, SURVEY_METHODS
from ._coverage import Coverage, coverage_gaps, panel_coverage
from ._datasets import SURVEY_IDENTIFIERS, load_dataset
from ._diagnostics import (
           LittleResult,
           PatternTable,
           RubinPool,
           compare_groups,
           little_mcar_test,
           md_pattern,
           missingness_model,
           pool_rubin,
)
from ._figures import (
           coverage_choropleth,
           coverage_heatmap,
           imputed_series_plot,
           missing_matrix_plot,
)
from ._imputation import (
           evaluate_by_masking,
           flag_values,
           impute_panel,
           impute_survey,
           mi_pool_mean,
           multiple_impute,
           share_imputed,
           write_imputed,
)
