"""Pricing service (port 5003): quotes with tier discounts, coupons, points and
tax (no side effects), and their administration (staff with the inventory or
admin role in enforced mode): a product's tier ladder, the tax rate of each
region, coupons; and the pricing auditor (any staff)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

import shopcore
from shopcore_services.config import resolve
from shopcore_services.http import (
    ApiError,
    AuthMode,
    body_id,
    client_address,
    coupon_and_points,
    create_service,
    field,
    json_body,
    keep_original_status,
    query_flag,
    quote_json,
    require,
)


def ladder_json(product_id: int, tiers: list[shopcore.TierRung]) -> dict[str, Any]:
    return {"product_id": product_id, "tiers": [rung.to_dict() for rung in tiers]}


def create_app(engine: shopcore.Engine | None = None, auth: AuthMode | None = None) -> Flask:
    """The pricing service over ``engine`` with access ``auth`` (default ``enforced``); without
    arguments, both come from the environment (:func:`shopcore_services.config.configured`)."""
    engine, auth = resolve(engine, auth)
    app = create_service("pricing", engine, legacy="error", auth=auth)

    def known(product_id: int) -> None:
        """404 for a product that does not exist."""
        engine.product(product_id)  # NotFoundError → 404 unknown_product

    @app.post("/api/pricing/calculate")
    @keep_original_status(400)
    def calculate() -> Response:
        """A quote; with ``coupon_code`` and ``redeem_points`` (of ``customer_id``,
        whose coupon use and balance count: the customer themself or support
        staff in enforced mode) priced as a checkout would."""
        body = json_body()
        coupon_code, redeem_points = coupon_and_points(body)
        customer_id = body.get("customer_id")
        if customer_id is not None:
            customer_id = body_id(customer_id, "customer_id")
            require("read_profile", customer_id)
        quote = engine.quote(field(body, "products"), region=body.get("region"), coupon_code=coupon_code,
                             customer_id=customer_id, redeem_points=redeem_points, client=client_address())
        return jsonify(quote_json(quote, coupon_code and coupon_code.upper()))

    @app.get("/api/pricing/audit")
    def audit() -> Response:
        """The pricing auditor over the live rule set (staff)."""
        require("audit_pricing", in_legacy=True)
        return jsonify(engine.audit_pricing())

    @app.post("/api/pricing/coupons")
    def create_coupon() -> tuple[Response, int]:
        """Creates a coupon (staff with the inventory or admin role)."""
        require("manage_coupons", in_legacy=True)
        return jsonify(engine.create_coupon(json_body()).to_dict()), 201

    @app.get("/api/pricing/coupons/<code>")
    def get_coupon(code: str) -> Response:
        """One coupon with how many live orders use it (staff)."""
        require("manage_coupons", in_legacy=True)
        return jsonify(engine.coupon(code).to_dict())

    @app.patch("/api/pricing/coupons/<code>")
    def patch_coupon(code: str) -> Response:
        """Changes the fields given, e.g. ``{"active": false}`` (staff)."""
        require("manage_coupons", in_legacy=True)
        return jsonify(engine.update_coupon(code, json_body()).to_dict())

    @app.get("/api/pricing/rules/<int:product_id>")
    def get_ladder(product_id: int) -> Response:
        """A product's tier ladder (anyone may read prices)."""
        return jsonify(ladder_json(product_id, engine.tier_ladder(product_id)))

    @app.put("/api/pricing/rules/<int:product_id>")
    def put_ladder(product_id: int) -> Response:
        """Replaces the product's whole ladder: ``{"tiers": [{"min_quantity", "discount_percentage"}]}``.
        The answer carries the auditor's ``warnings`` for the new ladder; with
        ``?strict=true`` a ladder with any is refused (409 ``ladder_anomaly``)."""
        actor = require("manage_catalog", in_legacy=True)
        strict = query_flag("strict")
        body = json_body()
        if set(body) != {"tiers"}:
            raise ApiError(400, "invalid_request", 'the body must be {"tiers": [...]}')
        known(product_id)
        warnings = engine.audit_ladder(product_id, body["tiers"])
        if strict and warnings:
            raise ApiError(409, "ladder_anomaly",
                           f"the ladder has {len(warnings)} finding(s): " + "; ".join(w["message"] for w in warnings),
                           body={"warnings": warnings})
        ladder = ladder_json(product_id, engine.replace_tier_ladder(product_id, body["tiers"], actor=actor))
        return jsonify({**ladder, "warnings": warnings})

    @app.delete("/api/pricing/rules/<int:product_id>")
    def delete_ladder(product_id: int) -> Response:
        """Clears the product's ladder (no tier discount)."""
        actor = require("manage_catalog", in_legacy=True)
        known(product_id)
        return jsonify(ladder_json(product_id, engine.replace_tier_ladder(product_id, [], actor=actor)))

    @app.get("/api/pricing/tax-rates")
    def tax_rates() -> Response:
        """Every region and its rate, by region (anyone)."""
        return jsonify({"tax_rates": [rate.to_dict() for rate in engine.tax_rates()],
                        "default_region": engine.default_region})

    @app.put("/api/pricing/tax-rates/<region>")
    def put_tax_rate(region: str) -> Response:
        """Sets a region's rate, creating the region if new: ``{"tax_rate": 14.00}``."""
        actor = require("manage_catalog", in_legacy=True)
        body = json_body()
        if set(body) != {"tax_rate"}:
            raise ApiError(400, "invalid_request", 'the body must be {"tax_rate": <percentage>}')
        return jsonify(engine.set_tax_rate(region, body["tax_rate"], actor=actor).to_dict())

    @app.delete("/api/pricing/tax-rates/<region>")
    def delete_tax_rate(region: str) -> Response:
        """Removes a region (404 if it has no rate; 409 for the default region)."""
        actor = require("manage_catalog", in_legacy=True)
        try:
            return jsonify(engine.remove_tax_region(region, actor=actor).to_dict())
        except shopcore.ValidationError as err:
            if err.code == "unknown_tax_region":
                raise ApiError(404, err.code, err.message) from err
            raise

    return app
