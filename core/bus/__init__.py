"""Redis Streams plumbing: capped publishing and consumer groups that resume after a restart."""

from core.bus.streams import StreamConsumer, StreamEntry, StreamPublisher

__all__ = ["StreamConsumer", "StreamEntry", "StreamPublisher"]
