"""Email over TLS: the dispatcher delivers to an SMTP server that speaks only
TLS (``smtps://``, TLS from the first byte) or requires STARTTLS
(``smtp://…?tls=required``), trusting the CA of ``smtp_ca_file``; a server
whose certificate that CA did not sign is refused and nothing is delivered.

The certificates are made for each run by ``openssl`` (a test CA, a server
certificate it signs for 127.0.0.1, and a self-signed impostor), the server
is aiosmtpd on 127.0.0.1.
"""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

import shopcore

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

from mail_sink import free_port


@dataclass
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    impostor_cert: Path
    impostor_key: Path
    misnamed_cert: Path
    misnamed_key: Path

    def pair(self, which: str) -> tuple[Path, Path]:
        """The certificate and key of ``server``, ``impostor`` or ``misnamed``."""
        return {
            "server": (self.server_cert, self.server_key),
            "impostor": (self.impostor_cert, self.impostor_key),
            "misnamed": (self.misnamed_cert, self.misnamed_key),
        }[which]


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def self_signed(directory: Path, name: str, subject: str, *extensions: str) -> None:
    """``name.key`` and a self-signed ``name.pem`` for ``subject``, valid two days."""
    added = [arg for extension in extensions for arg in ("-addext", extension)]
    key, cert = str(directory / f"{name}.key"), str(directory / f"{name}.pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject, "-keyout", key, "-out", cert, *added)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    d = tmp_path_factory.mktemp("tls")
    san = "subjectAltName=IP:127.0.0.1,DNS:localhost"
    self_signed(d, "ca", "/CN=shopcore test CA", "basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(d / "server.key"), "-out", str(d / "server.csr"))
    (d / "server.ext").write_text(f"{san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    ca, ca_key, csr, ext, server = (str(d / n) for n in ("ca.pem", "ca.key", "server.csr", "server.ext", "server.pem"))
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", server)
    self_signed(d, "impostor", "/CN=127.0.0.1", san)
    # Signed by the trusted CA, but for another name than the one connected to.
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=other.example", "-keyout", str(d / "misnamed.key"), "-out", str(d / "misnamed.csr"))
    (d / "misnamed.ext").write_text("subjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    misnamed = (str(d / n) for n in ("misnamed.csr", "misnamed.ext", "misnamed.pem"))
    csr, ext, out = misnamed
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", out)
    return Certificates(d / "ca.pem", d / "server.pem", d / "server.key", d / "impostor.pem", d / "impostor.key", d / "misnamed.pem", d / "misnamed.key")


@dataclass
class TlsSink:
    """Keeps each message with whether its session was encrypted, and the TLS version."""

    received: list[tuple[str | None, email.message.EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, _session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        assert server.transport is not None
        tls = server.transport.get_extra_info("ssl_object")
        self.received.append((tls.version() if tls is not None else None, message))
        return "250 OK"


@pytest.fixture
def serve(certificates: Certificates) -> Iterator[object]:
    controllers: list[Controller] = []

    def start(mode: str, cert_of: str = "server") -> tuple[TlsSink, str]:
        cert, key = certificates.pair(cert_of)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        sink = TlsSink()
        port = free_port()
        if mode == "plain":  # no TLS offered at all
            controller = Controller(sink, hostname="127.0.0.1", port=port)
            url = f"smtp://127.0.0.1:{port}?tls=required"
        elif mode == "implicit":
            controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=context)
            url = f"smtps://127.0.0.1:{port}"
        else:
            controller = Controller(sink, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
            url = f"smtp://127.0.0.1:{port}?tls=required"
        controller.start()
        controllers.append(controller)
        return sink, url

    yield start
    for controller in controllers:
        controller.stop()


def place_order(engine: shopcore.Engine) -> int:
    customer = engine.register(name="Mona Adel", email="tls@example.com", password="a long enough password").customer_id
    notice = engine.checkout(customer, [(1, 1)]).confirmation
    return int(notice.notification_id)


def email_delivery(engine: shopcore.Engine, notification_id: int) -> shopcore.Delivery:
    return next(d for d in engine.deliveries([notification_id]) if d.channel == "email")


def dispatch_until_settled(dispatcher: shopcore.Dispatcher, engine: shopcore.Engine, notification_id: int) -> shopcore.Delivery:
    ends = time.monotonic() + 20
    while (found := email_delivery(engine, notification_id)).status == "pending":
        assert time.monotonic() < ends, "the email did not settle"
        dispatcher.dispatch_due(10)
        time.sleep(0.01)
    return found


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_mail_is_delivered_over_tls_to_a_server_signed_by_the_given_ca(serve, certificates: Certificates, mode: str) -> None:  # type: ignore[no-untyped-def]
    sink, url = serve(mode)
    engine = shopcore.Engine.in_memory()
    dispatcher = engine.dispatcher(smtp_url=url, smtp_ca_file=str(certificates.ca), mail_from="Shop <orders@shop.example>")
    notification_id = place_order(engine)
    settled = dispatch_until_settled(dispatcher, engine, notification_id)
    assert (settled.status, settled.attempts, settled.last_error) == ("delivered", 1, None)
    [(version, message)] = sink.received
    assert version is not None and version.startswith("TLSv1."), version
    assert message["To"] == "tls@example.com" and message["From"] == "Shop <orders@shop.example>"
    print(f"smtp tls ({mode}): delivered over {version}")


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_a_server_certificate_not_signed_by_the_given_ca_is_refused(serve, certificates: Certificates, mode: str) -> None:  # type: ignore[no-untyped-def]
    sink, url = serve(mode, "impostor")
    engine = shopcore.Engine.in_memory()
    dispatcher = engine.dispatcher(smtp_url=url, smtp_ca_file=str(certificates.ca), max_attempts=1)
    notification_id = place_order(engine)
    settled = dispatch_until_settled(dispatcher, engine, notification_id)
    assert settled.status == "failed" and settled.last_error is not None, settled
    assert "certificate" in settled.last_error.lower() or "unknownissuer" in settled.last_error.lower(), settled.last_error
    assert sink.received == []


def test_without_the_ca_the_test_certificate_is_not_trusted_and_a_tls_url_without_a_host_is_refused(serve, certificates: Certificates) -> None:  # type: ignore[no-untyped-def]
    sink, url = serve("starttls")
    engine = shopcore.Engine.in_memory()
    dispatcher = engine.dispatcher(smtp_url=url, max_attempts=1)
    notification_id = place_order(engine)
    failed = dispatch_until_settled(dispatcher, engine, notification_id)
    assert failed.status == "failed" and failed.last_error is not None, failed
    assert "certificate" in failed.last_error.lower() or "unknownissuer" in failed.last_error.lower(), failed.last_error
    assert sink.received == []
    for bad in ["smtps://", "smtp://mail?tls=sometimes", "imap://mail"]:
        with pytest.raises(shopcore.ValidationError):
            engine.dispatcher(smtp_url=bad)
    with pytest.raises(shopcore.ValidationError, match="CA file"):
        engine.dispatcher(smtp_url="smtps://mail", smtp_ca_file=str(certificates.ca.with_name("missing.pem")))


@pytest.mark.parametrize(
    ("mode", "cert_of", "refusal"),
    [
        # A certificate the given CA signed, made out to another name than the one connected to.
        ("implicit", "misnamed", "not valid for name"),
        ("starttls", "misnamed", "not valid for name"),
        # tls=required against a server that offers no STARTTLS: never downgraded to plain SMTP.
        ("plain", "server", "STARTTLS"),
    ],
)
def test_a_misnamed_certificate_or_a_server_without_tls_gets_nothing(serve, certificates: Certificates, mode: str, cert_of: str, refusal: str) -> None:  # type: ignore[no-untyped-def]
    sink, url = serve(mode, cert_of)
    engine = shopcore.Engine.in_memory()
    dispatcher = engine.dispatcher(smtp_url=url, smtp_ca_file=str(certificates.ca), max_attempts=1)
    failed = dispatch_until_settled(dispatcher, engine, place_order(engine))
    assert failed.status == "failed" and failed.last_error is not None, failed
    assert refusal in failed.last_error, failed.last_error
    assert sink.received == []


def test_credentials_are_refused_over_plain_smtp() -> None:
    with pytest.raises(shopcore.ValidationError, match="credentials need TLS"):
        shopcore.Engine.in_memory().dispatcher(smtp_url="smtp://alice:hunter2@127.0.0.1:25")
