# Moran's I, Geary's C and local Moran with spdep on the columbus data (CRIME), queen and
# rook contiguity, row-standardised weights (style "W").  Writes spdep_columbus_global.csv,
# spdep_columbus_local.csv and spdep_columbus_nb.csv (neighbour pairs, to check that the
# libpysal weights are the same).  Run: Rscript spdep_columbus.R  (the tests never need R)
suppressMessages({library(sf); library(spdep)})
col <- st_read(system.file("shapes/columbus.shp", package = "spData"), quiet = TRUE)
x <- col$CRIME
glob <- list(); loc <- list(); nbs <- list()
for (queen in c(TRUE, FALSE)) {
  w <- if (queen) "queen" else "rook"
  nb <- poly2nb(col, queen = queen)
  lw <- nb2listw(nb, style = "W")
  nbs[[w]] <- data.frame(weights = w, i = rep(seq_along(nb), card(nb)) - 1,
                         j = unlist(nb) - 1)
  for (rand in c(TRUE, FALSE)) {
    m <- moran.test(x, lw, randomisation = rand)        # alternative = "greater"
    g <- geary.test(x, lw, randomisation = rand)
    glob[[length(glob) + 1]] <- data.frame(
      weights = w, assumption = if (rand) "randomisation" else "normality",
      I = m$estimate[[1]], EI = m$estimate[[2]], VI = m$estimate[[3]], zI = m$statistic[[1]],
      pI = m$p.value, C = g$estimate[[1]], EC = g$estimate[[2]], VC = g$estimate[[3]],
      zC = g$statistic[[1]], pC = g$p.value)
  }
  # permutation test on CRIME (beyond every permutation) and on AREA (p near 0.04)
  set.seed(1)
  mc <- moran.mc(x, lw, nsim = 9999)
  set.seed(1)
  mca <- moran.mc(col$AREA, lw, nsim = 9999)
  for (k in 0:1) {
    glob[[length(glob) - k]]$mc_p_9999 <- mc$p.value
    glob[[length(glob) - k]]$area_I <- mca$statistic[[1]]
    glob[[length(glob) - k]]$area_mc_p_9999 <- mca$p.value
  }
  lm <- localmoran(x, lw)                               # conditional, two-sided
  q <- attr(lm, "quadr")
  loc[[w]] <- data.frame(weights = w, region = seq_along(x) - 1, Ii = lm[, 1],
                         EIi = lm[, 2], VarIi = lm[, 3], ZIi = lm[, 4], p = lm[, 5],
                         quadr_mean = as.character(q$mean), quadr_pysal = as.character(q$pysal))
}
write.csv(format(do.call(rbind, glob), digits = 17), "spdep_columbus_global.csv",
          row.names = FALSE)
write.csv(format(do.call(rbind, loc), digits = 17), "spdep_columbus_local.csv",
          row.names = FALSE)
write.csv(do.call(rbind, nbs), "spdep_columbus_nb.csv", row.names = FALSE)
cat("spdep", as.character(packageVersion("spdep")), "\n")
