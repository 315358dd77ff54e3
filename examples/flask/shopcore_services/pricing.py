"""Pricing service (port 5003): quotes with tier discounts, coupons, points and
tax (no side effects), and their administration (staff with the inventory or
admin role in enforced mode): a product's tier ladder, the tax rate of each
region, coupons; and the pricing auditor (any staff).

Access: every check is a ``@requires`` on the view, except a quote's: it is
open to anyone, and only a quote that names a ``customer_id`` (whose coupon
use and points count) is checked, in the view, once the body is read.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify

import shopcore
from shopcore_services.config import resolve
from shopcore_services.http import (
    ApiError,
    body_id,
    caller,
    client_address,
    coupon_and_points,
    create_service,
    current_engine,
    field,
    json_body,
    keep_original_status,
    query_flag,
    quote_json,
    require,
    requires,
)
from shopcore_services.settings import AuthMode, Settings

bp = Blueprint("pricing", __name__)


def ladder_json(product_id: int, tiers: list[shopcore.TierRung]) -> dict[str, Any]:
    return {"product_id": product_id, "tiers": [rung.to_dict() for rung in tiers]}


def known(product_id: int) -> None:
    """404 for a product that does not exist."""
    current_engine().product(product_id)  # NotFoundError → 404 unknown_product


@bp.post("/api/pricing/calculate")
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
    quote = current_engine().quote(
        field(body, "products"),
        region=body.get("region"),
        coupon_code=coupon_code,
        customer_id=customer_id,
        redeem_points=redeem_points,
        client=client_address(),
    )
    return jsonify(quote_json(quote, coupon_code and coupon_code.upper()))


@bp.get("/api/pricing/audit")
@requires("audit_pricing", in_legacy=True)
def audit() -> Response:
    """The pricing auditor over the live rule set (staff)."""
    return jsonify(current_engine().audit_pricing())


@bp.post("/api/pricing/coupons")
@requires("manage_coupons", in_legacy=True)
def create_coupon() -> tuple[Response, int]:
    """Creates a coupon (staff with the inventory or admin role)."""
    return jsonify(current_engine().create_coupon(json_body()).to_dict()), 201


@bp.get("/api/pricing/coupons/<code>")
@requires("manage_coupons", in_legacy=True)
def get_coupon(code: str) -> Response:
    """One coupon with how many live orders use it (staff)."""
    return jsonify(current_engine().coupon(code).to_dict())


@bp.patch("/api/pricing/coupons/<code>")
@requires("manage_coupons", in_legacy=True)
def patch_coupon(code: str) -> Response:
    """Changes the fields given, e.g. ``{"active": false}`` (staff)."""
    return jsonify(current_engine().update_coupon(code, json_body()).to_dict())


@bp.get("/api/pricing/rules/<int:product_id>")
def get_ladder(product_id: int) -> Response:
    """A product's tier ladder (anyone may read prices)."""
    return jsonify(ladder_json(product_id, current_engine().tier_ladder(product_id)))


@bp.put("/api/pricing/rules/<int:product_id>")
@requires("manage_catalog", in_legacy=True)
def put_ladder(product_id: int) -> Response:
    """Replaces the product's whole ladder: ``{"tiers": [{"min_quantity", "discount_percentage"}]}``.
    The answer carries the auditor's ``warnings`` for the new ladder; with
    ``?strict=true`` a ladder with any is refused (409 ``ladder_anomaly``)."""
    engine = current_engine()
    strict = query_flag("strict")
    body = json_body()
    if set(body) != {"tiers"}:
        raise ApiError(400, "invalid_request", 'the body must be {"tiers": [...]}')
    known(product_id)
    warnings = engine.audit_ladder(product_id, body["tiers"])
    if strict and warnings:
        raise ApiError(
            409, "ladder_anomaly", f"the ladder has {len(warnings)} finding(s): " + "; ".join(w["message"] for w in warnings), body={"warnings": warnings}
        )
    ladder = ladder_json(product_id, engine.replace_tier_ladder(product_id, body["tiers"], actor=caller()))
    return jsonify({**ladder, "warnings": warnings})


@bp.delete("/api/pricing/rules/<int:product_id>")
@requires("manage_catalog", in_legacy=True)
def delete_ladder(product_id: int) -> Response:
    """Clears the product's ladder (no tier discount)."""
    known(product_id)
    return jsonify(ladder_json(product_id, current_engine().replace_tier_ladder(product_id, [], actor=caller())))


@bp.get("/api/pricing/tax-rates")
def tax_rates() -> Response:
    """Every region and its rate, by region (anyone)."""
    engine = current_engine()
    return jsonify({"tax_rates": [rate.to_dict() for rate in engine.tax_rates()], "default_region": engine.default_region})


@bp.put("/api/pricing/tax-rates/<region>")
@requires("manage_catalog", in_legacy=True)
def put_tax_rate(region: str) -> Response:
    """Sets a region's rate, creating the region if new: ``{"tax_rate": 14.00}``."""
    body = json_body()
    if set(body) != {"tax_rate"}:
        raise ApiError(400, "invalid_request", 'the body must be {"tax_rate": <percentage>}')
    return jsonify(current_engine().set_tax_rate(region, body["tax_rate"], actor=caller()).to_dict())


@bp.delete("/api/pricing/tax-rates/<region>")
@requires("manage_catalog", in_legacy=True)
def delete_tax_rate(region: str) -> Response:
    """Removes a region (404 if it has no rate; 409 for the default region)."""
    try:
        return jsonify(current_engine().remove_tax_region(region, actor=caller()).to_dict())
    except shopcore.ValidationError as err:
        if err.code == "unknown_tax_region":
            raise ApiError(404, err.code, err.message) from err
        raise


def create_app(engine: shopcore.Engine | None = None, auth: AuthMode | None = None, *, settings: Settings | None = None) -> Flask:
    """The pricing service over ``engine`` with access ``auth`` (default ``enforced``); without
    arguments, both come from the environment (:func:`shopcore_services.config.configured`).
    ``settings`` default to this process's environment's."""
    engine, auth, settings = resolve(engine, auth, settings)
    app = create_service("pricing", engine, legacy="error", auth=auth, settings=settings)
    app.register_blueprint(bp)
    return app
