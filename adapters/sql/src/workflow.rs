//! Checkout and cancel: read, plan with the core, apply, in one transaction.
//!
//! A checkout locks its hot rows as late and as briefly as possible. It claims
//! its idempotency key (an `INSERT`), reads the products, their rules, the
//! region's rate and the buyer from one consistent snapshot (plain reads: one
//! price list as it stood at one instant, and no locks), plans, and applies
//! with [`apply_late`]: the order, its items, the notice and the key
//! binding first, then each product's stock taken by one conditional
//! statement in product-id order, then the points, then the ledger, then
//! `COMMIT` — the `inventory` and `customers` rows are locked only for those
//! last statements. If a product (or the buyer's points) no longer suffices
//! when its statement runs, the transaction rolls back and the checkout runs
//! once more in a fresh one that reads the same snapshot and then the
//! products and the buyer `FOR UPDATE`, as others left them, and plans from
//! those: its refusal is the one a locked checkout gives (naming the first
//! short product in cart order), and a plan that now succeeds (stock came
//! back meanwhile) is applied as planned with [`apply_plan`]. A coupon's row
//! is still locked before planning (it serialises the coupon's use count).
//!
//! A cancel locks its hot rows last too. It reads the `orders` row
//! `FOR UPDATE` (so its status is exact and two cancels of one order queue),
//! its products and customer from a plain snapshot, and plans with
//! [`plan_unlocked_cancel`]; then [`apply_late`] writes every effect but the
//! movements, in plan order (the order's status, the release of its units,
//! the refund of what was captured, the voids of its authorizations, the
//! notices and their deliveries), then the stock returned by one statement
//! (each row only while the level stays within `MAX_STOCK`), the points
//! (each statement guarded by the balance the plan started from), the
//! ledger, and commits. It answers the order as it read it under the lock,
//! changed as the plan says, rather than reading it again while it holds the
//! hot rows. If a guard fails — stock raised past room for the
//! units, or the balance changed since the snapshot — or the snapshot cannot
//! decide (see `shopcore::CancelConditions`), the transaction rolls back and
//! the cancel runs once more, locking in the order every locking write uses
//! so that transactions queue instead of deadlocking (the `orders` row → the
//! `inventory` rows in product-id order → the `customers` row), and applies
//! the plan of [`plan_cancel`] with [`apply_plan`].
//!
//! That second, locked attempt of a checkout or cancel is counted as a rerun
//! (cause `stale_snapshot`), and both attempts share the call's time budget.
//! Any error rolls the transaction back.
//!
//! Fault injection (feature `fault-injection`, for tests) makes the adapter
//! fail right after a chosen [`WriteStep`], to prove that a failure at any
//! point leaves no trace.

use crate::{SqlStore, WriteStep};
use async_trait::async_trait;
use const_format::concatcp;
use shopcore::{
    plan_cancel, plan_checkout, plan_unlocked_cancel, CancelError, CancelPlan, CancelSnapshot,
    CancelledOrder, Catalog, CheckoutError, CheckoutRequest, CheckoutSnapshot, CustomerId, Effect,
    IdempotencyKey, NotificationKind, Order, OrderId, OrderWorkflow, PlacedOrder, Release,
    RequestFingerprint, RetryCause, ShopConfig, StorageError, UnlockedCancelDecision,
    UnlockedCancelSnapshot,
};

use crate::apply::{apply_late, apply_plan, Applied, PointsGuard, Shortfall};
use crate::backend::Backend;
use crate::coupons::{select_coupon, select_usage};
use crate::error::is_duplicate_key;
use crate::repositories::{
    select_customer, select_notification, select_order, select_products,
    select_products_with_rules, select_tax_rate_and_customer, Read, SELECT_NOTIFICATIONS,
};
use crate::rows::utc;
use crate::stmt::query;
use crate::transaction::Attempt;

/// How a checkout, cancel or manual adjustment attempt knows the stock and
/// points it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HotRows {
    /// From an unlocked snapshot: moved at the end by guarded statements
    /// ([`apply_late`]); a failed guard ends the attempt.
    Snapshot,
    /// Read under `FOR UPDATE`, so that the plan is exact: applied as
    /// planned ([`apply_plan`]).
    Locked,
}

/// Why a checkout, cancel or adjustment attempt did not complete.
#[derive(Debug)]
pub(crate) enum NotDone<E> {
    /// A rule (or storage) refused it.
    Refused(E),
    /// The snapshot no longer matched the rows when they were moved, or could
    /// not decide: decide again from locked rows.
    Stale,
}

impl<E: From<StorageError>> From<StorageError> for NotDone<E> {
    fn from(error: StorageError) -> Self {
        NotDone::Refused(error.into())
    }
}

