//! Rows as the database returns them, and their conversion into domain values.
//!
//! Every conversion re-parses through the domain constructors: a row written by
//! another program (the original services, a manual fix) that breaks a rule
//! surfaces as `storage_failure` naming the row, never as a panic.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use shopcore::{
    Carrier, Fulfillment, FulfillmentId, FulfillmentLine, MoneyEntry, MoneyKind, Payment,
    PaymentId, PaymentMethod, PaymentReference, PaymentState, TrackingNumber,
};
use shopcore::{Coupon, CouponCode, CouponValue, Percent};
use shopcore::{
    Customer, CustomerId, CustomerName, Email, Money, Notification, NotificationId,
    NotificationKind, Order, OrderId, OrderItem, OrderStatus, PasswordHash, Phone, PointsEntry,
    PricingRule, Product, ProductId, ProductName, Quantity, Reason, Region, StaffKey, StaffKeyId,
    StaffKeyName, StaffRole, StockEntry, StorageError, MAX_STOCK,
};
use shopcore::{
    IdempotencyKey, KeyedRequest, LineQuantity, ReasonText, Refund, RefundId, RefundKind,
    RefundLine, RefundPart, Release, ReleaseCause, ReleasedLine, RequestFingerprint, Return,
    ReturnId, ReturnStatus, RoundingMode,
};

use crate::error::invalid_row;

/// Text read from a column with a binary collation (`customers.email`,
/// `utf8mb4_bin` on MySQL, so that it compares byte for byte as on every
/// store): the backend's text reader takes such bytes as long as they are
/// UTF-8.
#[derive(Debug, Clone)]
pub(crate) struct ExactText(pub(crate) String);

impl crate::stmt::Column for Option<ExactText> {
    fn read<C: crate::Backend>(
        row: &crate::backend::Row<C>,
        col: crate::backend::Col<'_>,
    ) -> Result<Self, sqlx::Error> {
        Ok(C::text(row, col)?.map(ExactText))
    }
}

impl crate::stmt::Column for ExactText {
    fn read<C: crate::Backend>(
        row: &crate::backend::Row<C>,
        col: crate::backend::Col<'_>,
    ) -> Result<Self, sqlx::Error> {
        Ok(ExactText(String::read::<C>(row, col)?))
    }
}

/// The columns of `inventory` the adapter reads.
pub(crate) const PRODUCT_COLUMNS: &str =
    "product_id, product_name, quantity_available, unit_price, last_updated, retired";

/// [`PRODUCT_COLUMNS`] of `inventory p` (checked by a test).
pub(crate) const P_PRODUCT_COLUMNS: &str =
    "p.product_id, p.product_name, p.quantity_available, p.unit_price, p.last_updated, p.retired";

crate::row! {
    pub(crate) struct ProductRow {
        product_id: i64,
        product_name: String,
        quantity_available: i64,
        unit_price: Decimal,
        last_updated: DateTime<Utc>,
        retired: bool,
    }
}

impl TryFrom<ProductRow> for Product {
    type Error = StorageError;
    fn try_from(row: ProductRow) -> Result<Self, Self::Error> {
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row("inventory", format!("product {}: {detail}", row.product_id))
        };
        Ok(Product {
            id: ProductId::new(row.product_id).map_err(|e| bad(&e))?,
            name: ProductName::parse(&row.product_name).map_err(|e| bad(&e))?,
            quantity_available: u32::try_from(row.quantity_available)
                .ok()
                .filter(|s| *s <= MAX_STOCK)
                .ok_or_else(|| bad(&format!("stock {}", row.quantity_available)))?,
            unit_price: Money::new(row.unit_price).map_err(|e| bad(&e))?,
            last_updated: row.last_updated,
            retired: row.retired,
        })
    }
}

crate::row! {
    /// A product and one of its pricing rules (none: `NULL`s), as a checkout's
    /// snapshot reads both in one statement.
    pub(crate) struct ProductRuleRow {
        #[flatten]
        pub(crate) product: ProductRow,
        min_quantity: Option<i64>,
        discount_percentage: Option<Decimal>,
    }
}

impl ProductRuleRow {
    /// The product's id as stored.
    pub(crate) fn product_id(&self) -> i64 {
        self.product.product_id
    }

    /// The rule on this row, if there is one.
    pub(crate) fn rule(&self) -> Option<RuleRow> {
        Some(RuleRow {
            product_id: self.product.product_id,
            min_quantity: self.min_quantity?,
            discount_percentage: self.discount_percentage?,
        })
    }
}

crate::row! {
    /// A region's tax rate and a customer, each `NULL` where there is none, as a
    /// checkout's snapshot reads both in one statement.
    pub(crate) struct RateAndCustomerRow {
        region: Option<String>,
        tax_rate: Option<Decimal>,
        customer_id: Option<i64>,
        name: Option<String>,
        email: Option<ExactText>,
        phone: Option<String>,
        loyalty_points: Option<i64>,
        created_at: Option<DateTime<Utc>>,
        password_hash: Option<String>,
    }
}

