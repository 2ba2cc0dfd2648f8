"""The bounded queue between the stream reader and the sender: one FIFO lane per chat.

``put`` waits while ``capacity`` deliveries are held (waiting or in flight): the reader stops
reading the stream, which is the backpressure. A chat's deliveries go out in order, one at a
time (so a re-score's edit finds the message its first alert created); lanes that may go are
kept in a heap by the time they may go, so a chat waiting for its pacing slot or a retry never
holds up the others.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque

from bots.telegram.fanout import metrics
from bots.telegram.fanout.delivery import Delivery

_NOT_BEFORE_KEPT = 10_000


class Outbox:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._lanes: dict[int, deque[Delivery]] = {}
        self._heap: list[tuple[float, int, int]] = []  # (may go at, tie-break, chat)
        self._scheduled: set[int] = set()  # chats in the heap
        self._busy: set[int] = set()  # chats with a delivery in flight
        self._not_before: dict[int, float] = {}  # idle chats' earliest next send
        self._size = 0  # deliveries held: in lanes or in flight
        self._seq = itertools.count()
        self._space = asyncio.Event()
        self._space.set()
        self.changed = asyncio.Event()  # set when a lane becomes ready (the sender waits on it)
        metrics.QUEUE_CAPACITY.set(capacity)

    def __len__(self) -> int:
        return self._size

    @property
    def full(self) -> bool:
        return self._size >= self.capacity

    async def put(self, delivery: Delivery, now_s: float) -> None:
        """Add a delivery at the end of its chat's lane; waits while the outbox is full."""
        while self._size >= self.capacity:
            self._space.clear()
            await self._space.wait()
        self._size += 1
        metrics.QUEUE_DEPTH.inc()
        chat = delivery.chat_id
        lane = self._lanes.setdefault(chat, deque())
        lane.append(delivery)
        if len(lane) == 1:
            at = max(now_s, self._not_before.pop(chat, now_s))
            delivery.ready_s = at
            delivery.waited_s += at - now_s
            self._schedule(chat, at)

    def peek(self) -> tuple[float, int] | None:
        """(time, chat) of the lane that may go first, or None when none is waiting."""
        if not self._heap:
            return None
        at, _, chat = self._heap[0]
        return at, chat

    def pop(self) -> Delivery:
        """Take the head of the first lane in the heap (``peek`` said it may go)."""
        _, _, chat = heapq.heappop(self._heap)
        self._scheduled.discard(chat)
        return self._lanes[chat][0]

    def defer(self, chat_id: int, until_s: float) -> None:
        """The popped lane may not go before ``until_s`` (its pacing slot)."""
        self._schedule(chat_id, until_s)

    def start(self, chat_id: int) -> Delivery:
        """The popped lane's head goes out: it leaves the lane; the chat is busy until done."""
        delivery = self._lanes[chat_id].popleft()
        self._busy.add(chat_id)
        return delivery

    def retry(self, delivery: Delivery, at_s: float) -> None:
        """A started delivery goes back to the front of its lane, to go again at ``at_s``."""
        chat = delivery.chat_id
        self._lanes.setdefault(chat, deque()).appendleft(delivery)
        delivery.ready_s = at_s
        self._busy.discard(chat)
        self._schedule(chat, at_s)

    def finish(self, delivery: Delivery, now_s: float, next_at_s: float | None = None) -> None:
        """A started delivery is done (sent or dead-lettered): its chat's next one may go at
        ``next_at_s`` (default now); the wait until then counts as pacing."""
        chat = delivery.chat_id
        self._busy.discard(chat)
        self._size -= 1
        metrics.QUEUE_DEPTH.dec()
        self._space.set()
        at = now_s if next_at_s is None else max(now_s, next_at_s)
        lane = self._lanes.get(chat)
        if lane:
            lane[0].ready_s = at
            lane[0].waited_s += at - now_s
            self._schedule(chat, at)
            return
        if lane is not None:
            del self._lanes[chat]
        if at > now_s:  # the chat's next delivery, whenever it comes, waits until then
            if len(self._not_before) >= _NOT_BEFORE_KEPT:
                self._not_before = {c: t for c, t in self._not_before.items() if t > now_s}
            self._not_before[chat] = at

    def clear(self) -> int:
        """Forget every delivery not in flight (on stop: their entries stay pending in Redis)."""
        dropped = 0
        for chat in list(self._lanes):
            lane = self._lanes[chat]
            dropped += len(lane)
            lane.clear()
            if chat not in self._busy:
                del self._lanes[chat]
        self._heap.clear()
        self._scheduled.clear()
        self._size -= dropped
        metrics.QUEUE_DEPTH.dec(dropped)
        self._space.set()
        return dropped

    def _schedule(self, chat_id: int, at_s: float) -> None:
        if chat_id in self._busy or chat_id in self._scheduled:
            return
        heapq.heappush(self._heap, (at_s, next(self._seq), chat_id))
        self._scheduled.add(chat_id)
        self.changed.set()
