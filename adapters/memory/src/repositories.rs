//! The repository traits of `shopcore`, implemented over [`State`].
//!
//! Each method takes the lock once (see the locking rule in the crate docs);
//! every write plans with the core and applies the plan with [`State::apply`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shopcore::{
    plan_cancel, plan_checkout, plan_notice, plan_points_adjustment, plan_stock_adjustment,
    AccessRepository, Books, BooksRepository, CancelError, CancelSnapshot, CancelledOrder, Catalog,
    CatalogError, CatalogRepository, CheckoutError, CheckoutPlan, CheckoutRequest,
    CheckoutSnapshot, Customer, CustomerCredentials, CustomerError, CustomerId, CustomerRepository,
    Email, IdempotencyKey, LookupError, NewCustomer, NoticeTargets, Notification,
    NotificationFilter, NotificationKind, NotificationRepository, Order, OrderId, OrderRepository,
    OrderWorkflow, PlacedOrder, Plan, Product, ProductId, RequestFingerprint, RuleBook, ShopConfig,
    StaffKey, StaffKeyId, StorageError, TaxTable, ThrottleCheck, ThrottleCounts, ThrottleKey,
    ThrottleRepository, TokenHash,
};
use std::ops::Bound;

use shopcore::{
    plan_catalog_change, Actor, AdminError, AdminSnapshot, Administered, CatalogAdministration,
    CatalogChange, CatalogCommand, ChangeId, Page, PageLimit,
};
use shopcore::{
    plan_coupon_creation, plan_coupon_update, saved_coupon, Coupon, CouponAdminError, CouponCode,
    CouponPatch, CouponRecord, CouponRepository, CouponUsage,
};
use shopcore::{plan_profile_update, NotificationId, OrderFilter, ProfileUpdate};

use crate::state::{Applied, CustomerRecord, State};
use crate::MemoryStore;

impl State {
    fn product(&self, id: ProductId) -> Result<&Product, CatalogError> {
        self.catalog.get(id).ok_or(CatalogError::UnknownProduct(id))
    }

    pub(crate) fn customer(&self, id: CustomerId) -> Option<&Customer> {
        self.customers.get(&id).map(|record| &record.customer)
    }

    /// The replayed result of an earlier checkout under `key`, if any.
    fn replay(
        &self,
        customer: CustomerId,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
    ) -> Option<Result<PlacedOrder, CheckoutError>> {
        let (stored, order_id) = self.idempotency.get(&(customer, key.clone()))?;
        if stored != fingerprint {
            return Some(Err(CheckoutError::IdempotencyConflict {
                key: key.as_str().to_owned(),
            }));
        }
        let order = self.orders.get(order_id)?.clone();
        let confirmation = self
            .notifications
            .get(*self.confirmation_of.get(order_id)?)?
            .clone();
        Some(Ok(PlacedOrder {
            order,
            confirmation,
            replayed: true,
        }))
    }
}

#[async_trait]
impl CatalogRepository for MemoryStore {
    async fn product(&self, id: ProductId) -> Result<Product, CatalogError> {
        Ok(self.lock()?.product(id)?.clone())
    }

    async fn products(&self) -> Result<Vec<Product>, StorageError> {
        let state = self.lock()?;
        let mut products: Vec<Product> = state.catalog.iter().cloned().collect();
        products.sort_by_key(|p| p.id);
        Ok(products)
    }

    async fn product_page(
        &self,
        after: Option<ProductId>,
        limit: PageLimit,
        include_retired: bool,
    ) -> Result<Page<Product, ProductId>, StorageError> {
        let state = self.lock()?;
        let mut products: Vec<&Product> = state
            .catalog
            .iter()
            .filter(|p| after.is_none_or(|after| p.id > after) && (include_retired || !p.retired))
            .collect();
        products.sort_by_key(|p| p.id);
        let items = products.into_iter().take(limit.get() + 1).cloned();
        Ok(Page::from_overfetch(items.collect(), limit, |p| p.id))
    }

    async fn catalog_snapshot(&self, ids: &[ProductId]) -> Result<Catalog, StorageError> {
        let state = self.lock()?;
        Ok(Catalog::from_products(
            ids.iter().filter_map(|id| state.catalog.get(*id)).cloned(),
        ))
    }