impl RateAndCustomerRow {
    /// The rate's row: its region as stored, and the rate.
    pub(crate) fn rate(&self) -> Option<(String, Decimal)> {
        Some((self.region.clone()?, self.tax_rate?))
    }

    /// The customer's row, if the customer exists.
    pub(crate) fn customer(self) -> Option<CustomerRow> {
        Some(CustomerRow {
            customer_id: self.customer_id?,
            name: self.name?,
            email: self.email?,
            phone: self.phone,
            loyalty_points: self.loyalty_points?,
            created_at: self.created_at?,
            password_hash: self.password_hash,
        })
    }
}

/// The columns of `customers` the adapter reads.
pub(crate) const CUSTOMER_COLUMNS: &str =
    "customer_id, name, email, phone, loyalty_points, created_at, password_hash";

/// [`CUSTOMER_COLUMNS`] of `customers c` (checked by a test).
pub(crate) const C_CUSTOMER_COLUMNS: &str =
    "c.customer_id, c.name, c.email, c.phone, c.loyalty_points, c.created_at, c.password_hash";

crate::row! {
    pub(crate) struct CustomerRow {
        customer_id: i64,
        name: String,
        email: ExactText,
        phone: Option<String>,
        loyalty_points: i64,
        created_at: DateTime<Utc>,
        password_hash: Option<String>,
    }
}

impl CustomerRow {
    /// The profile and the stored hash.
    pub(crate) fn into_parts(self) -> Result<(Customer, Option<PasswordHash>), StorageError> {
        let id = self.customer_id;
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row("customers", format!("customer {id}: {detail}"))
        };
        let phone = match self.phone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(Phone::parse(text).map_err(|e| bad(&e))?),
        };
        let customer = Customer {
            id: CustomerId::new(id).map_err(|e| bad(&e))?,
            name: CustomerName::parse(&self.name).map_err(|e| bad(&e))?,
            email: Email::parse(&self.email.0).map_err(|e| bad(&e))?,
            phone,
            loyalty_points: self.loyalty_points,
            created_at: self.created_at,
        };
        Ok((customer, self.password_hash.map(PasswordHash::new)))
    }
}

impl TryFrom<CustomerRow> for Customer {
    type Error = StorageError;
    fn try_from(row: CustomerRow) -> Result<Self, Self::Error> {
        row.into_parts().map(|(customer, _)| customer)
    }
}

crate::row! {
    pub(crate) struct RuleRow {
        product_id: i64,
        min_quantity: i64,
        discount_percentage: Decimal,
    }
}

impl TryFrom<RuleRow> for PricingRule {
    type Error = StorageError;
    fn try_from(row: RuleRow) -> Result<Self, Self::Error> {
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row(
                "pricing_rules",
                format!("product {}: {detail}", row.product_id),
            )
        };
        Ok(PricingRule {
            product_id: ProductId::new(row.product_id).map_err(|e| bad(&e))?,
            min_quantity: Quantity::new(row.min_quantity).map_err(|e| bad(&e))?,
            discount: shopcore::Percent::new(row.discount_percentage).map_err(|e| bad(&e))?,
        })
    }
}

/// The columns of `orders` the adapter reads.
///
/// Rows written by the original services lack the breakdown; they read as
/// region `legacy`, subtotal = total, tax 0 (the migration backfills older rows
/// more precisely).
pub(crate) const ORDER_COLUMNS: &str = "order_id, customer_id, status, \
     COALESCE(region, 'legacy') AS region, COALESCE(subtotal, total_amount) AS subtotal, \
     COALESCE(tax, 0) AS tax, total_amount, points_earned, created_at, \
     coupon_code, coupon_discount, points_redeemed, points_value, refund_due, rounding";

/// The columns of `order_items` the adapter reads (line total computed for
/// rows written by the original services).
pub(crate) const ITEM_COLUMNS: &str = "order_id, product_id, quantity, unit_price, discount, \
     COALESCE(line_total, quantity * unit_price - discount) AS line_total, coupon_share, points_share, \
     tax, points_redeemed";

crate::row! {
    pub(crate) struct OrderRow {
        pub order_id: i64,
        customer_id: Option<i64>,
        status: String,
        region: String,
        subtotal: Decimal,
        tax: Decimal,
        total_amount: Decimal,
        points_earned: i64,
        created_at: DateTime<Utc>,
        coupon_code: Option<String>,
        coupon_discount: Decimal,
        points_redeemed: u64,
        points_value: Decimal,
        refund_due: Decimal,
        rounding: String,
    }
}

crate::row! {
    pub(crate) struct ItemRow {
        pub order_id: i64,
        product_id: Option<i64>,
        quantity: Option<i64>,
        unit_price: Decimal,
        discount: Decimal,
        line_total: Decimal,
        coupon_share: Decimal,
        points_share: Decimal,
        tax: Decimal,
        points_redeemed: u64,
    }
}

