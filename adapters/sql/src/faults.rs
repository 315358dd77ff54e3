//! Fault injection (feature `fault-injection`, for tests): the adapter fails
//! right after a chosen [`WriteStep`], or runs a statement behind a plan's
//! back, to prove that a failure at any point leaves no trace. Without the
//! feature, [`Faults`] holds nothing and every check passes.

use crate::backend::Backend;
use crate::error::DbError;
use crate::stmt::query;
use crate::workflow::HotRows;
#[cfg(feature = "fault-injection")]
use crate::SqlStore;

/// The fault to inject, if any (always `None` without the `fault-injection` feature).
#[derive(Debug, Default)]
pub(crate) struct Faults {
    #[cfg(feature = "fault-injection")]
    after: std::sync::Mutex<Option<WriteStep>>,
    #[cfg(feature = "fault-injection")]
    before_apply: std::sync::Mutex<Option<String>>,
    #[cfg(feature = "fault-injection")]
    /// The pool to run it on (a `sqlx::Pool` of the store's backend) and the statement.
    committed_before_apply: std::sync::Mutex<Option<(Box<dyn std::any::Any + Send>, String)>>,
    #[cfg(feature = "fault-injection")]
    locked_only: std::sync::atomic::AtomicBool,
}

impl Faults {
    /// How a checkout, cancel or adjustment reads its hot rows first: from an unlocked
    /// snapshot, unless a test asked for locked rows at once.
    pub(crate) fn first_reads(&self) -> HotRows {
        #[cfg(feature = "fault-injection")]
        if self.locked_only.load(std::sync::atomic::Ordering::Relaxed) {
            return HotRows::Locked;
        }
        HotRows::Snapshot
    }

    pub(crate) fn check(&self, _step: WriteStep) -> Result<(), DbError> {
        #[cfg(feature = "fault-injection")]
        if self
            .after
            .lock()
            .map(|s| *s == Some(_step))
            .unwrap_or(false)
        {
            return Err(DbError::Injected(_step));
        }
        Ok(())
    }

    /// Runs the injected statements, if any, after planning and before the
    /// plan is applied: the one-shot committed write on a connection of its
    /// own, then the statement in the transaction.
    pub(crate) async fn before_apply<C: Backend>(&self, _conn: &mut C) -> Result<(), DbError> {
        #[cfg(feature = "fault-injection")]
        {
            let committed = self
                .committed_before_apply
                .lock()
                .ok()
                .and_then(|mut c| c.take());
            // Both statements are a test's own text (this feature is for
            // tests only), run as given: truly dynamic SQL.
            if let Some((pool, statement)) = committed {
                if let Ok(pool) = pool.downcast::<sqlx::Pool<C::Database>>() {
                    let mut other = pool.acquire().await?;
                    query(statement).execute(&mut *other).await?;
                }
            }
            let statement = self.before_apply.lock().ok().and_then(|s| s.clone());
            if let Some(statement) = statement {
                query(statement).execute(&mut *_conn).await?;
            }
        }
        Ok(())
    }
}

#[cfg(feature = "fault-injection")]
impl<C: Backend> SqlStore<C> {
    /// Makes every following write run `statement` in its transaction after
    /// planning, before applying (`None` to stop) — to change a row behind the
    /// plan's back. Test-only: needs the `fault-injection` feature.
    pub fn inject_statement_before_apply(&self, statement: Option<&str>) {
        if let Ok(mut before) = self.faults.before_apply.lock() {
            *before = statement.map(str::to_owned);
        }
    }

    /// Makes the next write that applies a plan run `statement` once, after
    /// planning and before applying, on another connection, committed — as a
    /// concurrent writer would, between a checkout's snapshot and its
    /// movements. Test-only: needs the `fault-injection` feature.
    pub fn inject_committed_write_before_apply(&self, statement: &str) {
        if let Ok(mut committed) = self.faults.committed_before_apply.lock() {
            *committed = Some((Box::new(self.pool.clone()), statement.to_owned()));
        }
    }

