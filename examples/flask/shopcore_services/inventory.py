"""Inventory service (port 5002): stock levels and manual stock changes."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

import shopcore
from shopcore_services.http import (
    ApiError,
    AuthMode,
    create_service,
    field,
    json_body,
    keep_original_status,
    require,
)


def product_json(product: shopcore.Product) -> dict[str, Any]:
    return product.to_dict()


def create_app(engine: shopcore.Engine, auth: AuthMode = "enforced") -> Flask:
    app = create_service("inventory", engine, legacy="status", auth=auth)

    @app.get("/api/inventory/check/<int:product_id>")
    def check(product_id: int) -> Response:
        try:
            return jsonify(product_json(engine.product(product_id)))
        except shopcore.NotFoundError as err:
            raise ApiError(404, err.code, "Product not found") from err

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
        return jsonify([product_json(p) for p in engine.products()])

    return app
