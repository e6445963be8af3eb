# Wilson, Clopper-Pearson and mid-p 95 % intervals for the four examples of Newcombe (1998),
# computed from each method's definition. Writes binom_newcombe_1998.csv.
# Packages: base R (stats) only.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])),
                 "common.R"))

# mid-p: the p at which the one-sided tail, with half the probability of the observed x,
# equals 0.025 (Newcombe's method 6); 0 or 1 at the edges.
mid_p <- function(x, n) {
  tail_lo <- function(p) pbinom(x, n, p, lower.tail = FALSE) + 0.5 * dbinom(x, n, p) - 0.025
  tail_up <- function(p) pbinom(x - 1, n, p) + 0.5 * dbinom(x, n, p) - 0.025
  c(if (x == 0) 0 else uniroot(tail_lo, c(1e-12, 1 - 1e-12), tol = 1e-15)$root,
    if (x == n) 1 else uniroot(tail_up, c(1e-12, 1 - 1e-12), tol = 1e-15)$root)
}
cases <- list(c(81, 263), c(15, 148), c(0, 20), c(1, 29))
methods <- list(
  wilson = function(x, n) prop.test(x, n, correct = FALSE)$conf.int,
  "clopper-pearson" = function(x, n) binom.test(x, n)$conf.int,
  "mid-p" = mid_p)
rows <- list()
for (m in names(methods)) for (xn in cases) {
  ci <- methods[[m]](xn[1], xn[2])
  rows[[length(rows) + 1]] <- data.frame(x = xn[1], n = xn[2], method = m,
                                         lower = ci[1], upper = ci[2])
}
write_reference(do.call(rbind, rows), "binom_newcombe_1998.csv", header = c(
  "Source: the four examples of Newcombe RG (1998) Two-sided confidence intervals for the single",
  "  proportion: comparison of seven methods. Stat Med 17:857-872, Table II (81/263, 15/148, 0/20,",
  "  1/29), 95 % intervals by the methods' definitions, computed in R:",
  "  wilson (method 3, score without continuity correction) = prop.test(x, n, correct = FALSE)$conf.int;",
  "  clopper-pearson (method 5) = binom.test(x, n)$conf.int;",
  "  mid-p (method 6) = the roots of P(X > x) + P(X = x)/2 = 0.025 and P(X < x) + P(X = x)/2 = 0.025",
  "  (uniroot, tol 1e-15).",
  "  The earlier version of this file held Table II's 4-decimal values transcribed from memory (the",
  "  paper's table was not reachable); every one of them equals these values rounded to 4 decimals.",
  "Tolerance: 5.1e-5 absolute (the test's: Table II prints 4 decimals)."))
write_session_info()
