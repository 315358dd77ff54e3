//! The data behind the store's lock, and the one `apply` for plans (in
//! [`apply`]).
//!
//! Every method here runs with the lock held.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use shopcore::seed::SeedData;
use shopcore::{
    Books, CatalogChange, ChangeId, ChangeRecord, ChangeSubject, CustomerName, FulfillmentId,
    MoneyEntry, NewProduct, PaymentId, Percent, Phone, Product, ProductChanged, ProductId, Region,
    TierLadder,
};
use shopcore::{
    Catalog, Customer, CustomerId, Effect, Email, IdempotencyKey, NewOrder, Notification,
    NotificationId, NotificationKind, Order, OrderId, OrderStatus, PasswordHash, Plan, PointsEntry,
    RequestFingerprint, RuleBook, SessionScope, StaffKey, StaffKeyId, StaffKeyName, StaffRole,
    StockEntry, StorageError, TaxTable, TokenHash,
};
use shopcore::{Coupon, CouponCode, CouponUsage};

use crate::outbox::Outbox;

mod apply;

/// A customer with the password hash that never leaves the store.
#[derive(Debug)]
pub(crate) struct CustomerRecord {
    pub customer: Customer,
    pub password_hash: Option<PasswordHash>,
}

/// Everything the store holds.
#[derive(Debug)]
pub(crate) struct State {
    pub catalog: Catalog,
    pub rules: RuleBook,
    pub tax_rates: TaxTable,
    pub customers: BTreeMap<CustomerId, CustomerRecord>,
    pub customer_by_email: HashMap<Email, CustomerId>,
    pub orders: BTreeMap<OrderId, Order>,
    /// Append-only; ids ascend with position.
    pub notifications: Vec<Notification>,
    /// Position in `notifications` of each order's first confirmation.
    pub confirmation_of: HashMap<OrderId, usize>,
    /// Idempotency keys, per customer.
    pub idempotency: HashMap<(CustomerId, IdempotencyKey), (RequestFingerprint, OrderId)>,
    /// Every stock movement, append-only.
    pub stock_ledger: Vec<StockEntry>,
    /// Every points movement, append-only.
    pub points_ledger: Vec<PointsEntry>,
    /// Every movement of an order's money, append-only.
    pub money_ledger: Vec<MoneyEntry>,
    /// Sessions by the hash of their token.
    pub sessions: HashMap<TokenHash, SessionRecord>,
    /// Staff keys by id, with the hash of their secret.
    pub staff_keys: BTreeMap<StaffKeyId, (StaffKey, TokenHash)>,
    /// The catalog change log, append-only; ids ascend with position.
    pub change_log: Vec<CatalogChange>,
    /// Coupons by code.
    pub coupons: BTreeMap<CouponCode, Coupon>,
    /// Notification deliveries and webhook endpoints.
    pub outbox: Outbox,
    /// The throttles' counts (see `shopcore::ThrottleRepository`); pruned as they grow.
    pub throttle: shopcore::ThrottleCounts,
    next_customer_id: i64,
    next_order_id: i64,
    next_product_id: i64,
    next_payment_id: i64,
    next_fulfillment_id: i64,
    next_return_id: i64,
    next_refund_id: i64,
}

/// A customer session; only the hash of its token is kept (as the map key).
#[derive(Debug)]
pub(crate) struct SessionRecord {
    pub customer: CustomerId,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// What applying a plan stored that the caller could not know in advance.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// The id of the order the plan placed, if it placed one.
    pub order_id: Option<OrderId>,
    /// The id of the staff key the plan issued, if it issued one.
    pub staff_key_id: Option<StaffKeyId>,
    /// The id of the product the plan created, if it created one.
    pub product_id: Option<ProductId>,
    /// The notifications it logged, in plan order.
    pub notices: Vec<Notification>,
    /// The id of the payment the plan recorded, if it recorded one.
    pub payment_id: Option<PaymentId>,
    /// The id of the shipment the plan recorded, if it recorded one.
    pub fulfillment_id: Option<FulfillmentId>,
    /// The id of the return the plan created, if it created one.
    pub return_id: Option<shopcore::ReturnId>,
    /// The id of the refund the plan recorded, if it recorded one.
    pub refund_id: Option<shopcore::RefundId>,
}

