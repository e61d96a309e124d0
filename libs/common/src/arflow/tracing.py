"""W3C trace context carried from HTTP requests through events to their consumers.

Only the `traceparent` is kept: enough to follow one business journey through
the logs of four services. A request or a consumed event opens a span (same
trace id, new span id); events published meanwhile carry that span as parent.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_current: ContextVar[str | None] = ContextVar("traceparent", default=None)


def new_traceparent(parent: str | None = None) -> str:
    """A traceparent for a new span: child of `parent` when it is valid, else a new trace."""
    match = _TRACEPARENT.match(parent or "")
    trace_id = match.group(1) if match and set(match.group(1)) != {"0"} else secrets.token_hex(16)
    flags = match.group(3) if match else "01"
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def trace_id_of(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None


def current_traceparent() -> str | None:
    return _current.get()


def start_span(parent: str | None) -> str:
    """Enter a new span as the current one (for this task) and return its traceparent."""
    traceparent = new_traceparent(parent)
    _current.set(traceparent)
    return traceparent
