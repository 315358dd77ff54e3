"""A local SMTP sink: accepts every message on 127.0.0.1 and keeps it (make run, the delivery tests).

    python scripts/mail_sink.py [--port 8025] [--mbox .run/mail.mbox]

Each message is appended to the mbox file (read it with any mail reader, or
``cat``) and summarised on stdout. From Python, :class:`MailSink` is the same
server in a background thread, keeping the messages in memory.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import mailbox
import signal
import socket
import sys
import threading
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    """A port nothing listens on right now (aiosmtpd must be told one: it checks it by connecting)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class MailSink:
    """An SMTP server on ``127.0.0.1:port`` (0: a free one) in a background
    thread; ``messages`` holds what arrived, with the envelope's recipients."""

    def __init__(self, port: int = 0, mbox: Path | None = None) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.arrived = threading.Condition()
        self._mbox = mbox
        self._controller = Controller(self, hostname="127.0.0.1", port=port or free_port())

    def __enter__(self) -> MailSink:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        port: int = self._controller.port
        return port

    @property
    def url(self) -> str:
        """The ``SHOPCORE_SMTP_URL`` of this sink."""
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[list[str], EmailMessage]]:
        """The messages once at least ``count`` have arrived (or after ``timeout`` seconds)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        recipients = [str(r) for r in envelope.rcpt_tos]
        if self._mbox is not None:
            box = mailbox.mbox(self._mbox)
            box.add(message)
            box.close()
            print(f"mail to {', '.join(recipients)}: {message['Subject']}", flush=True)
        with self.arrived:
            self.messages.append((recipients, message))
            self.arrived.notify_all()
        return "250 OK"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--mbox", type=Path, default=Path(".run/mail.mbox"))
    args = parser.parse_args(argv)
    args.mbox.parent.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with MailSink(args.port, args.mbox) as sink:
        print(f"mail sink on {sink.url}: messages are appended to {args.mbox.resolve()}", flush=True)
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
