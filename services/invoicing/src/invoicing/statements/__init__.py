"""The statement cycle (对账确认): statements issued each period, frozen, confirmed or disputed once."""
