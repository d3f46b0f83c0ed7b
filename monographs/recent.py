"""The most recently used answers of a process, shared by its threads."""

import threading
from collections import OrderedDict


class RecentlyUsed:
    """Up to ``size`` values by key; the least recently used is dropped first."""

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict = OrderedDict()

    def get(self, key):
        """The value kept under ``key``, or None."""
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        with self._lock:
            self._kept[key] = value
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
