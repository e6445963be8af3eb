# Exact operating characteristics of LEADER's Simon two-stage design (r1/n1 = 0/10, r/n = 3/29)
# from the binomial distribution. Writes sim_simon_oc.csv. Packages: base R (stats) only.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])),
                 "common.R"))

r1 <- 0; n1 <- 10; r <- 3; n <- 29
p <- c(0.05, 0.10, 0.15, 0.20, 0.25)
pet <- pbinom(r1, n1, p)  # stop after stage 1 with <= r1 responses
# declared active: x1 > r1 in stage 1 and x1 + x2 > r overall
p_active <- vapply(p, function(q) {
  x1 <- (r1 + 1):n1
  sum(dbinom(x1, n1, q) * pbinom(r - x1, n - n1, q, lower.tail = FALSE))
}, 0)
expected_n <- n1 + (1 - pet) * (n - n1)
write_reference(
  data.frame(p = formatC(p, format = "f", digits = 2), pet = pet, p_active = p_active,
             expected_n = expected_n),
  "sim_simon_oc.csv", header = c(
  "Source: exact binomial operating characteristics of the Simon two-stage design",
  "  r1/n1 = 0/10, r/n = 3/29: pet = pbinom(0, 10, p); p_active = sum over x1 = 1..10 of",
  "  dbinom(x1, 10, p) * pbinom(3 - x1, 19, p, lower.tail = FALSE); expected_n = 10 + (1 - pet) * 19.",
  "  The design is the optimal one for p0 = 0.05, p1 = 0.20, alpha = 0.05, beta = 0.20 in Simon R",
  "  (1989) Optimal two-stage designs for phase II clinical trials. Control Clin Trials 10:1-10,",
  "  Table 1 (the earlier, hand-made version of this file quoted E(N | p0) = 17.6 and",
  "  PET(p0) = 0.60 from it); clinfun's ph2simon gives the same design (simon_designs.csv).",
  "Tolerance: 0.01 absolute on probabilities and 0.1 on E(N) (the test's, set by the paper's",
  "  rounding; the values have 10 significant digits)."))
write_session_info()
