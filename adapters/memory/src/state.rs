//! The data behind the store's lock, and the one `apply` for plans.
//!
//! Every method here runs with the lock held. [`State::apply`] takes a plan
//! the core decided against this very state and writes the values its effects
//! carry. It first resolves every effect into a write (checking that each row
//! it names exists) without changing anything, and only then writes, and
//! writing cannot fail: a plan is applied whole or not at all.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use shopcore::seed::SeedData;
use shopcore::{
    Books, CatalogChange, ChangeId, ChangeRecord, ChangeSubject, CustomerName, NewProduct, Percent,
    Phone, Product, ProductChanged, ProductId, Region, TierLadder,
};
use shopcore::{
    Catalog, Customer, CustomerId, Effect, Email, IdempotencyKey, NewOrder, Notification,
    NotificationId, NotificationKind, Order, OrderId, OrderStatus, PasswordHash, Plan, PointsEntry,
    RequestFingerprint, RuleBook, SessionScope, StaffKey, StaffKeyId, StaffKeyName, StaffRole,
    StockEntry, StorageError, TaxTable, TokenHash,
};
use shopcore::{Coupon, CouponCode, CouponUsage};

use crate::outbox::Outbox;

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
}

/// One effect, resolved against the state and ready to write.
enum Write<'p> {
    Place(&'p NewOrder),
    Cancel(OrderId),
    Stock(StockEntry),
    Points(PointsEntry),
    Notice {
        order_id: OrderId,
        customer_id: CustomerId,
        kind: NotificationKind,
        message: String,
    },
    Key(CustomerId, &'p IdempotencyKey, &'p RequestFingerprint),
    OpenSession(&'p TokenHash, CustomerId, DateTime<Utc>),
    RevokeSessions(&'p SessionScope),
    SetPassword(CustomerId, &'p PasswordHash),
    IssueKey(&'p StaffKeyName, StaffRole, &'p TokenHash),
    RevokeKey(StaffKeyId),
    CreateProduct(&'p NewProduct),
    ChangeProduct(&'p ProductChanged),
    ReplaceLadder(ProductId, &'p TierLadder),
    SetTaxRate(&'p Region, Percent),
    RemoveTaxRegion(&'p Region),
    LogChange(&'p ChangeRecord, ChangeSubject),
    Profile(CustomerId, &'p CustomerName, &'p Email, &'p Option<Phone>),
    SaveCoupon(&'p Coupon),
}

fn stale(what: String) -> StorageError {
    StorageError::Failure(format!("plan does not match the store: {what}"))
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
            sessions: HashMap::new(),
            staff_keys: BTreeMap::new(),
            change_log: Vec::new(),
            coupons: BTreeMap::new(),
            throttle: shopcore::ThrottleCounts::new(),
            next_customer_id,
            next_order_id: 1,
            next_product_id,
        }
    }

    /// Allocates the next customer id.
    pub fn allocate_customer_id(&mut self) -> CustomerId {
        let id = self.next_customer_id;
        self.next_customer_id += 1;
        CustomerId::new(id).unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"))
    }

    /// Applies a plan: every effect, in order, or nothing.
    pub fn apply(&mut self, plan: &Plan) -> Result<Applied, StorageError> {
        let at = plan.at();
        // The id the plan's order gets, if it places one.
        let next = OrderId::new(self.next_order_id)
            .unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"));
        let mut placed = None;
        // Likewise the id of the product it creates, if it creates one.
        let next_product = ProductId::new(self.next_product_id)
            .unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"));
        let mut created = None;
        let mut writes = Vec::with_capacity(plan.effects().len());
        for effect in plan.effects() {
            writes.push(match effect {
                Effect::OrderPlaced(order) => {
                    placed = Some(next);
                    Write::Place(order)
                }
                Effect::OrderCancelled { order, .. } => match self.orders.get(order) {
                    Some(stored) if stored.status == OrderStatus::Created => Write::Cancel(*order),
                    _ => return Err(stale(format!("order {order} is not a created order"))),
                },
                Effect::StockMoved(moved) => {
                    if self.catalog.get(moved.product).is_none() {
                        return Err(stale(format!("product {} does not exist", moved.product)));
                    }
                    Write::Stock(moved.entry(placed, at)?)
                }
                Effect::PointsMoved(moved) => {
                    if !self.customers.contains_key(&moved.customer) {
                        return Err(stale(format!("customer {} does not exist", moved.customer)));
                    }
                    Write::Points(moved.entry(placed, at)?)
                }
                Effect::NoticeLogged(notice) => {
                    let order_id = notice.order.resolve(placed)?;
                    Write::Notice {
                        order_id,
                        customer_id: notice.customer,
                        kind: notice.kind,
                        message: notice.text.render(order_id),
                    }
                }
                Effect::KeyBound {
                    customer,
                    key,
                    fingerprint,
                } => {
                    placed.ok_or_else(|| stale("a key bound without an order".to_owned()))?;
                    Write::Key(*customer, key, fingerprint)
                }
                Effect::SessionOpened {
                    token,
                    customer,
                    expires_at,
                } => {
                    if !self.customers.contains_key(customer) {
                        return Err(stale(format!("customer {customer} does not exist")));
                    }
                    Write::OpenSession(token, *customer, *expires_at)
                }
                Effect::SessionsRevoked(scope) => Write::RevokeSessions(scope),
                Effect::PasswordChanged { customer, hash } => {
                    if !self.customers.contains_key(customer) {
                        return Err(stale(format!("customer {customer} does not exist")));
                    }
                    Write::SetPassword(*customer, hash)
                }
                Effect::StaffKeyIssued { name, role, key } => {
                    if self.staff_keys.values().any(|(_, hash)| hash == key) {
                        return Err(stale("a staff key with this secret exists".to_owned()));
                    }
                    Write::IssueKey(name, *role, key)
                }
                Effect::StaffKeyRevoked { key } => {
                    if !self.staff_keys.contains_key(key) {
                        return Err(stale(format!("staff key {key} does not exist")));
                    }
                    Write::RevokeKey(*key)
                }
                Effect::ProductCreated(product) => {
                    created = Some(next_product);
                    Write::CreateProduct(product)
                }
                Effect::ProductChanged(changed) => {
                    self.existing_product(changed.product)?;
                    Write::ChangeProduct(changed)
                }
                Effect::LadderReplaced { product, ladder } => {
                    self.existing_product(*product)?;
                    Write::ReplaceLadder(*product, ladder)
                }
                Effect::TaxRateSet { region, rate } => Write::SetTaxRate(region, *rate),
                Effect::TaxRegionRemoved { region } => {
                    if self.tax_rates.lookup(region).is_none() {
                        return Err(stale(format!("region {region} has no rate")));
                    }
                    Write::RemoveTaxRegion(region)
                }
                Effect::CatalogChangeLogged(record) => {
                    Write::LogChange(record, record.subject.resolve(created)?)
                }
                Effect::CouponSaved { coupon, created } => {
                    if self.coupons.contains_key(&coupon.code) == *created {
                        return Err(stale(format!(
                            "coupon {} {}",
                            coupon.code,
                            if *created { "exists" } else { "does not exist" }
                        )));
                    }
                    Write::SaveCoupon(coupon)
                }
                Effect::ProfileChanged {
                    customer,
                    name,
                    email,
                    phone,
                } => {
                    if !self.customers.contains_key(customer) {
                        return Err(stale(format!("customer {customer} does not exist")));
                    }
                    match self.customer_by_email.get(email) {
                        Some(owner) if owner != customer => {
                            return Err(stale(format!("email {email} is another customer's")));
                        }
                        _ => Write::Profile(*customer, name, email, phone),
                    }
                }
            });
        }

        let mut applied = Applied {
            order_id: placed,
            product_id: created,
            ..Applied::default()
        };
        for write in writes {
            match write {
                Write::Place(order) => {
                    self.next_order_id += 1;
                    self.orders.insert(next, order.with_id(next));
                }
                Write::Cancel(order) => {
                    if let Some(order) = self.orders.get_mut(&order) {
                        order.status = OrderStatus::Cancelled;
                    }
                }
                Write::Stock(entry) => {
                    if let Some(product) = self.catalog.get_mut(entry.product) {
                        product.quantity_available = entry.after;
                        product.last_updated = at;
                    }
                    self.stock_ledger.push(entry);
                }
                Write::Points(entry) => {
                    if let Some(record) = self.customers.get_mut(&entry.customer) {
                        record.customer.loyalty_points = entry.after;
                    }
                    self.points_ledger.push(entry);
                }
                Write::Notice {
                    order_id,
                    customer_id,
                    kind,
                    message,
                } => {
                    let notice = self.push_notification(order_id, customer_id, kind, message, at);
                    applied.notices.push(notice);
                }
                Write::Key(customer, key, fingerprint) => {
                    self.idempotency
                        .insert((customer, key.clone()), (fingerprint.clone(), next));
                }
                Write::OpenSession(token, customer, expires_at) => {
                    let record = SessionRecord {
                        customer,
                        expires_at,
                        revoked: false,
                    };
                    self.sessions.insert(token.clone(), record);
                }
                Write::RevokeSessions(SessionScope::One(token)) => {
                    if let Some(session) = self.sessions.get_mut(token) {
                        session.revoked = true;
                    }
                }
                Write::RevokeSessions(SessionScope::AllOf { customer, except }) => {
                    for (token, session) in &mut self.sessions {
                        if session.customer == *customer && Some(token) != except.as_ref() {
                            session.revoked = true;
                        }
                    }
                }
                Write::SetPassword(customer, hash) => {
                    if let Some(record) = self.customers.get_mut(&customer) {
                        record.password_hash = Some(hash.clone());
                    }
                }
                Write::IssueKey(name, role, hash) => {
                    let id = StaffKeyId::new(self.staff_keys.len() as i64 + 1)
                        .unwrap_or_else(|_| unreachable!("length + 1 is positive"));
                    let key = StaffKey {
                        id,
                        name: name.clone(),
                        role,
                        created_at: at,
                        revoked_at: None,
                    };
                    self.staff_keys.insert(id, (key, hash.clone()));
                    applied.staff_key_id = Some(id);
                }
                Write::RevokeKey(id) => {
                    if let Some((key, _)) = self.staff_keys.get_mut(&id) {
                        key.revoked_at.get_or_insert(at);
                    }
                }
                Write::CreateProduct(new) => {
                    self.next_product_id += 1;
                    self.catalog.insert(Product {
                        id: next_product,
                        name: new.name.clone(),
                        quantity_available: new.quantity_available,
                        unit_price: new.unit_price,
                        last_updated: at,
                        retired: false,
                    });
                    self.stock_ledger
                        .extend(new.opening_entry(next_product, at));
                }
                Write::ChangeProduct(changed) => {
                    if let Some(product) = self.catalog.get_mut(changed.product) {
                        product.name.clone_from(&changed.name);
                        product.unit_price = changed.unit_price;
                        product.retired = changed.retired;
                        product.last_updated = at;
                    }
                }
                Write::ReplaceLadder(product, ladder) => self.rules.replace(product, ladder),
                Write::SetTaxRate(region, rate) => self.tax_rates.set(region, rate),
                Write::RemoveTaxRegion(region) => {
                    self.tax_rates.remove(region);
                }
                Write::Profile(id, name, email, phone) => {
                    if let Some(record) = self.customers.get_mut(&id) {
                        let old = std::mem::replace(&mut record.customer.email, email.clone());
                        record.customer.name = name.clone();
                        record.customer.phone.clone_from(phone);
                        self.customer_by_email.remove(&old);
                        self.customer_by_email.insert(email.clone(), id);
                    }
                }
                Write::SaveCoupon(coupon) => {
                    self.coupons.insert(coupon.code.clone(), coupon.clone());
                }
                Write::LogChange(record, subject) => {
                    let id = ChangeId::new(self.change_log.len() as i64 + 1)
                        .unwrap_or_else(|_| unreachable!("length + 1 is positive"));
                    self.change_log.push(CatalogChange {
                        id,
                        at,
                        actor: record.actor,
                        subject,
                        before: record.before.clone(),
                        after: record.after.clone(),
                    });
                }
            }
        }
        Ok(applied)
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

    fn existing_product(&self, id: ProductId) -> Result<(), StorageError> {
        match self.catalog.get(id) {
            Some(_) => Ok(()),
            None => Err(stale(format!("product {id} does not exist"))),
        }
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
        }
    }
}