    async fn pricing_rules(&self, ids: &[ProductId]) -> Result<RuleBook, StorageError> {
        let state = self.lock()?;
        Ok(RuleBook::from_rules(
            ids.iter()
                .flat_map(|id| state.rules.rules_for(*id))
                .copied(),
        ))
    }

    async fn tax_rates(&self) -> Result<TaxTable, StorageError> {
        Ok(self.lock()?.tax_rates.clone())
    }

    async fn adjust_stock(&self, id: ProductId, change: i64) -> Result<Product, CatalogError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        let adjustment = plan_stock_adjustment(state.product(id)?, change, now)?;
        state.apply(&adjustment.plan)?;
        Ok(adjustment.product)
    }
}

#[async_trait]
impl CustomerRepository for MemoryStore {
    async fn create_customer(&self, new: NewCustomer) -> Result<Customer, CustomerError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        if state.customer_by_email.contains_key(&new.email) {
            return Err(CustomerError::EmailTaken(new.email));
        }
        let customer = Customer {
            id: state.allocate_customer_id(),
            name: new.name,
            email: new.email,
            phone: new.phone,
            loyalty_points: 0,
            created_at: now,
        };
        state
            .customer_by_email
            .insert(customer.email.clone(), customer.id);
        state.customers.insert(
            customer.id,
            CustomerRecord {
                customer: customer.clone(),
                password_hash: new.password_hash,
            },
        );
        Ok(customer)
    }

    async fn customer(&self, id: CustomerId) -> Result<Customer, CustomerError> {
        self.lock()?
            .customer(id)
            .cloned()
            .ok_or(CustomerError::UnknownCustomer(id))
    }

    async fn customer_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<CustomerCredentials>, StorageError> {
        let state = self.lock()?;
        let record = state
            .customer_by_email
            .get(email)
            .and_then(|id| state.customers.get(id));
        Ok(record.map(|record| CustomerCredentials {
            customer: record.customer.clone(),
            password_hash: record.password_hash.clone(),
        }))
    }

    async fn adjust_points(&self, id: CustomerId, change: i64) -> Result<Customer, CustomerError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        let customer = state
            .customer(id)
            .ok_or(CustomerError::UnknownCustomer(id))?;
        let adjustment = plan_points_adjustment(customer, change, now)?;
        state.apply(&adjustment.plan)?;
        Ok(adjustment.customer)
    }

    async fn update_profile(
        &self,
        id: CustomerId,
        update: &ProfileUpdate,
    ) -> Result<Customer, CustomerError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        let customer = state
            .customer(id)
            .ok_or(CustomerError::UnknownCustomer(id))?;
        let owner = update
            .email
            .as_ref()
            .and_then(|email| state.customer_by_email.get(email).copied());
        let change = plan_profile_update(customer, update, owner, now)?;
        state.apply(&change.plan)?;
        Ok(change.customer)
    }

    async fn customers(
        &self,
        after: Option<CustomerId>,
        limit: PageLimit,
    ) -> Result<Page<Customer, CustomerId>, StorageError> {
        let state = self.lock()?;
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let items = state
            .customers
            .range((from, Bound::Unbounded))
            .take(limit.get() + 1)
            .map(|(_, record)| record.customer.clone());
        Ok(Page::from_overfetch(items.collect(), limit, |c| c.id))
    }
}

#[async_trait]
impl OrderRepository for MemoryStore {
    async fn order(&self, id: OrderId) -> Result<Order, LookupError> {
        self.lock()?
            .orders
            .get(&id)
            .cloned()
            .ok_or(LookupError::OrderNotFound(id))
    }

    async fn orders_of_customer(&self, id: CustomerId) -> Result<Vec<Order>, LookupError> {
        let state = self.lock()?;
        if state.customer(id).is_none() {
            return Err(LookupError::UnknownCustomer(id));
        }
        Ok(state
            .orders
            .values()
            .rev()
            .filter(|order| order.customer_id == id)
            .cloned()
            .collect())
    }

    async fn order_page(
        &self,
        filter: &OrderFilter,
        before: Option<OrderId>,
        limit: PageLimit,
    ) -> Result<Page<Order, OrderId>, StorageError> {
        let state = self.lock()?;
        let to = before.map_or(Bound::Unbounded, Bound::Excluded);
        let items = state
            .orders
            .range((Bound::Unbounded, to))
            .rev()
            .map(|(_, order)| order)
            .filter(|order| filter.matches(order))
            .take(limit.get() + 1)
            .cloned();
        Ok(Page::from_overfetch(items.collect(), limit, |o| o.id))
    }
}

