"""The event catalog and its CloudEvents envelope."""

from arflow.events.catalog import *  # noqa: F403
from arflow.events.catalog import CATALOG, Event, event_class, topic_of
from arflow.events.envelope import Envelope, wrap

__all__ = ["CATALOG", "Envelope", "Event", "event_class", "topic_of", "wrap"]
