# Reference values for tests/test_survey_r_parity.py, written by R survey (Lumley).
# Run from this folder:  Rscript make_reference.R
# Reads the API data in ../../../../shared/reference/survey/ (project layout: ../shared next to
# the repository) and R's data(nhanes); writes values.csv (case, stat, i, value), nhanes.csv and
# the replicate multipliers R drew (boot_clus1.csv, brr_nhanes.csv).  R is a development tool
# only: the tests read these files and never call R.
suppressMessages(library(survey))
stopifnot(packageVersion("survey") == "4.1.1")
options(digits = 15, survey.lonely.psu = "fail")
shared <- normalizePath(file.path("..", "..", "..", "..", "shared", "reference", "survey"))
api <- function(name) read.csv(file.path(shared, paste0(name, ".csv")), stringsAsFactors = TRUE)
apistrat <- api("apistrat"); apiclus1 <- api("apiclus1"); apiclus2 <- api("apiclus2")
apipop <- api("apipop")
data(nhanes)
write.csv(nhanes, "nhanes.csv", row.names = FALSE)

out <- list()
put <- function(case, stat, x) {
  x <- as.numeric(unclass(x))
  out[[length(out) + 1]] <<- data.frame(case = case, stat = stat, i = seq_along(x) - 1,
                                        value = sprintf("%.15g", x))
}
stat <- function(case, s, df = NULL) {     # svystat: estimate, se, (deff), t interval
  put(case, "estimate", coef(s)); put(case, "se", SE(s))
  if (!is.null(attr(s, "deff"))) put(case, "deff", diag(as.matrix(attr(s, "deff"))))
  if (!is.null(df)) { ci <- confint(s, df = df); put(case, "ci_low", ci[, 1]); put(case, "ci_high", ci[, 2]); put(case, "df", df) }
}
byq <- function(case, b, design, by) {     # svyby of quantiles or ciprop plus each domain's df
  put(case, "estimate", b[[2]]); put(case, "se", SE(b))
  put(case, "ci_low", b[["ci_l"]]); put(case, "ci_high", b[["ci_u"]])
  lv <- as.character(b[[1]])
  put(case, "df", sapply(lv, function(l) degf(subset(design, design$variables[[by]] == l))))
}

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dnh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)

# ---- designs: stratified, one-/two-stage cluster, nest, lonely PSUs, deff ------------------
stat("strat_mean", svymean(~api00, dstrat, deff = TRUE), degf(dstrat))
stat("strat_total", svytotal(~enroll, dstrat, deff = TRUE), degf(dstrat))
stat("clus1_mean", svymean(~api00, dclus1, deff = TRUE), degf(dclus1))
stat("clus1_total", svytotal(~enroll, dclus1, deff = TRUE), degf(dclus1))
stat("clus2_mean", svymean(~api00, dclus2), degf(dclus2))
stat("clus2_total", svytotal(~enroll, dclus2, na.rm = TRUE), degf(dclus2))
stat("nhanes_mean", svymean(~HI_CHOL, dnh, na.rm = TRUE), degf(dnh))
stat("nhanes_total", svytotal(~HI_CHOL, dnh, na.rm = TRUE), degf(dnh))
b <- svyby(~HI_CHOL, ~race, dnh, svymean, na.rm = TRUE)
put("nhanes_by_race", "estimate", b$HI_CHOL); put("nhanes_by_race", "se", SE(b))
for (opt in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = opt)
  dl <- svydesign(id = ~1, strata = ~dnum, weights = ~pw, data = apiclus1)
  stat(paste0("lonely_", opt), svymean(~api00, dl))
  stat(paste0("lonely_total_", opt), svytotal(~enroll, dl))
}
options(survey.lonely.psu = "fail")
stat("clus1_mean_replace", svymean(~api00, dclus1, deff = "replace"))
stat("clus1_total_replace", svytotal(~enroll, dclus1, deff = "replace"))
stat("strat_mean_replace", svymean(~api00, dstrat, deff = "replace"))
# domains with few PSUs (counties hold 1-3 sampled districts)
b <- svyby(~api00, ~cname, dclus1, svymean)
put("clus1_by_cname", "estimate", b$api00); put("clus1_by_cname", "se", SE(b))
put("clus1_by_cname", "df", sapply(as.character(b$cname), function(l) degf(subset(dclus1, cname == l))))

# ---- factors, svyvar --------------------------------------------------------------------------
stat("clus1_mean_stype", svymean(~stype, dclus1, deff = TRUE))
stat("strat_total_stype", svytotal(~stype, dstrat, deff = TRUE))
for (l in c("E", "H", "M")) stat(paste0("clus1_schwide_", l), svymean(~sch.wide, subset(dclus1, stype == l)))
stat("clus1_var", svyvar(~api00, dclus1))
stat("strat_var", svyvar(~enroll, dstrat, na.rm = TRUE))

