# BOIN escalation/de-escalation boundaries and decision tables, computed from the formulas of
# Liu S, Yuan Y (2015) Bayesian optimal interval designs for phase I clinical trials. J R Stat
# Soc C 64:507-523 (section 2: lambda_e and lambda_d minimise the decision error probability for
# the default phi1 = 0.6 phi, phi2 = 1.4 phi), and the elimination rule of the BOIN package's
# documentation (?get.boundary: eliminate when Pr(p > phi | y, n) > 0.95 under a beta(1, 1)
# prior and n >= 3; the de-escalation count is capped at the elimination count).
# Writes boin_boundaries.csv and boin_boundary_tables.csv. Packages: base R (stats) only.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])),
                 "common.R"))

lambda_e <- function(phi, phi1 = 0.6 * phi) {
  log((1 - phi1) / (1 - phi)) / log(phi * (1 - phi1) / (phi1 * (1 - phi)))
}
lambda_d <- function(phi, phi2 = 1.4 * phi) {
  log((1 - phi) / (1 - phi2)) / log(phi2 * (1 - phi) / (phi * (1 - phi2)))
}
targets <- c(0.20, 0.25, 0.30, 0.33)
write_reference(
  data.frame(target = formatC(targets, format = "f", digits = 2),
             lambda_e = lambda_e(targets), lambda_d = lambda_d(targets)),
  "boin_boundaries.csv", header = c(
  "Source: Liu & Yuan (2015) JRSS-C 64:507-523, optimal interval boundaries",
  "  lambda_e = log((1 - phi1)/(1 - phi)) / log(phi (1 - phi1) / (phi1 (1 - phi))),",
  "  lambda_d = log((1 - phi)/(1 - phi2)) / log(phi2 (1 - phi) / (phi (1 - phi2))),",
  "  phi1 = 0.6 phi, phi2 = 1.4 phi (the paper's and BOIN's defaults), evaluated in base R.",
  "  Checked 2026-12-06: equal (to the 7 digits it prints) to BOIN 2.7.2",
  "  get.boundary(target, ncohort = 10, cohortsize = 3)$lambda_e / $lambda_d for all four targets.",
  "Tolerance: 5e-5 absolute (the test's; the values have 10 significant digits)."))

eliminate_at_least <- function(phi, n, cutoff = 0.95) {
  if (n < 3) return(NA_integer_)
  y <- seq_len(n)
  hit <- y[pbeta(phi, y + 1, n - y + 1, lower.tail = FALSE) > cutoff]
  if (length(hit)) min(hit) else NA_integer_
}
rows <- list()
for (phi in c(0.30, 0.25, 0.20, 0.33)) {
  for (n in seq(3, 30, by = 3)) {
    elim <- eliminate_at_least(phi, n)
    deesc <- ceiling(lambda_d(phi) * n)
    if (!is.na(elim)) deesc <- min(deesc, elim)
    rows[[length(rows) + 1]] <- data.frame(
      target = formatC(phi, format = "f", digits = 2), n = n,
      escalate_at_most = floor(lambda_e(phi) * n), deescalate_at_least = deesc,
      eliminate_at_least = elim)
  }
}
write_reference(do.call(rbind, rows), "boin_boundary_tables.csv", header = c(
  "Source: the boundaries of boin_boundaries.csv applied to n = 3, 6, ..., 30 patients (cohorts of",
  "  3, at most 30 patients): escalate if y <= floor(lambda_e n), de-escalate if",
  "  y >= ceiling(lambda_d n), eliminate if y >= the smallest y with",
  "  1 - pbeta(phi, y + 1, n - y + 1) > 0.95 (beta(1, 1) prior; empty = no elimination), the",
  "  de-escalation count capped at the elimination count. This is the table the BOIN package",
  "  prints as get.boundary(target, ncohort = 10, cohortsize = 3)$boundary_tab (BOIN is not in",
  "  Debian; checked 2026-12-06: identical, row by row, for all four targets to BOIN 2.7.2's",
  "  $boundary_tab).",
  "Tolerance: exact integers."))
write_session_info()
