"""Inventory service (port 5002): stock levels, manual stock changes, and the
product catalog: create, rename and reprice, retire and restore products
(staff with the inventory or admin role in enforced mode), and the catalog
change log (any staff).

Access: every check is a ``@requires`` on the view, except the retired
products of the listing, checked in the view only when
``?include_retired=true`` asks for them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify

import shopcore
from shopcore_services.config import resolve
from shopcore_services.http import (
    ApiError,
    caller,
    create_service,
    current_engine,
    field,
    json_body,
    keep_original_status,
    may,
    page_response,
    query_flag,
    query_int,
    require,
    requires,
)
from shopcore_services.settings import AuthMode, Settings

bp = Blueprint("inventory", __name__)

#: The fields PATCH /api/inventory/products/<id> may change.
PRODUCT_FIELDS = frozenset({"product_name", "unit_price"})


def product_json(product: shopcore.Product) -> dict[str, Any]:
    return product.to_dict()


def product_fields(body: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """The body's fields, refusing unknown ones and nulls (400 ``invalid_request``)."""
    for name, value in body.items():
        if name not in allowed:
            raise ApiError(400, "invalid_request", f"unknown field {name[:40]!r}")
        if value is None:
            raise ApiError(400, "invalid_request", f"{name} must not be null")
    return body


def known(product_id: int) -> None:
    """404 for a product that does not exist (the original message)."""
    try:
        current_engine().product(product_id)
    except shopcore.NotFoundError as err:
        raise ApiError(404, err.code, "Product not found") from err


@bp.get("/api/inventory/check/<int:product_id>")
def check(product_id: int) -> Response:
    """One product (anyone). A retired one only for staff, as in the listing:
    to anyone else it answers exactly what a missing one does (404)."""
    try:
        product = current_engine().product(product_id)
    except shopcore.NotFoundError as err:
        raise ApiError(404, err.code, "Product not found") from err
    if product.retired and not may("read_catalog_changes"):
        raise ApiError(404, "unknown_product", "Product not found")
    return jsonify(product_json(product))


@bp.post("/api/inventory/update")
@keep_original_status(400)
@requires("adjust_stock")
def update() -> Response:
    body = json_body()
    product = current_engine().adjust_stock(field(body, "product_id"), field(body, "stock_change"))
    return jsonify(
        {
            "status": "success",
            "product_id": product.product_id,
            "quantity_available": product.quantity_available,
            "last_updated": product.last_updated,
        }
    )


@bp.get("/api/inventory/products")
def products() -> Response:
    """Products by id, a page at a time (``?after=<id>&limit=1..500``, a
    ``Link`` header while more remain); retired ones only with
    ``?include_retired=true``, for staff (any role: what the change log,
    which shows every retirement, already tells them), checked in both
    modes since the original service had no retired products (anonymous
    401, a customer 403). The body stays the original plain list."""
    include_retired = query_flag("include_retired")
    if include_retired:
        require("read_catalog_changes", in_legacy=True)
    limit = query_int("limit")
    listed, after = current_engine().product_page(after=query_int("after"), limit=limit, include_retired=include_retired)
    return page_response([product_json(p) for p in listed], after, limit)


@bp.post("/api/inventory/products")
@requires("manage_catalog", in_legacy=True)
def create_product() -> tuple[Response, int]:
    body = product_fields(json_body(), PRODUCT_FIELDS | {"quantity_available"})
    product = current_engine().create_product(
        product_name=field(body, "product_name"),
        unit_price=field(body, "unit_price"),
        quantity_available=body.get("quantity_available", 0),
        actor=caller(),
    )
    response = jsonify(product_json(product))
    response.headers["Location"] = f"/api/inventory/check/{product.product_id}"
    return response, 201


@bp.patch("/api/inventory/products/<int:product_id>")
@requires("manage_catalog", in_legacy=True)
def update_product(product_id: int) -> Response:
    body = product_fields(json_body(), PRODUCT_FIELDS)
    if not body:
        raise ApiError(400, "invalid_request", "give product_name, unit_price or both")
    known(product_id)
    product = current_engine().update_product(product_id, product_name=body.get("product_name"), unit_price=body.get("unit_price"), actor=caller())
    return jsonify(product_json(product))


@bp.post("/api/inventory/products/<int:product_id>/retire")
@requires("manage_catalog", in_legacy=True)
def retire_product(product_id: int) -> Response:
    known(product_id)
    return jsonify(product_json(current_engine().retire_product(product_id, actor=caller())))


@bp.post("/api/inventory/products/<int:product_id>/restore")
@requires("manage_catalog", in_legacy=True)
def restore_product(product_id: int) -> Response:
    known(product_id)
    return jsonify(product_json(current_engine().restore_product(product_id, actor=caller())))


@bp.get("/api/inventory/changes")
@requires("read_catalog_changes", in_legacy=True)
def changes() -> Response:
    """The catalog change log, oldest first: ``?after=<change_id>&limit=1..500``."""
    limit = query_int("limit")
    page, after = current_engine().catalog_changes(after=query_int("after"), limit=limit)
    return page_response({"changes": [change.to_dict() for change in page]}, after, limit)


def create_app(engine: shopcore.Engine | None = None, auth: AuthMode | None = None, *, settings: Settings | None = None) -> Flask:
    """The inventory service over ``engine`` with access ``auth`` (default ``enforced``); without
    arguments, both come from the environment (:func:`shopcore_services.config.configured`).
    ``settings`` default to this process's environment's."""
    engine, auth, settings = resolve(engine, auth, settings)
    app = create_service("inventory", engine, legacy="status", auth=auth, settings=settings)
    app.register_blueprint(bp)
    return app