    /// Makes checkouts, cancels and adjustments decide from locked rows at once, as they do
    /// after a stale snapshot (`false`: from an unlocked snapshot first, the
    /// default) — so that a test can reach every step of that path.
    /// Test-only: needs the `fault-injection` feature.
    pub fn decide_from_locked_rows(&self, on: bool) {
        self.faults
            .locked_only
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Makes every following write fail right after `step` (`None` to stop).
    /// Test-only: needs the `fault-injection` feature.
    pub fn inject_fault_after(&self, step: Option<WriteStep>) {
        if let Ok(mut after) = self.faults.after.lock() {
            *after = step;
        }
    }

    /// Guards every transaction as on a Galera node, or none (see
    /// `transaction::Transaction`; by default, only on a Galera node), so
    /// that a test can show what the guard catches on any server.
    /// Test-only: needs the `fault-injection` feature.
    pub fn guard_transactions(mut self, on: bool) -> Self {
        self.guard_transactions = on;
        self
    }
}

/// The write steps: a cancel's in plan order, a checkout's in [`WriteStep::CHECKOUT`] order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriteStep {
    /// Checkout: the idempotency key was claimed (only with a key).
    KeyClaimed,
    /// The `orders` and `order_items` rows were inserted.
    OrderPlaced,
    /// The order's status was set to `cancelled`.
    OrderCancelled,
    /// Stock was moved.
    StockMoved,
    /// Points were moved.
    PointsMoved,
    /// A notification was logged.
    NoticeLogged,
    /// The idempotency key was pointed at the new order (only with a key).
    KeyBound,
    /// The plan's ledger entries were inserted.
    LedgerWritten,
    /// A session, password or staff key row was written.
    AccessChanged,
    /// A product, ladder, tax rate or change-log row was written.
    CatalogChanged,
    /// A payment row was inserted (and its order's settlement version bumped).
    PaymentRecorded,
    /// A payment's status and amounts were changed.
    PaymentChanged,
    /// Money ledger entries were inserted.
    MoneyMoved,
    /// A shipment and its lines were inserted.
    FulfillmentCreated,
    /// A return and its lines were inserted.
    ReturnCreated,
    /// A return's status was changed (received or rejected).
    ReturnChanged,
    /// A release of units and its lines were inserted.
    UnitsReleased,
    /// A refund, its lines and its parts were inserted.
    RefundRecorded,
}

impl WriteStep {
    /// The steps of a keyed checkout that earns points, in order: the hot
    /// rows (stock, points) last.
    pub const CHECKOUT: [WriteStep; 7] = [
        WriteStep::KeyClaimed,
        WriteStep::OrderPlaced,
        WriteStep::NoticeLogged,
        WriteStep::KeyBound,
        WriteStep::StockMoved,
        WriteStep::PointsMoved,
        WriteStep::LedgerWritten,
    ];
    /// The steps of a cancel that revokes points, in order: the hot rows
    /// (stock, points) last.
    pub const CANCEL: [WriteStep; 6] = [
        WriteStep::OrderCancelled,
        WriteStep::NoticeLogged,
        WriteStep::UnitsReleased,
        WriteStep::StockMoved,
        WriteStep::PointsMoved,
        WriteStep::LedgerWritten,
    ];
    /// The steps of a cancel decided from locked rows (after its unlocked
    /// snapshot went stale): those of [`WriteStep::CANCEL`], in its plan's order.
    pub const LOCKED_CANCEL: [WriteStep; 6] = WriteStep::CANCEL;
    /// The steps of a payment captured at once, in order.
    pub const PAYMENT: [WriteStep; 3] = [
        WriteStep::PaymentRecorded,
        WriteStep::MoneyMoved,
        WriteStep::NoticeLogged,
    ];
    /// The steps of a capture (or a void) of an authorized payment, in order.
    pub const CAPTURE: [WriteStep; 3] = [
        WriteStep::PaymentChanged,
        WriteStep::MoneyMoved,
        WriteStep::NoticeLogged,
    ];
    /// The steps of a shipment, in order.
    pub const FULFILLMENT: [WriteStep; 2] =
        [WriteStep::FulfillmentCreated, WriteStep::NoticeLogged];
    /// The steps a cancel adds for each open authorization it voids, after
    /// its own (see [`WriteStep::CANCEL`]).
    pub const CANCEL_VOIDS: [WriteStep; 2] = [WriteStep::PaymentChanged, WriteStep::MoneyMoved];
    /// The steps of a release of units that revokes points (some units
    /// cancelled, or a return received), as they first occur in its plan;
    /// a return's own step comes first ([`WriteStep::ReturnCreated`] or
    /// [`WriteStep::ReturnChanged`]).
    pub const RELEASE: [WriteStep; 5] = [
        WriteStep::NoticeLogged,
        WriteStep::UnitsReleased,
        WriteStep::StockMoved,
        WriteStep::PointsMoved,
        WriteStep::LedgerWritten,
    ];
    /// The steps of a refund, in order (a release that refunds captured
    /// money adds them to its own).
    pub const REFUND: [WriteStep; 4] = [
        WriteStep::RefundRecorded,
        WriteStep::PaymentChanged,
        WriteStep::MoneyMoved,
        WriteStep::NoticeLogged,
    ];
}
