"""Time-ordered UUIDs (RFC 9562 version 7): sortable ids make cursor pagination trivial.

Within one millisecond the 12-bit `rand_a` field is a counter (RFC 9562 §6.2,
method 1), so ids made by one process are strictly increasing.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_millis = 0
_sequence = 0


def uuid7() -> uuid.UUID:
    """A new UUIDv7: 48-bit Unix milliseconds, a 12-bit sequence, then random bits."""
    global _last_millis, _sequence
    with _lock:
        millis = time.time_ns() // 1_000_000
        if millis <= _last_millis:
            _sequence += 1
            if _sequence > 0xFFF:  # sequence exhausted: borrow the next millisecond
                _last_millis += 1
                _sequence = 0
            millis = _last_millis
        else:
            _last_millis, _sequence = millis, int.from_bytes(os.urandom(1), "big")
        sequence = _sequence
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= sequence << 64
    value |= 0b10 << 62
    value |= int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    return uuid.UUID(int=value)
