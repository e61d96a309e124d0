"""The models_admin noun: the scorecard and late-payment model, shipped, retrained and listed."""
