"""The services' shape: one Blueprint per service of module-level views, and
every route's access declared — by ``@requires`` on the view, or, for the few
routes whose caller may do more or less depending on what the request names,
by a check in the view that the module docs name (listed here, so that a new
route cannot be added without saying which it is)."""

from __future__ import annotations

import importlib

import shopcore
from shopcore_services import PORTS, SERVICES

#: Routes anyone may call (the original contract's open routes).
OPEN = {
    "GET /health",
    "GET /health/live",
    "GET /health/ready",
    "GET /openapi.json",
    "POST /api/customer/register",
    "POST /api/customers/login",
    "GET /api/inventory/check/<int:product_id>",
    "GET /api/pricing/rules/<int:product_id>",
    "GET /api/pricing/tax-rates",
}

#: Routes that check access in the view, once the request has said whom or what it is about.
CHECKED_IN_VIEW = {
    "POST /api/orders/create",  # the body's customer_id, or the session's customer
    "GET /api/orders",  # ?customer_id=, or the session's customer, or every customer's (staff)
    "POST /api/notifications/send",  # anonymous 401 first; the body's customer_id
    "GET /api/notifications",  # ?status= (staff), ?customer_id=, or the session's customer
    "POST /api/pricing/calculate",  # only a quote naming a customer_id
    "GET /api/inventory/products",  # only ?include_retired=true
    "POST /api/customers/logout",  # the session's token first
    "POST /api/orders/<int:order_id>/returns",  # staff create received returns, the order's customer asks for one
}


def routes(service: str) -> dict[str, object]:
    app = SERVICES[service][0](shopcore.Engine.in_memory(), "enforced")
    found: dict[str, object] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found[f"{method} {rule.rule}"] = app.view_functions[rule.endpoint]
    return found


def test_each_service_is_one_blueprint_of_module_level_views() -> None:
    for service in PORTS:
        module = importlib.import_module(f"shopcore_services.{service}")
        assert module.bp.name == service
        app = module.create_app(shopcore.Engine.in_memory(), "legacy")
        assert set(app.blueprints) == {"service", service}
        for view in routes(service).values():
            assert "<locals>" not in getattr(view, "__qualname__", ""), view


def test_every_route_declares_its_access() -> None:
    undeclared = []
    for service in PORTS:
        for route, view in routes(service).items():
            declared = hasattr(view, "required_action")
            if declared == (route in OPEN | CHECKED_IN_VIEW):
                undeclared.append(f"{service}: {route} ({'both' if declared else 'neither'})")
    assert undeclared == []
