"""Bad input found by an attack run, each answered with a clean 4xx and no change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import shopcore

Clients = dict[str, FlaskClient]
CART = '{"products": [{"product_id": 1, "quantity": 1}]}'
NESTED = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    ("service", "path", "body"),
    [
        ("pricing", "/api/pricing/calculate", '{"products": ' + NESTED + "}"),
        ("order", "/api/orders/create", '{"customer_id": 1, "products": ' + NESTED + "}"),
        ("customer", "/api/customers/login", '{"email": ' + NESTED + ', "password": "x"}'),
    ],
)
def test_deeply_nested_json_is_400_not_500(clients: Clients, service: str, path: str, body: str) -> None:
    response = clients[service].post(path, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_request"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_body_that_is_not_declared_json_is_415(clients: Clients, content_type: str) -> None:
    before = clients["inventory"].get("/api/inventory/check/1").get_json()["quantity_available"]
    response = clients["order"].post("/api/orders/create", data='{"customer_id": 1, ' + CART[1:], content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["code"] == "unsupported_media_type"
    assert clients["inventory"].get("/api/inventory/check/1").get_json()["quantity_available"] == before


def test_json_with_a_charset_is_still_json(clients: Clients) -> None:
    response = clients["pricing"].post("/api/pricing/calculate", data=CART, content_type="application/json; charset=utf-8")
    assert response.status_code == 200


def test_a_key_given_twice_is_400_not_last_wins(clients: Clients) -> None:
    body = '{"customer_id": 1, "customer_id": 2, "products": [{"product_id": 1, "quantity": 1}]}'
    response = clients["order"].post("/api/orders/create", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "twice" in response.get_json()["message"]
    assert clients["customer"].get("/api/customers/2/orders").get_json()["orders"] == []


def test_resending_the_confirmation_of_a_cancelled_order_is_409(clients: Clients) -> None:
    order_id = clients["order"].post("/api/orders/create", json={"customer_id": 1, "products": [{"product_id": 2, "quantity": 1}]}).get_json()["order_id"]
    assert clients["order"].post(f"/api/orders/{order_id}/cancel").status_code == 200
    response = clients["notification"].post("/api/notifications/send", json={"order_id": order_id, "customer_id": 1})
    assert response.status_code == 409
    assert response.get_json()["code"] == "order_cancelled"


@pytest.mark.parametrize("path", ["/api/customers/%D9%A1", "/api/customers/%EF%BC%91", "/api/customers/%E0%A5%A7/orders"])
def test_path_ids_are_ascii_digits_only(clients: Clients, path: str) -> None:
    response = clients["customer"].get(path)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


@pytest.mark.parametrize("name", ["Eve \u202enimda", "\u2066Mallory\u2069", "a\u202ab"])
def test_bidirectional_controls_are_refused_in_names(clients: Clients, name: str) -> None:
    response = clients["customer"].post("/api/customer/register", json={"name": name, "email": "eve@example.com", "password": "long enough!"})
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_name"


def test_error_messages_carry_no_rust_debug_formatting(clients: Clients) -> None:
    response = clients["pricing"].post("/api/pricing/calculate", json={"products": [{"product_id": 1, "quantity": 1}], "region": "Mars"})
    message = response.get_json()["message"]
    assert response.get_json()["code"] == "unknown_tax_region"
    assert "Region(" not in message and '"Mars"' in message


def test_five_failed_logins_for_an_email_from_one_address_then_429_there_whether_or_not_it_exists(clients: Clients) -> None:
    registered = {"name": "Lina", "email": "lina@example.com", "password": "the right password"}
    assert clients["customer"].post("/api/customer/register", json=registered).status_code == 201
    for email in ["lina@example.com", "nobody@example.com"]:
        for _ in range(5):
            wrong = clients["customer"].post("/api/customers/login", json={"email": email, "password": "wrong one!"})
            assert wrong.status_code == 401
        throttled = clients["customer"].post("/api/customers/login", json={"email": email, "password": "wrong one!"})
        assert throttled.status_code == 429
        assert throttled.get_json()["code"] == "too_many_attempts"
        assert 1 <= int(throttled.headers["Retry-After"]) <= 900
    # Even the right password waits now at this address; another account does not.
    right = clients["customer"].post("/api/customers/login", json={"email": "lina@example.com", "password": "the right password"})
    assert right.status_code == 429
    assert (
        body_of(clients["customer"].post("/api/customer/register", json={"name": "Omar", "email": "o2@example.com", "password": "another password"}))
        is not None
    )
    assert clients["customer"].post("/api/customers/login", json={"email": "o2@example.com", "password": "another password"}).status_code == 200


def test_one_client_guessing_many_emails_is_throttled_by_address(clients: Clients) -> None:
    for i in range(20):
        response = clients["customer"].post("/api/customers/login", json={"email": f"guess{i}@example.com", "password": "wrong one!"})
        assert response.status_code == 401
    response = clients["customer"].post("/api/customers/login", json={"email": "guess99@example.com", "password": "wrong one!"})
    assert response.status_code == 429
    other_client = clients["customer"].post(
        "/api/customers/login", json={"email": "guess99@example.com", "password": "wrong one!"}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert other_client.status_code == 401


def login_from(clients: Clients, address: str, email: str, password: str) -> TestResponse:
    return clients["customer"].post("/api/customers/login", json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def test_failed_logins_from_one_address_do_not_lock_the_owner_out_elsewhere(clients: Clients) -> None:
    owner = {"name": "Huda", "email": "huda@example.com", "password": "huda's own password"}
    assert clients["customer"].post("/api/customer/register", json=owner).status_code == 201
    for address in ["10.66.0.1", "10.66.0.2", "10.66.0.3"]:
        for _ in range(6):
            login_from(clients, address, "huda@example.com", "not her password")
        assert login_from(clients, address, "huda@example.com", "not her password").status_code == 429
    # Malformed passwords (too short to be anyone's) from yet another address.
    for _ in range(30):
        assert login_from(clients, "10.66.0.4", "huda@example.com", "x").status_code in (401, 429)
    response = login_from(clients, "10.77.0.1", "huda@example.com", "huda's own password")
    assert response.status_code == 200
    assert response.get_json()["email"] == "huda@example.com"


def test_sixteen_concurrent_correct_logins_all_succeed(clients: Clients) -> None:
    owner = {"name": "Salma", "email": "salma@example.com", "password": "salma's own password"}
    assert clients["customer"].post("/api/customer/register", json=owner).status_code == 201
    app = clients["customer"].application

    def log_in(_: int) -> int:
        with app.test_client() as client:
            return client.post("/api/customers/login", json={"email": "salma@example.com", "password": "salma's own password"}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(log_in, range(48)))
    assert statuses == [200] * 48


def test_a_registration_flood_from_one_address_gets_429_after_ten(clients: Clients) -> None:
    def register(i: int, address: str) -> TestResponse:
        return clients["customer"].post(
            "/api/customer/register",
            environ_base={"REMOTE_ADDR": address},
            json={"name": "Flood", "email": f"flood{i}@example.com", "password": "a long enough password"},
        )

    for i in range(10):
        assert register(i, "10.88.0.1").status_code == 201
    refused = register(10, "10.88.0.1")
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "too_many_attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert login_from(clients, "10.88.0.9", "flood10@example.com", "a long enough password").status_code == 401
    assert register(10, "10.88.0.2").status_code == 201


def test_guessing_coupon_codes_gets_429_after_twenty_failures(clients: Clients) -> None:
    lines = [{"product_id": 3, "quantity": 2}]

    def quote(code: str | None, address: str) -> TestResponse:
        body: dict[str, Any] = {"products": lines}
        if code is not None:
            body["coupon_code"] = code
        return clients["pricing"].post("/api/pricing/calculate", json=body, environ_base={"REMOTE_ADDR": address})

    for i in range(20):
        guess = quote(f"GUESS{i}", "10.99.0.1")
        assert guess.status_code == 400
        assert guess.get_json()["code"] == "coupon_unknown"
    refused = quote("GUESS20", "10.99.0.1")
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "too_many_attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert quote(None, "10.99.0.1").status_code == 200
    assert quote("GUESS20", "10.99.0.2").get_json()["code"] == "coupon_unknown"


def body_of(response: TestResponse) -> Any:
    return response.get_json()


def test_idempotency_keys_are_per_customer_and_a_replay_tells_of_a_cancel(clients: Clients) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    lines = [{"product_id": 3, "quantity": 1}]
    first = clients["order"].post("/api/orders/create", json={"customer_id": 1, "products": lines}, headers=headers)
    other = clients["order"].post("/api/orders/create", json={"customer_id": 2, "products": lines}, headers=headers)
    assert (first.status_code, other.status_code) == (201, 201)
    assert first.get_json()["order_id"] != other.get_json()["order_id"]
    assert other.get_json()["replayed"] is False
    order_id = first.get_json()["order_id"]
    assert clients["order"].post(f"/api/orders/{order_id}/cancel").status_code == 200
    replay = clients["order"].post("/api/orders/create", json={"customer_id": 1, "products": lines}, headers=headers)
    assert replay.get_json()["order_id"] == order_id
    assert (replay.get_json()["replayed"], replay.get_json()["order_status"]) == (True, "cancelled")


def test_guessing_the_current_password_is_throttled_like_login(enforced_clients: Clients) -> None:
    clients = enforced_clients
    assert (
        clients["customer"].post("/api/customer/register", json={"name": "Rana", "email": "rana@example.com", "password": "rana's password"}).status_code == 201
    )
    session = clients["customer"].post("/api/customers/login", json={"email": "rana@example.com", "password": "rana's password"}).get_json()
    auth = {"Authorization": f"Bearer {session['token']}"}
    path = f"/api/customers/{session['customer_id']}/password"
    for i in range(5):
        guess = clients["customer"].put(path, headers=auth, json={"current_password": f"guess number {i}", "new_password": "taken over!"})
        assert guess.status_code == 401
    throttled = clients["customer"].put(path, headers=auth, json={"current_password": "rana's password", "new_password": "taken over!"})
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    # Nothing changed: the old password still logs in (after the window it would; here it is throttled too).
    assert clients["customer"].post("/api/customers/login", json={"email": "rana@example.com", "password": "rana's password"}).status_code == 429


def test_behind_trusted_proxies_each_forwarded_client_counts_apart(engine: shopcore.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every request arrives from the proxy's address; X-Forwarded-For names the client.
    from shopcore_services import customer

    def login(app_client: FlaskClient, forwarded_for: str, email: str, password: str) -> int:
        return app_client.post(
            "/api/customers/login",
            json={"email": email, "password": password},
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "10.200.0.1"},
        ).status_code

    direct = customer.create_app(engine, "legacy").test_client()
    assert direct.post("/api/customer/register", json={"name": "Nadia", "email": "nadia@example.com", "password": "nadia's own password"}).status_code == 201
    monkeypatch.setenv("SHOPCORE_TRUSTED_PROXIES", "1")
    proxied = customer.create_app(engine, "legacy").test_client()
    # One client behind the proxy guesses 20 emails: that client is refused …
    for guess in range(20):
        assert login(proxied, "203.0.113.1", f"guess{guess}@example.com", "not a password") == 401
    assert login(proxied, "203.0.113.1", "nadia@example.com", "nadia's own password") == 429
    # … and the owner, another client behind the same proxy, is not.
    assert login(proxied, "203.0.113.9", "nadia@example.com", "nadia's own password") == 200
    # Without the setting the header is ignored: the same guesses, each naming
    # another client, all count against the one address the requests come from.
    for guess in range(20):
        assert login(direct, f"198.51.100.{guess}", f"other{guess}@example.com", "not a password") == 401
    assert login(direct, "198.51.100.99", "nadia@example.com", "nadia's own password") == 429


def test_a_bad_trusted_proxies_setting_stops_the_start(engine: shopcore.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from shopcore_services import customer

    monkeypatch.setenv("SHOPCORE_TRUSTED_PROXIES", "all")
    with pytest.raises(ValueError, match="SHOPCORE_TRUSTED_PROXIES"):
        customer.create_app(engine, "legacy")


def test_a_client_without_an_address_is_counted_not_trusted(clients: Clients) -> None:
    # A unix socket gives no address: such clients are counted together as "unknown".
    for _ in range(10):
        response = clients["customer"].post(
            "/api/customer/register", json={"name": "Nobody", "email": f"nobody{_}@example.com", "password": "long enough!"}, environ_base={"REMOTE_ADDR": ""}
        )
        assert response.status_code == 201
    response = clients["customer"].post(
        "/api/customer/register", json={"name": "Nobody", "email": "nobody10@example.com", "password": "long enough!"}, environ_base={"REMOTE_ADDR": ""}
    )
    assert response.status_code == 429


def test_guessing_coupon_codes_through_checkout_gets_429_after_twenty_failures(clients: Clients) -> None:
    def order(code: str | None, address: str) -> TestResponse:
        body: dict[str, Any] = {"customer_id": 2, "products": [{"product_id": 3, "quantity": 1}]}
        if code is not None:
            body["coupon_code"] = code
        return clients["order"].post("/api/orders/create", json=body, environ_base={"REMOTE_ADDR": address})

    for i in range(20):
        guess = order(f"GUESS{i}", "10.98.0.1")
        assert (guess.status_code, guess.get_json()["code"]) == (400, "coupon_unknown")
    refused = order("GUESS20", "10.98.0.1")
    assert (refused.status_code, refused.get_json()["code"]) == (429, "too_many_attempts")
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert order(None, "10.98.0.1").status_code == 201
    assert order("GUESS20", "10.98.0.2").get_json()["code"] == "coupon_unknown"
