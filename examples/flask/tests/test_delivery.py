"""The notification outbox delivered for real: email into a local SMTP server
(aiosmtpd), webhooks into HTTP receivers on 127.0.0.1 that verify the
Standard Webhooks signature here in Python, retries and dead letters, the staff
routes; and on MySQL, dispatcher processes: two at once over 500 notifications,
and one killed with SIGKILL mid-batch then restarted.

Every figure the tests measure (deliveries, duplicates, attempts) is printed
on a ``delivery:`` line (``pytest -s`` shows them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import shopcore
from shopcore_services import SERVICES

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

from mail_sink import MailSink

#: Retries within milliseconds, so that a test sees several attempts.
FIRST_RETRY_MS, MAX_RETRY_MS = 10, 20


def verify_signature(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> None:
    """The Standard Webhooks check a receiver makes, written from the spec (not
    shopcore's code): HMAC-SHA256 over ``id.timestamp.body`` with the secret's
    base64-decoded bytes, one of the space-separated ``v1,<base64>`` matching,
    and a timestamp within ``tolerance`` seconds."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.partition(",")[2] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    assert any(hmac.compare_digest(expected, g) for g in given), "webhook-signature does not verify"
    assert abs(time.time() - int(headers["webhook-timestamp"])) <= tolerance


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1: answers the statuses of ``script`` in
    turn (then 200), optionally after ``delay`` seconds, and keeps every request."""

    script: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # a batch's posts arrive at once (the default backlog is 5)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> Counter[str]:
        with self.lock:
            return Counter(headers["webhook-id"] for headers, _ in self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as s:
        yield s


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield listener.getsockname()[1]


def dispatch_until(dispatcher: shopcore.Dispatcher, done: Callable[[], bool], timeout: float = 20.0) -> int:
    """Dispatch rounds until ``done()``; answers the rounds it took."""
    ends = time.monotonic() + timeout
    rounds = 0
    while not done():
        assert time.monotonic() < ends, "deliveries did not settle in time"
        dispatcher.dispatch_due(100)
        rounds += 1
        time.sleep(0.005)
    return rounds


def delivery(engine: shopcore.Engine, notification_id: int, channel: str) -> shopcore.Delivery:
    return next(d for d in engine.deliveries([notification_id]) if d.channel == channel)


def place_order(engine: shopcore.Engine, email: str) -> tuple[int, shopcore.Notification]:
    customer = engine.register(name="Mona Adel", email=email, password="a long enough password").customer_id
    placed = engine.checkout(customer, [(1, 2), (3, 1)])
    return customer, engine.notifications(order_id=placed.order.order_id)[0]


def test_a_placed_orders_confirmation_arrives_in_an_smtp_server(engine: shopcore.Engine, sink: MailSink) -> None:
    _customer, notice = place_order(engine, "mona@example.com")
    dispatcher = engine.dispatcher(smtp_url=sink.url, mail_from="Shop <orders@shop.example>", message_domain="shop.example")
    dispatch_until(dispatcher, lambda: delivery(engine, notice.notification_id, "email").status != "pending")
    mails = [m for rcpt, m in sink.wait_for(1) if m["Message-ID"] == f"<notification-{notice.notification_id}@shop.example>"]
    assert len(mails) == 1, [m["Message-ID"] for _, m in sink.messages]
    ((rcpt, mail),) = [(r, m) for r, m in sink.messages if m is mails[0]]
    assert rcpt == ["mona@example.com"] and mail["To"] == "mona@example.com"
    assert mail["From"] == "Shop <orders@shop.example>"
    assert mail["Subject"] == notice.message.splitlines()[0]
    assert mail.get_content().replace("\r\n", "\n").strip() == notice.message.strip()
    settled = delivery(engine, notice.notification_id, "email")
    assert (settled.status, settled.attempts, settled.last_error) == ("delivered", 1, None)
    assert settled.delivered_at is not None
    print(f"delivery: smtp ({engine.backend}): 1 mail, 1 attempt, Message-ID {mail['Message-ID']}")


def test_a_webhook_answering_500_twice_gets_the_event_three_times_with_one_id(engine: shopcore.Engine, receiver: Receiver) -> None:
    receiver.script = [500, 500, 200]
    hook = engine.create_webhook(receiver.url, ["order.placed"])
    customer, notice = place_order(engine, "webhook@example.com")
    dispatcher = engine.dispatcher(first_retry_ms=FIRST_RETRY_MS, max_retry_ms=MAX_RETRY_MS, allow_private_webhook_targets=True)
    dispatch_until(dispatcher, lambda: delivery(engine, notice.notification_id, "webhook").status != "pending")
    assert len(receiver.received) == 3
    assert set(receiver.ids()) == {f"msg_notification_{notice.notification_id}"}
    for headers, body in receiver.received:
        verify_signature(hook.secret, headers, body)
        event = json.loads(body)
        assert event["type"] == "order.placed"
        assert event["data"]["order_id"] == notice.order_id and event["data"]["customer_id"] == customer
        assert event["data"]["notification_id"] == notice.notification_id
        assert event["data"]["message"] == notice.message
        assert headers["content-type"].startswith("application/json")
    settled = delivery(engine, notice.notification_id, "webhook")
    assert (settled.status, settled.attempts, settled.webhook_id) == ("delivered", 3, hook.webhook.webhook_id)
    # Another secret does not verify: the check above can fail.
    other = engine.create_webhook("https://elsewhere.example/hook", ["order.placed"]).secret
    with pytest.raises(AssertionError, match="does not verify"):
        verify_signature(other, *receiver.received[0])
    print(f"delivery: webhook 500,500,200 ({engine.backend}): 3 posts, 1 id, ends delivered after 3 attempts")


def test_a_receiver_that_never_answers_ends_failed_and_staff_can_retry(engine: shopcore.Engine, silent_port: int) -> None:
    engine.create_webhook(f"http://127.0.0.1:{silent_port}/hook", ["order.placed", "order.cancelled"])
    _customer, notice = place_order(engine, "silent@example.com")
    dispatcher = engine.dispatcher(timeout_ms=200, max_attempts=3, first_retry_ms=FIRST_RETRY_MS, max_retry_ms=MAX_RETRY_MS, allow_private_webhook_targets=True)
    started = time.monotonic()
    dispatch_until(dispatcher, lambda: delivery(engine, notice.notification_id, "webhook").status != "pending")
    failed = delivery(engine, notice.notification_id, "webhook")
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert failed.last_error is not None and "tim" in failed.last_error.lower(), failed.last_error
    took = time.monotonic() - started

    admin = engine.create_staff_key(name="desk", role="admin").key
    support = engine.create_staff_key(name="support", role="support").key
    client = SERVICES["notification"][0](engine, "enforced").test_client()
    listed = client.get("/api/notifications?status=failed", headers={"Authorization": f"Bearer {support}"})
    assert listed.status_code == 200
    [entry] = [n for n in listed.get_json()["notifications"] if n["notification_id"] == notice.notification_id]
    [hook_delivery] = [d for d in entry["deliveries"] if d["channel"] == "webhook"]
    assert hook_delivery["status"] == "failed" and hook_delivery["attempts"] == 3
    retried = client.post(f"/api/notifications/{notice.notification_id}/retry", headers={"Authorization": f"Bearer {admin}"})
    assert retried.status_code == 200, retried.get_json()
    again = delivery(engine, notice.notification_id, "webhook")
    assert (again.status, again.last_error is not None) == ("pending", True)
    # Due at once: the next round claims it (the retry is stamped on the dispatcher's clock).
    assert dispatcher.dispatch_due(100).claimed == 1
    twice = client.post(f"/api/notifications/{notice.notification_id}/retry", headers={"Authorization": f"Bearer {admin}"})
    assert (twice.status_code, twice.get_json()["code"]) == (409, "nothing_to_retry")
    print(f"delivery: silent receiver ({engine.backend}): failed after 3 attempts of 200 ms in {took:.2f} s")


def test_by_default_a_loopback_webhook_is_refused_at_send_time_and_never_reached(engine: shopcore.Engine, receiver: Receiver) -> None:
    from shopcore_services import dispatch

    engine.create_webhook(receiver.url.replace("127.0.0.1", "localhost"), ["order.placed"])
    _customer, notice = place_order(engine, "refused@example.com")
    refusing = dispatch.dispatcher(engine, {"SHOPCORE_DISPATCH_FIRST_RETRY_MS": "5"})
    dispatch_until(refusing, lambda: delivery(engine, notice.notification_id, "webhook").status != "pending")
    failed = delivery(engine, notice.notification_id, "webhook")
    assert (failed.status, failed.attempts) == ("failed", 1), failed
    assert failed.last_error is not None and failed.last_error.startswith("refused: ") and "loopback" in failed.last_error, failed.last_error
    assert receiver.received == []
    # Allowed private targets, but a host outside the allowlist: refused as well.
    engine.create_webhook(receiver.url, ["order.placed"])
    _customer, second = place_order(engine, "listed@example.com")
    listed = dispatch.dispatcher(engine, {"SHOPCORE_WEBHOOK_PRIVATE_TARGETS": "allow", "SHOPCORE_WEBHOOK_ALLOWED_HOSTS": "hooks.example.com"})
    dispatch_until(listed, lambda: all(d.status != "pending" for d in engine.deliveries([second.notification_id]) if d.channel == "webhook"))
    errors = [d.last_error or "" for d in engine.deliveries([second.notification_id]) if d.channel == "webhook"]
    assert errors and all("allowlist" in e for e in errors), errors
    assert receiver.received == []


def test_cancelling_sends_order_cancelled_only_to_its_subscribers(engine: shopcore.Engine) -> None:
    placed_only, cancelled_only = Receiver(), Receiver()
    try:
        engine.create_webhook(placed_only.url, ["order.placed"])
        engine.create_webhook(cancelled_only.url, ["order.cancelled"])
        _customer, notice = place_order(engine, "cancel@example.com")
        engine.cancel(notice.order_id)
        dispatcher = engine.dispatcher(first_retry_ms=FIRST_RETRY_MS, max_retry_ms=MAX_RETRY_MS, allow_private_webhook_targets=True)
        dispatch_until(dispatcher, lambda: len(placed_only.received) + len(cancelled_only.received) >= 2)
        assert [json.loads(b)["type"] for _, b in placed_only.received] == ["order.placed"]
        assert [json.loads(b)["type"] for _, b in cancelled_only.received] == ["order.cancelled"]
    finally:
        placed_only.close()
        cancelled_only.close()


def staff_client(engine: shopcore.Engine, allowed_hosts: str = "") -> tuple[Any, dict[str, str]]:
    app = SERVICES["notification"][0](engine, "enforced")
    app.config["WEBHOOK_ALLOWED_HOSTS"] = allowed_hosts
    key = engine.create_staff_key(name="admin", role="admin").key
    return app.test_client(), {"Authorization": f"Bearer {key}"}


BAD_WEBHOOKS = [
    ({"url": "ftp://hooks.example.com/x", "events": ["order.placed"]}, "invalid_webhook"),
    ({"url": "javascript:alert(1)", "events": ["order.placed"]}, "invalid_webhook"),
    ({"url": "https://user:pw@hooks.example.com/x", "events": ["order.placed"]}, "invalid_webhook"),
    ({"url": "https://evil.example.net/x", "events": ["order.placed"]}, "invalid_webhook"),  # not allowed
    ({"url": "https://hooks.example.com/" + "a" * 2000, "events": ["order.placed"]}, "invalid_webhook"),
    ({"url": "https://hooks.example.com/x", "events": ["order.shipped"]}, "invalid_webhook"),
    ({"url": "https://hooks.example.com/x", "events": []}, "invalid_webhook"),
    (
        {"url": "https://hooks.example.com/x", "events": ["order.placed"], "secret": "whsec_" + base64.b64encode(b"k" * 65).decode()},
        "invalid_webhook",
    ),  # oversized
    ({"url": "https://hooks.example.com/x", "events": ["order.placed"], "secret": "whsec_short"}, "invalid_webhook"),
    ({"url": "https://hooks.example.com/x", "events": "order.placed"}, "invalid_request"),
    ({"url": 42, "events": ["order.placed"]}, "invalid_request"),
    ({"url": "https://hooks.example.com/x", "events": [1]}, "invalid_request"),
    ({"url": "https://hooks.example.com/x"}, "invalid_request"),
    ({"url": "https://hooks.example.com/x", "events": ["order.placed"], "owner": "me"}, "invalid_request"),
    ({"url": "https://hooks.example.com/x'; DROP TABLE webhook_endpoints; --", "events": ["order.placed"]}, "invalid_webhook"),
    # Hosts and ports no HTTP client can use (found by attacking the route).
    ({"url": "https://[hooks.example.com]evil.com/", "events": ["order.placed"]}, "invalid_webhook"),
    ({"url": "https://hooks.example.com:99999/x", "events": ["order.placed"]}, "invalid_webhook"),
    ({"url": "https://hooks.example.com:80:evil.com/x", "events": ["order.placed"]}, "invalid_webhook"),
    ({"url": "https://hooks.example.com/x\\y", "events": ["order.placed"]}, "invalid_webhook"),
]


@pytest.mark.parametrize("body,code", BAD_WEBHOOKS, ids=range(len(BAD_WEBHOOKS)))
def test_bad_webhooks_are_refused_with_a_code_and_nothing_is_stored(engine: shopcore.Engine, body: dict[str, Any], code: str) -> None:
    client, admin = staff_client(engine, allowed_hosts="hooks.example.com")
    answer = client.post("/api/webhooks", json=body, headers=admin)
    assert (answer.status_code, answer.get_json()["code"]) == (400, code), answer.get_json()
    assert engine.webhooks() == []


def test_a_webhooks_secret_is_shown_once_and_its_id_routes_work(engine: shopcore.Engine) -> None:
    client, admin = staff_client(engine, allowed_hosts="hooks.example.com, other.example.com")
    created = client.post("/api/webhooks", headers=admin, json={"url": "https://hooks.example.com/shop", "events": ["order.placed"]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and created.headers["Cache-Control"] == "no-store"
    assert created.headers["Location"] == f"/api/webhooks/{body['webhook_id']}"
    listed = client.get("/api/webhooks", headers=admin)
    text = listed.get_data(as_text=True)
    assert body["secret"] not in text and body["secret"].removeprefix("whsec_") not in text
    assert [w["url"] for w in listed.get_json()["webhooks"]] == ["https://hooks.example.com/shop"]
    assert client.delete(f"/api/webhooks/{body['webhook_id']}", headers=admin).status_code == 200
    gone = client.delete(f"/api/webhooks/{body['webhook_id']}", headers=admin)
    assert (gone.status_code, gone.get_json()["code"]) == (404, "unknown_webhook")
    assert client.get("/api/webhooks", headers=admin).get_json()["webhooks"] == []
    for path, status, code in [
        ("/api/notifications/999999/retry", 404, "notification_not_found"),
        ("/api/notifications/" + "9" * 30 + "/retry", 404, "notification_not_found"),
        ("/api/webhooks/" + "9" * 30, 404, "unknown_webhook"),
    ]:
        method = client.post if path.endswith("retry") else client.delete
        answer = method(path, headers=admin)
        assert (answer.status_code, answer.get_json()["code"]) == (status, code), path
    for query in ["status=lost", "status=failed&status=pending", "status=failed&customer_id=1", "status=failed&limit=0"]:
        bad = client.get(f"/api/notifications?{query}", headers=admin)
        assert (bad.status_code, bad.get_json()["code"]) == (400, "invalid_request"), query


# --- dispatcher processes on one MySQL database -------------------------------------------


@dataclass
class DispatcherProcess:
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, database_url: str, smtp_url: str, **settings: str) -> DispatcherProcess:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SHOPCORE_SMTP_URL": smtp_url,
            "SHOPCORE_LOG_FORMAT": "text",
            "SHOPCORE_LOG_LEVEL": "INFO",
            "SHOPCORE_WEBHOOK_PRIVATE_TARGETS": "allow",  # the receivers listen on 127.0.0.1
            "PYTHONUNBUFFERED": "1",
            **{f"SHOPCORE_DISPATCH_{k.upper()}": v for k, v in settings.items()},
        }
        process = subprocess.Popen([sys.executable, "-m", "shopcore_services.dispatch"], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started = cls(process)
        started.reader = threading.Thread(target=started._read, daemon=True)
        started.reader.start()
        return started

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def wait_ready(self, timeout: float = 30.0) -> None:
        ends = time.monotonic() + timeout
        while not any(line.startswith("dispatching") for line in self.output):
            assert self.process.poll() is None, "".join(self.output)
            assert time.monotonic() < ends, "".join(self.output)
            time.sleep(0.05)

    def delivered(self) -> int:
        """Deliveries this process recorded delivered, from its log."""
        return sum(int(word.split("=")[1]) for line in self.output if "dispatched" in line for word in line.split() if word.startswith("delivered="))

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        """Sends ``how`` and waits for the exit and the end of its output."""
        if self.process.poll() is None:
            self.process.send_signal(how)
        self.process.wait(timeout=30)
        assert self.reader is not None and self.process.stdout is not None
        self.reader.join(timeout=10)
        self.process.stdout.close()


def many_notifications(engine: shopcore.Engine, count: int) -> list[int]:
    """``count`` notifications (resent confirmations of one order), each with an email and a webhook delivery."""
    customer, first = place_order(engine, "many@example.com")
    return [first.notification_id] + [engine.resend_confirmation(first.order_id, customer).notification_id for _ in range(count - 1)]


def settled(engine: shopcore.Engine) -> bool:
    return engine.notifications_by_delivery("pending", limit=1)[0] == []


def wait_settled(engine: shopcore.Engine, processes: list[DispatcherProcess], timeout: float = 90.0) -> None:
    ends = time.monotonic() + timeout
    while not settled(engine):
        for p in processes:
            assert p.process.poll() is None, "".join(p.output)
        assert time.monotonic() < ends, "the outbox did not drain in time"
        time.sleep(0.1)


def test_two_dispatcher_processes_deliver_500_notifications_each_exactly_once(mysql_database: str, sink: MailSink) -> None:
    engine = shopcore.Engine.mysql(mysql_database, seed=True, max_connections=4)
    receiver = Receiver(delay=0.002)
    hook = engine.create_webhook(receiver.url, ["order.placed"])
    dispatchers = [DispatcherProcess.start(mysql_database, sink.url, batch="20") for _ in range(2)]
    try:
        for p in dispatchers:
            p.wait_ready()
        ids = many_notifications(engine, 500)  # written while both dispatchers run
        wait_settled(engine, dispatchers)
    finally:
        for p in dispatchers:
            p.stop()
        receiver.close()
    posts = receiver.ids()
    mails = Counter(str(m["Message-ID"]) for _, m in sink.messages)
    assert posts == Counter({f"msg_notification_{i}": 1 for i in ids}), "a webhook was lost or sent twice"
    assert mails == Counter({f"<notification-{i}@shopcore.localhost>": 1 for i in ids}), "a mail lost or doubled"
    for headers, body in receiver.received[:50]:
        verify_signature(hook.secret, headers, body)
    per_process = [p.delivered() for p in dispatchers]
    assert sum(per_process) == 1000 and min(per_process) > 0, per_process
    assert engine.notifications_by_delivery("failed", limit=1)[0] == []
    print(
        f"delivery: 2 dispatchers, 500 notifications: {len(receiver.received)} webhook posts, "
        f"{len(sink.messages)} mails, 0 duplicates; delivered per process {per_process}"
    )


def test_a_dispatcher_killed_mid_batch_loses_nothing_and_duplicates_only_its_batch(mysql_database: str, sink: MailSink) -> None:
    engine = shopcore.Engine.mysql(mysql_database, seed=True, max_connections=4)
    receiver = Receiver(delay=0.02)  # slow enough that a batch is in flight when the kill comes
    engine.create_webhook(receiver.url, ["order.placed"])
    ids = many_notifications(engine, 300)
    settings = {"batch": "25", "timeout_ms": "400", "lease_ms": "1500"}
    first = DispatcherProcess.start(mysql_database, sink.url, **settings)
    try:
        ends = time.monotonic() + 60
        while len(receiver.received) < 100:
            assert time.monotonic() < ends and first.process.poll() is None, "".join(first.output)
            time.sleep(0.005)
        first.stop(signal.SIGKILL)
        at_kill = len(receiver.received)
        second = DispatcherProcess.start(mysql_database, sink.url, **settings)
        try:
            wait_settled(engine, [second])
        finally:
            second.stop()
    finally:
        receiver.close()
    posts = receiver.ids()
    mails = Counter(str(m["Message-ID"]) for _, m in sink.messages)
    assert set(posts) == {f"msg_notification_{i}" for i in ids}, "a webhook was lost"
    assert set(mails) == {f"<notification-{i}@shopcore.localhost>" for i in ids}, "a mail was lost"
    webhook_duplicates = sum(posts.values()) - len(posts)
    mail_duplicates = sum(mails.values()) - len(mails)
    # Only what the killed process had claimed (one batch of 25, emails and webhooks
    # together) can be sent twice, and never more than twice.
    assert webhook_duplicates + mail_duplicates <= 25 and max(posts.values()) <= 2 and max(mails.values()) <= 2
    for notification_id in ids[:20]:
        assert {d.status for d in engine.deliveries([notification_id])} == {"delivered"}
    print(
        f"delivery: SIGKILL after {at_kill} of 300 webhooks: after restart all 300 webhooks and 300 mails "
        f"delivered; duplicates {webhook_duplicates} webhooks + {mail_duplicates} mails (batch 25)"
    )


def test_legacy_mode_keeps_the_log_open_to_any_authorization_header(engine: shopcore.Engine) -> None:
    client = SERVICES["notification"][0](engine, "legacy").test_client()
    place_order(engine, "legacy@example.com")
    for header in ["Basic dXNlcjpwdw==", "Bearer ", "Token abc", "Bearer not-a-token"]:
        answer = client.get("/api/notifications", headers={"Authorization": header})
        assert answer.status_code == 200, (header, answer.get_json())
        assert all("deliveries" not in n for n in answer.get_json()["notifications"])


def test_secrets_never_show_in_a_records_repr(engine: shopcore.Engine) -> None:
    created = engine.create_webhook("https://hooks.example.com/x", ["order.placed"])
    issued = engine.create_staff_key(name="desk", role="support")
    engine.register(name="Repr", email="repr@example.com", password="a long enough password")
    session = engine.login(email="repr@example.com", password="a long enough password")
    records: list[tuple[Any, str]] = [(created, created.secret), (issued, issued.key), (session, session.token)]
    for record, secret in records:
        assert secret not in repr(record) and secret not in str(record), type(record).__name__
        assert secret in json.dumps(record.to_dict(), default=str)  # the value itself is still there


@pytest.mark.parametrize(
    "name,value",
    [
        ("SHOPCORE_DISPATCH_BATCH", "501"),
        ("SHOPCORE_DISPATCH_BATCH", "0"),
        ("SHOPCORE_DISPATCH_BATCH", "9" * 12),
        ("SHOPCORE_DISPATCH_MAX_ATTEMPTS", "99999999999"),
        ("SHOPCORE_DISPATCH_TIMEOUT_MS", "9" * 23),
        ("SHOPCORE_DISPATCH_LEASE_MS", "-5"),
    ],
)
def test_dispatcher_settings_out_of_range_stop_the_start(name: str, value: str) -> None:
    from shopcore_services import dispatch

    engine = shopcore.Engine.in_memory()
    with pytest.raises(ValueError, match=name):
        dispatch.batch_size({name: value})
        dispatch.dispatcher(engine, {name: value})


def test_the_dispatch_command_refuses_bad_settings_with_status_2(mysql_database: str) -> None:
    env = {**os.environ, "DATABASE_URL": mysql_database, "SHOPCORE_DISPATCH_BATCH": "501", "SHOPCORE_SMTP_URL": "smtp://user:hunter2@mail:99999"}
    done = subprocess.run([sys.executable, "-m", "shopcore_services.dispatch", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "SHOPCORE_DISPATCH_BATCH" in done.stderr, done.stderr
    env["SHOPCORE_DISPATCH_BATCH"] = "10"
    done = subprocess.run([sys.executable, "-m", "shopcore_services.dispatch", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "mail:99999" in done.stderr, done.stderr
    assert "hunter2" not in done.stderr + done.stdout