impl ItemRow {
    fn into_item(self) -> Result<OrderItem, StorageError> {
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row("order_items", format!("order {}: {detail}", self.order_id))
        };
        Ok(OrderItem {
            product_id: ProductId::new(self.product_id.unwrap_or(0)).map_err(|e| bad(&e))?,
            quantity: Quantity::new(self.quantity.unwrap_or(0)).map_err(|e| bad(&e))?,
            unit_price: Money::new(self.unit_price).map_err(|e| bad(&e))?,
            discount: Money::new(self.discount).map_err(|e| bad(&e))?,
            line_total: Money::new(self.line_total).map_err(|e| bad(&e))?,
            coupon_share: Money::new(self.coupon_share).map_err(|e| bad(&e))?,
            points_share: Money::new(self.points_share).map_err(|e| bad(&e))?,
            tax: Money::new(self.tax).map_err(|e| bad(&e))?,
            points_redeemed: self.points_redeemed,
        })
    }
}

/// The columns of `payments` the adapter reads.
pub(crate) const PAYMENT_COLUMNS: &str = "payment_id, order_id, method, reference, amount, \
     status, amount_captured, amount_released, amount_refunded, created_at, updated_at";

crate::row! {
    pub(crate) struct PaymentRow {
        payment_id: i64,
        pub order_id: i64,
        method: String,
        reference: ExactText,
        amount: Decimal,
        status: String,
        amount_captured: Decimal,
        amount_released: Decimal,
        amount_refunded: Decimal,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

impl TryFrom<PaymentRow> for Payment {
    type Error = StorageError;
    fn try_from(row: PaymentRow) -> Result<Self, Self::Error> {
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row("payments", format!("payment {}: {detail}", row.payment_id))
        };
        Ok(Payment {
            id: PaymentId::new(row.payment_id).map_err(|e| bad(&e))?,
            order_id: OrderId::new(row.order_id).map_err(|e| bad(&e))?,
            method: PaymentMethod::parse(&row.method).map_err(|e| bad(&e))?,
            reference: PaymentReference::parse(&row.reference.0).map_err(|e| bad(&e))?,
            amount: Money::new(row.amount).map_err(|e| bad(&e))?,
            status: PaymentState::parse(&row.status)
                .ok_or_else(|| bad(&format!("status {:?}", row.status)))?,
            amount_captured: Money::new(row.amount_captured).map_err(|e| bad(&e))?,
            amount_released: Money::new(row.amount_released).map_err(|e| bad(&e))?,
            amount_refunded: Money::new(row.amount_refunded).map_err(|e| bad(&e))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A row of a record (a shipment, a release, a return, a refund) joined with
/// one of its lines — a record without lines is one row whose line columns
/// are `NULL` — as read in record order, then line order.
pub(crate) trait RecordRow: Sized {
    /// The record.
    type Record;
    /// One of its lines.
    type Line;
    /// The order the record belongs to, and the record's id.
    fn ids(&self) -> (i64, i64);
    /// The line on this row, if there is one.
    fn line(&self) -> Result<Option<Self::Line>, StorageError>;
    /// The record this row names, without its lines.
    fn record(self) -> Result<Self::Record, StorageError>;
    /// The record's lines.
    fn lines(record: &mut Self::Record) -> &mut Vec<Self::Line>;
}

/// Records with their lines from their rows, in row order, each with the
/// id of its order.
pub(crate) fn assemble_records<R: RecordRow>(
    rows: Vec<R>,
) -> Result<Vec<(i64, R::Record)>, StorageError> {
    let mut records: Vec<(i64, i64, R::Record)> = Vec::new();
    for row in rows {
        let (order, id) = row.ids();
        let line = row.line()?;
        if !matches!(records.last(), Some((_, last, _)) if *last == id) {
            records.push((order, id, row.record()?));
        }
        if let (Some(line), Some((_, _, record))) = (line, records.last_mut()) {
            R::lines(record).push(line);
        }
    }
    Ok(records
        .into_iter()
        .map(|(order, _, record)| (order, record))
        .collect())
}

/// [`assemble_records`] grouped by order.
fn records_by_order<R: RecordRow>(
    rows: Vec<R>,
) -> Result<HashMap<i64, Vec<R::Record>>, StorageError> {
    let mut by_order: HashMap<i64, Vec<R::Record>> = HashMap::new();
    for (order, record) in assemble_records(rows)? {
        by_order.entry(order).or_default().push(record);
    }
    Ok(by_order)
}

/// The columns of a shipment and one of its lines, `fulfillments f` joined
/// with `fulfillment_items i` (a shipment without lines: `NULL`s).
pub(crate) const FULFILLMENT_LINE_COLUMNS: &str = "f.fulfillment_id, f.order_id, f.carrier, \
     f.tracking_number, f.created_at, i.product_id, i.quantity";

crate::row! {
    /// A shipment and one of its lines.
    pub(crate) struct FulfillmentLineRow {
        fulfillment_id: i64,
        order_id: i64,
        carrier: Option<String>,
        tracking_number: Option<String>,
        created_at: DateTime<Utc>,
        product_id: Option<i64>,
        quantity: Option<i64>,
    }
}

impl FulfillmentLineRow {
    fn bad(&self, detail: &dyn std::fmt::Display) -> StorageError {
        invalid_row(
            "fulfillments",
            format!("fulfillment {}: {detail}", self.fulfillment_id),
        )
    }
}

impl RecordRow for FulfillmentLineRow {
    type Record = Fulfillment;
    type Line = FulfillmentLine;

    fn ids(&self) -> (i64, i64) {
        (self.order_id, self.fulfillment_id)
    }

    fn line(&self) -> Result<Option<FulfillmentLine>, StorageError> {
        let (Some(product), Some(quantity)) = (self.product_id, self.quantity) else {
            return Ok(None);
        };
        Ok(Some(FulfillmentLine {
            product_id: ProductId::new(product).map_err(|e| self.bad(&e))?,
            quantity: Quantity::new(quantity).map_err(|e| self.bad(&e))?,
        }))
    }

    fn record(self) -> Result<Fulfillment, StorageError> {
        let bad = |detail: &dyn std::fmt::Display| self.bad(detail);
        Ok(Fulfillment {
            id: FulfillmentId::new(self.fulfillment_id).map_err(|e| bad(&e))?,
            order_id: OrderId::new(self.order_id).map_err(|e| bad(&e))?,
            lines: Vec::new(),
            carrier: self
                .carrier
                .as_deref()
                .map(Carrier::parse)
                .transpose()
                .map_err(|e| bad(&e))?,
            tracking_number: self
                .tracking_number
                .as_deref()
                .map(TrackingNumber::parse)
                .transpose()
                .map_err(|e| bad(&e))?,
            created_at: self.created_at,
        })
    }

    fn lines(record: &mut Fulfillment) -> &mut Vec<FulfillmentLine> {
        &mut record.lines
    }
}

/// The columns of a release and one of its lines, `releases r` joined with
/// `release_items i`.
pub(crate) const RELEASE_LINE_COLUMNS: &str = "r.release_id, r.order_id, r.cause, r.return_id, \
     r.restocked, r.points_revoked, r.created_at, i.product_id, i.quantity, i.amount, i.tax, \
     i.points";

crate::row! {
    /// A release and one of its lines.
    pub(crate) struct ReleaseLineRow {
        release_id: i64,
        order_id: i64,
        cause: String,
        return_id: Option<i64>,
        restocked: bool,
        points_revoked: u64,
        created_at: DateTime<Utc>,
        product_id: Option<i64>,
        quantity: Option<i64>,
        amount: Option<Decimal>,
        tax: Option<Decimal>,
        points: Option<u64>,
    }
}

impl ReleaseLineRow {
    fn bad(&self, detail: &dyn std::fmt::Display) -> StorageError {
        invalid_row("releases", format!("release {}: {detail}", self.release_id))
    }
}

impl RecordRow for ReleaseLineRow {
    type Record = Release;
    type Line = ReleasedLine;

    fn ids(&self) -> (i64, i64) {
        (self.order_id, self.release_id)
    }

    fn line(&self) -> Result<Option<ReleasedLine>, StorageError> {
        let (Some(product), Some(quantity), Some(amount), Some(tax), Some(points)) = (
            self.product_id,
            self.quantity,
            self.amount,
            self.tax,
            self.points,
        ) else {
            return Ok(None);
        };
        let bad = |detail: &dyn std::fmt::Display| self.bad(detail);
        Ok(Some(ReleasedLine {
            product_id: ProductId::new(product).map_err(|e| bad(&e))?,
            quantity: Quantity::new(quantity).map_err(|e| bad(&e))?,
            amount: Money::new(amount).map_err(|e| bad(&e))?,
            tax: Money::new(tax).map_err(|e| bad(&e))?,
            points,
        }))
    }

    fn record(self) -> Result<Release, StorageError> {
        let cause = match (self.cause.as_str(), self.return_id) {
            ("cancellation", None) => ReleaseCause::Cancellation,
            ("return", Some(id)) => {
                ReleaseCause::Return(ReturnId::new(id).map_err(|e| self.bad(&e))?)
            }
            (cause, id) => {
                return Err(self.bad(&format!("cause {cause:?} with return {id:?}")));
            }
        };
        Ok(Release {
            cause,
            lines: Vec::new(),
            restocked: self.restocked,
            points_revoked: self.points_revoked,
            created_at: self.created_at,
        })
    }

    fn lines(record: &mut Release) -> &mut Vec<ReleasedLine> {
        &mut record.lines
    }
}

/// The columns of a return and one of its lines, `returns r` joined with
/// `return_items i`.
pub(crate) const RETURN_LINE_COLUMNS: &str = "r.return_id, r.order_id, r.status, r.restock, \
     r.reason, r.requested_by_customer, r.idempotency_key, r.request_fingerprint, r.created_at, \
     r.updated_at, i.product_id, i.quantity";

crate::row! {
    /// A return and one of its lines.
    pub(crate) struct ReturnLineRow {
        return_id: i64,
        order_id: i64,
        status: String,
        restock: bool,
        reason: Option<String>,
        requested_by_customer: bool,
        idempotency_key: Option<String>,
        request_fingerprint: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        product_id: Option<i64>,
        quantity: Option<i64>,
    }
}

impl ReturnLineRow {
    fn bad(&self, detail: &dyn std::fmt::Display) -> StorageError {
        invalid_row("returns", format!("return {}: {detail}", self.return_id))
    }
}

impl RecordRow for ReturnLineRow {
    type Record = Return;
    type Line = LineQuantity;

    fn ids(&self) -> (i64, i64) {
        (self.order_id, self.return_id)
    }

    fn line(&self) -> Result<Option<LineQuantity>, StorageError> {
        let (Some(product), Some(quantity)) = (self.product_id, self.quantity) else {
            return Ok(None);
        };
        Ok(Some(LineQuantity {
            product_id: ProductId::new(product).map_err(|e| self.bad(&e))?,
            quantity: Quantity::new(quantity).map_err(|e| self.bad(&e))?,
        }))
    }

    fn record(self) -> Result<Return, StorageError> {
        let bad = |detail: &dyn std::fmt::Display| self.bad(detail);
        Ok(Return {
            id: ReturnId::new(self.return_id).map_err(|e| bad(&e))?,
            order_id: OrderId::new(self.order_id).map_err(|e| bad(&e))?,
            status: ReturnStatus::parse(&self.status)
                .ok_or_else(|| bad(&format!("status {:?}", self.status)))?,
            lines: Vec::new(),
            restock: self.restock,
            reason: self
                .reason
                .as_deref()
                .map(ReasonText::parse)
                .transpose()
                .map_err(|e| bad(&e))?,
            requested_by_customer: self.requested_by_customer,
            idempotency: keyed(
                self.idempotency_key.as_deref(),
                self.request_fingerprint.as_deref(),
            )
            .map_err(|e| bad(&e))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    fn lines(record: &mut Return) -> &mut Vec<LineQuantity> {
        &mut record.lines
    }
}

/// The columns of a refund and one of its lines, `refunds f` joined with
/// `refund_items i`.
pub(crate) const REFUND_LINE_COLUMNS: &str = "f.refund_id, f.order_id, f.kind, f.return_id, \
     f.amount, f.tax, f.points_returned, f.reason, f.idempotency_key, f.request_fingerprint, \
     f.created_at, i.product_id, i.quantity, i.amount AS line_amount, i.tax AS line_tax";

crate::row! {
    /// A refund and one of its lines (its parts are read apart: [`RefundPartRow`]).
    pub(crate) struct RefundLineRow {
        refund_id: i64,
        order_id: i64,
        kind: String,
        return_id: Option<i64>,
        amount: Decimal,
        tax: Decimal,
        points_returned: u64,
        reason: Option<String>,
        idempotency_key: Option<String>,
        request_fingerprint: Option<String>,
        created_at: DateTime<Utc>,
        product_id: Option<i64>,
        quantity: Option<i64>,
        line_amount: Option<Decimal>,
        line_tax: Option<Decimal>,
    }
}

impl RefundLineRow {
    fn bad(&self, detail: &dyn std::fmt::Display) -> StorageError {
        invalid_row("refunds", format!("refund {}: {detail}", self.refund_id))
    }
}

impl RecordRow for RefundLineRow {
    type Record = Refund;
    type Line = RefundLine;

    fn ids(&self) -> (i64, i64) {
        (self.order_id, self.refund_id)
    }

    fn line(&self) -> Result<Option<RefundLine>, StorageError> {
        let (Some(product), Some(quantity), Some(amount), Some(tax)) = (
            self.product_id,
            self.quantity,
            self.line_amount,
            self.line_tax,
        ) else {
            return Ok(None);
        };
        let bad = |detail: &dyn std::fmt::Display| self.bad(detail);
        Ok(Some(RefundLine {
            product_id: ProductId::new(product).map_err(|e| bad(&e))?,
            quantity: Quantity::new(quantity).map_err(|e| bad(&e))?,
            amount: Money::new(amount).map_err(|e| bad(&e))?,
            tax: Money::new(tax).map_err(|e| bad(&e))?,
        }))
    }

    fn record(self) -> Result<Refund, StorageError> {
        let bad = |detail: &dyn std::fmt::Display| self.bad(detail);
        Ok(Refund {
            id: RefundId::new(self.refund_id).map_err(|e| bad(&e))?,
            order_id: OrderId::new(self.order_id).map_err(|e| bad(&e))?,
            kind: RefundKind::parse(&self.kind)
                .ok_or_else(|| bad(&format!("kind {:?}", self.kind)))?,
            return_id: self
                .return_id
                .map(ReturnId::new)
                .transpose()
                .map_err(|e| bad(&e))?,
            amount: Money::new(self.amount).map_err(|e| bad(&e))?,
            tax: Money::new(self.tax).map_err(|e| bad(&e))?,
            points_returned: self.points_returned,
            lines: Vec::new(),
            parts: Vec::new(),
            reason: self
                .reason
                .as_deref()
                .map(ReasonText::parse)
                .transpose()
                .map_err(|e| bad(&e))?,
            idempotency: keyed(
                self.idempotency_key.as_deref(),
                self.request_fingerprint.as_deref(),
            )
            .map_err(|e| bad(&e))?,
            created_at: self.created_at,
        })
    }

    fn lines(record: &mut Refund) -> &mut Vec<RefundLine> {
        &mut record.lines
    }
}

/// A stored idempotency key and request digest (both or neither).
fn keyed(key: Option<&str>, fingerprint: Option<&str>) -> Result<Option<KeyedRequest>, String> {
    match (key, fingerprint) {
        (None, None) => Ok(None),
        (Some(key), Some(fingerprint)) => Ok(Some(KeyedRequest {
            key: IdempotencyKey::parse(key).map_err(|e| format!("idempotency key: {e}"))?,
            fingerprint: RequestFingerprint::parse(fingerprint)
                .ok_or_else(|| format!("request fingerprint {fingerprint:?}"))?,
        })),
        _ => Err("an idempotency key without its request digest".to_owned()),
    }
}

/// The columns of `refund_parts p` the adapter reads.
pub(crate) const REFUND_PART_COLUMNS: &str = "p.refund_id, p.payment_id, p.amount";

crate::row! {
    /// The part of a refund paid back through one payment.
    pub(crate) struct RefundPartRow {
        refund_id: i64,
        payment_id: i64,
        amount: Decimal,
    }
}

impl RefundPartRow {
    fn into_part(self) -> Result<RefundPart, StorageError> {
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row(
                "refund_parts",
                format!("refund {}: {detail}", self.refund_id),
            )
        };
        Ok(RefundPart {
            payment_id: PaymentId::new(self.payment_id).map_err(|e| bad(&e))?,
            amount: Money::new(self.amount).map_err(|e| bad(&e))?,
        })
    }
}

/// The columns of `payment_ledger` the adapter reads and writes (after the id).
pub(crate) const MONEY_LEDGER_COLUMNS: &str =
    "order_id, payment_id, kind, amount, authorized_after, captured_after, created_at";

crate::row! {
    /// One row of `payment_ledger`: a movement of an order's money.
    pub(crate) struct MoneyEntryRow {
        order_id: i64,
        payment_id: i64,
        kind: String,
        amount: Decimal,
        authorized_after: Decimal,
        captured_after: Decimal,
        created_at: DateTime<Utc>,
    }
}

impl TryFrom<MoneyEntryRow> for MoneyEntry {
    type Error = StorageError;
    fn try_from(row: MoneyEntryRow) -> Result<Self, Self::Error> {
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row(
                "payment_ledger",
                format!("payment {}: {detail}", row.payment_id),
            )
        };
        Ok(MoneyEntry {
            order: OrderId::new(row.order_id).map_err(|e| bad(&e))?,
            payment: PaymentId::new(row.payment_id).map_err(|e| bad(&e))?,
            kind: MoneyKind::parse(&row.kind)
                .ok_or_else(|| bad(&format!("kind {:?}", row.kind)))?,
            amount: Money::new(row.amount).map_err(|e| bad(&e))?,
            authorized_after: Money::new(row.authorized_after).map_err(|e| bad(&e))?,
            captured_after: Money::new(row.captured_after).map_err(|e| bad(&e))?,
            at: row.created_at,
        })
    }
}

/// What belongs to a set of orders besides their rows: their items,
/// payments, shipments, releases, returns and refunds (with the refunds'
/// parts), each list in insertion (id) order.
#[derive(Default)]
pub(crate) struct OrderParts {
    pub items: Vec<ItemRow>,
    pub payments: Vec<PaymentRow>,
    pub fulfillments: Vec<FulfillmentLineRow>,
    pub releases: Vec<ReleaseLineRow>,
    pub returns: Vec<ReturnLineRow>,
    pub refunds: Vec<RefundLineRow>,
    pub refund_parts: Vec<RefundPartRow>,
}

/// How an order's amounts were rounded, as stored in `orders.rounding`.
fn parse_rounding(text: &str) -> Option<RoundingMode> {
    [RoundingMode::HalfUp, RoundingMode::HalfEven]
        .into_iter()
        .find(|mode| mode.as_str() == text)
}

/// Joins order rows with everything that belongs to them (each list in
/// insertion order).
pub(crate) fn assemble_orders(
    orders: Vec<OrderRow>,
    parts: OrderParts,
) -> Result<Vec<Order>, StorageError> {
    let mut items_of: HashMap<i64, Vec<OrderItem>> = HashMap::new();
    for item in parts.items {
        items_of
            .entry(item.order_id)
            .or_default()
            .push(item.into_item()?);
    }
    let mut payments_of: HashMap<i64, Vec<Payment>> = HashMap::new();
    for payment in parts.payments {
        payments_of
            .entry(payment.order_id)
            .or_default()
            .push(Payment::try_from(payment)?);
    }
    let mut fulfillments_of = records_by_order(parts.fulfillments)?;
    let mut releases_of = records_by_order(parts.releases)?;
    let mut returns_of = records_by_order(parts.returns)?;
    let mut refunds_of = records_by_order(parts.refunds)?;
    let mut parts_of: HashMap<i64, Vec<RefundPart>> = HashMap::new();
    for part in parts.refund_parts {
        parts_of
            .entry(part.refund_id)
            .or_default()
            .push(part.into_part()?);
    }
    for refund in refunds_of.values_mut().flatten() {
        refund.parts = parts_of.remove(&refund.id.get()).unwrap_or_default();
    }
    orders
        .into_iter()
        .map(|row| {
            let id = row.order_id;
            let bad = |detail: &dyn std::fmt::Display| {
                invalid_row("orders", format!("order {id}: {detail}"))
            };
            Ok(Order {
                id: OrderId::new(id).map_err(|e| bad(&e))?,
                customer_id: CustomerId::new(row.customer_id.unwrap_or(0)).map_err(|e| bad(&e))?,
                status: OrderStatus::parse(&row.status)
                    .ok_or_else(|| bad(&format!("status {:?}", row.status)))?,
                region: Region::parse(&row.region).map_err(|e| bad(&e))?,
                items: items_of.remove(&id).unwrap_or_default(),
                subtotal: Money::new(row.subtotal).map_err(|e| bad(&e))?,
                coupon: row
                    .coupon_code
                    .as_deref()
                    .map(CouponCode::parse)
                    .transpose()
                    .map_err(|e| bad(&e))?,
                coupon_discount: Money::new(row.coupon_discount).map_err(|e| bad(&e))?,
                points_redeemed: row.points_redeemed,
                points_value: Money::new(row.points_value).map_err(|e| bad(&e))?,
                tax: Money::new(row.tax).map_err(|e| bad(&e))?,
                total_amount: Money::new(row.total_amount).map_err(|e| bad(&e))?,
                points_earned: u64::try_from(row.points_earned)
                    .map_err(|_| bad(&format!("points {}", row.points_earned)))?,
                created_at: row.created_at,
                payments: payments_of.remove(&id).unwrap_or_default(),
                fulfillments: fulfillments_of.remove(&id).unwrap_or_default(),
                refund_due: Money::new(row.refund_due).map_err(|e| bad(&e))?,
                rounding: parse_rounding(&row.rounding)
                    .ok_or_else(|| bad(&format!("rounding {:?}", row.rounding)))?,
                releases: releases_of.remove(&id).unwrap_or_default(),
                returns: returns_of.remove(&id).unwrap_or_default(),
                refunds: refunds_of.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

/// The columns of `coupons` the adapter reads.
pub(crate) const COUPON_COLUMNS: &str = "code, percent_off, amount_off, min_subtotal, \
     valid_from, valid_until, max_redemptions, max_per_customer, active";

crate::row! {
    pub(crate) struct CouponRow {
        code: String,
        percent_off: Option<Decimal>,
        amount_off: Option<Decimal>,
        min_subtotal: Decimal,
        valid_from: Option<DateTime<Utc>>,
        valid_until: Option<DateTime<Utc>>,
        max_redemptions: Option<u32>,
        max_per_customer: Option<u32>,
        active: bool,
    }
}

impl TryFrom<CouponRow> for Coupon {
    type Error = StorageError;
    fn try_from(row: CouponRow) -> Result<Self, Self::Error> {
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row("coupons", format!("coupon {:?}: {detail}", row.code))
        };
        let value = match (row.percent_off, row.amount_off) {
            (Some(percent), None) => {
                CouponValue::PercentOff(Percent::new(percent).map_err(|e| bad(&e))?)
            }
            (None, Some(amount)) => {
                CouponValue::AmountOff(Money::new(amount).map_err(|e| bad(&e))?)
            }
            _ => return Err(bad(&"needs exactly one of percent_off and amount_off")),
        };
        Ok(Coupon {
            code: CouponCode::parse(&row.code).map_err(|e| bad(&e))?,
            value,
            min_subtotal: Money::new(row.min_subtotal).map_err(|e| bad(&e))?,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            max_redemptions: row.max_redemptions,
            max_per_customer: row.max_per_customer,
            active: row.active,
        })
    }
}

/// The columns of `notification_log` the adapter reads.
pub(crate) const NOTIFICATION_COLUMNS: &str =
    "notification_id, order_id, customer_id, notification_type, message, sent_at";

crate::row! {
    pub(crate) struct NotificationRow {
        notification_id: i64,
        order_id: Option<i64>,
        customer_id: Option<i64>,
        notification_type: String,
        message: String,
        sent_at: DateTime<Utc>,
    }
}

impl TryFrom<NotificationRow> for Notification {
    type Error = StorageError;
    fn try_from(row: NotificationRow) -> Result<Self, Self::Error> {
        let id = row.notification_id;
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row("notification_log", format!("notification {id}: {detail}"))
        };
        Ok(Notification {
            id: NotificationId::new(id).map_err(|e| bad(&e))?,
            order_id: OrderId::new(row.order_id.unwrap_or(0)).map_err(|e| bad(&e))?,
            customer_id: CustomerId::new(row.customer_id.unwrap_or(0)).map_err(|e| bad(&e))?,
            kind: NotificationKind::parse(&row.notification_type)
                .ok_or_else(|| bad(&format!("type {:?}", row.notification_type)))?,
            message: row.message,
            sent_at: row.sent_at,
        })
    }
}

/// The columns of `staff_keys` the adapter reads.
pub(crate) const STAFF_KEY_COLUMNS: &str = "key_id, name, role, created_at, revoked_at";

crate::row! {
    pub(crate) struct StaffKeyRow {
        key_id: i64,
        name: String,
        role: String,
        created_at: DateTime<Utc>,
        revoked_at: Option<DateTime<Utc>>,
    }
}

impl TryFrom<StaffKeyRow> for StaffKey {
    type Error = StorageError;
    fn try_from(row: StaffKeyRow) -> Result<Self, Self::Error> {
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row("staff_keys", format!("key {}: {detail}", row.key_id))
        };
        Ok(StaffKey {
            id: StaffKeyId::new(row.key_id).map_err(|e| bad(&e))?,
            name: StaffKeyName::parse(&row.name).map_err(|e| bad(&e))?,
            role: StaffRole::parse(&row.role).map_err(|e| bad(&e))?,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }
}

/// The columns of `ledger_entries` the adapter reads and writes (after the id).
pub(crate) const LEDGER_COLUMNS: &str =
    "product_id, customer_id, delta, balance_after, reason, order_id, recorded_at";

/// One row of `ledger_entries`: a movement of a product's stock or a customer's points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LedgerEntry {
    Stock(StockEntry),
    Points(PointsEntry),
}

impl LedgerEntry {
    /// The row's values, in [`LEDGER_COLUMNS`] order.
    pub(crate) fn columns(&self) -> LedgerRow {
        let (product_id, customer_id, delta, balance_after, reason, recorded_at) = match self {
            LedgerEntry::Stock(e) => (
                Some(e.product.get()),
                None,
                e.change,
                i64::from(e.after),
                e.reason,
                e.at,
            ),
            LedgerEntry::Points(e) => (
                None,
                Some(e.customer.get()),
                e.change,
                e.after,
                e.reason,
                e.at,
            ),
        };
        LedgerRow {
            product_id,
            customer_id,
            delta,
            balance_after,
            reason: reason.as_str().to_owned(),
            order_id: reason.order().map(|o| o.get()),
            recorded_at,
        }
    }
}

crate::row! {
    pub(crate) struct LedgerRow {
        pub product_id: Option<i64>,
        pub customer_id: Option<i64>,
        pub delta: i64,
        pub balance_after: i64,
        pub reason: String,
        pub order_id: Option<i64>,
        pub recorded_at: DateTime<Utc>,
    }
}

impl TryFrom<LedgerRow> for LedgerEntry {
    type Error = StorageError;
    fn try_from(row: LedgerRow) -> Result<Self, Self::Error> {
        let bad = |detail: &dyn std::fmt::Display| invalid_row("ledger_entries", detail);
        let order = row
            .order_id
            .map(OrderId::new)
            .transpose()
            .map_err(|e| bad(&e))?;
        let reason = Reason::parse(&row.reason, order).ok_or_else(|| {
            bad(&format!(
                "reason {:?} with order {:?}",
                row.reason, row.order_id
            ))
        })?;
        let after = row.balance_after;
        match (row.product_id, row.customer_id) {
            (Some(product), None) => Ok(LedgerEntry::Stock(StockEntry {
                product: ProductId::new(product).map_err(|e| bad(&e))?,
                change: row.delta,
                after: u32::try_from(after).map_err(|e| bad(&e))?,
                reason,
                at: row.recorded_at,
            })),
            (None, Some(customer)) => Ok(LedgerEntry::Points(PointsEntry {
                customer: CustomerId::new(customer).map_err(|e| bad(&e))?,
                change: row.delta,
                after,
                reason,
                at: row.recorded_at,
            })),
            _ => Err(bad(&"not exactly one of product and customer")),
        }
    }
}

/// The id the database gave the row `inserted` put in `table`, as `T`.
pub(crate) fn inserted_id<T>(
    inserted: &crate::backend::Done,
    table: &str,
    id: impl FnOnce(i64) -> Result<T, shopcore::ValueError>,
) -> Result<T, StorageError> {
    id(inserted.last_insert_id)
        .ok()
        .ok_or_else(|| StorageError::Failure(format!("{table} returned no id")))
}

/// A UTC instant as bound to a statement: a `DATETIME` value (UTC, the
/// connection's time zone). Bound as a `DateTime<Utc>` it would travel as a
/// `TIMESTAMP`, which the server refuses past 2038-01-19.
pub(crate) fn utc(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    at.naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `columns` (a comma-separated list of plain names), each prefixed by `table.`.
    fn qualified(table: &str, columns: &str) -> String {
        columns
            .split(", ")
            .map(|column| format!("{table}.{column}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    #[test]
    fn the_qualified_column_lists_name_the_same_columns() {
        assert_eq!(P_PRODUCT_COLUMNS, qualified("p", PRODUCT_COLUMNS));
        assert_eq!(C_CUSTOMER_COLUMNS, qualified("c", CUSTOMER_COLUMNS));
    }
}