#[async_trait]
impl NotificationRepository for MemoryStore {
    async fn log_notification(
        &self,
        order_id: OrderId,
        customer_id: CustomerId,
        kind: NotificationKind,
        message: String,
    ) -> Result<Notification, LookupError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        let found = NoticeTargets {
            order_exists: state.orders.contains_key(&order_id),
            customer_exists: state.customer(customer_id).is_some(),
        };
        let plan = plan_notice(order_id, customer_id, kind, message, found, now)?;
        let mut applied = state.apply(&plan)?;
        applied
            .notices
            .pop()
            .ok_or_else(|| StorageError::Failure("a notice plan logged nothing".to_owned()).into())
    }

    async fn notifications(
        &self,
        filter: NotificationFilter,
    ) -> Result<Vec<Notification>, StorageError> {
        let state = self.lock()?;
        Ok(state
            .notifications
            .iter()
            .rev()
            .filter(|n| filter.matches(n))
            .cloned()
            .collect())
    }

    async fn notification_page(
        &self,
        filter: NotificationFilter,
        before: Option<NotificationId>,
        limit: PageLimit,
    ) -> Result<Page<Notification, NotificationId>, StorageError> {
        let state = self.lock()?;
        // Ids ascend with position from 1: the rows before `before` end at its index.
        let end = before.map_or(state.notifications.len(), |id| {
            usize::try_from(id.get() - 1)
                .unwrap_or(0)
                .min(state.notifications.len())
        });
        let items = state.notifications[..end]
            .iter()
            .rev()
            .filter(|n| filter.matches(n))
            .take(limit.get() + 1)
            .cloned();
        Ok(Page::from_overfetch(items.collect(), limit, |n| n.id))
    }
}

impl MemoryStore {
    /// A checkout under the lock: replay, or plan and apply.
    fn checkout_locked(
        &self,
        request: &CheckoutRequest,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<PlacedOrder, CheckoutError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        // Hashed once, only when a key makes it matter.
        let keyed = idempotency_key.map(|key| (key, request.fingerprint()));
        if let Some(replayed) = keyed
            .as_ref()
            .and_then(|(key, fingerprint)| state.replay(request.customer_id, key, fingerprint))
        {
            return replayed;
        }
        let coupon = request.coupon.as_ref().and_then(|code| {
            let usage = state.coupon_usage(code, Some(request.customer_id));
            state.coupons.get(code).map(|coupon| (coupon, usage))
        });
        let snapshot = CheckoutSnapshot {
            customer: state.customer(request.customer_id),
            catalog: &state.catalog,
            rules: &state.rules,
            tax_rates: &state.tax_rates,
            coupon,
        };
        let mut plan = plan_checkout(request, &snapshot, &self.config, now)?;
        if let Some((key, fingerprint)) = keyed {
            plan.bind_key(key.clone(), fingerprint);
        }
        let applied = state.apply(plan.plan())?;
        placed_order(&plan, applied)
    }
}

