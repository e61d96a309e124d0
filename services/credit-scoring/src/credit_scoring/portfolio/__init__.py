"""The portfolio noun: clients, hold and exposure by tier, and the drift of the score distribution."""
