"""The five services of the original backend, rebuilt as thin Flask apps over shopcore.

Each module has ``create_app(engine)``; :mod:`shopcore_services.serve` runs all
five on ports 5001–5005 over one shared engine, or one of them alone.
"""

from __future__ import annotations

from shopcore_services import customer, inventory, notification, order, pricing

SERVICES = {
    "order": (order.create_app, 5001),
    "inventory": (inventory.create_app, 5002),
    "pricing": (pricing.create_app, 5003),
    "customer": (customer.create_app, 5004),
    "notification": (notification.create_app, 5005),
}

__all__ = ["SERVICES"]
