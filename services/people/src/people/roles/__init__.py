"""The role noun: what each role may do, as scopes (data an admin sets)."""
