# Cox proportional-hazards references: the NCCTG lung data (survival::lung) and the Rossi
# recidivism data (carData::Rossi). Writes cox_lung_data.csv, cox_rossi_data.csv, cox_r_coxph.csv.
# Packages: survival (Debian r-cran-survival), carData (Debian r-cran-cardata).
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])),
                 "common.R"))
suppressPackageStartupMessages({library(survival); library(carData)})

lung_data <- survival::lung[, c("time", "status", "age", "sex")]
write_reference(lung_data, "cox_lung_data.csv", packages = "survival", header = c(
  "Source: the NCCTG advanced lung cancer data, R survival data set `lung` (Loprinzi et al. 1994,",
  "  J Clin Oncol 12:601-607), columns time (days), status (1 censored, 2 dead), age, sex (1 male,",
  "  2 female); 228 rows in the package's order."))

# carData codes the binary covariates as factors; oncotrial's Cox takes numbers, so each is
# written as 0/1 with 1 = the level named here (the coefficient's sign follows this coding).
rossi <- carData::Rossi
rossi_data <- data.frame(week = rossi$week, arrest = rossi$arrest,
                         fin = as.integer(rossi$fin == "yes"), age = rossi$age,
                         race = as.integer(rossi$race == "black"),
                         wexp = as.integer(rossi$wexp == "yes"),
                         mar = as.integer(rossi$mar == "married"),
                         paro = as.integer(rossi$paro == "yes"), prio = rossi$prio)
write_reference(rossi_data, "cox_rossi_data.csv", packages = "carData", header = c(
  "Source: Rossi, Berk & Lenihan (1980) recidivism data, R carData data set `Rossi` (as used by",
  "  Fox & Weisberg, \"Cox Proportional-Hazards Regression for Survival Data in R\", appendix to",
  "  An R Companion to Applied Regression): week of first arrest or censoring (52), arrest",
  "  (1 arrested), age, prio, and the factors written 0/1: fin (1 = yes), race (1 = black),",
  "  wexp (1 = yes), mar (1 = married), paro (1 = yes); 432 rows in the package's order."))

summarise <- function(fit, data_name) {
  s <- summary(fit)
  terms <- rownames(s$coefficients)
  # summary() rounds the Wald statistic to 2 decimals; the fit object keeps it unrounded
  tests <- c(2 * diff(fit$loglik), fit$wald.test, fit$score)
  out <- rbind(
    data.frame(quantity = "coef", term = terms, value = s$coefficients[, "coef"]),
    data.frame(quantity = "se", term = terms, value = s$coefficients[, "se(coef)"]),
    data.frame(quantity = c("lr", "wald", "score", "concordance", "lr_p", "wald_p", "score_p"),
               term = "",
               value = c(tests, s$concordance[["C"]],
                         pchisq(tests, df = length(terms), lower.tail = FALSE))))
  out$tolerance <- ifelse(out$quantity == "concordance", "1e-9", "1e-6")
  cbind(data = data_name, out, stringsAsFactors = FALSE)
}
lung_fit <- coxph(Surv(time, status) ~ age + sex, data = lung_data)
rossi_fit <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio,
                   data = rossi_data)
table <- rbind(summarise(lung_fit, "lung"), summarise(rossi_fit, "rossi"))
rownames(table) <- NULL
write_reference(table, "cox_r_coxph.csv", packages = "survival", header = c(
  "Source: summary() of",
  "  lung:  coxph(Surv(time, status) ~ age + sex, data = lung) on cox_lung_data.csv",
  "  rossi: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi)",
  "         on cox_rossi_data.csv (0/1 coding above; Fox & Weisberg print the factor coding,",
  "         where raceother and marnot married have the opposite sign)",
  "  (Efron ties, the default): coefficients and their standard errors; the likelihood-ratio",
  "  2 * diff(fit$loglik), Wald fit$wald.test and score (log-rank) fit$score statistics with",
  "  pchisq(..., df = number of terms, lower.tail = FALSE); Harrell's concordance",
  "  summary(fit)$concordance[\"C\"].",
  "Tolerance (column): 1e-6 for the fitted values (R's convergence criterion eps = 1e-9 is on",
  "  the log partial likelihood), 1e-9 for the concordance (a count ratio at the fitted",
  "  coefficients)."))
write_session_info()
