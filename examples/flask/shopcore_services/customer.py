"""Customer service (port 5004): accounts, sessions, loyalty points, order history, staff keys.

Passwords are hashed with Argon2id inside the engine; no response contains the
hash. Login answers the profile plus a session ``token`` (shown once; the store
keeps only its hash) and ``expires_at``; send it as ``Authorization: Bearer …``.
Staff keys are created and revoked here by an admin, in both access modes.
Answers that carry a token or a key are ``Cache-Control: no-store``.

Access: every check is a ``@requires`` on the view, except logout's, which
first asks for the session's token (401 without one), then checks in the view.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

import shopcore
from shopcore_services.config import resolve
from shopcore_services.http import (
    ApiError,
    bearer_token,
    client_address,
    create_service,
    current_engine,
    field,
    json_body,
    no_store,
    page_response,
    query_int,
    require,
    requires,
)
from shopcore_services.settings import AuthMode, Settings

bp = Blueprint("customer", __name__)

#: The fields PATCH /api/customers/<id> may change.
PROFILE_FIELDS = frozenset({"name", "email", "phone"})


@bp.post("/api/customer/register")
def register() -> tuple[Response, int]:
    body = json_body()
    customer = current_engine().register(
        name=field(body, "name"),
        email=field(body, "email"),
        password=field(body, "password"),
        phone=body.get("phone"),
        client=client_address(),
    )
    return jsonify(customer.to_dict()), 201


@bp.post("/api/customers/login")
def login() -> Response:
    body = json_body()
    session = current_engine().login(email=field(body, "email"), password=field(body, "password"), client=client_address())
    return no_store(jsonify({**session.customer.to_dict(), "token": session.token, "expires_at": session.expires_at}))


@bp.post("/api/customers/logout")
def logout() -> Response:
    token = bearer_token()
    if token is None:
        raise ApiError(401, "unauthenticated", "log out with the session's Authorization: Bearer token")
    require("logout", in_legacy=True)
    current_engine().logout(token)
    return jsonify({"status": "success", "logged_out": True})


@bp.put("/api/customers/<int:customer_id>/password")
@bp.post("/api/customers/<int:customer_id>/password")
@requires("change_password", customer="customer_id", in_legacy=True)
def change_password(customer_id: int) -> Response:
    body = json_body()
    current_engine().change_password(
        customer_id,
        current=field(body, "current_password"),
        new=field(body, "new_password"),
        keep_token=bearer_token(),
        client=client_address(),
    )
    return jsonify({"status": "success", "customer_id": customer_id, "other_sessions_revoked": True})


@bp.get("/api/customers/<int:customer_id>")
@requires("read_profile", customer="customer_id")
def get_customer(customer_id: int) -> Response:
    return jsonify(current_engine().customer(customer_id).to_dict())


@bp.patch("/api/customers/<int:customer_id>")
@requires("update_profile", customer="customer_id", in_legacy=True)
def update_profile(customer_id: int) -> Response:
    """Changes name, email and/or phone (``"phone": null`` removes it)."""
    body = json_body()
    unknown = set(body) - PROFILE_FIELDS
    if unknown:
        raise ApiError(400, "invalid_request", f"unknown field {sorted(unknown)[0][:40]!r}")
    if not body:
        raise ApiError(400, "invalid_request", "give name, email, phone or several")
    for name in ("name", "email"):
        if name in body and body[name] is None:
            raise ApiError(400, "invalid_request", f"{name} must not be null")
    customer = current_engine().update_profile(
        customer_id,
        name=body.get("name"),
        email=body.get("email"),
        phone=body.get("phone"),
        clear_phone="phone" in body and body["phone"] is None,
    )
    return jsonify(customer.to_dict())


@bp.get("/api/customers")
@requires("list_customers", in_legacy=True)
def list_customers() -> Response:
    """Every customer by id, a page at a time (staff): ``?after=<id>&limit=1..500``."""
    limit = query_int("limit")
    page, after = current_engine().customers(after=query_int("after"), limit=limit)
    return page_response({"customers": [c.to_dict() for c in page]}, after, limit)


@bp.put("/api/customers/<int:customer_id>/loyalty")
@requires("adjust_points")
def adjust_loyalty(customer_id: int) -> Response:
    customer = current_engine().adjust_points(customer_id, field(json_body(), "points"))
    return jsonify({"updated": True, "customer_id": customer_id, "loyalty_points": customer.loyalty_points})


@bp.get("/api/customers/<int:customer_id>/orders")
@requires("read_order_history", customer="customer_id")
def order_history(customer_id: int) -> Response:
    engine = current_engine()
    engine.customer(customer_id)  # 404 for an unknown customer
    limit = query_int("limit")
    orders, after = engine.order_page(customer_id=customer_id, before=query_int("after"), limit=limit)
    return page_response(
        {
            "orders": [
                {
                    "order_id": o.order_id,
                    "total_amount": o.total_amount,
                    "status": o.status,
                    "created_at": o.created_at,
                }
                for o in orders
            ]
        },
        after,
        limit,
    )


@bp.post("/api/staff/keys")
@requires("manage_staff_keys", in_legacy=True)
def create_staff_key() -> tuple[Response, int]:
    body = json_body()
    issued = current_engine().create_staff_key(name=field(body, "name"), role=field(body, "role"))
    return no_store(jsonify(issued.to_dict())), 201


@bp.get("/api/staff/keys")
@requires("manage_staff_keys", in_legacy=True)
def list_staff_keys() -> Response:
    return jsonify({"keys": [key.to_dict() for key in current_engine().staff_keys()]})


@bp.delete("/api/staff/keys/<int:key_id>")
@requires("manage_staff_keys", in_legacy=True)
def revoke_staff_key(key_id: int) -> Response:
    return jsonify(current_engine().revoke_staff_key(key_id).to_dict())


def create_app(engine: shopcore.Engine | None = None, auth: AuthMode | None = None, *, settings: Settings | None = None) -> Flask:
    """The customer service over ``engine`` with access ``auth`` (default ``enforced``); without
    arguments, both come from the environment (:func:`shopcore_services.config.configured`).
    ``settings`` default to this process's environment's."""
    engine, auth, settings = resolve(engine, auth, settings)
    app = create_service("customer", engine, legacy="status", auth=auth, settings=settings)
    app.register_blueprint(bp)
    return app
