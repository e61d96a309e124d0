"""Statements: bank statements and gateway bills uploaded, parsed, checked and imported line by line as payments."""
