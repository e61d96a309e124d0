"""arflow credit scoring: credit files (信用档案) built from how customers actually pay."""
