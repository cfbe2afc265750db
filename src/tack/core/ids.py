"""Time-ordered 128-bit ids (UUIDv7, RFC 9562).

Ids sort by creation time, so new rows land at the right edge of B-tree indexes (good locality
on PostgreSQL and SQLite) and no coordination between workers is needed to make them.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_seq = 0


def new_id(at_ms: int | None = None) -> uuid.UUID:
    """A new UUIDv7. Within one millisecond a 12-bit counter keeps ids of this process monotonic."""
    global _last_ms, _seq
    with _lock:
        ms = at_ms if at_ms is not None else time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _seq += 1
            if _seq > 0xFFF:  # counter exhausted: borrow the next millisecond
                ms += 1
                _seq = 0
        else:
            _seq = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave room to count up
        _last_ms = ms
        seq = _seq
    rand = int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | seq << 64 | 0b10 << 62 | rand
    return uuid.UUID(int=value)


def id_time_ms(value: uuid.UUID) -> int:
    """The creation time (Unix ms) encoded in a UUIDv7."""
    return value.int >> 80
