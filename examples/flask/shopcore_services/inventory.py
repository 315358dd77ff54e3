"""Inventory service (port 5002): stock levels, manual stock changes, and the
product catalog: create, rename and reprice, retire and restore products
(staff with the inventory or admin role in enforced mode), and the catalog
change log (any staff)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

import shopcore
from shopcore_services.config import resolve
from shopcore_services.http import (
    ApiError,
    AuthMode,
    create_service,
    field,
    json_body,
    keep_original_status,
    may,
    page_response,
    query_flag,
    query_int,
    require,
)

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


def create_app(engine: shopcore.Engine | None = None, auth: AuthMode | None = None) -> Flask:
    """The inventory service over ``engine`` with access ``auth`` (default ``enforced``); without
    arguments, both come from the environment (:func:`shopcore_services.config.configured`)."""
    engine, auth = resolve(engine, auth)
    app = create_service("inventory", engine, legacy="status", auth=auth)

    def known(product_id: int) -> None:
        """404 for a product that does not exist (the original message)."""
        try:
            engine.product(product_id)
        except shopcore.NotFoundError as err:
            raise ApiError(404, err.code, "Product not found") from err

    @app.get("/api/inventory/check/<int:product_id>")
    def check(product_id: int) -> Response:
        """One product (anyone). A retired one only for staff, as in the listing:
        to anyone else it answers exactly what a missing one does (404)."""
        try:
            product = engine.product(product_id)
        except shopcore.NotFoundError as err:
            raise ApiError(404, err.code, "Product not found") from err
        if product.retired and not may("read_catalog_changes"):
            raise ApiError(404, "unknown_product", "Product not found")
        return jsonify(product_json(product))

    @app.post("/api/inventory/update")
    @keep_original_status(400)
    def update() -> Response:
        require("adjust_stock")
        body = json_body()
        product = engine.adjust_stock(field(body, "product_id"), field(body, "stock_change"))
        return jsonify(
            {
                "status": "success",
                "product_id": product.product_id,
                "quantity_available": product.quantity_available,
                "last_updated": product.last_updated,
            }
        )

    @app.get("/api/inventory/products")
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
        listed, after = engine.product_page(after=query_int("after"), limit=limit, include_retired=include_retired)
        return page_response([product_json(p) for p in listed], after, limit)

    @app.post("/api/inventory/products")
    def create_product() -> tuple[Response, int]:
        actor = require("manage_catalog", in_legacy=True)
        body = product_fields(json_body(), PRODUCT_FIELDS | {"quantity_available"})
        product = engine.create_product(
            product_name=field(body, "product_name"),
            unit_price=field(body, "unit_price"),
            quantity_available=body.get("quantity_available", 0),
            actor=actor,
        )
        response = jsonify(product_json(product))
        response.headers["Location"] = f"/api/inventory/check/{product.product_id}"
        return response, 201

    @app.patch("/api/inventory/products/<int:product_id>")
    def update_product(product_id: int) -> Response:
        actor = require("manage_catalog", in_legacy=True)
        body = product_fields(json_body(), PRODUCT_FIELDS)
        if not body:
            raise ApiError(400, "invalid_request", "give product_name, unit_price or both")
        known(product_id)
        product = engine.update_product(
            product_id, product_name=body.get("product_name"), unit_price=body.get("unit_price"), actor=actor
        )
        return jsonify(product_json(product))

    @app.post("/api/inventory/products/<int:product_id>/retire")
    def retire_product(product_id: int) -> Response:
        actor = require("manage_catalog", in_legacy=True)
        known(product_id)
        return jsonify(product_json(engine.retire_product(product_id, actor=actor)))

    @app.post("/api/inventory/products/<int:product_id>/restore")
    def restore_product(product_id: int) -> Response:
        actor = require("manage_catalog", in_legacy=True)
        known(product_id)
        return jsonify(product_json(engine.restore_product(product_id, actor=actor)))

    @app.get("/api/inventory/changes")
    def changes() -> Response:
        """The catalog change log, oldest first: ``?after=<change_id>&limit=1..500``."""
        require("read_catalog_changes", in_legacy=True)
        limit = query_int("limit")
        page, after = engine.catalog_changes(after=query_int("after"), limit=limit)
        return page_response({"changes": [change.to_dict() for change in page]}, after, limit)

    return app