# ---- defect 1: post-stratification with unequal weights within post-strata --------------------
pop_awards <- data.frame(awards = c("No", "Yes"), Freq = as.vector(table(apipop$awards)))
ps <- postStratify(dstrat, ~awards, pop_awards)
stat("strat_ps_mean", svymean(~api00, ps)); stat("strat_ps_total", svytotal(~enroll, ps))
pop_race <- data.frame(race = 1:4, Freq = c(8e7, 4e7, 1.5e8, 1.5e7))
psn <- postStratify(dnh, ~race, pop_race)
stat("nhanes_ps_mean", svymean(~HI_CHOL, psn, na.rm = TRUE))

# ---- defect 2: trimming gives each untrimmed weight an equal share ----------------------------
tr <- trimWeights(dstrat, upper = 40, lower = 20)
put("strat_trim", "weights", weights(tr)); stat("strat_trim_mean", svymean(~api00, tr))
trn <- trimWeights(dnh, upper = 60000, strict = TRUE)
put("nhanes_trim", "weights_sumsq", sum(weights(trn)^2)); put("nhanes_trim", "weights_max", max(weights(trn)))
stat("nhanes_trim_mean", svymean(~HI_CHOL, trn, na.rm = TRUE))

# ---- defect 3: replicate designs -------------------------------------------------------------
rclus1 <- as.svrepdesign(dclus1)                          # JK1, fpc folded into the scale
stat("rclus1_mean", svymean(~api00, rclus1)); stat("rclus1_total", svytotal(~enroll, rclus1))
put("rclus1", "scale", rclus1$scale); put("rclus1", "df", degf(rclus1))
rstrat <- as.svrepdesign(dstrat, type = "JKn")            # JKn with fpc in rscales
stat("rstrat_jkn_mean", svymean(~api00, rstrat)); stat("rstrat_jkn_total", svytotal(~enroll, rstrat))
# user-supplied JK1 columns (combined weights) with scale and mse
rw <- weights(as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = apiclus1)), "analysis")
u1 <- svrepdesign(data = apiclus1, repweights = rw, weights = ~pw, type = "JK1", scale = 14 / 15 * 0.7)
stat("user_jk1_scale_total", svytotal(~enroll, u1)); stat("user_jk1_scale_mean", svymean(~api00, u1))
u2 <- svrepdesign(data = apiclus1, repweights = rw, weights = ~pw, type = "JK1", scale = 14 / 15, mse = TRUE)
stat("user_jk1_mse_mean", svymean(~api00, u2))
u3 <- svrepdesign(data = apiclus1, repweights = rw, weights = ~pw, type = "other", scale = 0.5,
                  rscales = seq(0.5, 1.2, length.out = 15))
stat("user_other_rscales_mean", svymean(~api00, u3))
# bootstrap multipliers drawn by R, given back as columns
set.seed(20240501)
rb <- as.svrepdesign(dclus1, type = "bootstrap", replicates = 50)
m <- rb$repweights$weights[match(sort(unique(apiclus1$dnum)), apiclus1$dnum[!duplicated(apiclus1$dnum)]), ]
write.csv(data.frame(dnum = sort(unique(apiclus1$dnum)), m), "boot_clus1.csv", row.names = FALSE)
stat("boot_clus1_mean", svymean(~api00, rb)); stat("boot_clus1_total", svytotal(~enroll, rb))
put("boot_clus1", "scale", rb$scale)
# BRR and Fay on NHANES without stratum 86 (the one with 3 PSUs): 14 strata x 2 PSUs
nh2 <- subset(nhanes, SDMVSTRA != 86)
dnh2 <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nh2)
rbrr <- as.svrepdesign(dnh2, type = "BRR")
key <- unique(data.frame(SDMVSTRA = nh2$SDMVSTRA, SDMVPSU = nh2$SDMVPSU))
mb <- rbrr$repweights$weights
write.csv(data.frame(key, mb), "brr_nhanes.csv", row.names = FALSE)
stat("nhanes_brr_mean", svymean(~HI_CHOL, rbrr, na.rm = TRUE)); stat("nhanes_brr_total", svytotal(~HI_CHOL, rbrr, na.rm = TRUE))
rfay <- as.svrepdesign(dnh2, type = "Fay", fay.rho = 0.3)
stat("nhanes_fay_mean", svymean(~HI_CHOL, rfay, na.rm = TRUE)); stat("nhanes_fay_total", svytotal(~HI_CHOL, rfay, na.rm = TRUE))
put("nhanes_brr", "df", degf(rbrr))
# weighting a replicate design re-weights every replicate
pop_stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_sw <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1200, 4994))
rps <- postStratify(rclus1, ~stype, pop_stype)
stat("rclus1_ps_total", svytotal(~enroll, rps)); stat("rclus1_ps_mean", svymean(~api00, rps))
rrk <- rake(rclus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = list(maxit = 200, epsilon = 1e-13))
stat("rclus1_rake_total", svytotal(~enroll, rrk)); stat("rclus1_rake_mean", svymean(~api00, rrk))
pop_cal <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
rcal <- calibrate(rclus1, ~stype + api99, pop_cal)
stat("rclus1_cal_total", svytotal(~enroll, rcal)); stat("rclus1_cal_mean", svymean(~api00, rcal))
rcalb <- calibrate(rclus1, ~stype + api99, pop_cal, calfun = "raking", bounds = c(0.3, 3))
stat("rclus1_calrake_total", svytotal(~enroll, rcalb))

