"""Run the services: ``python -m shopcore_services.serve [--service NAME]``.

Without ``--service``, all five run in this process on ports 5001–5005 over one
shared engine (required for the in-memory engine, whose data lives in this
process). With ``DATABASE_URL`` set the engine is MySQL (migrated on start;
seeded only with ``--seed``), and each service can also run alone. For several
worker processes use gunicorn on MySQL, e.g.
``gunicorn -w 4 -b 127.0.0.1:5001 'shopcore_services.wsgi:app("order")'``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from werkzeug.serving import make_server

import shopcore
from shopcore_services import SERVICES


def build_engine(seed: bool) -> shopcore.Engine:
    """MySQL from ``DATABASE_URL`` if set, else the seeded in-memory engine."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return shopcore.Engine.mysql(url, migrate=True, seed=seed)
    return shopcore.Engine.in_memory(seed=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", choices=sorted(SERVICES), help="run only this service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", action="store_true", help="load the seed data into MySQL (idempotent)")
    args = parser.parse_args(argv)
    if args.service and not os.environ.get("DATABASE_URL"):
        print("note: a single service on the in-memory engine does not share data with the others", file=sys.stderr)
    engine = build_engine(args.seed)
    names = [args.service] if args.service else list(SERVICES)
    servers = []
    for name in names:
        create_app, port = SERVICES[name]
        servers.append(make_server(args.host, port, create_app(engine), threaded=True))
        print(f"{name:>12} service on http://{args.host}:{port} ({engine.backend})", flush=True)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for s in servers:
        s.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
