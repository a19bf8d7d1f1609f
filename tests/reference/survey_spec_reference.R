# Reference values for tests/test_survey_spec.py, computed with R's survey package.
# Run from tests/reference: Rscript survey_spec_reference.R  (writes survey_spec_r.csv)
# Design: strata = stratum, PSU = school (ids repeat across strata: nest = TRUE), weights = wt,
# no fpc, no raking. Means of myopia and screen_h (NA removed) overall and by sex / school_type.
suppressPackageStartupMessages(library(survey))
d <- read.csv("nest_survey.csv")
des <- svydesign(ids = ~school, strata = ~stratum, weights = ~wt, nest = TRUE, data = d)
out <- list()
for (v in c("myopia", "screen_h")) {
  f <- as.formula(paste0("~", v))
  m <- svymean(f, des, na.rm = TRUE)
  out[[length(out) + 1]] <- data.frame(variable = v, by = "", domain = "",
                                       estimate = coef(m)[[1]], se = SE(m)[[1]])
  for (by in c("sex", "school_type")) {
    r <- svyby(f, as.formula(paste0("~", by)), des, svymean, na.rm = TRUE)
    out[[length(out) + 1]] <- data.frame(variable = v, by = by, domain = r[[by]],
                                         estimate = coef(r), se = SE(r))
  }
}
res <- do.call(rbind, out)
res$r_version <- paste(R.version$major, R.version$minor, sep = ".")
res$survey_version <- as.character(packageVersion("survey"))
write.csv(res, "survey_spec_r.csv", row.names = FALSE)
print(res, digits = 12)
