"""The yardstick: the original architecture, rebuilt small.

Five plain Flask apps in pure Python over the same MySQL schema, calling each
other over HTTP the way the original backend did: order → inventory check per
line → pricing (which asks inventory for each price) → insert the order →
inventory update per line. Money is ``decimal.Decimal``; each request opens its
own database connection, as the original services did. No locking across
services: it can oversell, which is the point of the comparison, not a feature.

Run one service: ``python bench/baseline.py SERVICE --db-url URL --base-port 6001``.
"""

from __future__ import annotations

import argparse
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlparse

import pymysql
import pymysql.cursors
import requests
from flask import Flask, jsonify, request

NAMES = ["order", "inventory", "pricing", "customer", "notification"]
CENT = Decimal("0.01")


def one_row(cursor: pymysql.cursors.Cursor) -> tuple[Any, ...]:
    """The one row a query answers (kept here: the baseline imports nothing of shopcore's bench)."""
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("the query answered no row")
    return row


def connect(url: str) -> pymysql.connections.Connection:
    u = urlparse(url)
    return pymysql.connect(
        host=u.hostname,
        port=u.port or 3306,
        user=u.username or "root",
        password=u.password or "",
        database=u.path.lstrip("/"),
        autocommit=False,
        ssl_disabled=True,
    )


def create_app(service: str, db_url: str, base_port: int) -> Flask:
    app = Flask(f"baseline_{service}")
    http = requests.Session()

    def url(name: str, path: str) -> str:
        return f"http://127.0.0.1:{base_port + NAMES.index(name)}{path}"

    if service == "inventory":

        @app.get("/api/inventory/check/<int:product_id>")
        def check(product_id: int):  # type: ignore[no-untyped-def]
            db = connect(db_url)
            try:
                with db.cursor() as c:
                    c.execute("SELECT product_id, product_name, quantity_available, unit_price FROM inventory WHERE product_id = %s", (product_id,))
                    row = c.fetchone()
            finally:
                db.close()
            if row is None:
                return jsonify({"status": "error", "message": "Product not found"}), 404
            return jsonify({"product_id": row[0], "product_name": row[1], "quantity_available": row[2], "unit_price": str(row[3])})

        @app.post("/api/inventory/update")
        def update():  # type: ignore[no-untyped-def]
            body = request.get_json()
            db = connect(db_url)
            try:
                with db.cursor() as c:
                    c.execute("SELECT quantity_available FROM inventory WHERE product_id = %s", (body["product_id"],))
                    (stock,) = one_row(c)
                    if stock + int(body["stock_change"]) < 0:
                        return jsonify({"status": "error", "message": "Insufficient stock"}), 400
                    c.execute(
                        "UPDATE inventory SET quantity_available = quantity_available + %s WHERE product_id = %s", (body["stock_change"], body["product_id"])
                    )
                db.commit()
            finally:
                db.close()
            return jsonify({"status": "success"})

    elif service == "pricing":

        @app.post("/api/pricing/calculate")
        def calculate():  # type: ignore[no-untyped-def]
            body = request.get_json()
            db = connect(db_url)
            try:
                items, subtotal = [], Decimal("0")
                with db.cursor() as c:
                    for line in body["products"]:
                        product = http.get(url("inventory", f"/api/inventory/check/{line['product_id']}")).json()
                        price = Decimal(product["unit_price"])
                        base = price * line["quantity"]
                        c.execute(
                            "SELECT MAX(discount_percentage) FROM pricing_rules WHERE product_id = %s AND min_quantity <= %s",
                            (line["product_id"], line["quantity"]),
                        )
                        pct = one_row(c)[0] or Decimal("0")
                        discount = (base * pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
                        subtotal += base - discount
                        items.append(
                            {
                                "product_id": line["product_id"],
                                "quantity": line["quantity"],
                                "unit_price": str(price),
                                "discount": str(discount),
                                "final_price": str(base - discount),
                            }
                        )
                    c.execute("SELECT tax_rate FROM tax_rates WHERE region = %s", ("Cairo",))
                    rate = one_row(c)[0]
            finally:
                db.close()
            tax = (subtotal * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            return jsonify({"items": items, "subtotal": str(subtotal), "tax": str(tax), "total": str(subtotal + tax)})

    elif service == "order":

        @app.post("/api/orders/create")
        def create():  # type: ignore[no-untyped-def]
            body = request.get_json()
            for line in body["products"]:
                product = http.get(url("inventory", f"/api/inventory/check/{line['product_id']}")).json()
                if product.get("quantity_available", 0) < line["quantity"]:
                    return jsonify({"status": "error", "message": "Insufficient stock"}), 400
            quote = http.post(url("pricing", "/api/pricing/calculate"), json={"products": body["products"]}).json()
            db = connect(db_url)
            try:
                with db.cursor() as c:
                    c.execute(
                        "INSERT INTO orders (customer_id, total_amount, subtotal, tax, region) VALUES (%s, %s, %s, %s, 'Cairo')",
                        (body["customer_id"], quote["total"], quote["subtotal"], quote["tax"]),
                    )
                    order_id = c.lastrowid
                    for item in quote["items"]:
                        c.execute(
                            "INSERT INTO order_items (order_id, product_id, quantity, unit_price, discount, line_total) VALUES (%s, %s, %s, %s, %s, %s)",
                            (order_id, item["product_id"], item["quantity"], item["unit_price"], item["discount"], item["final_price"]),
                        )
                db.commit()
            finally:
                db.close()
            for line in body["products"]:
                http.post(url("inventory", "/api/inventory/update"), json={"product_id": line["product_id"], "stock_change": -line["quantity"]})
            return jsonify({"status": "success", "order_id": order_id}), 201

    elif service == "customer":

        @app.get("/api/customers/<int:customer_id>")
        def customer(customer_id: int):  # type: ignore[no-untyped-def]
            db = connect(db_url)
            try:
                with db.cursor() as c:
                    c.execute("SELECT customer_id, name, email, loyalty_points FROM customers WHERE customer_id = %s", (customer_id,))
                    row = c.fetchone()
            finally:
                db.close()
            if row is None:
                return jsonify({"status": "error", "message": "Customer not found"}), 404
            return jsonify(dict(zip(["customer_id", "name", "email", "loyalty_points"], row, strict=False)))

    elif service == "notification":

        @app.post("/api/notifications/send")
        def send():  # type: ignore[no-untyped-def]
            body = request.get_json()
            message = f"Order #{body['order_id']} confirmed"
            db = connect(db_url)
            try:
                with db.cursor() as c:
                    c.execute(
                        "INSERT INTO notification_log (order_id, customer_id, notification_type, message) VALUES (%s, %s, 'order_confirmation', %s)",
                        (body["order_id"], body["customer_id"], message),
                    )
                db.commit()
            finally:
                db.close()
            return jsonify({"status": "success", "message": message, **body})

    @app.get("/health")
    def health():  # type: ignore[no-untyped-def]
        return jsonify({"status": "healthy", "service": service})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("service", choices=NAMES)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--base-port", type=int, default=6001)
    args = parser.parse_args()
    port = args.base_port + NAMES.index(args.service)
    create_app(args.service, args.db_url, args.base_port).run(host="127.0.0.1", port=port, threaded=True)


if __name__ == "__main__":
    main()
