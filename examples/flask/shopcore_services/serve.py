"""Run the services: ``python -m shopcore_services.serve [--service NAME]``.

Without ``--service``, all five run in this process on ports 5001–5005 over one
shared engine (required for the in-memory engine, whose data lives in this
process). With ``DATABASE_URL`` set the engine is MySQL (migrated on start;
seeded only with ``--seed``), and each service can also run alone. For several
worker processes use gunicorn on MySQL, from ``examples/flask``:
``gunicorn -c gunicorn.conf.py 'shopcore_services.wsgi:app("order")'``
(multi-process metrics, a graceful stop; see that file).

SIGTERM (or Ctrl-C) stops accepting connections at once, lets the requests
in flight finish (at most ``SHOPCORE_DRAIN_SECONDS``, default 10), closes the
database pool, and exits 0;
a checkout cut by the deadline rolls back, one that was answered is committed.

Access (``SHOPCORE_AUTH``): ``enforced`` (the default) or ``legacy`` (the
original open contract, with a warning). ``SHOPCORE_SESSION_HOURS`` sets how
long a login lasts (default 24). ``SHOPCORE_ADMIN_KEY`` (at least 32
characters) is installed as an admin key; without it, an in-memory engine (or
a MySQL database without a live admin key) gets a fresh one, printed once.

Logs (see :mod:`shopcore_services.logs`): one access line per request;
``SHOPCORE_LOG_FORMAT`` ``text`` or ``json``, ``SHOPCORE_LOG_LEVEL`` (INFO);
on MySQL a statement slower than ``SHOPCORE_SLOW_SQL_MS`` (default 1000) is a
WARNING of ``sqlx.query``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

import shopcore
from shopcore_services import SERVICES, logs
from shopcore_services.http import AuthMode, auth_mode

#: Set once a stop is asked for: handlers close their connection after the
#: request they are serving (no keep-alive past the stop).
STOPPING = threading.Event()


class RequestHandler(WSGIRequestHandler):
    """The development server's handler, without naming itself in ``Server``,
    with JSON (not HTML) for the errors it answers before the app runs (an
    over-long request line or header: 414, 431), and closing its connection
    after the current request once the service is stopping. An idle
    keep-alive connection is closed after ``timeout`` seconds."""

    server_version = "shopcore"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are logged by the app (``shopcore.access``), once."""
    timeout = 5
    error_content_type = "application/json"

    def handle_one_request(self) -> None:
        super().handle_one_request()
        if STOPPING.is_set():
            self.close_connection = True
    error_message_format = '{"code": "invalid_request", "message": "%(message)s", "status": "error"}'

    def version_string(self) -> str:
        return "shopcore"


def session_hours(environ: dict[str, str] | os._Environ[str]) -> int:
    """``SHOPCORE_SESSION_HOURS``: how long a login lasts (default 24)."""
    raw = environ.get("SHOPCORE_SESSION_HOURS", "24")
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"SHOPCORE_SESSION_HOURS must be a whole number of hours, not {raw!r}")
    return int(raw)


def slow_sql_ms(environ: Mapping[str, str]) -> int:
    """``SHOPCORE_SLOW_SQL_MS``: statements at least this slow are logged at WARNING (default 1000)."""
    raw = environ.get("SHOPCORE_SLOW_SQL_MS", "1000")
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"SHOPCORE_SLOW_SQL_MS must be a whole number of milliseconds, not {raw!r}")
    return int(raw)


def build_engine(seed: bool) -> shopcore.Engine:
    """MySQL from ``DATABASE_URL`` if set, else the seeded in-memory engine."""
    url = os.environ.get("DATABASE_URL")
    hours = session_hours(os.environ)
    if url:
        return shopcore.Engine.mysql(url, migrate=True, seed=seed, session_hours=hours,
                                     slow_sql_ms=slow_sql_ms(os.environ))
    return shopcore.Engine.in_memory(seed=True, session_hours=hours)


def prepare_access(engine: shopcore.Engine, environ: dict[str, str] | os._Environ[str]) -> AuthMode:
    """The access mode from ``SHOPCORE_AUTH``, and an admin key in place (see the module docs)."""
    mode = auth_mode(environ.get("SHOPCORE_AUTH"))
    if mode == "legacy":
        print("WARNING: SHOPCORE_AUTH=legacy: every route is open to anyone who can reach it, as in the "
              "original backend; use it only for existing clients on a trusted network", file=sys.stderr)
    chosen = environ.get("SHOPCORE_ADMIN_KEY")
    if chosen:
        key = engine.install_staff_key(chosen)
        print(f"admin key from SHOPCORE_ADMIN_KEY installed (key_id {key.key_id})", flush=True)
    elif not any(k.role == "admin" and k.revoked_at is None for k in engine.staff_keys()):
        issued = engine.create_staff_key(name="admin (generated at start)", role="admin")
        print(f"admin key (shown once): {issued.key}", flush=True)
    return mode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", choices=sorted(SERVICES), help="run only this service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", action="store_true", help="load the seed data into MySQL (idempotent)")
    args = parser.parse_args(argv)
    if args.service and not os.environ.get("DATABASE_URL"):
        print("note: a single service on the in-memory engine does not share data with the others", file=sys.stderr)
    try:
        logs.configure(os.environ)
        engine = build_engine(args.seed)
        mode = prepare_access(engine, os.environ)
    except (ValueError, OverflowError, shopcore.ShopError) as err:
        print(f"cannot start: {err}", file=sys.stderr)
        return 2
    names = [args.service] if args.service else list(SERVICES)
    servers = []
    for name in names:
        create_app, port = SERVICES[name]
        server = make_server(args.host, port, create_app(engine, mode), threaded=True,
                             request_handler=RequestHandler)
        # Track request threads so that stopping can wait for them.
        server.daemon_threads, server.block_on_close = False, True  # type: ignore[attr-defined]
        servers.append(server)
        print(f"{name:>12} service on http://{args.host}:{port} ({engine.backend}, access {mode})", flush=True)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Wake up now and then: a signal delivered to another thread (the engine's
    # own threads among them) runs its Python handler only when the main
    # thread next gets control, so an unbounded wait could miss it for good.
    while not stop.wait(timeout=0.2):
        pass
    if drain(servers, drain_seconds(os.environ)):
        os._exit(0)  # requests cut at the deadline: do not wait for their threads
    engine.close()  # nothing is in flight: the pool's connections end cleanly
    return 0


def drain_seconds(environ: dict[str, str] | os._Environ[str]) -> float:
    raw = environ.get("SHOPCORE_DRAIN_SECONDS", "10")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 10.0


def drain(servers: list[BaseWSGIServer], deadline: float) -> int:
    """Stops accepting, then waits up to ``deadline`` seconds for the requests
    in flight; answers how many services still had some at the deadline."""
    STOPPING.set()
    for server in servers:
        server.shutdown()  # no new connections
    closers = [threading.Thread(target=server.server_close, daemon=True) for server in servers]
    for closer in closers:
        closer.start()  # each joins its request threads
    ends = time.monotonic() + deadline
    for closer in closers:
        closer.join(max(0.0, ends - time.monotonic()))
    unfinished = sum(closer.is_alive() for closer in closers)
    print(f"stopped: {'requests cut at the deadline on ' + str(unfinished) + ' services' if unfinished else 'drained'}",
          file=sys.stderr, flush=True)
    return unfinished


if __name__ == "__main__":
    sys.exit(main())
