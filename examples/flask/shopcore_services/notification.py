"""Notification service (port 5005): (re)send order confirmations, read the log, and
administer delivery: each notification's delivery state (email, webhooks), the dead
letters staff retry, and the webhook endpoints (admin)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, jsonify

import shopcore
from shopcore_services.config import resolve
from shopcore_services.http import (
    ApiError,
    AuthMode,
    body_id,
    create_service,
    field,
    json_body,
    keep_original_status,
    may,
    no_store,
    page_response,
    path_id,
    query_int,
    query_text,
    require,
    require_known,
)

#: The fields POST /api/webhooks takes.
WEBHOOK_FIELDS = frozenset({"url", "events", "secret"})


def with_deliveries(engine: shopcore.Engine, notifications: list[shopcore.Notification]) -> list[dict[str, Any]]:
    """Each notification as JSON with its ``deliveries`` (one query for the page)."""
    by_notification: dict[int, list[dict[str, Any]]] = {n.notification_id: [] for n in notifications}
    for delivery in engine.deliveries(list(by_notification)):
        by_notification[delivery.notification_id].append(delivery.to_dict())
    return [{**n.to_dict(), "deliveries": by_notification[n.notification_id]} for n in notifications]


def webhook_body(body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/webhooks' body: known fields only, ``url`` and ``events`` required."""
    for name in body:
        if name not in WEBHOOK_FIELDS:
            raise ApiError(400, "invalid_request", f"unknown field {name[:40]!r}")
    field(body, "url")
    if not isinstance(field(body, "events"), list):
        raise ApiError(400, "invalid_request", "events must be a list of event names")
    return body


def create_app(engine: shopcore.Engine | None = None, auth: AuthMode | None = None) -> Flask:
    """The notification service over ``engine`` with access ``auth`` (default ``enforced``); without
    arguments, both come from the environment (:func:`shopcore_services.config.configured`)."""
    engine, auth = resolve(engine, auth)
    app = create_service("notification", engine, legacy="status", auth=auth)

    @app.post("/api/notifications/send")
    @keep_original_status(400, except_codes=frozenset({"order_cancelled"}))
    def send() -> Response:
        actor = require_known("resend_confirmation")
        body = json_body()
        order_id, customer_id = field(body, "order_id"), field(body, "customer_id")
        if actor is not None:
            require("resend_confirmation", body_id(customer_id, "customer_id"))
        sent = engine.resend_confirmation(order_id, customer_id)
        return jsonify(
            {
                "status": "success",
                "message": sent.message,
                "order_id": sent.order_id,
                "customer_id": sent.customer_id,
                "notification_id": sent.notification_id,
            }
        )

    allowed_hosts = os.environ.get("SHOPCORE_WEBHOOK_ALLOWED_HOSTS", "")
    app.config.setdefault("WEBHOOK_ALLOWED_HOSTS", allowed_hosts)

    @app.get("/api/notifications")
    def log() -> Response:
        def optional_id(name: str) -> int | None:
            raw = query_text(name)
            return None if raw in (None, "") else path_id(raw, name.removesuffix("_id"))

        status = query_text("status")
        if status is not None:  # the delivery view: staff only, in both modes
            require("manage_deliveries", in_legacy=True)
            if query_text("order_id") is not None or query_text("customer_id") is not None:
                raise ApiError(400, "invalid_request", "status cannot be combined with order_id or customer_id")
            limit = query_int("limit")
            found, after = engine.notifications_by_delivery(status, before=query_int("after"), limit=limit)
            return page_response({"notifications": with_deliveries(engine, found)}, after, limit)
        customer_id = optional_id("customer_id")
        actor = require_known("read_notifications")
        if actor is not None:
            if actor.kind == "customer" and customer_id is None:
                customer_id = actor.customer_id  # a customer sees only their own
            require("read_notifications", customer_id)
        limit = query_int("limit")
        entries, after = engine.notification_page(order_id=optional_id("order_id"), customer_id=customer_id,
                                                  before=query_int("after"), limit=limit)
        if may("manage_deliveries"):
            listed = with_deliveries(engine, entries)
        else:
            listed = [n.to_dict() for n in entries]
        return page_response({"notifications": listed}, after, limit)

    @app.post("/api/notifications/<int:notification_id>/retry")
    def retry(notification_id: int) -> Response:
        """A notification's failed deliveries due again now (409 ``nothing_to_retry`` if none failed)."""
        require("manage_deliveries", in_legacy=True)
        deliveries = engine.retry_notification(notification_id)
        return jsonify({"notification_id": notification_id, "deliveries": [d.to_dict() for d in deliveries]})

    @app.post("/api/webhooks")
    def create_webhook() -> tuple[Response, int]:
        """A webhook endpoint; the answer holds its signing secret, the only time it is shown."""
        require("manage_webhooks", in_legacy=True)
        body = webhook_body(json_body())
        created = engine.create_webhook(body["url"], body["events"], secret=body.get("secret"),
                                        allowed_hosts=app.config["WEBHOOK_ALLOWED_HOSTS"])
        response = jsonify({**created.webhook.to_dict(), "secret": created.secret})
        response.headers["Location"] = f"/api/webhooks/{created.webhook.webhook_id}"
        return no_store(response), 201

    @app.get("/api/webhooks")
    def webhooks() -> Response:
        """The live webhook endpoints (never their secrets)."""
        require("manage_webhooks", in_legacy=True)
        return jsonify({"webhooks": [w.to_dict() for w in engine.webhooks()]})

    @app.delete("/api/webhooks/<int:webhook_id>")
    def delete_webhook(webhook_id: int) -> Response:
        """Deletes an endpoint; its pending deliveries end failed at their next attempt."""
        require("manage_webhooks", in_legacy=True)
        engine.delete_webhook(webhook_id)
        return jsonify({"webhook_id": webhook_id, "deleted": True})

    return app
