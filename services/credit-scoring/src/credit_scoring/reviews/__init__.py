"""The reviews noun: the periodic credit review (定期审查) run and its log."""
