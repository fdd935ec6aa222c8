"""Rate limits with the `limits` package: in memory by default, in Redis when configured,
so that several app instances share one count."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from usher.errors import RateLimited


class RateLimiter:
    def __init__(self, redis_url: str = "") -> None:
        storage = storage_from_string(redis_url) if redis_url else MemoryStorage()
        assert isinstance(storage, Storage), "a synchronous storage"
        self.storage = storage
        self._strategy = MovingWindowRateLimiter(self.storage)

    def hit(self, rule: str, namespace: str, *keys: str | None) -> None:
        """Count one attempt against each key; raise RateLimited if any is over ``rule``."""
        item = parse(rule)
        for key in keys:
            if key is None:
                continue
            if not self._strategy.hit(item, "usher", namespace, key.lower()):
                raise RateLimited(self._retry_after(item, namespace, key.lower()))

    def _retry_after(self, item: RateLimitItem, namespace: str, key: str) -> int:
        reset_at, _remaining = self._strategy.get_window_stats(item, "usher", namespace, key)
        return max(1, math.ceil(reset_at - time.time()))

    def reset(self) -> None:
        self.storage.reset()
