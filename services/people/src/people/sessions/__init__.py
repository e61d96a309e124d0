"""The session noun: signing in, refreshing the token, signing out."""
