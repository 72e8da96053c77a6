# Reference values for tests/retention/test_logrank.py and test_survival_r.py.
#
# Run: Rscript scripts/survival_reference.R
#
# Needs R with the recommended package `survival` (Debian: r-base-core,
# r-cran-survival). Prints every number the tests record, with 12 significant
# digits; the tests quote the call that produced each value.
suppressPackageStartupMessages(library(survival))
options(digits = 12)

time <- c(2, 40, 3, 5, 4, 11, 2, 3, 2, 4, 32, 8, 40, 8, 19, 23, 1, 10, 18, 25,
          8, 19, 15, 17, 3, 3, 25, 40, 22, 3, 33, 6, 1, 10, 1, 11, 2, 11, 15, 14,
          14, 2, 4, 7, 5, 5, 29, 40, 2, 21, 28, 18, 40, 3, 22, 14, 22, 13, 25, 34)
status <- c(1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1,
            1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1,
            0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1)
group <- c(2, 2, 2, 2, 0, 1, 0, 0, 1, 1, 2, 0, 2, 2, 1, 1, 2, 1, 0, 2,
           0, 2, 0, 2, 0, 1, 1, 2, 2, 0, 2, 2, 0, 1, 1, 0, 0, 1, 1, 2,
           2, 0, 0, 2, 0, 1, 1, 2, 1, 2, 2, 2, 2, 1, 2, 1, 1, 0, 0, 2)
stratum <- c(0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0,
             0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0,
             0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0)
data <- data.frame(time, status, group, stratum)

show_test <- function(label, fit) {
  df <- length(fit$n) - 1
  cat(sprintf("%s: chisq = %.12g, p = %.12g, df = %d\n", label, fit$chisq,
              pchisq(fit$chisq, df, lower.tail = FALSE), df))
  cat("  obs =", format(fit$obs, digits = 12), "\n")
  cat("  exp =", format(fit$exp, digits = 12), "\n")
}
show_test("survdiff(Surv(time, status) ~ group)",
          survdiff(Surv(time, status) ~ group, data = data))
show_test("survdiff(Surv(time, status) ~ group, rho = 1)",
          survdiff(Surv(time, status) ~ group, data = data, rho = 1))
show_test("survdiff(Surv(time, status) ~ group, rho = 0.5)",
          survdiff(Surv(time, status) ~ group, data = data, rho = 0.5))
show_test("survdiff(Surv(time, status) ~ group + strata(stratum))",
          survdiff(Surv(time, status) ~ group + strata(stratum), data = data))
show_test("survdiff(Surv(time, status) ~ group + strata(stratum), rho = 1)",
          survdiff(Surv(time, status) ~ group + strata(stratum), data = data, rho = 1))
two <- subset(data, group != 1)
show_test("survdiff(Surv(time, status) ~ group, data = subset(data, group != 1))",
          survdiff(Surv(time, status) ~ group, data = two))

# Nelson-Aalen: cumulative hazard and its standard error, all subjects.
na <- survfit(Surv(time, status) ~ 1, data = data, ctype = 1)
cat("survfit(Surv(time, status) ~ 1, ctype = 1)\n")
cat("  time =", format(na$time, digits = 12), "\n")
cat("  cumhaz =", format(na$cumhaz, digits = 12), "\n")
cat("  std.chaz =", format(na$std.chaz, digits = 12), "\n")

for (type in c("log", "log-log")) {
  fit <- survfit(Surv(time, status) ~ group, data = data, conf.type = type)
  cat(sprintf("summary(survfit(Surv(time, status) ~ group, conf.type = \"%s\"))$table\n", type))
  print(summary(fit)$table[, c("median", "0.95LCL", "0.95UCL")], digits = 12)
  first <- survfit(Surv(time, status) ~ 1, data = subset(data, group == 0), conf.type = type)
  cat(sprintf("survfit(..., data = subset(data, group == 0), conf.type = \"%s\")\n", type))
  cat("  lower =", format(first$lower, digits = 12), "\n")
  cat("  upper =", format(first$upper, digits = 12), "\n")
}
for (tau in c(30, 12.5)) {
  fit <- survfit(Surv(time, status) ~ group, data = data)
  cat(sprintf("print(survfit(Surv(time, status) ~ group), rmean = %g)\n", tau))
  table <- summary(fit, rmean = tau)$table
  print(table[, c("rmean", "se(rmean)")], digits = 12)
}
