"""Type stubs for the compiled extension ``shopcore._core`` (kept by hand)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from os import PathLike
from typing import Any, Literal, TypedDict, final

__all__ = [
    "ERROR_CODES",
    "Actor",
    "CancelledOrder",
    "CatalogChange",
    "Coupon",
    "CreatedWebhook",
    "Customer",
    "Delivery",
    "DispatchReport",
    "Dispatcher",
    "Engine",
    "FulfilledOrder",
    "Fulfillment",
    "FulfillmentLine",
    "IssuedStaffKey",
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
    "Refund",
    "RefundLine",
    "RefundPart",
    "ReleasedLine",
    "Return",
    "ReturnLine",
    "ReturnOutcome",
    "Session",
    "ShopConfig",
    "StaffKey",
    "TaxRate",
    "TierRung",
    "WebhookEndpoint",
    "audit_pricing",
    "quote",
]

Line = Mapping[str, int] | tuple[int, int]
MoneyLike = Decimal | int | str
NotificationKind = Literal[
    "order_confirmation",
    "order_cancellation",
    "payment_captured",
    "payment_voided",
    "order_paid",
    "fulfillment_created",
    "order_fulfilled",
    "units_cancelled",
    "return_received",
    "refund_created",
]

ERROR_CODES: list[tuple[str, str]]

@final
class Product:
    product_id: int
    product_name: str
    quantity_available: int
    unit_price: Decimal
    last_updated: datetime
    retired: bool
    def to_dict(self) -> dict[str, Any]: ...

@final
class TierRung:
    min_quantity: int
    discount_percentage: Decimal
    def to_dict(self) -> dict[str, Any]: ...

@final
class TaxRate:
    region: str
    tax_rate: Decimal
    def to_dict(self) -> dict[str, Any]: ...

@final
class CatalogChange:
    change_id: int
    changed_at: datetime
    actor: Actor
    subject: Literal["product", "ladder", "tax_rate"]
    product_id: int | None
    region: str | None
    @property
    def before(self) -> dict[str, object] | None: ...
    @property
    def after(self) -> dict[str, object] | None: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Customer:
    customer_id: int
    name: str
    email: str
    phone: str | None
    loyalty_points: int
    created_at: datetime
    def to_dict(self) -> dict[str, Any]: ...

@final
class QuoteLine:
    product_id: int
    quantity: int
    unit_price: Decimal
    base: Decimal
    discount_rate: Decimal
    discount: Decimal
    final_price: Decimal
    coupon_share: Decimal
    points_share: Decimal
    net_price: Decimal
    tax: Decimal | None
    def to_dict(self) -> dict[str, Any]: ...

@final
class Quote:
    items: list[QuoteLine]
    subtotal: Decimal
    coupon_discount: Decimal
    points_redeemed: int
    points_value: Decimal
    taxable: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal
    def to_dict(self) -> dict[str, Any]: ...

@final
class OrderItem:
    product_id: int
    quantity: int
    unit_price: Decimal
    discount: Decimal
    line_total: Decimal
    coupon_share: Decimal
    points_share: Decimal
    tax: Decimal
    points_redeemed: int
    fulfilled_quantity: int
    cancelled_quantity: int
    returned_quantity: int
    refunded_amount: Decimal
    def to_dict(self) -> dict[str, Any]: ...

@final
class Payment:
    payment_id: int
    order_id: int
    method: str
    reference: str
    amount: Decimal
    status: Literal["authorized", "captured", "voided"]
    amount_captured: Decimal
    amount_released: Decimal
    amount_refunded: Decimal
    created_at: datetime
    updated_at: datetime
    def to_dict(self) -> dict[str, Any]: ...

@final
class FulfillmentLine:
    product_id: int
    quantity: int
    def to_dict(self) -> dict[str, Any]: ...

@final
class Fulfillment:
    fulfillment_id: int
    order_id: int
    lines: list[FulfillmentLine]
    carrier: str | None
    tracking_number: str | None
    created_at: datetime
    def to_dict(self) -> dict[str, Any]: ...

@final
class Order:
    order_id: int
    customer_id: int
    status: Literal["created", "cancelled"]
    region: str
    products: list[OrderItem]
    subtotal: Decimal
    coupon_code: str | None
    coupon_discount: Decimal
    points_redeemed: int
    points_value: Decimal
    tax: Decimal
    total_amount: Decimal
    points_earned: int
    created_at: datetime
    payment_status: Literal["unpaid", "authorized", "partially_paid", "paid", "partially_refunded", "refunded"]
    fulfillment_status: Literal["unfulfilled", "partially_fulfilled", "fulfilled"]
    amount_paid: Decimal
    amount_authorized: Decimal
    amount_refunded: Decimal
    amount_due: Decimal
    balance_due: Decimal
    refund_due: Decimal
    payments: list[Payment]
    fulfillments: list[Fulfillment]
    returns: list[Return]
    refunds: list[Refund]
    def to_dict(self) -> dict[str, Any]: ...

@final
class ReturnLine:
    product_id: int
    quantity: int
    def to_dict(self) -> dict[str, Any]: ...

@final
class Return:
    return_id: int
    order_id: int
    status: Literal["requested", "received", "rejected"]
    lines: list[ReturnLine]
    restock: bool
    reason: str | None
    requested_by_customer: bool
    created_at: datetime
    updated_at: datetime
    def to_dict(self) -> dict[str, Any]: ...

@final
class RefundLine:
    product_id: int
    quantity: int
    amount: Decimal
    tax: Decimal
    def to_dict(self) -> dict[str, Any]: ...

@final
class RefundPart:
    payment_id: int
    amount: Decimal
    def to_dict(self) -> dict[str, Any]: ...

@final
class Refund:
    refund_id: int
    order_id: int
    kind: Literal["cancellation", "return", "goodwill"]
    return_id: int | None
    amount: Decimal
    tax: Decimal
    points_returned: int
    lines: list[RefundLine]
    parts: list[RefundPart]
    reason: str | None
    created_at: datetime
    def to_dict(self) -> dict[str, Any]: ...

@final
class ReleasedLine:
    product_id: int
    quantity: int
    amount: Decimal
    tax: Decimal
    points: int
    def to_dict(self) -> dict[str, Any]: ...

@final
class Notification:
    notification_id: int
    order_id: int
    customer_id: int
    notification_type: NotificationKind
    message: str
    sent_at: datetime
    def to_dict(self) -> dict[str, Any]: ...

@final
class Delivery:
    delivery_id: int
    notification_id: int
    channel: Literal["email", "webhook"]
    webhook_id: int | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    def to_dict(self) -> dict[str, Any]: ...

@final
class WebhookEndpoint:
    webhook_id: int
    url: str
    events: list[str]
    created_at: datetime
    def to_dict(self) -> dict[str, Any]: ...

@final
class CreatedWebhook:
    webhook: WebhookEndpoint
    secret: str
    def to_dict(self) -> dict[str, Any]: ...

@final
class DispatchReport:
    claimed: int
    delivered: int
    retried: int
    failed: int
    superseded: int
    def to_dict(self) -> dict[str, Any]: ...

@final
class Dispatcher:
    def dispatch_due(self, limit: int | None = None) -> DispatchReport: ...
    @property
    def max_attempts(self) -> int: ...

@final
class PlacedOrder:
    order: Order
    confirmation: Notification
    replayed: bool
    def to_dict(self) -> dict[str, Any]: ...

@final
class CancelledOrder:
    order: Order
    notice: Notification
    points_returned: int
    points_revoked: int
    points_balance: int
    refund_due: Decimal
    cancelled_lines: list[ReleasedLine]
    refund: Refund | None
    def to_dict(self) -> dict[str, Any]: ...

@final
class PaymentOutcome:
    payment: Payment
    order: Order
    replayed: bool
    notices: list[Notification]
    def to_dict(self) -> dict[str, Any]: ...

@final
class ReturnOutcome:
    order: Order
    returned: Return | None
    refund: Refund | None
    notices: list[Notification]
    replayed: bool
    def to_dict(self) -> dict[str, Any]: ...

@final
class FulfilledOrder:
    order: Order
    fulfillment: Fulfillment
    notices: list[Notification]
    def to_dict(self) -> dict[str, Any]: ...

@final
class Session:
    customer: Customer
    token: str
    expires_at: datetime
    def to_dict(self) -> dict[str, Any]: ...

@final
class Actor:
    kind: Literal["anonymous", "customer", "staff"]
    customer_id: int | None
    key_id: int | None
    role: Literal["support", "inventory", "admin"] | None
    def to_dict(self) -> dict[str, Any]: ...

@final
class StaffKey:
    key_id: int
    name: str
    role: Literal["support", "inventory", "admin"]
    created_at: datetime
    revoked_at: datetime | None
    def to_dict(self) -> dict[str, Any]: ...

@final
class IssuedStaffKey:
    key_id: int
    name: str
    role: Literal["support", "inventory", "admin"]
    key: str
    created_at: datetime
    def to_dict(self) -> dict[str, Any]: ...

class PoolMetrics(TypedDict):
    max_connections: int
    open: int
    idle: int
    in_use: int
    acquires: int
    waits: int
    timeouts: int
    acquire_seconds: float

class EngineMetrics(TypedDict):
    checkouts_placed: int
    checkouts_replayed: int
    checkouts_refused: dict[str, int]
    transaction_retries: dict[Literal["deadlock", "lock_wait", "certification", "stale_snapshot", "busy"], int]
    pool: PoolMetrics | None

@final
class ShopConfig:
    def __new__(
        cls,
        *,
        default_region: str = "Cairo",
        rounding: Literal["half_up", "half_even"] = "half_up",
        tax_mode: Literal["per_order", "per_line"] = "per_order",
        loyalty_unit: MoneyLike | None = None,
        point_value: MoneyLike | None = None,
        delivery_days: int = 5,
        session_hours: int = 24,
    ) -> ShopConfig: ...
    @property
    def default_region(self) -> str: ...
    @property
    def rounding(self) -> Literal["half_up", "half_even"]: ...
    @property
    def tax_mode(self) -> Literal["per_order", "per_line"]: ...
    @property
    def loyalty_unit(self) -> Decimal: ...
    @property
    def point_value(self) -> Decimal: ...
    @property
    def delivery_days(self) -> int: ...
    @property
    def session_hours(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Engine:
    @staticmethod
    def in_memory(*, seed: bool = True, config: ShopConfig | None = None, session_hours: int | None = None) -> Engine: ...
    @staticmethod
    def mysql(
        url: str,
        *,
        migrate: bool = True,
        seed: bool = False,
        max_connections: int = 16,
        config: ShopConfig | None = None,
        session_hours: int | None = None,
        slow_sql_ms: int = 1000,
        retry_budget_ms: int = 5000,
    ) -> Engine: ...
    @staticmethod
    def sqlite(
        path: str | PathLike[str],
        *,
        migrate: bool = True,
        seed: bool = False,
        config: ShopConfig | None = None,
        session_hours: int | None = None,
        max_connections: int = 8,
        retry_budget_ms: int = 10000,
        create: bool = True,
    ) -> Engine: ...
    @property
    def backend(self) -> Literal["memory", "sqlite", "mysql"]: ...
    @property
    def password_work_limit(self) -> int: ...
    @property
    def default_region(self) -> str: ...
    @property
    def config(self) -> ShopConfig: ...
    def quote(
        self,
        products: Sequence[Line],
        *,
        region: str | None = None,
        coupon_code: str | None = None,
        customer_id: int | None = None,
        redeem_points: int | None = None,
        client: str | None = None,
    ) -> Quote: ...
    def checkout(
        self,
        customer_id: int,
        products: Sequence[Line],
        *,
        region: str | None = None,
        idempotency_key: str | None = None,
        expected_total: MoneyLike | None = None,
        coupon_code: str | None = None,
        redeem_points: int | None = None,
        client: str | None = None,
    ) -> PlacedOrder: ...
    def create_coupon(self, coupon: Mapping[str, object]) -> Coupon: ...
    def update_coupon(self, code: str, changes: Mapping[str, object]) -> Coupon: ...
    def coupon(self, code: str) -> Coupon: ...
    def price_list(self) -> PriceList: ...
    def audit_pricing(self) -> dict[str, Any]: ...
    def audit_ladder(self, product_id: int, tiers: Sequence[Mapping[str, object]]) -> list[dict[str, Any]]: ...
    def cancel(self, order_id: int, lines: Sequence[Line] | None = None) -> CancelledOrder: ...
    def record_payment(self, order_id: int, amount: MoneyLike, method: str, reference: str, *, capture: bool | None = None) -> PaymentOutcome: ...
    def capture_payment(self, order_id: int, payment_id: int, amount: MoneyLike | None = None) -> PaymentOutcome: ...
    def void_payment(self, order_id: int, payment_id: int) -> PaymentOutcome: ...
    def fulfill(
        self,
        order_id: int,
        lines: Sequence[Line] | None = None,
        *,
        carrier: str | None = None,
        tracking_number: str | None = None,
    ) -> FulfilledOrder: ...
    def create_return(
        self,
        order_id: int,
        lines: Sequence[Line],
        *,
        restock: bool | None = None,
        reason: str | None = None,
        by: Literal["staff", "customer"] | None = None,
        window_days: int | None = None,
        idempotency_key: str | None = None,
    ) -> ReturnOutcome: ...
    def receive_return(self, return_id: int, *, restock: bool | None = None) -> ReturnOutcome: ...
    def reject_return(self, return_id: int) -> ReturnOutcome: ...
    def refund(self, order_id: int, amount: MoneyLike, *, reason: str | None = None, idempotency_key: str | None = None) -> ReturnOutcome: ...
    def returns(self, status: Literal["requested", "received", "rejected"] | None = None) -> list[Return]: ...
    def return_page(
        self,
        *,
        status: Literal["requested", "received", "rejected"] | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> tuple[list[Return], int | None]: ...
    def order(self, order_id: int) -> Order: ...
    def orders_of_customer(self, customer_id: int) -> list[Order]: ...
    def order_page(
        self,
        *,
        customer_id: int | None = None,
        status: Literal["created", "cancelled"] | None = None,
        before: int | None = None,
        limit: int | None = None,
    ) -> tuple[list[Order], int | None]: ...
    def product_page(self, *, after: int | None = None, limit: int | None = None, include_retired: bool = False) -> tuple[list[Product], int | None]: ...
    def product(self, product_id: int) -> Product: ...
    def products(self, *, include_retired: bool = False) -> list[Product]: ...
    def create_product(
        self,
        *,
        product_name: str,
        unit_price: MoneyLike,
        quantity_available: int | None = None,
        actor: Actor | None = None,
    ) -> Product: ...
    def update_product(
        self,
        product_id: int,
        *,
        product_name: str | None = None,
        unit_price: MoneyLike | None = None,
        actor: Actor | None = None,
    ) -> Product: ...
    def retire_product(self, product_id: int, *, actor: Actor | None = None) -> Product: ...
    def restore_product(self, product_id: int, *, actor: Actor | None = None) -> Product: ...
    def tier_ladder(self, product_id: int) -> list[TierRung]: ...
    def replace_tier_ladder(self, product_id: int, tiers: Sequence[Mapping[str, object]], *, actor: Actor | None = None) -> list[TierRung]: ...
    def tax_rates(self) -> list[TaxRate]: ...
    def set_tax_rate(self, region: str, tax_rate: MoneyLike, *, actor: Actor | None = None) -> TaxRate: ...
    def remove_tax_region(self, region: str, *, actor: Actor | None = None) -> TaxRate: ...
    def catalog_changes(self, *, after: int | None = None, limit: int | None = None) -> tuple[list[CatalogChange], int | None]: ...
    def adjust_stock(self, product_id: int, change: int) -> Product: ...
    def notification_page(
        self,
        *,
        order_id: int | None = None,
        customer_id: int | None = None,
        before: int | None = None,
        limit: int | None = None,
    ) -> tuple[list[Notification], int | None]: ...
    def ready(self, *, timeout: float = 0.5) -> None: ...
    def metrics(self) -> EngineMetrics: ...
    def close(self) -> None: ...
    def backup(self, path: str | PathLike[str]) -> None: ...
    def audit(self, *, opening_stock: Mapping[int, int], opening_points: Mapping[int, int]) -> list[str]: ...
    def register(self, *, name: str, email: str, password: str, phone: str | None = None, client: str | None = None) -> Customer: ...
    def update_profile(
        self,
        customer_id: int,
        *,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        clear_phone: bool = False,
    ) -> Customer: ...
    def customers(self, *, after: int | None = None, limit: int | None = None) -> tuple[list[Customer], int | None]: ...
    def login(self, *, email: str, password: str, client: str | None = None) -> Session: ...
    def logout(self, token: str) -> None: ...
    def change_password(self, customer_id: int, *, current: str, new: str, keep_token: str | None = None, client: str | None = None) -> None: ...
    def authenticate(self, token: str | None) -> Actor: ...
    def authorize(self, actor: Actor, action: str, *, customer_id: int | None = None) -> None: ...
    def create_staff_key(self, *, name: str, role: str) -> IssuedStaffKey: ...
    def install_staff_key(self, key: str, *, name: str = ..., role: str = "admin") -> StaffKey: ...
    def revoke_staff_key(self, key_id: int) -> StaffKey: ...
    def staff_keys(self) -> list[StaffKey]: ...
    def customer(self, customer_id: int) -> Customer: ...
    def adjust_points(self, customer_id: int, change: int) -> Customer: ...
    def log_notification(
        self,
        order_id: int,
        customer_id: int,
        message: str,
        *,
        kind: Literal["order_confirmation"] = "order_confirmation",
    ) -> Notification: ...
    def resend_confirmation(self, order_id: int, customer_id: int) -> Notification: ...
    def dispatcher(
        self,
        *,
        smtp_url: str | None = None,
        smtp_ca_file: str | None = None,
        mail_from: str | None = None,
        message_domain: str | None = None,
        timeout_ms: int | None = None,
        max_attempts: int | None = None,
        first_retry_ms: int | None = None,
        max_retry_ms: int | None = None,
        lease_ms: int | None = None,
        webhook_allowed_hosts: str | None = None,
        allow_private_webhook_targets: bool = False,
    ) -> Dispatcher: ...
    def dispatch_due(self, *, limit: int | None = None) -> DispatchReport: ...
    def create_webhook(self, url: str, events: list[str], *, secret: str | None = None, allowed_hosts: str | None = None) -> CreatedWebhook: ...
    def webhooks(self) -> list[WebhookEndpoint]: ...
    def delete_webhook(self, webhook_id: int) -> None: ...
    def deliveries(self, notification_ids: list[int]) -> list[Delivery]: ...
    def notifications_by_delivery(self, status: str, *, before: int | None = None, limit: int | None = None) -> tuple[list[Notification], int | None]: ...
    def retry_notification(self, notification_id: int) -> list[Delivery]: ...
    def notifications(self, *, order_id: int | None = None, customer_id: int | None = None) -> list[Notification]: ...

@final
class PriceList:
    def __new__(
        cls,
        *,
        products: Sequence[tuple[int, MoneyLike]],
        rules: Sequence[tuple[int, int, MoneyLike]],
        tax_rates: Sequence[tuple[str, MoneyLike]] | None = None,
        coupons: Sequence[Mapping[str, object]] | None = None,
    ) -> PriceList: ...
    @property
    def product_ids(self) -> list[int]: ...
    @property
    def products(self) -> list[tuple[int, Decimal]]: ...
    @property
    def rules(self) -> list[tuple[int, int, Decimal]]: ...
    @property
    def tax_rates(self) -> list[tuple[str, Decimal]]: ...
    def quote(
        self,
        lines: Sequence[Line],
        *,
        tax_rate: MoneyLike | None = None,
        region: str | None = None,
        rounding: Literal["half_up", "half_even"] | None = None,
        tax_rounding: Literal["per_order", "per_line"] | None = None,
        percent_off: MoneyLike | None = None,
        amount_off: MoneyLike | None = None,
        redeem_points: int | None = None,
    ) -> Quote: ...

@final
class Coupon:
    code: str
    percent_off: Decimal | None
    amount_off: Decimal | None
    min_subtotal: Decimal
    valid_from: datetime | None
    valid_until: datetime | None
    max_redemptions: int | None
    max_per_customer: int | None
    active: bool
    times_redeemed: int
    def to_dict(self) -> dict[str, Any]: ...

def audit_pricing(price_list: PriceList) -> dict[str, Any]: ...
def quote(
    *,
    products: Sequence[tuple[int, MoneyLike]],
    rules: Sequence[tuple[int, int, MoneyLike]],
    lines: Sequence[Line],
    tax_rate: MoneyLike,
    rounding: Literal["half_up", "half_even"] = "half_up",
    tax_rounding: Literal["per_order", "per_line"] = "per_order",
) -> Quote: ...
