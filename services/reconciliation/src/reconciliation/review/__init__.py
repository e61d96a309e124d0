"""Review: the human queue of payments the engine was not sure of, and what a person decides about them."""