#[async_trait]
impl OrderWorkflow for MemoryStore {
    fn config(&self) -> &ShopConfig {
        &self.config
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn checkout(
        &self,
        request: &CheckoutRequest,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<PlacedOrder, CheckoutError> {
        let outcome = self.checkout_locked(request, idempotency_key);
        self.metrics.record_checkout(&outcome);
        outcome
    }

    async fn cancel(&self, order_id: OrderId) -> Result<CancelledOrder, CancelError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        let order = state
            .orders
            .get(&order_id)
            .ok_or(CancelError::OrderNotFound(order_id))?;
        let snapshot = CancelSnapshot {
            order,
            customer: state.customer(order.customer_id),
            catalog: &state.catalog,
        };
        let plan = plan_cancel(&snapshot, now)?;
        let applied = state.apply(plan.plan())?;
        crate::returns::cancelled(&state, &plan, applied)
    }
}

/// The result of an applied checkout plan.
fn placed_order(plan: &CheckoutPlan, applied: Applied) -> Result<PlacedOrder, CheckoutError> {
    let (Some(order_id), Some(confirmation)) =
        (applied.order_id, applied.notices.into_iter().next())
    else {
        return Err(StorageError::Failure("a checkout plan placed no order".to_owned()).into());
    };
    Ok(PlacedOrder {
        order: plan.new_order().with_id(order_id),
        confirmation,
        replayed: false,
    })
}

#[async_trait]
impl BooksRepository for MemoryStore {
    async fn books(&self) -> Result<Books, StorageError> {
        Ok(self.lock()?.books())
    }
}

#[async_trait]
impl AccessRepository for MemoryStore {
    async fn session_owner(
        &self,
        token: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError> {
        let state = self.lock()?;
        Ok(state
            .sessions
            .get(token)
            .filter(|s| !s.revoked && now < s.expires_at)
            .map(|s| s.customer))
    }

    async fn staff_key_by_hash(&self, key: &TokenHash) -> Result<Option<StaffKey>, StorageError> {
        let state = self.lock()?;
        Ok(state
            .staff_keys
            .values()
            .find(|(stored, hash)| hash == key && stored.revoked_at.is_none())
            .map(|(stored, _)| stored.clone()))
    }

    async fn revoked_staff_key_by_hash(
        &self,
        key: &TokenHash,
    ) -> Result<Option<StaffKey>, StorageError> {
        let state = self.lock()?;
        Ok(state
            .staff_keys
            .values()
            .find(|(stored, hash)| hash == key && stored.revoked_at.is_some())
            .map(|(stored, _)| stored.clone()))
    }

    async fn staff_key(&self, id: StaffKeyId) -> Result<Option<StaffKey>, StorageError> {
        Ok(self.lock()?.staff_keys.get(&id).map(|(key, _)| key.clone()))
    }

    async fn staff_keys(&self) -> Result<Vec<StaffKey>, StorageError> {
        Ok(self
            .lock()?
            .staff_keys
            .values()
            .map(|(key, _)| key.clone())
            .collect())
    }

    async fn apply_access_plan(&self, plan: &Plan) -> Result<Option<StaffKeyId>, StorageError> {
        Ok(self.lock()?.apply(plan)?.staff_key_id)
    }
}

/// Past this many counts, those whose window has ended are dropped before
/// another is added.
const THROTTLE_PRUNE_AT: usize = 10_000;

#[async_trait]
impl ThrottleRepository for MemoryStore {
    async fn throttle_counts(
        &self,
        keys: &[ThrottleKey],
        _now: DateTime<Utc>,
    ) -> Result<ThrottleCounts, StorageError> {
        let state = self.lock()?;
        Ok(keys
            .iter()
            .filter_map(|key| state.throttle.get(key).map(|count| (key.clone(), *count)))
            .collect())
    }

    async fn count_attempt(
        &self,
        check: &ThrottleCheck,
        now: DateTime<Utc>,
    ) -> Result<Result<(), chrono::Duration>, StorageError> {
        let mut state = self.lock()?;
        let counts: ThrottleCounts = check
            .keys()
            .into_iter()
            .filter_map(|key| state.throttle.get(&key).map(|count| (key, *count)))
            .collect();
        let writes = match check.plan_attempt(&counts, now) {
            Ok(writes) => writes,
            Err(wait) => return Ok(Err(wait)),
        };
        if state.throttle.len() >= THROTTLE_PRUNE_AT {
            state.throttle.retain(|_, count| count.live(now) > 0);
        }
        state.throttle.extend(writes);
        Ok(Ok(()))
    }

    async fn clear_throttle(&self, keys: &[ThrottleKey]) -> Result<(), StorageError> {
        let mut state = self.lock()?;
        for key in keys {
            state.throttle.remove(key);
        }
        Ok(())
    }
}

#[async_trait]
impl CatalogAdministration for MemoryStore {
    async fn administer(
        &self,
        actor: &Actor,
        command: &CatalogCommand,
    ) -> Result<Administered, AdminError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        let product = command
            .product()
            .and_then(|id| state.catalog.get(id))
            .cloned();
        let snapshot = AdminSnapshot {
            product: product.as_ref(),
            ladder: command
                .product()
                .map(|id| state.rules.ladder(id))
                .unwrap_or_default(),
            tax_rate: command
                .region()
                .and_then(|region| state.tax_rates.lookup(region).cloned()),
        };
        let planned = plan_catalog_change(actor, command, &snapshot, &self.config, now)?;
        let applied = state.apply(&planned.plan)?;
        Ok(planned.outcome(applied.product_id)?)
    }

