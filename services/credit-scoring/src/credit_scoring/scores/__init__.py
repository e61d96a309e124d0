"""The scores noun: the scorecard applied to a credit file, the rescore after each fact, predictions."""
