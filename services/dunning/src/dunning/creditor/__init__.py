"""The creditor the letters and emails are from: invoicing's, as CreditorUpdated brings it."""
