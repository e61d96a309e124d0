"""The creditor: the firm every customer-facing document is from, and the account customers pay into."""
