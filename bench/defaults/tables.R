# tables.R OUTDIR — writes the R-bundled tables of the defaults benchmark
# as CSV files (header row, "NA" for a missing value, text as text), one
# per table, the target column named "target".  Sources: the mlbench
# package (Debian r-cran-mlbench: UCI tables as R data sets), MASS
# (r-cran-mass) and carData (r-cran-cardata).
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
suppressMessages({ library(mlbench); library(MASS); library(carData) })
put <- function(name, df, target) {
  names(df)[names(df) == target] <- "target"
  df <- df[, c(setdiff(names(df), "target"), "target")]
  # factors as their labels, logicals as 0/1
  for (c in names(df)) {
    if (is.factor(df[[c]])) {
      # a factor whose labels are all numbers (mlbench's ordered scores)
      # is a number column; other factors are text
      v <- as.character(df[[c]])
      num <- suppressWarnings(as.numeric(v))
      df[[c]] <- if (c != "target" && all(is.na(num) == is.na(v))) num else v
    }
    if (is.logical(df[[c]])) df[[c]] <- as.integer(df[[c]])
  }
  write.csv(df, file.path(out, paste0(name, ".csv")), row.names = FALSE, na = "NA")
}
data(Servo); put("servo", Servo, "Class")
data(Sonar); put("sonar", Sonar, "Class")
data(BostonHousing); put("boston", BostonHousing, "medv")
data(Satellite); put("satellite", Satellite, "classes")
data(LetterRecognition); put("letter", LetterRecognition, "lettr")
data(PimaIndiansDiabetes2); put("pima", PimaIndiansDiabetes2, "diabetes")
data(BreastCancer); put("breastcancer", BreastCancer[, -1], "Class")
data(Glass); put("glass", Glass, "Type")
data(Ionosphere); put("ionosphere", Ionosphere[, -2], "Class")
data(Vehicle); put("vehicle", Vehicle, "Class")
data(Vowel); put("vowel", Vowel, "Class")
data(HouseVotes84); put("housevotes", HouseVotes84, "Class")
data(Ozone); put("ozone", Ozone[, -c(1, 2, 3)], "V4")
data(Zoo); put("zoo", Zoo, "type")
put("birthwt", MASS::birthwt[, -1], "bwt")
put("cats", MASS::cats, "Hwt")
put("prestige", carData::Prestige, "prestige")
put("salaries", carData::Salaries, "salary")
put("slid", carData::SLID, "wages")
put("mroz", carData::Mroz, "lfp")
