"""Payment terms templates (账期) and how an invoice's terms are resolved from them."""
