"""The payment-attempt noun: gateway orders made for an invoice, so their callbacks name it exactly."""
