"""arflow: the shared foundation of the accounts-receivable platform's services."""
