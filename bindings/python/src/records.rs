//! Typed result objects returned to Python, each with `to_dict()`.
//!
//! Fields are converted once from the domain values: money and percentages
//! become `decimal.Decimal`, timestamps timezone-aware `datetime`s, ids `int`s.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rust_decimal::Decimal;

/// A value that can be put into a `to_dict()` result.
pub(crate) trait DictValue {
    fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

macro_rules! plain_dict_value {
    ($($ty:ty),*) => {$(
        impl DictValue for $ty {
            fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(self.clone().into_pyobject(py)?.to_owned().into_any())
            }
        }
    )*};
}

plain_dict_value!(i64, u64, u32, bool, String, Decimal, DateTime<Utc>);

impl<T: DictValue> DictValue for Option<T> {
    fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(value) => value.dict_value(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl<T: DictValue> DictValue for Vec<T> {
    fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let items = self
            .iter()
            .map(|item| item.dict_value(py))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(pyo3::types::PyList::new(py, items)?.into_any())
    }
}

/// The attributes a record's `repr` never shows: session tokens, staff keys, webhook secrets.
pub(crate) const SECRET_FIELDS: [&str; 3] = ["secret", "token", "key"];

/// Declares a frozen Python class with read-only attributes, `to_dict()` and a `repr`.
macro_rules! record {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[pyclass(frozen, get_all, module = "shopcore._core")]
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        #[pymethods]
        impl $name {
            /// The attributes as a plain `dict` (nested records become dicts too).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let dict = PyDict::new(py);
                $(dict.set_item(stringify!($field), self.$field.dict_value(py)?)?;)*
                Ok(dict)
            }

            /// Every attribute but a secret (`secret`, `token`, `key`: shown
            /// as `'…'`), so that logging a record never writes one.
            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let mut fields = Vec::new();
                $(fields.push(format!(
                    "{}={}",
                    stringify!($field),
                    if $crate::records::SECRET_FIELDS.contains(&stringify!($field)) {
                        "'…'".to_owned()
                    } else {
                        self.$field.dict_value(py)?.repr()?.to_string()
                    }
                ));)*
                Ok(format!("{}({})", stringify!($name), fields.join(", ")))
            }

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other.cast::<Self>().is_ok_and(|o| *o.get() == *self)
            }
        }

        impl DictValue for $name {
            fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(self.to_dict(py)?.into_any())
            }
        }
    };
}

pub(crate) use record;

record!(
    /// A product with its stock and price.
    Product {
        product_id: i64,
        product_name: String,
        quantity_available: u32,
        unit_price: Decimal,
        last_updated: DateTime<Utc>,
        retired: bool,
    }
);

impl From<shopcore::Product> for Product {
    fn from(p: shopcore::Product) -> Self {
        Product {
            product_id: p.id.get(),
            product_name: p.name.into(),
            quantity_available: p.quantity_available,
            unit_price: p.unit_price.amount(),
            last_updated: p.last_updated,
            retired: p.retired,
        }
    }
}

record!(
    /// A customer profile (never the password hash).
    Customer {
        customer_id: i64,
        name: String,
        email: String,
        phone: Option<String>,
        loyalty_points: i64,
        created_at: DateTime<Utc>,
    }
);

impl From<shopcore::Customer> for Customer {
    fn from(c: shopcore::Customer) -> Self {
        Customer {
            customer_id: c.id.get(),
            name: c.name.into(),
            email: c.email.into(),
            phone: c.phone.map(Into::into),
            loyalty_points: c.loyalty_points,
            created_at: c.created_at,
        }
    }
}

record!(
    /// One priced line of a quote.
    QuoteLine {
        product_id: i64,
        quantity: u32,
        unit_price: Decimal,
        base: Decimal,
        discount_rate: Decimal,
        discount: Decimal,
        final_price: Decimal,
        coupon_share: Decimal,
        points_share: Decimal,
        net_price: Decimal,
        tax: Option<Decimal>,
    }
);

record!(
    /// A priced cart.
    Quote {
        items: Vec<QuoteLine>,
        subtotal: Decimal,
        coupon_discount: Decimal,
        points_redeemed: u64,
        points_value: Decimal,
        taxable: Decimal,
        tax_rate: Decimal,
        tax: Decimal,
        total: Decimal,
    }
);

