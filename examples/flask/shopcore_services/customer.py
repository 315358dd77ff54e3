"""Customer service (port 5004): accounts, login, loyalty points, order history.

Passwords are hashed with Argon2id inside the engine; no response contains the hash.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

import shopcore
from shopcore_services.http import create_service, field, json_body


def create_app(engine: shopcore.Engine) -> Flask:
    app = create_service("customer", engine, legacy="status")

    @app.post("/api/customer/register")
    def register() -> tuple[Response, int]:
        body = json_body()
        customer = engine.register(
            name=field(body, "name"),
            email=field(body, "email"),
            password=field(body, "password"),
            phone=body.get("phone"),
        )
        return jsonify(customer.to_dict()), 201

    @app.post("/api/customers/login")
    def login() -> Response:
        body = json_body()
        customer = engine.login(email=field(body, "email"), password=field(body, "password"))
        return jsonify(customer.to_dict())

    @app.get("/api/customers/<int:customer_id>")
    def get_customer(customer_id: int) -> Response:
        return jsonify(engine.customer(customer_id).to_dict())

    @app.put("/api/customers/<int:customer_id>/loyalty")
    def adjust_loyalty(customer_id: int) -> Response:
        customer_id = customer_id
        customer = engine.adjust_points(customer_id, field(json_body(), "points"))
        return jsonify({"updated": True, "customer_id": customer_id, "loyalty_points": customer.loyalty_points})

    @app.get("/api/customers/<int:customer_id>/orders")
    def order_history(customer_id: int) -> Response:
        orders = engine.orders_of_customer(customer_id)
        return jsonify(
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
            }
        )

    return app
