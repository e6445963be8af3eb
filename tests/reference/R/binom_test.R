# Exact (Clopper-Pearson) binomial intervals from R's binom.test.
# Writes binom_r_binom_test.csv and sim_leader_targets.csv. Packages: base R (stats) only.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])),
                 "common.R"))

conover <- binom.test(c(682, 243), p = 3 / 4)
write_reference(
  data.frame(x = 682, n = 925, lower = conover$conf.int[1], upper = conover$conf.int[2],
             estimate = unname(conover$estimate)),
  "binom_r_binom_test.csv", header = c(
  "Source: binom.test(c(682, 243), p = 3/4), the example of R's ?binom.test (Conover 1971,",
  "  p. 97f.); R's manual prints 0.7076683 0.7654066 and the estimate 0.7372973.",
  "Tolerance: 5e-8 absolute (the manual's 7 printed decimals; the values here have 10",
  "  significant digits)."))

# LEADER (Chen et al. 2022): 6 confirmed responses in 30 patients; the interval is R's.
leader <- binom.test(6, 30)
write_reference(
  data.frame(statistic = c("confirmed_orr", "median_pfs_months"),
             value = c("0.20", "8.56"),
             lower = c(formatC(leader$conf.int[1], digits = 10, format = "g", flag = "#"), "4.40"),
             upper = c(formatC(leader$conf.int[2], digits = 10, format = "g", flag = "#"), "inf")),
  "sim_leader_targets.csv", header = c(
  "Source: Chen TW-W et al. A single-arm phase Ib/II study of lenvatinib plus eribulin in advanced",
  "  liposarcoma and leiomyosarcoma. Clin Cancer Res 2022;28(23):5058-5065 (PMID 36129471),",
  "  abstract: 30 patients, confirmed ORR 20 % (6/30); median PFS 8.56 months (95 % CI",
  "  4.40-not reached) (checked 2026-12-06 against the abstract at",
  "  aacrjournals.org/clincancerres/article/28/23/5058/711062).",
  "  The paper's values are written as printed; the ORR interval is the exact Clopper-Pearson",
  "  95 % interval binom.test(6, 30)$conf.int.",
  "Tolerance: a calibrated simulator's population value must lie inside the published 95 % CI",
  "  and the published point inside the simulated 5th-95th percentile range of 30-patient trials."))
write_session_info()