    async fn catalog_changes(
        &self,
        after: Option<ChangeId>,
        limit: PageLimit,
    ) -> Result<Page<CatalogChange, ChangeId>, StorageError> {
        let state = self.lock()?;
        // Ids ascend with position from 1: the entries after `after` start at its index.
        let start = after.map_or(0, |id| usize::try_from(id.get()).unwrap_or(usize::MAX));
        let items = state.change_log.iter().skip(start).take(limit.get() + 1);
        Ok(Page::from_overfetch(items.cloned().collect(), limit, |c| {
            c.id
        }))
    }
}

impl shopcore::Instrumented for MemoryStore {
    fn metrics(&self) -> shopcore::MetricsSnapshot {
        self.metrics.snapshot()
    }
}

#[async_trait]
impl shopcore::Readiness for MemoryStore {
    /// Ready whenever its lock can be taken (it is not poisoned).
    async fn ready(&self, _timeout: std::time::Duration) -> Result<(), StorageError> {
        self.lock().map(|_| ())
    }
}

impl MemoryStore {
    /// Plans a coupon write against the stored coupon and applies it, under the lock.
    fn save_coupon(
        &self,
        code: &CouponCode,
        plan: impl FnOnce(Option<&Coupon>, DateTime<Utc>) -> Result<Plan, CouponAdminError>,
    ) -> Result<CouponRecord, CouponAdminError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        let plan = plan(state.coupons.get(code), now)?;
        state.apply(&plan)?;
        let coupon = saved_coupon(&plan)
            .cloned()
            .ok_or_else(|| StorageError::Failure("a coupon plan saved no coupon".to_owned()))?;
        let times_redeemed = state.coupon_usage(code, None).total;
        Ok(CouponRecord {
            coupon,
            times_redeemed,
        })
    }
}

#[async_trait]
impl CouponRepository for MemoryStore {
    async fn create_coupon(&self, coupon: Coupon) -> Result<CouponRecord, CouponAdminError> {
        let code = coupon.code.clone();
        self.save_coupon(&code, |existing, now| {
            plan_coupon_creation(existing, coupon, now)
        })
    }

    async fn update_coupon(
        &self,
        code: &CouponCode,
        patch: &CouponPatch,
    ) -> Result<CouponRecord, CouponAdminError> {
        self.save_coupon(code, |existing, now| {
            plan_coupon_update(existing, code, patch, now)
        })
    }

    async fn coupon(&self, code: &CouponCode) -> Result<Option<CouponRecord>, StorageError> {
        let state = self.lock()?;
        Ok(state.coupons.get(code).map(|coupon| CouponRecord {
            coupon: coupon.clone(),
            times_redeemed: state.coupon_usage(code, None).total,
        }))
    }

    async fn coupons(&self) -> Result<Vec<Coupon>, StorageError> {
        Ok(self.lock()?.coupons.values().cloned().collect())
    }

    async fn coupon_usage(
        &self,
        code: &CouponCode,
        customer: Option<CustomerId>,
    ) -> Result<Option<(Coupon, CouponUsage)>, StorageError> {
        let state = self.lock()?;
        Ok(state
            .coupons
            .get(code)
            .map(|coupon| (coupon.clone(), state.coupon_usage(code, customer))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_counts_whose_window_ended_are_pruned() {
        let store = MemoryStore::new(ShopConfig::default());
        let policy = shopcore::ThrottlePolicy::default();
        let start = DateTime::UNIX_EPOCH;
        for i in 0..THROTTLE_PRUNE_AT {
            let check = ThrottleCheck::registration(&policy, Some(&format!("10.{i}")));
            pollster::block_on(store.count_attempt(&check, start))
                .unwrap()
                .unwrap();
        }
        assert_eq!(store.lock().unwrap().throttle.len(), THROTTLE_PRUNE_AT);
        let later = start + policy.window;
        let check = ThrottleCheck::registration(&policy, Some("10.late"));
        pollster::block_on(store.count_attempt(&check, later))
            .unwrap()
            .unwrap();
        assert_eq!(store.lock().unwrap().throttle.len(), 1);
    }
}
