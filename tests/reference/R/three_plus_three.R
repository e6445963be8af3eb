# Exact operating characteristics of the 3+3 rule from the binomial distribution.
# Writes boin_3plus3_exact_probabilities.csv. Packages: base R (stats) only.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])),
                 "common.R"))

p <- c(0.10, 0.20, 0.25, 0.30, 0.33, 0.40, 0.50)
# 3+3 (Storer 1989, design "A"; Lin & Shih 2001): 0/3 passes; 1/3 adds 3 more and passes if
# those have no DLT (at most 1/6 in all); anything else stops at this dose.
pass <- dbinom(0, 3, p) + dbinom(1, 3, p) * dbinom(0, 3, p)
# LEADER-style start at the top regimen: 6 patients, kept if at most 1 has a DLT.
accept_top <- pbinom(1, 6, p)
write_reference(
  data.frame(p = formatC(p, format = "f", digits = 2), pass = pass, accept_top = accept_top),
  "boin_3plus3_exact_probabilities.csv", header = c(
  "Source: the 3+3 rule (Storer BE (1989) Design and analysis of phase I clinical trials.",
  "  Biometrics 45:925-937; Lin Y, Shih WJ (2001) Statistical properties of the traditional",
  "  algorithm-based designs for phase I cancer clinical trials. Biostatistics 2:203-215),",
  "  exact binomial probabilities for a dose with DLT probability p:",
  "  pass = P(the dose is passed) = dbinom(0, 3, p) + dbinom(1, 3, p) * dbinom(0, 3, p);",
  "  accept_top = P(<= 1 DLT in 6) = pbinom(1, 6, p), the LEADER-style start at the top regimen",
  "  (drop one level if >= 2/6).",
  "Tolerance: 5e-4 (the test's; the values have 10 significant digits)."))
write_session_info()
