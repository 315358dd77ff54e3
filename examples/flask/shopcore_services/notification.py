"""Notification service (port 5005): (re)send order confirmations, read the log, and
administer delivery: each notification's delivery state (email, webhooks), the dead
letters staff retry, and the webhook endpoints (admin).

Access: every check is a ``@requires`` on the view, except where the
customer is named by the request: resending a confirmation (401 for an
anonymous caller first, then the body's ``customer_id`` once the body is
read) and the notification log (its ``customer_id`` query parameter, or the
delivery view's ``?status=``), which check in the view.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

import shopcore
from shopcore_services.config import resolve
from shopcore_services.http import (
    ApiError,
    body_id,
    create_service,
    current_engine,
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
    requires,
)
from shopcore_services.settings import AuthMode, Settings

bp = Blueprint("notification", __name__)

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


@bp.post("/api/notifications/send")
@keep_original_status(400, except_codes=frozenset({"order_cancelled"}))
def send() -> Response:
    actor = require_known("resend_confirmation")
    body = json_body()
    order_id, customer_id = field(body, "order_id"), field(body, "customer_id")
    if actor is not None:
        require("resend_confirmation", body_id(customer_id, "customer_id"))
    sent = current_engine().resend_confirmation(order_id, customer_id)
    return jsonify(
        {
            "status": "success",
            "message": sent.message,
            "order_id": sent.order_id,
            "customer_id": sent.customer_id,
            "notification_id": sent.notification_id,
        }
    )


def optional_id(name: str) -> int | None:
    """An optional id query parameter (``<name>_id``); empty is none."""
    raw = query_text(name)
    return None if raw in (None, "") else path_id(raw, name.removesuffix("_id"))


@bp.get("/api/notifications")
def log() -> Response:
    engine = current_engine()
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
    entries, after = engine.notification_page(order_id=optional_id("order_id"), customer_id=customer_id, before=query_int("after"), limit=limit)
    if may("manage_deliveries"):
        listed = with_deliveries(engine, entries)
    else:
        listed = [n.to_dict() for n in entries]
    return page_response({"notifications": listed}, after, limit)


@bp.post("/api/notifications/<int:notification_id>/retry")
@requires("manage_deliveries", in_legacy=True)
def retry(notification_id: int) -> Response:
    """A notification's failed deliveries due again now (409 ``nothing_to_retry`` if none failed)."""
    deliveries = current_engine().retry_notification(notification_id)
    return jsonify({"notification_id": notification_id, "deliveries": [d.to_dict() for d in deliveries]})


@bp.post("/api/webhooks")
@requires("manage_webhooks", in_legacy=True)
def create_webhook() -> tuple[Response, int]:
    """A webhook endpoint; the answer holds its signing secret, the only time it is shown.
    Its host must be one of ``WEBHOOK_ALLOWED_HOSTS`` (the app's config, from
    ``SHOPCORE_WEBHOOK_ALLOWED_HOSTS``) when that lists any."""
    body = webhook_body(json_body())
    created = current_engine().create_webhook(body["url"], body["events"], secret=body.get("secret"), allowed_hosts=current_app.config["WEBHOOK_ALLOWED_HOSTS"])
    response = jsonify({**created.webhook.to_dict(), "secret": created.secret})
    response.headers["Location"] = f"/api/webhooks/{created.webhook.webhook_id}"
    return no_store(response), 201


@bp.get("/api/webhooks")
@requires("manage_webhooks", in_legacy=True)
def webhooks() -> Response:
    """The live webhook endpoints (never their secrets)."""
    return jsonify({"webhooks": [w.to_dict() for w in current_engine().webhooks()]})


@bp.delete("/api/webhooks/<int:webhook_id>")
@requires("manage_webhooks", in_legacy=True)
def delete_webhook(webhook_id: int) -> Response:
    """Deletes an endpoint; its pending deliveries end failed at their next attempt."""
    current_engine().delete_webhook(webhook_id)
    return jsonify({"webhook_id": webhook_id, "deleted": True})


def create_app(engine: shopcore.Engine | None = None, auth: AuthMode | None = None, *, settings: Settings | None = None) -> Flask:
    """The notification service over ``engine`` with access ``auth`` (default ``enforced``); without
    arguments, both come from the environment (:func:`shopcore_services.config.configured`).
    ``settings`` default to this process's environment's."""
    engine, auth, settings = resolve(engine, auth, settings)
    app = create_service("notification", engine, legacy="status", auth=auth, settings=settings)
    app.config.setdefault("WEBHOOK_ALLOWED_HOSTS", settings.webhook_allowed_hosts)
    app.register_blueprint(bp)
    return app
