"""The hosted invoice page: an unguessable link per issued invoice and the public page behind it."""
