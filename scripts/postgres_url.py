"""Print the PostgreSQL URL the test suite should use, or nothing when there is none.

USHER_TEST_POSTGRES_URL wins; otherwise a server answering on 127.0.0.1:5432 is used with
the conventional local trust-auth account and its ``test`` database.
"""

from __future__ import annotations

import os
import socket

url = os.environ.get("USHER_TEST_POSTGRES_URL", "")
if not url:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            url = "postgresql://postgres@127.0.0.1:5432/test"
    except OSError:
        url = ""
print(url)