impl State {
    pub fn from_seed(data: SeedData) -> Self {
        let catalog = Catalog::from_products(data.products.iter().cloned());
        let customer_by_email = data
            .customers
            .iter()
            .map(|c| (c.email.clone(), c.id))
            .collect();
        let next_customer_id = data.customers.iter().map(|c| c.id.get()).max().unwrap_or(0) + 1;
        let next_product_id = data.products.iter().map(|p| p.id.get()).max().unwrap_or(0) + 1;
        State {
            catalog,
            rules: RuleBook::from_rules(data.rules.iter().copied()),
            tax_rates: TaxTable::from_rates(data.tax_rates.iter().cloned()),
            customers: data
                .customers
                .into_iter()
                .map(|customer| {
                    let record = CustomerRecord {
                        customer,
                        password_hash: None,
                    };
                    (record.customer.id, record)
                })
                .collect(),
            customer_by_email,
            orders: BTreeMap::new(),
            notifications: Vec::new(),
            outbox: Outbox::default(),
            confirmation_of: HashMap::new(),
            idempotency: HashMap::new(),
            stock_ledger: Vec::new(),
            points_ledger: Vec::new(),
            money_ledger: Vec::new(),
            sessions: HashMap::new(),
            staff_keys: BTreeMap::new(),
            change_log: Vec::new(),
            coupons: BTreeMap::new(),
            throttle: shopcore::ThrottleCounts::new(),
            next_customer_id,
            next_order_id: 1,
            next_product_id,
            next_payment_id: 1,
            next_fulfillment_id: 1,
            next_return_id: 1,
            next_refund_id: 1,
        }
    }

    /// Allocates the next customer id.
    pub fn allocate_customer_id(&mut self) -> CustomerId {
        let id = self.next_customer_id;
        self.next_customer_id += 1;
        CustomerId::new(id).unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"))
    }

    /// How often a coupon is in use: its orders that are not cancelled, in
    /// all and of `customer`.
    pub fn coupon_usage(&self, code: &CouponCode, customer: Option<CustomerId>) -> CouponUsage {
        let mut usage = CouponUsage::default();
        for order in self.orders.values() {
            if order.coupon.as_ref() == Some(code) && order.status == OrderStatus::Created {
                usage.total += 1;
                if Some(order.customer_id) == customer {
                    usage.by_customer += 1;
                }
            }
        }
        usage
    }

    /// Appends a notification and returns it.
    fn push_notification(
        &mut self,
        order_id: OrderId,
        customer_id: CustomerId,
        kind: NotificationKind,
        message: String,
        sent_at: DateTime<Utc>,
    ) -> Notification {
        let position = self.notifications.len();
        let id = NotificationId::new(position as i64 + 1)
            .unwrap_or_else(|_| unreachable!("length + 1 is positive"));
        let notification = Notification {
            id,
            order_id,
            customer_id,
            kind,
            message,
            sent_at,
        };
        if kind == NotificationKind::OrderConfirmation {
            self.confirmation_of.entry(order_id).or_insert(position);
        }
        self.outbox.enqueue(&notification);
        self.notifications.push(notification.clone());
        notification
    }

    /// Everything the audit reads.
    pub fn books(&self) -> Books {
        let mut stock: Vec<_> = self
            .catalog
            .iter()
            .map(|p| (p.id, p.quantity_available))
            .collect();
        stock.sort_unstable();
        Books {
            stock,
            points: self
                .customers
                .values()
                .map(|r| (r.customer.id, r.customer.loyalty_points))
                .collect(),
            orders: self.orders.values().cloned().collect(),
            notices: self
                .notifications
                .iter()
                .map(|n| (n.order_id, n.kind))
                .collect(),
            stock_ledger: self.stock_ledger.clone(),
            points_ledger: self.points_ledger.clone(),
            money_ledger: self.money_ledger.clone(),
        }
    }
}
