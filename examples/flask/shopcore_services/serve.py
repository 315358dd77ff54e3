"""Run the services: ``shopcore-services serve [--service NAME]`` (or ``python -m shopcore_services.serve``).

**This is Werkzeug's development server** (threaded, one process), the way
``make run``, demos and the tests start the services. It is not hardened for
the open internet; **in production run gunicorn** on MySQL, one service per
gunicorn (worker processes, a graceful stop, multi-process metrics, see
:mod:`shopcore_services.gunicorn_conf`)::

    DATABASE_URL=mysql://… gunicorn -c python:shopcore_services.gunicorn_conf 'shopcore_services.order:create_app()'

Without ``--service``, all five run in this process on ports 5001–5005 (each
plus ``--port-offset``, for several such processes on one host) over one
shared engine.

The database (``DATABASE_URL``, migrated on every start):

- unset: the SQLite file ``.run/shop.db`` under the directory ``serve`` starts
  in (``make run``'s), created with its directory and seeded on the first
  start, reused as it is afterwards: orders, customers, sessions, staff keys
  and the catalog's changes outlive a restart;
- ``sqlite:PATH`` (``sqlite:shop.db``, ``sqlite:///abs/path/shop.db``): that
  file, created if missing (its directory must exist), seeded only with ``--seed``;
- ``mysql://…`` or ``mariadb://…``: MySQL/MariaDB, seeded only with ``--seed``;
- ``memory:``: the seeded in-memory engine, whose data lives and dies with
  this process (the test suites' choice).

On SQLite or MySQL each service can also run alone (``--service``), and other
processes (``shopcore-services dispatch``, ``staff``, ``backup``) can work on
the same database while it serves. A database that cannot be used — a
SQLite path in a missing directory, a read-only file, a file that is not a
database, one written by a newer shopcore, an unreachable server — stops the
start with one line naming it, and exit status 2.

Settings are read once at start (:mod:`shopcore_services.settings`; the table
of every variable is in the book, ``docs/src/configuration.md``); a bad value stops the start with one line,
``cannot start: …`` naming the variable, and exit status 2.

``--dispatch`` also delivers the notification outbox from this process (the
way for the in-memory engine; on MySQL ``shopcore-services dispatch`` can run
apart), configured as :mod:`shopcore_services.dispatch` says.

SIGTERM (or Ctrl-C) stops accepting connections at once, lets the requests
in flight finish (at most ``SHOPCORE_DRAIN_SECONDS``, default 10), closes the
database pool, and exits 0;
a checkout cut by the deadline rolls back, one that was answered is committed.

Access (``SHOPCORE_AUTH``): ``enforced`` (the default) or ``legacy`` (the
original open contract, with a warning). ``SHOPCORE_ADMIN_KEY`` (at least 128
bits by shopcore's estimate, e.g. 40+ random hex characters; refused once
revoked) is installed as an admin key; without it, a database without a live
admin key (the in-memory engine always; a new SQLite file or MySQL database)
gets a fresh one, printed once: a restart on the same database keeps it and
prints only its key_id.

Errors the server answers itself, before the app runs (a malformed or
over-long request line, a header too long: 400, 414, 431, 505), are JSON like
the app's: ``{"code": "invalid_request", "message": …, "status": "error"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

import shopcore
from shopcore_services import SERVICES, dispatch, logs
from shopcore_services.config import open_engine, prepare_access
from shopcore_services.settings import DEFAULT_DATABASE_URL, settings_or_exit

#: Set once a stop is asked for: handlers close their connection after the
#: request they are serving (no keep-alive past the stop).
STOPPING = threading.Event()


class RequestHandler(WSGIRequestHandler):
    """The development server's handler, without naming itself in ``Server``,
    with JSON (not HTML) for the errors it answers before the app runs (a
    malformed or over-long request line, an over-long header: 400, 414, 431),
    and closing its connection after the current request once the service is
    stopping. An idle keep-alive connection is closed after ``timeout`` seconds."""

    server_version = "shopcore"
    timeout = 5

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are logged by the app (``shopcore.access``), once."""

    def handle_one_request(self) -> None:
        super().handle_one_request()
        if STOPPING.is_set():
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What the standard library answers, but with a JSON body escaped as
        JSON (its template only HTML-escapes the message, which can quote what
        the client sent), the standard reason phrase in the status line, and a
        status line and headers even when the request line did not parse (the
        standard library would answer as to HTTP/0.9: the body alone)."""
        reason = self.responses.get(code, ("Error", ""))[0]
        self.log_error("code %d, message %s", code, message or reason)
        if self.request_version == "HTTP/0.9":  # the request line did not parse: answer with a status line all the same
            self.request_version = "HTTP/1.0"
        self.send_response(code)
        self.send_header("Connection", "close")
        body = b""
        if code >= 200 and code not in (204, 205, 304):  # statuses without a body
            body = json.dumps({"code": "invalid_request", "message": message or reason, "status": "error"}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def version_string(self) -> str:
        return "shopcore"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shopcore-services serve", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", choices=sorted(SERVICES), help="run only this service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port-offset", type=int, default=0, metavar="N", help="listen on each service's port + N (e.g. 100: 5101-5105)")
    parser.add_argument("--seed", action="store_true", help="load the seed data into DATABASE_URL's database if it has no products yet")
    parser.add_argument("--dispatch", action="store_true", help="also deliver the notification outbox (email, webhooks)")
    args = parser.parse_args(argv)
    if not 0 <= args.port_offset <= 65535 - max(port for _app, port in SERVICES.values()):
        parser.error(f"--port-offset {args.port_offset} puts a port outside 1-65535")
    settings = settings_or_exit()
    database = settings.database(default=DEFAULT_DATABASE_URL)
    assert database is not None
    if args.service and database.kind == "memory":
        print("note: a single service on the in-memory engine does not share data with the others", file=sys.stderr)
    try:
        logs.configure(settings)
        new = settings.database_url is None and database.path is not None and not database.path.exists()
        if settings.database_url is None and database.path is not None:  # the default file: made and seeded on the first start
            database.path.parent.mkdir(parents=True, exist_ok=True)
        engine = open_engine(database, settings, seed=args.seed or new)
        if settings.database_url is None:
            print(f"database: {database.path} (SQLite, {'new, seeded' if new else 'kept from an earlier start'}; set DATABASE_URL for another)", flush=True)
        mode = prepare_access(engine, settings, generate_key=True)
        dispatching = dispatch.start_in_background(engine, settings) if args.dispatch else None
    except (ValueError, OverflowError, OSError, shopcore.ShopError) as err:
        print(f"cannot start: {err}", file=sys.stderr)
        return 2
    names = [args.service] if args.service else list(SERVICES)
    servers = []
    for name in names:
        create_app, port = SERVICES[name]
        port += args.port_offset
        server = make_server(args.host, port, create_app(engine, mode, settings=settings), threaded=True, request_handler=RequestHandler)
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
    if dispatching is not None:
        dispatching[0].set()  # no new round; the one in flight is recorded before the pool closes
        dispatching[1].join(timeout=settings.drain_seconds)
    if drain(servers, settings.drain_seconds):
        os._exit(0)  # requests cut at the deadline: do not wait for their threads
    engine.close()  # nothing is in flight: the pool's connections end cleanly
    return 0


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
    print(f"stopped: {'requests cut at the deadline on ' + str(unfinished) + ' services' if unfinished else 'drained'}", file=sys.stderr, flush=True)
    return unfinished


if __name__ == "__main__":
    sys.exit(main())
