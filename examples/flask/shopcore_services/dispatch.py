"""Deliver the notification outbox: ``shopcore-services dispatch`` (or ``python -m shopcore_services.dispatch``).

Claims due deliveries from ``DATABASE_URL``'s outbox, sends them (email over
SMTP, signed webhooks) and records each outcome; a failed send is retried with
exponential backoff and jitter, and after the last attempt the delivery is
``failed`` (a dead letter staff list with ``GET /api/notifications?status=failed``
and retry with ``POST /api/notifications/<id>/retry``). Any number of
dispatcher processes may share one database: each delivery is claimed by one
of them at a time (``FOR UPDATE SKIP LOCKED`` and a lease). Delivery is at
least once: a dispatcher killed mid-send leaves its claims to expire and be
sent again, with the same Message-ID or ``webhook-id`` for the receiver to
drop the duplicate.

The in-memory engine's outbox lives in the serving process: run
``shopcore-services serve --dispatch`` there instead.

Settings, from the environment:

- ``SHOPCORE_SMTP_URL``: ``smtp://[user:password@]host[:port]`` (plain SMTP, no
  TLS yet); unset, no email is sent (emails stay pending), webhooks still are.
- ``SHOPCORE_MAIL_FROM``: the sender (default ``shopcore <shop@localhost>``).
- ``SHOPCORE_MESSAGE_DOMAIN``: the right side of each Message-ID (``shopcore.localhost``).
- ``SHOPCORE_DISPATCH_MAX_ATTEMPTS``: attempts before a delivery fails (default 8).
- ``SHOPCORE_DISPATCH_TIMEOUT_MS``: how long one send may take (default 10000).
- ``SHOPCORE_DISPATCH_FIRST_RETRY_MS``, ``SHOPCORE_DISPATCH_MAX_RETRY_MS``: the
  first retry's delay, doubling per attempt up to the maximum (10 s, 1 h).
- ``SHOPCORE_DISPATCH_LEASE_MS``: how long a claim is held before another
  dispatcher may take it over (default 120000; more than twice the timeout).
- ``SHOPCORE_DISPATCH_BATCH``: deliveries claimed per round (1–500, default 100).

SIGTERM or Ctrl-C: the batch in flight finishes and is recorded, then the
process exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any

import shopcore
from shopcore_services import logs
from shopcore_services.config import required_database_url

LOG = logging.getLogger("shopcore.dispatch")

#: The environment variables of the dispatcher's settings, by ``Engine.dispatcher`` argument.
SETTINGS = {
    "max_attempts": "SHOPCORE_DISPATCH_MAX_ATTEMPTS",
    "timeout_ms": "SHOPCORE_DISPATCH_TIMEOUT_MS",
    "first_retry_ms": "SHOPCORE_DISPATCH_FIRST_RETRY_MS",
    "max_retry_ms": "SHOPCORE_DISPATCH_MAX_RETRY_MS",
    "lease_ms": "SHOPCORE_DISPATCH_LEASE_MS",
}

#: How long an idle loop waits before looking again, at first and at most (seconds).
IDLE_FIRST, IDLE_MAX = 0.2, 2.0


#: The largest value any setting takes (the engine checks each setting's own range).
MAX_SETTING = 10**9

#: The most deliveries one round may claim.
MAX_BATCH = 500


def _positive(environ: Mapping[str, str], name: str, at_most: int = MAX_SETTING) -> int | None:
    raw = environ.get(name)
    if raw in (None, ""):
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= at_most:
        raise ValueError(f"{name} must be a whole number from 1 to {at_most}, not {raw[:40]!r}")
    return int(raw)


def batch_size(environ: Mapping[str, str]) -> int:
    """``SHOPCORE_DISPATCH_BATCH``: deliveries claimed per round (1–500, default 100)."""
    return _positive(environ, "SHOPCORE_DISPATCH_BATCH", MAX_BATCH) or 100


def dispatcher(engine: shopcore.Engine, environ: Mapping[str, str]) -> shopcore.Dispatcher:
    """A dispatcher over ``engine`` configured from ``environ`` (the settings in the module docs)."""
    settings: dict[str, Any] = {arg: _positive(environ, name) for arg, name in SETTINGS.items()}
    if settings["timeout_ms"] is not None and settings["lease_ms"] is None:  # a lease must outlast two sends
        settings["lease_ms"] = max(120_000, 3 * settings["timeout_ms"])
    return engine.dispatcher(
        smtp_url=environ.get("SHOPCORE_SMTP_URL") or None,
        mail_from=environ.get("SHOPCORE_MAIL_FROM") or None,
        message_domain=environ.get("SHOPCORE_MESSAGE_DOMAIN") or None,
        **settings,
    )


def run(dispatcher: shopcore.Dispatcher, stop: threading.Event, limit: int = 100) -> None:
    """Dispatches until ``stop`` is set: a round right after a busy one, after an
    idle one a wait that doubles from 0.2 s to 2 s. A round that fails (the
    database unreachable) is logged and retried the same way."""
    idle = IDLE_FIRST
    while not stop.is_set():
        try:
            report = dispatcher.dispatch_due(limit)
        except shopcore.ShopError as err:
            LOG.warning("dispatch round failed: %s: %s", err.code, err.message)
            stop.wait(idle)
            idle = min(IDLE_MAX, idle * 2)
            continue
        except Exception:  # a bug must not end delivery for good: log it and go on
            LOG.exception("dispatch round failed")
            stop.wait(IDLE_MAX)
            continue
        if report.claimed:
            LOG.info("dispatched %s", " ".join(f"{k}={v}" for k, v in report.to_dict().items()))
            idle = IDLE_FIRST
        else:
            stop.wait(idle)
            idle = min(IDLE_MAX, idle * 2)


def start_in_background(engine: shopcore.Engine, environ: Mapping[str, str]) -> tuple[threading.Event, threading.Thread]:
    """A dispatch loop in a daemon thread of this process (``serve --dispatch``);
    set the event to stop it after its current round."""
    stop = threading.Event()
    loop = dispatcher(engine, environ)
    thread = threading.Thread(target=run, args=(loop, stop, batch_size(environ)), name="dispatch", daemon=True)
    thread.start()
    return stop, thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shopcore-services dispatch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--once", action="store_true", help="one round, print its report as JSON, exit")
    args = parser.parse_args(argv)
    url = required_database_url(os.environ, "the dispatcher reads the outbox of the services' MySQL database "
                                            "(for the in-memory engine use `shopcore-services serve --dispatch`)")
    if url is None:
        return 2
    try:
        logs.configure(os.environ)
        engine = shopcore.Engine.mysql(url, migrate=True, max_connections=4)
        limit = batch_size(os.environ)
        loop = dispatcher(engine, os.environ)
    except (ValueError, OverflowError, shopcore.ShopError) as err:
        print(f"cannot start: {err}", file=sys.stderr)
        return 2
    if not os.environ.get("SHOPCORE_SMTP_URL"):
        LOG.warning("SHOPCORE_SMTP_URL is not set: emails stay pending, only webhooks are sent")
    if args.once:
        import json

        print(json.dumps(loop.dispatch_due(limit).to_dict()), flush=True)
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker = threading.Thread(target=run, args=(loop, stop, limit), name="dispatch")
    worker.start()
    print(f"dispatching (batches of {limit}, at most {loop.max_attempts} attempts)", flush=True)
    # The main thread only waits, waking now and then so that a signal's handler runs promptly.
    while worker.is_alive():
        worker.join(timeout=0.2)
    engine.close()
    print("dispatcher stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