impl From<shopcore::Quote> for Quote {
    fn from(q: shopcore::Quote) -> Self {
        Quote {
            items: q
                .lines
                .into_iter()
                .map(|l| QuoteLine {
                    product_id: l.product_id.get(),
                    quantity: l.quantity.get(),
                    unit_price: l.unit_price.amount(),
                    base: l.base.amount(),
                    discount_rate: l.discount_rate.value(),
                    discount: l.discount.amount(),
                    final_price: l.final_price.amount(),
                    coupon_share: l.coupon_share.amount(),
                    points_share: l.points_share.amount(),
                    net_price: l.net_price.amount(),
                    tax: l.tax.map(|t| t.amount()),
                })
                .collect(),
            subtotal: q.subtotal.amount(),
            coupon_discount: q.coupon_discount.amount(),
            points_redeemed: q.points_redeemed,
            points_value: q.points_value.amount(),
            taxable: q.taxable.amount(),
            tax_rate: q.tax_rate.value(),
            tax: q.tax.amount(),
            total: q.total.amount(),
        }
    }
}

record!(
    /// One line of a placed order.
    OrderItem {
        product_id: i64,
        quantity: u32,
        unit_price: Decimal,
        discount: Decimal,
        line_total: Decimal,
        coupon_share: Decimal,
        points_share: Decimal,
        /// The line's part of the order's tax (what its units' refunds pay back with them).
        tax: Decimal,
        /// The line's part of the order's redeemed points, in whole points.
        points_redeemed: u64,
        /// Units of the line shipped so far.
        fulfilled_quantity: u32,
        /// Units cancelled before they shipped.
        cancelled_quantity: u32,
        /// Units returned (received returns).
        returned_quantity: u32,
        /// Money and tax paid back for the line's units.
        refunded_amount: Decimal,
    }
);

