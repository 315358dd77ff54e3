"""``serve``'s server (Werkzeug's development server) answers what it refuses
itself, before the app runs, with valid JSON — whatever the client sent."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

import shopcore
from shopcore_services import pricing
from shopcore_services.serve import RequestHandler


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = make_server("127.0.0.1", 0, pricing.create_app(shopcore.Engine.in_memory(), "legacy"), threaded=True, request_handler=RequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


def exchange(port: int, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """The status line, headers and body the server answers to ``request``."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {k.decode().lower(): v.decode().strip() for k, _, v in (line.partition(b":") for line in lines)}
    return status, headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status", "says"),
    [
        # The version is quoted back in the message: repr() of it has double quotes.
        (b"GET /health HTTP/1.1'\r\nHost: x\r\n\r\n", 400, "HTTP/1.1'"),
        (b'GET /health HTTP/1."\\\r\nHost: x\r\n\r\n', 400, "Bad request version"),
        (b"GET /health <script>\r\n\r\n", 400, "<script>"),
        (b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 505, "2.0"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, ""),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, ""),
    ],
)
def test_a_request_the_server_refuses_is_answered_in_valid_json(port: int, request_bytes: bytes, status: int, says: str) -> None:
    status_line, headers, body = exchange(port, request_bytes)
    assert status_line.startswith(b"HTTP/1.") and status_line.split(b" ")[1] == str(status).encode(), status_line
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    answer = json.loads(body)
    assert (answer["code"], answer["status"]) == ("invalid_request", "error")
    assert says in answer["message"]
    assert headers.get("server") == "shopcore"


def test_the_app_still_answers_through_the_handler(port: int) -> None:
    status_line, headers, body = exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b" 200 " in status_line and headers["content-type"] == "application/json"
    assert json.loads(body)["status"] == "healthy"