impl<E> From<Shortfall> for NotDone<E> {
    fn from(Shortfall: Shortfall) -> Self {
        NotDone::Stale
    }
}

impl<C: Backend> SqlStore<C> {
    /// Claims the customer's `key` for this transaction, or returns what an
    /// earlier checkout under it gives: its order (same request) or
    /// `idempotency_conflict`. Keys are scoped per customer.
    ///
    /// The claim is a plain `INSERT`: a concurrent holder of the key makes it
    /// wait until that transaction ends, then it fails as a duplicate (the
    /// holder committed: replay) or succeeds (the holder rolled back). Unlike a
    /// `SELECT … FOR UPDATE` of a missing row, it takes no gap locks, so
    /// concurrent first uses of a key queue instead of deadlocking.
    async fn claim_key(
        &self,
        conn: &mut C,
        customer: CustomerId,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Attempt<Option<PlacedOrder>, CheckoutError> {
        let claimed = query(
            "INSERT INTO idempotency_keys (customer_id, idempotency_key, fingerprint, order_id, created_at) \
             VALUES (?, ?, ?, 0, ?)",
        )
        .bind(customer.get())
        .bind(key.as_str())
        .bind(fingerprint.as_str())
        .bind(utc(now))
        .execute(&mut *conn)
        .await;
        match claimed {
            Ok(_) => {
                self.faults.check(WriteStep::KeyClaimed)?;
                return Ok(Ok(None));
            }
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let (stored_fingerprint, order_id): (String, i64) = query(
            "SELECT fingerprint, order_id FROM idempotency_keys \
             WHERE customer_id = ? AND idempotency_key = ? LOCK IN SHARE MODE",
        )
        .bind(customer.get())
        .bind(key.as_str())
        .fetch_one(&mut *conn)
        .await?;
        if stored_fingerprint != fingerprint.as_str() {
            return Ok(Err(CheckoutError::IdempotencyConflict {
                key: key.as_str().to_owned(),
            }));
        }
        let id = OrderId::new(order_id)
            .map_err(|e| StorageError::Failure(format!("idempotency_keys: {e}")))?;
        let order = select_order(conn, id, false).await?.ok_or_else(|| {
            StorageError::Failure(format!("idempotency key names missing order {id}"))
        })?;
        const CONFIRMATION: &str = concatcp!(
            SELECT_NOTIFICATIONS,
            "order_id = ? AND notification_type = 'order_confirmation' \
             ORDER BY notification_id LIMIT 1"
        );
        let confirmation = select_notification(&mut *conn, CONFIRMATION, order_id)
            .await?
            .ok_or_else(|| StorageError::Failure(format!("order {id} has no confirmation")))?;
        Ok(Ok(Some(PlacedOrder {
            order,
            confirmation,
            replayed: true,
        })))
    }

    /// One checkout attempt inside an open transaction, knowing the stock and
    /// points it moves by `reads`.
    async fn checkout_in(
        &self,
        conn: &mut C,
        request: &CheckoutRequest,
        key: Option<&IdempotencyKey>,
        reads: HotRows,
    ) -> Attempt<PlacedOrder, NotDone<CheckoutError>> {
        let now = self.clock.now();
        let fingerprint = key.map(|_| request.fingerprint());
        if let (Some(key), Some(fingerprint)) = (key, &fingerprint) {
            match self
                .claim_key(conn, request.customer_id, key, fingerprint, now)
                .await?
            {
                Ok(Some(placed)) => return Ok(Ok(placed)),
                Ok(None) => {}
                Err(conflict) => return Ok(Err(NotDone::Refused(conflict))),
            }
        }
        // One consistent price list: plain reads of one snapshot (the first
        // read fixes it), so every figure is as it stood at one instant, and
        // nothing is locked yet.
        let ids = request.cart.product_ids_sorted();
        let (mut catalog, rules) = select_products_with_rules(&mut *conn, &ids).await?;
        let region = request
            .region
            .as_ref()
            .unwrap_or(&self.config.default_region);
        let (tax_rates, mut customer) =
            select_tax_rate_and_customer(&mut *conn, region, request.customer_id).await?;
        // The coupon's row serialises every checkout using it; counted after
        // the lock, its use includes every order committed before.
        let coupon = match &request.coupon {
            Some(code) => match select_coupon(&mut *conn, code, true).await? {
                Some(coupon) => {
                    let usage =
                        select_usage(&mut *conn, code, Some(request.customer_id), Read::Shared)
                            .await?;
                    Some((coupon, usage))
                }
                None => None,
            },
            None => None,
        };
        if reads == HotRows::Locked {
            // In the lock order: products by id, then the buyer.
            let locked = select_products(&mut *conn, &ids, true).await?;
            take_stock_levels(&mut catalog, &locked);
            let buyer = select_customer(&mut *conn, request.customer_id, true).await?;
            if let (Some(snapshot), Some(locked)) = (customer.as_mut(), buyer) {
                snapshot.loyalty_points = locked.loyalty_points;
            }
        }
        let snapshot = CheckoutSnapshot {
            customer: customer.as_ref(),
            catalog: &catalog,
            rules: &rules,
            tax_rates: &tax_rates,
            coupon: coupon.as_ref().map(|(coupon, usage)| (coupon, *usage)),
        };
        let mut plan = match plan_checkout(request, &snapshot, &self.config, now) {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(NotDone::Refused(refused))),
        };
        if let (Some(key), Some(fingerprint)) = (key, fingerprint) {
            plan.bind_key(key.clone(), fingerprint);
        }
        let applied = match reads {
            HotRows::Snapshot => {
                match apply_late(conn, plan.plan(), PointsGuard::Enough, &self.faults).await? {
                    Ok(applied) => applied,
                    Err(stale) => return Ok(Err(stale.into())),
                }
            }
            HotRows::Locked => apply_plan(conn, plan.plan(), &self.faults).await?,
        };
        let Applied {
            order_id, notices, ..
        } = applied;
        let (Some(order_id), Some(confirmation)) = (order_id, notices.into_iter().next()) else {
            return Err(StorageError::Failure("a checkout plan placed no order".to_owned()).into());
        };
        Ok(Ok(PlacedOrder {
            order: plan.new_order().with_id(order_id),
            confirmation,
            replayed: false,
        }))
    }

    /// One cancel attempt inside an open transaction, reading its products
    /// and customer as `reads` says (the order row is always locked first).
    async fn cancel_in(
        &self,
        conn: &mut C,
        order_id: OrderId,
        reads: HotRows,
    ) -> Attempt<CancelledOrder, NotDone<CancelError>> {
        let now = self.clock.now();
        let Some(order) = select_order(conn, order_id, true).await? else {
            return Ok(Err(NotDone::Refused(CancelError::OrderNotFound(order_id))));
        };
        let mut ids: Vec<_> = order.items.iter().map(|i| i.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let lock = reads == HotRows::Locked;
        let catalog = select_products(&mut *conn, &ids, lock).await?;
        let customer = select_customer(&mut *conn, order.customer_id, lock).await?;
        let (plan, applied) = match reads {
            HotRows::Snapshot => {
                let snapshot = UnlockedCancelSnapshot {
                    order: &order,
                    customer: customer.as_ref(),
                    catalog: &catalog,
                };
                let plan = match plan_unlocked_cancel(&snapshot, now) {
                    UnlockedCancelDecision::Planned(unlocked) => unlocked.cancel,
                    UnlockedCancelDecision::Refused(refused) => {
                        return Ok(Err(NotDone::Refused(refused)))
                    }
                    UnlockedCancelDecision::DecideLocked => return Ok(Err(NotDone::Stale)),
                };
                // The plan's conditions are its movements' own guards: stock
                // within MAX_STOCK, points from the balance it started from.
                match apply_late(conn, plan.plan(), PointsGuard::Planned, &self.faults).await? {
                    Ok(applied) => (plan, applied),
                    Err(stale) => return Ok(Err(stale.into())),
                }
            }
            HotRows::Locked => {
                let snapshot = CancelSnapshot {
                    order: &order,
                    customer: customer.as_ref(),
                    catalog: &catalog,
                };
                let plan = match plan_cancel(&snapshot, now) {
                    Ok(plan) => plan,
                    Err(refused) => return Ok(Err(NotDone::Refused(refused))),
                };
                let applied = apply_plan(conn, plan.plan(), &self.faults).await?;
                (plan, applied)
            }
        };
        let order = cancelled(order, &plan, &applied)?;
        Ok(Ok(cancel_outcome(order, &plan, applied)?))
    }

    /// Runs `attempt` from an unlocked snapshot first and, if that went
    /// stale, once more from locked rows (counted as a rerun), within one
    /// time budget.
    pub(crate) async fn late_then_locked<T, E, F, Fut>(&self, attempt: F) -> Result<T, E>
    where
        E: From<StorageError>,
        F: Fn(HotRows) -> Fut,
        Fut: std::future::Future<Output = Result<T, NotDone<E>>>,
    {
        let mut reads = self.faults.first_reads();
        loop {
            match attempt(reads).await {
                Ok(done) => return Ok(done),
                Err(NotDone::Refused(refused)) => return Err(refused),
                Err(NotDone::Stale) if reads == HotRows::Snapshot => {
                    self.metrics.record_retry(RetryCause::StaleSnapshot);
                    reads = HotRows::Locked;
                }
                Err(NotDone::Stale) => {
                    return Err(StorageError::Failure(
                        "a write decided from locked rows found them changed".to_owned(),
                    )
                    .into())
                }
            }
        }
    }
}

/// `order`, as read before its cancel, made what `plan` (applied as
/// `applied` says) left stored: `cancelled` with its refund due, its
/// payments changed, its units released and its refund recorded — without
/// reading it again while the cancel holds its hot rows.
fn cancelled(
    mut order: Order,
    plan: &CancelPlan,
    applied: &Applied,
) -> Result<Order, StorageError> {
    let at = plan.plan().at();
    for effect in plan.plan().effects() {
        match effect {
            Effect::OrderCancelled { refund_due, .. } => {
                order.status = shopcore::OrderStatus::Cancelled;
                order.refund_due = *refund_due;
            }
            Effect::PaymentChanged {
                payment,
                status,
                amount_captured,
                amount_released,
                amount_refunded,
                ..
            } => {
                if let Some(stored) = order.payments.iter_mut().find(|p| p.id == *payment) {
                    stored.status = *status;
                    stored.amount_captured = *amount_captured;
                    stored.amount_released = *amount_released;
                    stored.amount_refunded = *amount_refunded;
                    stored.updated_at = at;
                }
            }
            Effect::UnitsReleased { release, .. } => order.releases.push(Release {
                cause: release.cause.resolve(applied.return_id)?,
                lines: release.lines.clone(),
                restocked: release.restocked,
                points_revoked: release.points_revoked,
                created_at: release.created_at,
            }),
            Effect::RefundRecorded(refund) => {
                let id = applied.refund_id.ok_or_else(|| {
                    StorageError::Failure("a refund was recorded without an id".to_owned())
                })?;
                order
                    .refunds
                    .push(refund.with_id(id, applied.return_id, at)?);
            }
            _ => {}
        }
    }
    Ok(order)
}

/// The answer to a cancel, whole or of some units: `order` as the cancel
/// left it, the notice it is about (the cancellation, or `units_cancelled`)
/// and the refund it recorded, if any.
pub(crate) fn cancel_outcome(
    order: Order,
    plan: &CancelPlan,
    applied: Applied,
) -> Result<CancelledOrder, StorageError> {
    let notice = applied
        .notices
        .into_iter()
        .find(|n| {
            matches!(
                n.kind,
                NotificationKind::OrderCancellation | NotificationKind::UnitsCancelled
            )
        })
        .ok_or_else(|| StorageError::Failure("a cancel plan logged no notice".to_owned()))?;
    let refund = applied
        .refund_id
        .map(|id| {
            order
                .refunds
                .iter()
                .find(|r| r.id == id)
                .cloned()
                .ok_or_else(|| {
                    StorageError::Failure(format!("refund {id} of the cancel was not stored"))
                })
        })
        .transpose()?;
    Ok(CancelledOrder {
        order,
        notice,
        points_returned: plan.points_returned,
        points_revoked: plan.points_revoked,
        points_balance: plan.points_after,
        refund_due: plan.refund_due,
        cancelled_lines: plan.cancelled_lines.clone(),
        refund,
    })
}

/// Sets each product's stock in `catalog` to the level `locked` read.
fn take_stock_levels(catalog: &mut Catalog, locked: &Catalog) {
    for product in locked.iter() {
        if let Some(snapshot) = catalog.get_mut(product.id) {
            snapshot.quantity_available = product.quantity_available;
        }
    }
}

#[async_trait]
impl<C: Backend> OrderWorkflow for SqlStore<C> {
    fn config(&self) -> &ShopConfig {
        &self.config
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    async fn checkout(
        &self,
        request: &CheckoutRequest,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<PlacedOrder, CheckoutError> {
        let reruns = &self.reruns();
        let outcome = self
            .late_then_locked(|reads| async move {
                in_transaction!(self, reruns, |conn| self.checkout_in(
                    conn,
                    request,
                    idempotency_key,
                    reads
                ))
            })
            .await;
        self.metrics.record_checkout(&outcome);
        outcome
    }

    async fn cancel(&self, order_id: OrderId) -> Result<CancelledOrder, CancelError> {
        let reruns = &self.reruns();
        self.late_then_locked(|reads| async move {
            in_transaction!(self, reruns, |conn| self.cancel_in(conn, order_id, reads))
        })
        .await
    }
}