record!(
    /// A payment of an order: `status` is `authorized`, `captured` or `voided`.
    Payment {
        payment_id: i64,
        order_id: i64,
        method: String,
        reference: String,
        amount: Decimal,
        status: String,
        amount_captured: Decimal,
        /// What of an authorization a partial cancel let go (it stays authorized).
        amount_released: Decimal,
        /// What of the captured money was refunded.
        amount_refunded: Decimal,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
);

impl From<shopcore::Payment> for Payment {
    fn from(p: shopcore::Payment) -> Self {
        Payment {
            payment_id: p.id.get(),
            order_id: p.order_id.get(),
            method: p.method.into(),
            reference: p.reference.into(),
            amount: p.amount.amount(),
            status: p.status.as_str().to_owned(),
            amount_captured: p.amount_captured.amount(),
            amount_released: p.amount_released.amount(),
            amount_refunded: p.amount_refunded.amount(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

record!(
    /// Units of one product in a shipment.
    FulfillmentLine {
        product_id: i64,
        quantity: u32,
    }
);

record!(
    /// One shipment of an order.
    Fulfillment {
        fulfillment_id: i64,
        order_id: i64,
        lines: Vec<FulfillmentLine>,
        carrier: Option<String>,
        tracking_number: Option<String>,
        created_at: DateTime<Utc>,
    }
);

impl From<shopcore::Fulfillment> for Fulfillment {
    fn from(f: shopcore::Fulfillment) -> Self {
        Fulfillment {
            fulfillment_id: f.id.get(),
            order_id: f.order_id.get(),
            lines: f
                .lines
                .into_iter()
                .map(|l| FulfillmentLine {
                    product_id: l.product_id.get(),
                    quantity: l.quantity.get(),
                })
                .collect(),
            carrier: f.carrier.map(String::from),
            tracking_number: f.tracking_number.map(String::from),
            created_at: f.created_at,
        }
    }
}

record!(
    /// A placed order.
    Order {
        order_id: i64,
        customer_id: i64,
        status: String,
        region: String,
        products: Vec<OrderItem>,
        subtotal: Decimal,
        coupon_code: Option<String>,
        coupon_discount: Decimal,
        points_redeemed: u64,
        points_value: Decimal,
        tax: Decimal,
        total_amount: Decimal,
        points_earned: u64,
        created_at: DateTime<Utc>,
        /// `unpaid`, `authorized`, `partially_paid`, `paid`,
        /// `partially_refunded` or `refunded`.
        payment_status: String,
        /// `unfulfilled`, `partially_fulfilled` or `fulfilled`.
        fulfillment_status: String,
        /// Captured money (before refunds).
        amount_paid: Decimal,
        /// Money authorized and not yet captured.
        amount_authorized: Decimal,
        /// Money paid back by its refunds.
        amount_refunded: Decimal,
        /// What the units the customer keeps cost: the total less every
        /// cancelled or returned unit's money and tax.
        amount_due: Decimal,
        /// What the kept units still owe (0.00 once cancelled).
        balance_due: Decimal,
        /// What a cancellation owes back: what was captured when cancelled.
        refund_due: Decimal,
        payments: Vec<Payment>,
        fulfillments: Vec<Fulfillment>,
        /// Its returns, by id.
        returns: Vec<Return>,
        /// Its refunds, by id.
        refunds: Vec<Refund>,
    }
);

impl From<shopcore::Order> for Order {
    fn from(o: shopcore::Order) -> Self {
        let payment_status = o.payment_status().as_str().to_owned();
        let fulfillment_status = o.fulfillment_status().as_str().to_owned();
        let amount_paid = o.amount_paid().amount();
        let amount_authorized = o.amount_authorized().amount();
        let amount_refunded = o.amount_refunded().amount();
        let amount_due = o.amount_due().amount();
        let balance_due = o.balance_due().amount();
        let progress: Vec<LineProgress> = o
            .items
            .iter()
            .map(|i| LineProgress {
                fulfilled: o.fulfilled_quantity(i.product_id),
                cancelled: o.cancelled_quantity(i.product_id),
                returned: o.returned_quantity(i.product_id),
                refunded: o.refunded_amount(i.product_id).amount(),
            })
            .collect();
        Order {
            order_id: o.id.get(),
            customer_id: o.customer_id.get(),
            status: o.status.as_str().to_owned(),
            region: o.region.into(),
            products: o
                .items
                .into_iter()
                .zip(progress)
                .map(|(i, line)| OrderItem {
                    product_id: i.product_id.get(),
                    quantity: i.quantity.get(),
                    unit_price: i.unit_price.amount(),
                    discount: i.discount.amount(),
                    line_total: i.line_total.amount(),
                    coupon_share: i.coupon_share.amount(),
                    points_share: i.points_share.amount(),
                    tax: i.tax.amount(),
                    points_redeemed: i.points_redeemed,
                    fulfilled_quantity: line.fulfilled,
                    cancelled_quantity: line.cancelled,
                    returned_quantity: line.returned,
                    refunded_amount: line.refunded,
                })
                .collect(),
            subtotal: o.subtotal.amount(),
            coupon_code: o.coupon.map(String::from),
            coupon_discount: o.coupon_discount.amount(),
            points_redeemed: o.points_redeemed,
            points_value: o.points_value.amount(),
            tax: o.tax.amount(),
            total_amount: o.total_amount.amount(),
            points_earned: o.points_earned,
            created_at: o.created_at,
            payment_status,
            fulfillment_status,
            amount_paid,
            amount_authorized,
            amount_refunded,
            amount_due,
            balance_due,
            refund_due: o.refund_due.amount(),
            payments: o.payments.into_iter().map(Payment::from).collect(),
            fulfillments: o.fulfillments.into_iter().map(Fulfillment::from).collect(),
            returns: o.returns.into_iter().map(Return::from).collect(),
            refunds: o.refunds.into_iter().map(Refund::from).collect(),
        }
    }
}

/// What became of one line's units, read from the order before its items move.
struct LineProgress {
    fulfilled: u32,
    cancelled: u32,
    returned: u32,
    refunded: Decimal,
}

record!(
    /// Units of one product in a return.
    ReturnLine {
        product_id: i64,
        quantity: u32,
    }
);

record!(
    /// A return of shipped units: `status` is `requested` (a customer asked),
    /// `received` (the units came back: released, refunded for what was paid)
    /// or `rejected`.
    Return {
        return_id: i64,
        order_id: i64,
        status: String,
        lines: Vec<ReturnLine>,
        /// Whether the units go back to stock: as asked, then as received.
        restock: bool,
        reason: Option<String>,
        /// Whether the customer asked for it (else staff created it, received).
        requested_by_customer: bool,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
);

impl From<shopcore::Return> for Return {
    fn from(r: shopcore::Return) -> Self {
        Return {
            return_id: r.id.get(),
            order_id: r.order_id.get(),
            status: r.status.as_str().to_owned(),
            lines: r
                .lines
                .into_iter()
                .map(|l| ReturnLine {
                    product_id: l.product_id.get(),
                    quantity: l.quantity.get(),
                })
                .collect(),
            restock: r.restock,
            reason: r.reason.map(String::from),
            requested_by_customer: r.requested_by_customer,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

record!(
    /// The part of a refund paid back for one line's units: `amount` is money
    /// and tax together, `tax` its tax part.
    RefundLine {
        product_id: i64,
        quantity: u32,
        amount: Decimal,
        tax: Decimal,
    }
);

record!(
    /// The part of a refund paid back through one payment.
    RefundPart {
        payment_id: i64,
        amount: Decimal,
    }
);

record!(
    /// Money paid back to the customer: `kind` is `cancellation` (paid units
    /// cancelled), `return` (a received return) or `goodwill` (the shop's
    /// gesture: no units, no tax).
    Refund {
        refund_id: i64,
        order_id: i64,
        kind: String,
        /// The return it pays back, for a return's refund.
        return_id: Option<i64>,
        /// Money and tax together.
        amount: Decimal,
        /// Its tax part (0.00 for a goodwill refund).
        tax: Decimal,
        /// Redeemed points given back with it.
        points_returned: u64,
        /// Per line (none for a goodwill refund).
        lines: Vec<RefundLine>,
        /// Through which payments, latest captured first.
        parts: Vec<RefundPart>,
        reason: Option<String>,
        created_at: DateTime<Utc>,
    }
);

impl From<shopcore::Refund> for Refund {
    fn from(r: shopcore::Refund) -> Self {
        Refund {
            refund_id: r.id.get(),
            order_id: r.order_id.get(),
            kind: r.kind.as_str().to_owned(),
            return_id: r.return_id.map(|id| id.get()),
            amount: r.amount.amount(),
            tax: r.tax.amount(),
            points_returned: r.points_returned,
            lines: r
                .lines
                .into_iter()
                .map(|l| RefundLine {
                    product_id: l.product_id.get(),
                    quantity: l.quantity.get(),
                    amount: l.amount.amount(),
                    tax: l.tax.amount(),
                })
                .collect(),
            parts: r
                .parts
                .into_iter()
                .map(|p| RefundPart {
                    payment_id: p.payment_id.get(),
                    amount: p.amount.amount(),
                })
                .collect(),
            reason: r.reason.map(String::from),
            created_at: r.created_at,
        }
    }
}

record!(
    /// Units of one line released by a cancel, with what they took off the
    /// line: `amount` their net money (before tax), `tax` their tax, `points`
    /// their redeemed points (given back).
    ReleasedLine {
        product_id: i64,
        quantity: u32,
        amount: Decimal,
        tax: Decimal,
        points: u64,
    }
);

impl From<shopcore::ReleasedLine> for ReleasedLine {
    fn from(l: shopcore::ReleasedLine) -> Self {
        ReleasedLine {
            product_id: l.product_id.get(),
            quantity: l.quantity.get(),
            amount: l.amount.amount(),
            tax: l.tax.amount(),
            points: l.points,
        }
    }
}

record!(
    /// The result of a return, its receipt or rejection, or a goodwill refund:
    /// the order as it is now, the return created or changed (`None` for a
    /// goodwill refund; `return` is a keyword, hence `returned`), the refund
    /// recorded (if any), the notices logged, and whether an idempotency key
    /// replayed an earlier request (nothing written).
    ReturnOutcome {
        order: Order,
        returned: Option<Return>,
        refund: Option<Refund>,
        notices: Vec<Notification>,
        replayed: bool,
    }
);

impl From<shopcore::ReturnOutcome> for ReturnOutcome {
    fn from(r: shopcore::ReturnOutcome) -> Self {
        ReturnOutcome {
            order: r.order.into(),
            returned: r.returned.map(Return::from),
            refund: r.refund.map(Refund::from),
            notices: r.notices.into_iter().map(Notification::from).collect(),
            replayed: r.replayed,
        }
    }
}

record!(
    /// A logged notification.
    Notification {
        notification_id: i64,
        order_id: i64,
        customer_id: i64,
        notification_type: String,
        message: String,
        sent_at: DateTime<Utc>,
    }
);

impl From<shopcore::Notification> for Notification {
    fn from(n: shopcore::Notification) -> Self {
        Notification {
            notification_id: n.id.get(),
            order_id: n.order_id.get(),
            customer_id: n.customer_id.get(),
            notification_type: n.kind.as_str().to_owned(),
            message: n.message,
            sent_at: n.sent_at,
        }
    }
}

record!(
    /// The result of a checkout.
    PlacedOrder {
        order: Order,
        confirmation: Notification,
        replayed: bool,
    }
);

impl From<shopcore::PlacedOrder> for PlacedOrder {
    fn from(p: shopcore::PlacedOrder) -> Self {
        PlacedOrder {
            order: p.order.into(),
            confirmation: p.confirmation.into(),
            replayed: p.replayed,
        }
    }
}

record!(
    /// The result of a cancel, of the whole order or of some of its units.
    CancelledOrder {
        /// The order as it is now: `cancelled`, or still `created` when units remain.
        order: Order,
        /// The cancellation notice, or `units_cancelled`.
        notice: Notification,
        /// Redeemed points given back to the customer.
        points_returned: u64,
        /// Earned points taken back.
        points_revoked: u64,
        /// The customer's points once cancelled; below zero, points owed.
        points_balance: i64,
        /// What is refunded: what was paid for the cancelled units beyond
        /// what the kept units cost.
        refund_due: Decimal,
        /// What each line gave up.
        cancelled_lines: Vec<ReleasedLine>,
        /// The refund record, if money was refunded.
        refund: Option<Refund>,
    }
);

impl From<shopcore::CancelledOrder> for CancelledOrder {
    fn from(c: shopcore::CancelledOrder) -> Self {
        CancelledOrder {
            order: c.order.into(),
            notice: c.notice.into(),
            points_returned: c.points_returned,
            points_revoked: c.points_revoked,
            points_balance: c.points_balance,
            refund_due: c.refund_due.amount(),
            cancelled_lines: c
                .cancelled_lines
                .into_iter()
                .map(ReleasedLine::from)
                .collect(),
            refund: c.refund.map(Refund::from),
        }
    }
}

record!(
    /// The result of recording, capturing or voiding a payment: the payment
    /// and the order as they are now, whether a reference replayed an earlier
    /// payment (nothing written), and the notices logged.
    PaymentOutcome {
        payment: Payment,
        order: Order,
        replayed: bool,
        notices: Vec<Notification>,
    }
);

impl From<shopcore::PaymentOutcome> for PaymentOutcome {
    fn from(p: shopcore::PaymentOutcome) -> Self {
        PaymentOutcome {
            payment: p.payment.into(),
            order: p.order.into(),
            replayed: p.replayed,
            notices: p.notices.into_iter().map(Notification::from).collect(),
        }
    }
}

record!(
    /// The result of a shipment: the order as it is now, the shipment, and
    /// the notices logged.
    FulfilledOrder {
        order: Order,
        fulfillment: Fulfillment,
        notices: Vec<Notification>,
    }
);

impl From<shopcore::FulfilledOrder> for FulfilledOrder {
    fn from(f: shopcore::FulfilledOrder) -> Self {
        FulfilledOrder {
            order: f.order.into(),
            fulfillment: f.fulfillment.into(),
            notices: f.notices.into_iter().map(Notification::from).collect(),
        }
    }
}

record!(
    /// A session opened by login: the profile, and the token shown this once.
    Session {
        customer: Customer,
        token: String,
        expires_at: DateTime<Utc>,
    }
);

record!(
    /// Who presented a token: `kind` is `"anonymous"`, `"customer"` or `"staff"`.
    Actor {
        kind: String,
        customer_id: Option<i64>,
        key_id: Option<i64>,
        role: Option<String>,
    }
);

impl From<shopcore::Actor> for Actor {
    fn from(actor: shopcore::Actor) -> Self {
        let (kind, customer_id, key_id, role) = match actor {
            shopcore::Actor::Anonymous => ("anonymous", None, None, None),
            shopcore::Actor::Customer(id) => ("customer", Some(id.get()), None, None),
            shopcore::Actor::Staff { key, role } => (
                "staff",
                None,
                Some(key.get()),
                Some(role.as_str().to_owned()),
            ),
        };
        Actor {
            kind: kind.to_owned(),
            customer_id,
            key_id,
            role,
        }
    }
}

record!(
    /// A staff API key as stored (never its secret).
    StaffKey {
        key_id: i64,
        name: String,
        role: String,
        created_at: DateTime<Utc>,
        revoked_at: Option<DateTime<Utc>>,
    }
);

impl From<shopcore::StaffKey> for StaffKey {
    fn from(key: shopcore::StaffKey) -> Self {
        StaffKey {
            key_id: key.id.get(),
            name: key.name.into(),
            role: key.role.as_str().to_owned(),
            created_at: key.created_at,
            revoked_at: key.revoked_at,
        }
    }
}

record!(
    /// A staff key just created, with its secret `key`, shown this once.
    IssuedStaffKey {
        key_id: i64,
        name: String,
        role: String,
        key: String,
        created_at: DateTime<Utc>,
    }
);

impl From<shopcore::IssuedStaffKey> for IssuedStaffKey {
    fn from(issued: shopcore::IssuedStaffKey) -> Self {
        IssuedStaffKey {
            key_id: issued.key.id.get(),
            name: issued.key.name.into(),
            role: issued.key.role.as_str().to_owned(),
            key: issued.secret.expose().to_owned(),
            created_at: issued.key.created_at,
        }
    }
}
