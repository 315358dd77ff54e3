"""Notification service (port 5005): (re)send order confirmations and read the log."""

from __future__ import annotations

from flask import Flask, Response, jsonify

import shopcore
from shopcore_services.config import resolve
from shopcore_services.http import (
    AuthMode,
    body_id,
    create_service,
    field,
    json_body,
    keep_original_status,
    page_response,
    path_id,
    query_int,
    query_text,
    require,
    require_known,
)


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

    @app.get("/api/notifications")
    def log() -> Response:
        def optional_id(name: str) -> int | None:
            raw = query_text(name)
            return None if raw in (None, "") else path_id(raw, name.removesuffix("_id"))

        customer_id = optional_id("customer_id")
        actor = require_known("read_notifications")
        if actor is not None:
            if actor.kind == "customer" and customer_id is None:
                customer_id = actor.customer_id  # a customer sees only their own
            require("read_notifications", customer_id)
        limit = query_int("limit")
        entries, after = engine.notification_page(order_id=optional_id("order_id"), customer_id=customer_id,
                                                  before=query_int("after"), limit=limit)
        return page_response({"notifications": [n.to_dict() for n in entries]}, after, limit)

    return app
