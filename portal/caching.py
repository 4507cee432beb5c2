"""The portal's one kind of in-process cache: bounded, thread-safe, optionally timed.

Built on cachetools (a least-recently-used cache, or one whose entries also expire), with the
lock cachetools leaves to its callers. Lessons, GOV.UK components, form widgets, compressed static
files and the dashboard's suppressed figures each keep one. Nothing about a person is ever kept
in one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import Cache, LRUCache, TTLCache

from portal import clock

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


def _now() -> float:
    return clock.now().timestamp()


class BoundedCache(Generic[Key, Value]):
    """At most `maxsize` entries, the least recently used going first; with `seconds`, each
    entry is also forgotten that long after it was made (timed by the portal's clock)."""

    def __init__(self, maxsize: int, seconds: float | None = None) -> None:
        self._entries: Cache[Key, Value] = (
            LRUCache(maxsize) if seconds is None else TTLCache(maxsize, seconds, timer=_now))
        self._lock = threading.Lock()

    def get(self, key: Key) -> Value | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: Key, value: Value) -> Value:
        with self._lock:
            self._entries[key] = value
        return value

    def get_or_make(self, key: Key, make: Callable[[], Value]) -> Value:
        """The cached value, or `make()`'s (made outside the lock: two threads may both make
        it, and the last one is kept; values are the same, so that only costs a little)."""
        found = self.get(key)
        return found if found is not None else self.put(key, make())

    def items(self) -> list[tuple[Key, Value]]:
        """A copy of what is kept now (for tests that check what is and is not kept)."""
        with self._lock:
            return list(self._entries.items())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
