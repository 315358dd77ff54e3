"""Pricing service (port 5003): quotes with tier discounts and tax, no side effects."""

from __future__ import annotations

from flask import Flask, Response, jsonify

import shopcore
from shopcore_services.http import AuthMode, create_service, field, json_body, keep_original_status


def create_app(engine: shopcore.Engine, auth: AuthMode = "enforced") -> Flask:
    app = create_service("pricing", engine, legacy="error", auth=auth)

    @app.post("/api/pricing/calculate")
    @keep_original_status(400)
    def calculate() -> Response:
        body = json_body()
        quote = engine.quote(field(body, "products"), region=body.get("region"))
        return jsonify(
            {
                "items": [
                    {
                        "product_id": line.product_id,
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                        "discount": line.discount,
                        "final_price": line.final_price,
                    }
                    for line in quote.items
                ],
                "subtotal": quote.subtotal,
                "tax_rate": quote.tax_rate,
                "tax": quote.tax,
                "total": quote.total,
            }
        )

    return app
