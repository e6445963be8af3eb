# Kaplan-Meier, log-rank and Cox references on the survival package's `aml` data.
# Writes km_aml_data.csv, km_r_survival_aml.csv and km_r_survdiff_aml.csv.
# Packages: survival (Debian r-cran-survival).
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])),
                 "common.R"))
suppressPackageStartupMessages(library(survival))

aml_data <- data.frame(time = aml$time, status = aml$status, x = as.character(aml$x))
write_reference(aml_data, "km_aml_data.csv", packages = "survival", header = c(
  "Source: R survival data set `aml` (Acute Myelogenous Leukemia survival data; Miller RG (1997)",
  "  Survival Analysis, Wiley; Embury et al. 1977), written as is: 23 rows, time in weeks,",
  "  status 1 = relapse, 0 = censored, x = maintenance chemotherapy group."))

fit <- survfit(Surv(time, status) ~ x, data = aml)
s <- summary(fit)
km <- data.frame(group = sub("^x=", "", as.character(s$strata)), time = s$time,
                 n_risk = s$n.risk, n_event = s$n.event, survival = s$surv,
                 std_err = s$std.err, lower = s$lower, upper = s$upper)
med <- summary(fit)$table
median_lines <- sprintf("  %s: n=%d events=%d median=%s 0.95LCL=%s 0.95UCL=%s",
                        rownames(med), med[, "n.max"], med[, "events"], med[, "median"],
                        med[, "0.95LCL"], med[, "0.95UCL"])
write_reference(km, "km_r_survival_aml.csv", packages = "survival", header = c(
  "Source: summary(survfit(Surv(time, status) ~ x, data = aml)) (conf.type = \"log\", conf.int = 0.95,",
  "  the defaults): one row per event time; std_err is the Greenwood standard error of the survival;",
  "  an empty std_err/lower/upper is R's NaN/NA (survival 0 at the last event of Nonmaintained).",
  "Median rows of print(survfit(Surv(time, status) ~ x, data = aml)):",
  median_lines,
  "Tolerance: half a unit in the last written digit (10 significant digits)."))

diff <- survdiff(Surv(time, status) ~ x, data = aml)
cox <- coxph(Surv(time, status) ~ x, data = aml)
cs <- summary(cox)$coefficients
quantities <- data.frame(
  quantity = c("expected_maintained", "expected_nonmaintained", "chisq", "p_value",
               "cox_coef", "cox_se", "cox_p", "cox_lr"),
  value = c(diff$exp[1], diff$exp[2], diff$chisq,
            pchisq(diff$chisq, df = 1, lower.tail = FALSE),
            cs[1, "coef"], cs[1, "se(coef)"], cs[1, "Pr(>|z|)"],
            2 * diff(cox$loglik)),
  tolerance = c("1e-8", "1e-8", "1e-8", "1e-8", "1e-6", "1e-6", "1e-6", "1e-6"))
write_reference(quantities, "km_r_survdiff_aml.csv", packages = "survival", header = c(
  "Source: survdiff(Surv(time, status) ~ x, data = aml) (log-rank, rho = 0): expected events per",
  "  group, chi-square on 1 df and its p-value pchisq(chisq, 1, lower.tail = FALSE); and",
  "  coxph(Surv(time, status) ~ x, data = aml) (Efron ties, the default): coefficient of",
  "  xNonmaintained, its standard error, Wald p-value and likelihood-ratio statistic",
  "  2 * diff(fit$loglik).",
  "Tolerance (column): 1e-8 for the closed-form log-rank values (their 10 written digits), 1e-6",
  "  for the Cox fit, which depends on the convergence criterion (R's default eps = 1e-9 on the log",
  "  partial likelihood)."))
write_session_info()
