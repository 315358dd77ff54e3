"""Deliver the notification outbox: ``shopcore-services dispatch`` (or ``python -m shopcore_services.dispatch``).

Claims due deliveries from ``DATABASE_URL``'s outbox, sends them (email over
SMTP, signed webhooks) and records each outcome; a failed send is retried with
exponential backoff and jitter, and after the last attempt the delivery is
``failed`` (a dead letter staff list with ``GET /api/notifications?status=failed``
and retry with ``POST /api/notifications/<id>/retry``). Any number of
dispatcher processes may share one database: each delivery is claimed by one
of them at a time (``FOR UPDATE SKIP LOCKED`` and a lease on MySQL, the
database's one write lock on SQLite). Delivery is at
least once: a dispatcher killed mid-send leaves its claims to expire and be
sent again, with the same Message-ID or ``webhook-id`` for the receiver to
drop the duplicate.

With ``DATABASE_URL`` unset it works on ``.run/shop.db`` (the SQLite file
``serve`` keeps by default) if that exists. The in-memory engine's outbox
lives in the serving process: run ``shopcore-services serve --dispatch`` there instead.

Settings (read once at start, see :mod:`shopcore_services.settings`):

- ``SHOPCORE_SMTP_URL``: ``smtps://[user:password@]host[:port]`` (TLS),
  ``smtp://…?tls=required`` (STARTTLS) or ``smtp://host[:port]`` (plain, a local
  relay); unset, no email is sent (emails stay pending), webhooks still are.
- ``SHOPCORE_SMTP_CA_FILE``: a PEM file of CA certificates also trusted for the mail server.
- ``SHOPCORE_WEBHOOK_ALLOWED_HOSTS``, ``SHOPCORE_WEBHOOK_PRIVATE_TARGETS``: the hosts
  webhooks may go to, and whether non-public addresses may be connected to
  (``refuse`` by default), both checked on every send.
- ``SHOPCORE_MAIL_FROM``: the sender (default ``shopcore <shop@localhost>``).
- ``SHOPCORE_MESSAGE_DOMAIN``: the right side of each Message-ID (``shopcore.localhost``).
- ``SHOPCORE_DISPATCH_MAX_ATTEMPTS``: attempts before a delivery fails (default 8).
- ``SHOPCORE_DISPATCH_TIMEOUT_MS``: how long one send may take (default 10000).
- ``SHOPCORE_DISPATCH_FIRST_RETRY_MS``, ``SHOPCORE_DISPATCH_MAX_RETRY_MS``: the
  first retry's delay, doubling per attempt up to the maximum (10 s, 1 h).
- ``SHOPCORE_DISPATCH_LEASE_MS``: how long a claim is held before another
  dispatcher may take it over (default 120000, or 3 × the timeout when only the timeout
  is set and that is longer; it must be more than twice the timeout).
- ``SHOPCORE_DISPATCH_BATCH``: deliveries claimed per round (1–500, default 100).

SIGTERM or Ctrl-C: the batch in flight finishes and is recorded, then the
process exits 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Mapping

import shopcore
from shopcore_services import logs
from shopcore_services.config import CannotOpen, command_database, open_engine
from shopcore_services.settings import Settings, of, settings_or_exit

LOG = logging.getLogger("shopcore.dispatch")

#: How long an idle loop waits before looking again, at first and at most (seconds).
IDLE_FIRST, IDLE_MAX = 0.2, 2.0


def batch_size(settings: Settings | Mapping[str, str]) -> int:
    """``SHOPCORE_DISPATCH_BATCH``: deliveries claimed per round (1–500, default 100)."""
    return of(settings).dispatch_batch


def dispatcher(engine: shopcore.Engine, settings: Settings | Mapping[str, str]) -> shopcore.Dispatcher:
    """A dispatcher over ``engine`` configured by ``settings`` (the variables in the module docs);
    a timeout without a lease gets a lease that outlasts two sends."""
    settings = of(settings)
    lease_ms = settings.dispatch_lease_ms
    if settings.dispatch_timeout_ms is not None and lease_ms is None:
        lease_ms = max(120_000, 3 * settings.dispatch_timeout_ms)
    return engine.dispatcher(
        smtp_url=settings.smtp_url,
        smtp_ca_file=settings.smtp_ca_file,
        mail_from=settings.mail_from,
        message_domain=settings.message_domain,
        max_attempts=settings.dispatch_max_attempts,
        timeout_ms=settings.dispatch_timeout_ms,
        first_retry_ms=settings.dispatch_first_retry_ms,
        max_retry_ms=settings.dispatch_max_retry_ms,
        lease_ms=lease_ms,
        webhook_allowed_hosts=settings.webhook_allowed_hosts,
        allow_private_webhook_targets=settings.webhook_private_targets == "allow",
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


def start_in_background(engine: shopcore.Engine, settings: Settings) -> tuple[threading.Event, threading.Thread]:
    """A dispatch loop in a daemon thread of this process (``serve --dispatch``);
    set the event to stop it after its current round."""
    stop = threading.Event()
    loop = dispatcher(engine, settings)
    thread = threading.Thread(target=run, args=(loop, stop, settings.dispatch_batch), name="dispatch", daemon=True)
    thread.start()
    return stop, thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shopcore-services dispatch", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--once", action="store_true", help="one round, print its report as JSON, exit")
    args = parser.parse_args(argv)
    settings = settings_or_exit()
    try:
        logs.configure(settings)
        database = command_database(settings, "dispatch")
        engine = open_engine(database, settings, create=False, max_connections=4)
        limit = settings.dispatch_batch
        loop = dispatcher(engine, settings)
    except (CannotOpen, ValueError, OverflowError, shopcore.ShopError) as err:
        print(f"cannot start: {err}", file=sys.stderr)
        return 2
    if not settings.smtp_url:
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
