//! The data behind the store's lock, and how plans are applied to it.
//!
//! Every method here runs with the lock held. `apply_*` methods take a plan
//! that the core already validated against this very state, and only assign
//! the values the plan carries: none of them can fail, which is what makes an
//! applied plan all-or-nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use shopcore::seed::SeedData;
use shopcore::{
    CancelPlan, Catalog, CheckoutPlan, Customer, CustomerId, Email, IdempotencyKey, Notification,
    NotificationId, NotificationKind, Order, OrderId, OrderStatus, PasswordHash,
    RequestFingerprint, RuleBook, TaxTable,
};

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
    /// Position in `notifications` of each order's confirmation.
    pub confirmation_of: HashMap<OrderId, usize>,
    pub idempotency: HashMap<IdempotencyKey, (RequestFingerprint, OrderId)>,
    next_customer_id: i64,
    next_order_id: i64,
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
            confirmation_of: HashMap::new(),
            idempotency: HashMap::new(),
            next_customer_id,
            next_order_id: 1,
        }
    }

    /// Allocates the next customer id.
    pub fn allocate_customer_id(&mut self) -> CustomerId {
        let id = self.next_customer_id;
        self.next_customer_id += 1;
        CustomerId::new(id).unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"))
    }

    /// Appends a notification and returns it.
    pub fn push_notification(
        &mut self,
        order_id: OrderId,
        customer_id: CustomerId,
        kind: NotificationKind,
        message: String,
        sent_at: DateTime<Utc>,
    ) -> Notification {
        let id = NotificationId::new(self.notifications.len() as i64 + 1)
            .unwrap_or_else(|_| unreachable!("length + 1 is positive"));
        let notification = Notification {
            id,
            order_id,
            customer_id,
            kind,
            message,
            sent_at,
        };
        self.notifications.push(notification.clone());
        notification
    }

    /// Applies a checkout plan: stock, order, points, confirmation, and the
    /// idempotency key with the request's fingerprint.
    pub fn apply_checkout(
        &mut self,
        plan: &CheckoutPlan,
        key: Option<(&IdempotencyKey, RequestFingerprint)>,
    ) -> (Order, Notification) {
        let order_id = OrderId::new(self.next_order_id)
            .unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"));
        self.next_order_id += 1;
        for (product_id, _, stock_after) in plan.stock_decrements() {
            if let Some(product) = self.catalog.get_mut(product_id) {
                product.quantity_available = stock_after;
                product.last_updated = plan.placed_at;
            }
        }
        if let Some(record) = self.customers.get_mut(&plan.customer_id) {
            record.customer.loyalty_points = plan.points_after;
        }
        let order = plan.order(order_id);
        self.orders.insert(order_id, order.clone());
        let confirmation = self.push_notification(
            order_id,
            plan.customer_id,
            NotificationKind::OrderConfirmation,
            plan.confirmation_message(order_id),
            plan.placed_at,
        );
        self.confirmation_of
            .insert(order_id, self.notifications.len() - 1);
        if let Some((key, fingerprint)) = key {
            self.idempotency
                .insert(key.clone(), (fingerprint, order_id));
        }
        (order, confirmation)
    }

    /// Applies a cancel plan made from `order`: restock, status, points, notice.
    pub fn apply_cancel(&mut self, plan: &CancelPlan, order: &Order) -> (Order, Notification) {
        for &(product_id, _, stock_after) in &plan.restock {
            if let Some(product) = self.catalog.get_mut(product_id) {
                product.quantity_available = stock_after;
                product.last_updated = plan.cancelled_at;
            }
        }
        if let Some(record) = self.customers.get_mut(&plan.customer_id) {
            record.customer.loyalty_points = plan.points_after;
        }
        let mut order = order.clone();
        order.status = OrderStatus::Cancelled;
        self.orders.insert(order.id, order.clone());
        let notice = self.push_notification(
            plan.order_id,
            plan.customer_id,
            NotificationKind::OrderCancellation,
            plan.message.clone(),
            plan.cancelled_at,
        );
        (order, notice)
    }
}
