"""The people service: users, roles and sign-in (issue 18)."""
