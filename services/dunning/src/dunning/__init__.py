"""arflow dunning: dunning cases, their steps and the action log (催收)."""
