# Wilcoxon signed-rank references: exact two-sided 5 % critical values, and R's wilcox.test
# example. Writes nanostring_signed_rank_critical_values.csv and nanostring_wilcoxon_depression.csv.
# Packages: base R (stats) only.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])),
                 "common.R"))

# The largest t with P(T <= t) <= 0.025 under the exact null (psignrank); -1 when even t = 0
# has a larger probability (no rejection possible at that n).
n <- 5:20
critical <- vapply(n, function(k) {
  t <- 0:(k * (k + 1) / 2)
  ok <- t[psignrank(t, k) <= 0.025]
  if (length(ok)) max(ok) else -1
}, 0)
write_reference(data.frame(n = n, critical_value = critical),
  "nanostring_signed_rank_critical_values.csv", header = c(
  "Critical values of the Wilcoxon signed-rank statistic T (reject when T <= value), two-sided",
  "  alpha = 0.05, exact null: the largest t with psignrank(t, n) <= 0.025; -1 means no",
  "  rejection is possible at this n. The previous version of this file held the standard",
  "  printed table as remembered (e.g. Hollander, Wolfe & Chicken, Nonparametric Statistical",
  "  Methods, 3rd ed.); every value equals the computed one.",
  "Tolerance: exact (integers)."))

# ?wilcox.test: Hollander & Wolfe (1973), p. 29, depression scale factor measurements of 9
# patients before (y) and after (x) tranquilizer therapy, typed in from the example.
x <- c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30)
y <- c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)
greater <- wilcox.test(x, y, paired = TRUE, alternative = "greater")
two <- wilcox.test(x, y, paired = TRUE, conf.int = TRUE)
write_reference(data.frame(x = formatC(x, format = "f", digits = 2),
                           y = formatC(y, format = "fg", digits = 3)),
  "nanostring_wilcoxon_depression.csv", header = c(
  "Paired Hamilton depression scale factor before (y) and after (x) tranquilizer, Hollander &",
  "  Wolfe (1973) p. 29, the data of R's ?wilcox.test example.",
  sprintf("  wilcox.test(x, y, paired = TRUE, alternative = \"greater\"): V = %g, p-value = %.10g",
          greater$statistic, greater$p.value),
  sprintf("  wilcox.test(x, y, paired = TRUE, conf.int = TRUE): p-value = %.10g, (pseudo)median %.10g,",
          two$p.value, two$estimate),
  sprintf("    95 percent interval %.10g %.10g", two$conf.int[1], two$conf.int[2]),
  "Tolerance: 1e-6 on p."))
write_session_info()
