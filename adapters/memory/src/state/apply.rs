//! The one `apply` for plans: [`State::apply`] takes a plan the core decided
//! against this very state and writes the values its effects carry. It first
//! resolves every effect into a [`Write`] (checking that each row it names
//! exists) without changing anything, and only then writes, and writing
//! cannot fail: a plan is applied whole or not at all. The writes of sessions,
//! keys and profiles are in `access`, those of catalog administration in
//! `catalog`; orders, stock, points and notices are written here.

mod access;
mod catalog;

use super::*;
use shopcore::{
    Money, NewFulfillment, NewPayment, NewReturn, PaymentState, Refund, RefundId, Release,
    ReturnId, ReturnStatus,
};

/// One effect, resolved against the state and ready to write.
enum Write<'p> {
    Place(&'p NewOrder),
    Cancel(OrderId, Money),
    RecordPayment(&'p NewPayment),
    ChangePayment(OrderId, PaymentId, PaymentState, [Money; 3]),
    CreateReturn(&'p NewReturn),
    ChangeReturn(OrderId, ReturnId, ReturnStatus, bool),
    Release(OrderId, Release),
    Refund(Refund),
    Money(MoneyEntry),
    Fulfill(&'p NewFulfillment),
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
        // And those of the payment and the shipment it records.
        let next_payment = PaymentId::new(self.next_payment_id)
            .unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"));
        let mut recorded = None;
        let next_fulfillment = FulfillmentId::new(self.next_fulfillment_id)
            .unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"));
        let mut shipped = None;
        let next_return = ReturnId::new(self.next_return_id)
            .unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"));
        let mut created_return = None;
        let next_refund = RefundId::new(self.next_refund_id)
            .unwrap_or_else(|_| unreachable!("ids start at 1 and only grow"));
        let mut refunded = None;
        let mut writes = Vec::with_capacity(plan.effects().len());
        for effect in plan.effects() {
            writes.push(match effect {
                Effect::OrderPlaced(order) => {
                    placed = Some(next);
                    Write::Place(order)
                }
                Effect::OrderCancelled {
                    order, refund_due, ..
                } => match self.orders.get(order) {
                    Some(stored) if stored.status == OrderStatus::Created => {
                        Write::Cancel(*order, *refund_due)
                    }
                    _ => return Err(stale(format!("order {order} is not a created order"))),
                },
                Effect::PaymentRecorded(payment) => {
                    self.existing_order(payment.order_id)?;
                    recorded = Some(next_payment);
                    Write::RecordPayment(payment)
                }
                Effect::PaymentChanged {
                    order,
                    payment,
                    status,
                    amount_captured,
                    amount_released,
                    amount_refunded,
                } => {
                    let known = self
                        .orders
                        .get(order)
                        .is_some_and(|o| o.payment(*payment).is_some());
                    if !known {
                        return Err(stale(format!("order {order} has no payment {payment}")));
                    }
                    Write::ChangePayment(
                        *order,
                        *payment,
                        *status,
                        [*amount_captured, *amount_released, *amount_refunded],
                    )
                }
                Effect::ReturnCreated(created) => {
                    self.existing_order(created.order_id)?;
                    created_return = Some(next_return);
                    Write::CreateReturn(created)
                }
                Effect::ReturnChanged {
                    order,
                    return_id,
                    status,
                    restock,
                } => {
                    let known = self
                        .orders
                        .get(order)
                        .is_some_and(|o| o.returns.iter().any(|r| r.id == *return_id));
                    if !known {
                        return Err(stale(format!("order {order} has no return {return_id}")));
                    }
                    Write::ChangeReturn(*order, *return_id, *status, *restock)
                }
                Effect::UnitsReleased { order, release } => {
                    self.existing_order(*order)?;
                    Write::Release(
                        *order,
                        Release {
                            cause: release.cause.resolve(created_return)?,
                            lines: release.lines.clone(),
                            restocked: release.restocked,
                            points_revoked: release.points_revoked,
                            created_at: release.created_at,
                        },
                    )
                }
                Effect::RefundRecorded(refund) => {
                    self.existing_order(refund.order_id)?;
                    refunded = Some(next_refund);
                    Write::Refund(refund.with_id(next_refund, created_return, at)?)
                }
                Effect::MoneyMoved(moved) => {
                    self.existing_order(moved.order)?;
                    Write::Money(moved.entry(recorded, at)?)
                }
                Effect::FulfillmentCreated(fulfillment) => {
                    self.existing_order(fulfillment.order_id)?;
                    shipped = Some(next_fulfillment);
                    Write::Fulfill(fulfillment)
                }
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
            payment_id: recorded,
            fulfillment_id: shipped,
            return_id: created_return,
            refund_id: refunded,
            ..Applied::default()
        };
        for write in writes {
            match write {
                Write::Place(order) => {
                    self.next_order_id += 1;
                    self.orders.insert(next, order.with_id(next));
                }
                Write::Cancel(order, refund_due) => {
                    if let Some(order) = self.orders.get_mut(&order) {
                        order.status = OrderStatus::Cancelled;
                        order.refund_due = refund_due;
                    }
                }
                Write::RecordPayment(payment) => {
                    self.next_payment_id += 1;
                    if let Some(order) = self.orders.get_mut(&payment.order_id) {
                        order.payments.push(payment.with_id(next_payment, at));
                    }
                }
                Write::ChangePayment(order, payment, status, [captured, released, refunded]) => {
                    let stored = self
                        .orders
                        .get_mut(&order)
                        .and_then(|o| o.payments.iter_mut().find(|p| p.id == payment));
                    if let Some(stored) = stored {
                        stored.status = status;
                        stored.amount_captured = captured;
                        stored.amount_released = released;
                        stored.amount_refunded = refunded;
                        stored.updated_at = at;
                    }
                }
                Write::CreateReturn(created) => {
                    self.next_return_id += 1;
                    if let Some(order) = self.orders.get_mut(&created.order_id) {
                        order.returns.push(created.with_id(next_return, at));
                    }
                }
                Write::ChangeReturn(order, id, status, restock) => {
                    let stored = self
                        .orders
                        .get_mut(&order)
                        .and_then(|o| o.returns.iter_mut().find(|r| r.id == id));
                    if let Some(stored) = stored {
                        stored.status = status;
                        stored.restock = restock;
                        stored.updated_at = at;
                    }
                }
                Write::Release(order, release) => {
                    if let Some(order) = self.orders.get_mut(&order) {
                        order.releases.push(release);
                    }
                }
                Write::Refund(refund) => {
                    self.next_refund_id += 1;
                    if let Some(order) = self.orders.get_mut(&refund.order_id) {
                        order.refunds.push(refund);
                    }
                }
                Write::Money(entry) => self.money_ledger.push(entry),
                Write::Fulfill(fulfillment) => {
                    self.next_fulfillment_id += 1;
                    if let Some(order) = self.orders.get_mut(&fulfillment.order_id) {
                        order
                            .fulfillments
                            .push(fulfillment.with_id(next_fulfillment, at));
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
                    self.open_session(token, customer, expires_at);
                }
                Write::RevokeSessions(scope) => self.revoke_sessions(scope),
                Write::SetPassword(customer, hash) => self.set_password(customer, hash),
                Write::IssueKey(name, role, hash) => {
                    applied.staff_key_id = Some(self.issue_staff_key(name, role, hash, at));
                }
                Write::RevokeKey(id) => self.revoke_staff_key(id, at),
                Write::Profile(id, name, email, phone) => {
                    self.change_profile(id, name, email, phone)
                }
                Write::CreateProduct(new) => self.create_product(next_product, new, at),
                Write::ChangeProduct(changed) => self.change_product(changed, at),
                Write::ReplaceLadder(product, ladder) => self.rules.replace(product, ladder),
                Write::SetTaxRate(region, rate) => self.tax_rates.set(region, rate),
                Write::RemoveTaxRegion(region) => {
                    self.tax_rates.remove(region);
                }
                Write::SaveCoupon(coupon) => {
                    self.coupons.insert(coupon.code.clone(), coupon.clone());
                }
                Write::LogChange(record, subject) => self.log_change(record, subject, at),
            }
        }
        Ok(applied)
    }

    fn existing_order(&self, id: OrderId) -> Result<(), StorageError> {
        match self.orders.get(&id) {
            Some(_) => Ok(()),
            None => Err(stale(format!("order {id} does not exist"))),
        }
    }

    fn existing_product(&self, id: ProductId) -> Result<(), StorageError> {
        match self.catalog.get(id) {
            Some(_) => Ok(()),
            None => Err(stale(format!("product {id} does not exist"))),
        }
    }
}
