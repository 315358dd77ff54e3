"""shopcore: the order-management core in Rust, for Python.

>>> import shopcore
>>> engine = shopcore.Engine.in_memory()
>>> engine.quote([{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 10}]).total
Decimal('1430.59')

Money goes in and out as :class:`decimal.Decimal`; errors are subclasses of
:class:`ShopError` with a stable ``.code``. The GIL is released while Rust works.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from shopcore._core import (
    ERROR_CODES,
    Actor,
    CancelledOrder,
    CatalogChange,
    Coupon,
    CreatedWebhook,
    Customer,
    Delivery,
    Dispatcher,
    DispatchReport,
    Engine,
    FulfilledOrder,
    Fulfillment,
    FulfillmentLine,
    IssuedStaffKey,
    Notification,
    Order,
    OrderItem,
    Payment,
    PaymentOutcome,
    PlacedOrder,
    PriceList,
    Product,
    Quote,
    QuoteLine,
    Refund,
    RefundLine,
    RefundPart,
    ReleasedLine,
    Return,
    ReturnLine,
    ReturnOutcome,
    Session,
    ShopConfig,
    StaffKey,
    TaxRate,
    TierRung,
    WebhookEndpoint,
    audit_pricing,
    quote,
)
from shopcore.errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ShopError,
    StorageError,
    ValidationError,
)

try:
    __version__ = _version("shopcore")
except PackageNotFoundError:  # imported from a source tree without being installed
    __version__ = "0+unknown"

__all__ = [
    "ERROR_CODES",
    "Actor",
    "AuthenticationError",
    "CancelledOrder",
    "CatalogChange",
    "ConflictError",
    "Coupon",
    "CreatedWebhook",
    "Customer",
    "Delivery",
    "DispatchReport",
    "Dispatcher",
    "Engine",
    "ForbiddenError",
    "FulfilledOrder",
    "Fulfillment",
    "FulfillmentLine",
    "IssuedStaffKey",
    "NotFoundError",
    "Notification",
    "Order",
    "OrderItem",
    "Payment",
    "PaymentOutcome",
    "PlacedOrder",
    "PriceList",
    "Product",
    "Quote",
    "QuoteLine",
    "RateLimitedError",
    "Refund",
    "RefundLine",
    "RefundPart",
    "ReleasedLine",
    "Return",
    "ReturnLine",
    "ReturnOutcome",
    "Session",
    "ShopConfig",
    "ShopError",
    "StaffKey",
    "StorageError",
    "TaxRate",
    "TierRung",
    "ValidationError",
    "WebhookEndpoint",
    "__version__",
    "audit_pricing",
    "quote",
]