# ---- linearised weighting: rake, calibrate (calfun, bounds, explicit intercept) ---------------
rk <- rake(dclus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = list(maxit = 200, epsilon = 1e-13))
stat("clus1_rake_mean", svymean(~api00, rk)); stat("clus1_rake_total", svytotal(~enroll, rk))
for (cf in c("linear", "raking", "logit")) {
  cb <- calibrate(dclus1, ~stype + api99, pop_cal, calfun = cf, bounds = c(0.7, 1.7))
  put(paste0("cal_", cf), "weights", weights(cb))
  stat(paste0("cal_", cf, "_mean"), svymean(~api00, cb)); stat(paste0("cal_", cf, "_total"), svytotal(~enroll, cb))
}
cr <- calibrate(dclus1, ~stype + api99, pop_cal, calfun = "raking")
stat("cal_raking_nobounds_total", svytotal(~enroll, cr))
ci <- calibrate(dclus1, ~api99, c(`(Intercept)` = 6194, api99 = 3914069))
stat("cal_intercept_mean", svymean(~api00, ci)); stat("cal_intercept_total", svytotal(~enroll, ci))
cs <- calibrate(dstrat, ~api99, c(`(Intercept)` = 6194, api99 = 3914069))
stat("cal_strat_intercept_total", svytotal(~enroll, cs))
bad <- tryCatch(calibrate(dclus1, ~stype + api99, pop_cal, bounds = c(0.95, 1.05)), error = function(e) NULL)
put("cal_infeasible", "failed", is.null(bad))

# ---- defects 4 and 5: domain df of quantiles and proportions; Woodruff limits outside [0, 1] -
b <- svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c("se", "ci"))
byq("clus1_median_by_stype", b, dclus1, "stype")
b <- svyby(~api00, ~stype, dstrat, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c("se", "ci"))
byq("strat_median_by_stype", b, dstrat, "stype")
b <- svyby(~I(sch.wide == "Yes"), ~stype, dclus1, svyciprop, method = "mean", vartype = c("se", "ci"))
byq("clus1_prop_by_stype", b, dclus1, "stype")
b <- svyby(~I(sch.wide == "Yes"), ~stype, dstrat, svyciprop, method = "mean", vartype = c("se", "ci"))
byq("strat_prop_by_stype", b, dstrat, "stype")
q <- svyquantile(~api00, dclus1, c(0.01, 0.25, 0.5, 0.99), ci = TRUE)$api00
put("clus1_quantiles", "estimate", q[, 1]); put("clus1_quantiles", "ci_low", q[, 2])
put("clus1_quantiles", "ci_high", q[, 3]); put("clus1_quantiles", "se", q[, 4])

# ---- svyciprop ---------------------------------------------------------------------------------
for (m in c("logit", "likelihood", "beta", "asin", "xlogit", "mean")) {
  for (d in list(list("clus1", dclus1), list("strat", dstrat))) {
    p <- svyciprop(~I(sch.wide == "Yes"), d[[2]], method = m)
    case <- paste0("ciprop_", d[[1]], "_", m)
    put(case, "estimate", coef(p)); put(case, "se", SE(p)); put(case, "ci", attr(p, "ci"))
  }
  p <- svyciprop(~I(stype == "H"), dclus1, method = m)
  case <- paste0("ciprop_clus1H_", m)
  put(case, "estimate", coef(p)); put(case, "se", SE(p)); put(case, "ci", attr(p, "ci"))
}

# ---- svychisq --------------------------------------------------------------------------------
for (s in c("F", "Chisq", "Wald", "adjWald")) {
  for (d in list(list("clus1", dclus1), list("strat", dstrat), list("rclus1", rclus1))) {
    x <- svychisq(~sch.wide + stype, d[[2]], statistic = s)
    case <- paste0("chisq_", d[[1]], "_", s)
    put(case, "statistic", x$statistic); put(case, "parameter", x$parameter); put(case, "p_value", x$p.value)
  }
}
x <- svychisq(~race + agecat, dnh, statistic = "F")
put("chisq_nhanes_F", "statistic", x$statistic); put("chisq_nhanes_F", "parameter", x$parameter)
put("chisq_nhanes_F", "p_value", x$p.value)
put("pearson_clus1", "statistic", svychisq(~sch.wide + stype, dclus1, statistic = "Chisq")$statistic)

write.csv(do.call(rbind, out), "values.csv", row.names = FALSE, quote = FALSE)
cat("wrote", nrow(do.call(rbind, out)), "values\n")
