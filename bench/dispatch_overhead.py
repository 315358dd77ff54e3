"""``make bench-dispatch``: does delivering the outbox slow checkouts down?

Checkouts per second through one MySQL Engine (8 client threads, one line from
one of the five seed products, each order writing its confirmation with an
email and a webhook delivery) in three settings, measured side by side in
alternating rounds on one database:

- ``none``: no dispatcher running (the outbox only grows);
- ``dead``: a dispatcher process (``shopcore-services dispatch``) whose SMTP
  server and webhook endpoint accept connections and never answer, so every send
  runs into its timeout (1 s) and is retried;
- ``live``: the same dispatcher delivering to a local SMTP sink and a webhook
  receiver that answer at once.

Prints a table: orders/s per round, the median, and each median's ratio to
``none``. The dispatcher shares the machine's cores with the checkouts, as it
would on a small server; the promise under test is that an unreachable endpoint
never blocks or slows checkouts (``dead`` within 10 % of ``none``). The table is
also written to ``bench/results/dispatch_overhead.md``.

    python bench/dispatch_overhead.py [--seconds 6] [--rounds 5] [--clients 8]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import shopcore

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from harness import SERVICES_DIR, fresh_database
from mail_sink import MailSink
from results import write_result

SETTINGS = ("none", "dead", "live")


class Receiver(ThreadingHTTPServer):
    request_queue_size = 256  # a batch's posts arrive at once (the default backlog is 5)
    daemon_threads = True


class Accepting(BaseHTTPRequestHandler):
    """A webhook receiver that answers 200 at once."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


def serve_endpoints(ports: Connection, stop: Event) -> None:
    """In a process of its own (so that receiving takes nothing from the checkouts'
    interpreter): an SMTP sink and a webhook receiver; sends their ports, then
    the number of mails received once ``stop`` is set."""
    receiver = Receiver(("127.0.0.1", 0), Accepting)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    with MailSink() as sink:
        ports.send((sink.url, receiver.server_address[1]))
        stop.wait()
        ports.send(len(sink.messages))
    receiver.shutdown()


@contextmanager
def live_endpoints() -> Iterator[tuple[str, int, Connection]]:
    """The SMTP URL and webhook port of :func:`serve_endpoints` in a child
    process, and the pipe that brings the count of mails at the end."""
    spawn = multiprocessing.get_context("spawn")  # not fork: this process already runs the engine's threads
    ours, theirs = spawn.Pipe()
    stop = spawn.Event()
    child = spawn.Process(target=serve_endpoints, args=(theirs, stop), daemon=True)
    child.start()
    smtp_url, port = ours.recv()
    try:
        yield smtp_url, port, ours
    finally:
        stop.set()
        child.join(timeout=10)


@contextmanager
def silent_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        yield listener.getsockname()[1]


@contextmanager
def dispatcher(url: str, smtp_url: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SHOPCORE_SMTP_URL": smtp_url,
        "SHOPCORE_LOG_LEVEL": "WARNING",
        "SHOPCORE_DISPATCH_TIMEOUT_MS": "1000",
        "SHOPCORE_DISPATCH_MAX_ATTEMPTS": "100",
        "SHOPCORE_DISPATCH_FIRST_RETRY_MS": "100",
        "SHOPCORE_DISPATCH_MAX_RETRY_MS": "1000",
        "SHOPCORE_WEBHOOK_PRIVATE_TARGETS": "allow",  # the receiver listens on 127.0.0.1
        "PYTHONPATH": str(SERVICES_DIR),
    }
    process = subprocess.Popen([sys.executable, "-m", "shopcore_services.dispatch"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith("dispatching"):
            raise RuntimeError(f"the dispatcher did not start: {line}{process.stdout.read().decode()}")
        threading.Thread(target=process.stdout.read, daemon=True).start()  # drain its output
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def checkouts_per_second(engine: shopcore.Engine, customers: list[int], clients: int, seconds: float) -> float:
    done = [0] * clients
    stop = threading.Event()

    def client(index: int) -> None:
        rng = random.Random(index)
        while not stop.is_set():
            engine.checkout(rng.choice(customers), [(rng.randint(1, 5), 1)])
            done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def report(args: argparse.Namespace, rates: dict[str, list[float]], delivered: int) -> None:
    """Prints the table and writes it to ``bench/results/dispatch_overhead.md``."""
    base = statistics.median(rates["none"])
    settings = f"MySQL, {args.clients} client threads, {args.rounds} rounds of {args.seconds:.0f} s (one database, settings alternating)"
    labels = {"none": "none", "dead": "running, endpoints never answer (1 s)", "live": "running, endpoints answer"}
    rows = [
        f"| {'dispatcher':<40} | " + " | ".join(f"round {i + 1:>2}" for i in range(args.rounds)) + " |   median |  vs none |",
        f"|{'-' * 42}|" + "|".join("-" * 10 for _ in range(args.rounds)) + "|----------|----------|",
    ]
    for setting in SETTINGS:
        median = statistics.median(rates[setting])
        rows.append(f"| {labels[setting]:<40} | " + " | ".join(f"{r:>8.0f}" for r in rates[setting]) + f" | {median:>8.0f} | {median / base:>8.1%} |")
    received = f"mails received by the sink during the live rounds: {delivered}"
    print()
    print(f"Checkouts per second, {settings}")
    print()
    print("\n".join(rows))
    print()
    print(received)
    write_result(
        "dispatch_overhead",
        "Checkouts per second with and without the dispatcher",
        "\n".join([rows[0], "|---|" + "---:|" * (args.rounds + 2), *rows[2:]]) + f"\n\n{received[0].upper()}{received[1:]}.",
        program="bench/dispatch_overhead.py",
        settings=f"{settings}; each order writes a confirmation with an email and a webhook delivery.",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {s: [] for s in SETTINGS}
    with fresh_database(stock=10_000_000) as url, live_endpoints() as (sink_url, receiver_port, mails), silent_port() as dead_port:
        engine = shopcore.Engine.mysql(url, max_connections=args.clients + 2)
        customers = [engine.register(name=f"Bench {i}", email=f"bench{i}@example.com", password="a bench password").customer_id for i in range(8)]
        live_hook = engine.create_webhook(f"http://127.0.0.1:{receiver_port}/hook", ["order.placed"])
        dead_hook = None
        checkouts_per_second(engine, customers, args.clients, 1.0)  # warm up the pool and the caches
        for round_number in range(args.rounds):
            for setting in SETTINGS:
                if setting == "none":
                    rates[setting].append(checkouts_per_second(engine, customers, args.clients, args.seconds))
                    continue
                # One webhook endpoint at a time: dead or live, and emails to the matching SMTP server.
                if setting == "dead":
                    engine.delete_webhook(live_hook.webhook.webhook_id)
                    dead_hook = engine.create_webhook(f"http://127.0.0.1:{dead_port}/hook", ["order.placed"])
                    smtp = f"smtp://127.0.0.1:{dead_port}"
                else:
                    assert dead_hook is not None
                    engine.delete_webhook(dead_hook.webhook.webhook_id)
                    live_hook = engine.create_webhook(f"http://127.0.0.1:{receiver_port}/hook", ["order.placed"])
                    smtp = sink_url
                with dispatcher(url, smtp):
                    rates[setting].append(checkouts_per_second(engine, customers, args.clients, args.seconds))
            print(f"round {round_number + 1}: " + ", ".join(f"{s} {rates[s][-1]:.0f}/s" for s in SETTINGS), file=sys.stderr, flush=True)
        engine.close()
    delivered = mails.recv()
    report(args, rates, delivered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
