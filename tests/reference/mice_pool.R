# Rubin's rules as mice::pool reports them (incl. lambda), on mice's nhanes data.
# Writes mice_pool_fits.csv (estimate and variance per imputation and term) and
# mice_pool_pooled.csv (mice's pooled table).  Run: Rscript mice_pool.R  (tests never need R)
suppressMessages(library(mice))
imp <- mice(nhanes, m = 5, seed = 2024, printFlag = FALSE)
fit <- with(imp, lm(chl ~ age + bmi))
fits <- do.call(rbind, lapply(seq_along(fit$analyses), function(i) {
  f <- fit$analyses[[i]]
  data.frame(imputation = i, term = names(coef(f)), estimate = unname(coef(f)),
             variance = unname(diag(vcov(f))), dfcom = df.residual(f))
}))
p <- pool(fit)$pooled
pooled <- data.frame(term = as.character(p$term), qbar = p$estimate, ubar = p$ubar, b = p$b,
                     t = p$t, dfcom = p$dfcom, df = p$df, riv = p$riv, lambda = p$lambda,
                     fmi = p$fmi)
write.csv(format(fits, digits = 17), "mice_pool_fits.csv", row.names = FALSE)
write.csv(format(pooled, digits = 17), "mice_pool_pooled.csv", row.names = FALSE)
cat("mice", as.character(packageVersion("mice")), "\n")
