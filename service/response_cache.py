"""A small per-worker cache of GET /api/ responses, keyed by the glossary and index versions.

Reads are pure functions of (URL, glossary version, index version), so a cached body is valid
exactly as long as both versions are unchanged: no expiry and no invalidation are needed. Hot
pages (a popular term's first passages, suggestions for common prefixes) then skip the view.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Response

MAX_BODY_BYTES = 256_000


class ResponseCache:
    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[tuple[str, str, str], tuple[bytes, int, list[tuple[str, str]]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Response | None:
        if self.size <= 0:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
        body, status, headers = found
        return Response(body, status=status, headers=headers)

    def put(self, key: tuple[str, str, str], response: Response) -> None:
        if self.size <= 0 or response.status_code != 200 or response.direct_passthrough:
            return
        body = response.get_data()
        if len(body) > MAX_BODY_BYTES:
            return
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        with self._lock:
            self._entries[key] = (body, response.status_code, headers)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
