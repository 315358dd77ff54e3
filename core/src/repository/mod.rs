//! The ports: async repository traits every storage adapter implements.
//!
//! The core never does I/O; it states what it needs here and adapters
//! (`shopcore-memory`, `shopcore-mysql`) provide it. All adapters must give the
//! same results and the same error codes; the conformance suite
//! (`tests/conformance`) checks that against each of them.
//!
//! Every write method follows one shape: the adapter locks what the write
//! reads, runs the pure planner, and applies the returned [`Plan`]
//! through its single `apply`, whole or not at all. The unit of work,
//! [`OrderWorkflow`], holds checkout and cancel; adjustments and logging are
//! planned the same way.
//!
//! Code that needs a store asks only for the ports it uses, so it runs on
//! every adapter:
//!
//! ```
//! use shopcore::{CatalogRepository, ProductId, StorageError};
//!
//! /// The units of `id` in stock, or `None` for an unknown product.
//! async fn in_stock<C: CatalogRepository + ?Sized>(
//!     catalog: &C,
//!     id: ProductId,
//! ) -> Result<Option<u32>, StorageError> {
//!     match catalog.product(id).await {
//!         Ok(product) => Ok(Some(product.quantity_available)),
//!         Err(shopcore::CatalogError::UnknownProduct(_)) => Ok(None),
//!         Err(shopcore::CatalogError::Storage(failure)) => Err(failure),
//!         Err(other) => Err(StorageError::Failure(other.to_string())),
//!     }
//! }
//! ```

pub(crate) mod metrics;

use crate::{CatalogError, CustomerError, LookupError};
use async_trait::async_trait;

use chrono::{DateTime, Utc};

use crate::access::throttle::{ThrottleCheck, ThrottleCounts, ThrottleKey};
use crate::access::{Actor, StaffKey, TokenHash};
use crate::admin::catalog::{AdminError, Administered, CatalogCommand};
use crate::audit::Books;
use crate::catalog::{Catalog, Product, RuleBook, TaxTable};
use crate::config::ShopConfig;
use crate::error::StorageError;
use crate::lifecycle::cancel::CancelError;
use crate::lifecycle::checkout::CheckoutRequest;
use crate::lifecycle::fulfillment::{FulfillmentError, FulfillmentRequest};
use crate::lifecycle::payment::{PaymentError, PaymentRequest};
use crate::lifecycle::returns::{
    RefundRequest, Replayed, ReturnError, ReturnRequest, ReturnRequester,
};
use crate::orders::customer::{Customer, CustomerCredentials, NewCustomer, ProfileUpdate};
use crate::orders::fulfillment::Fulfillment;
use crate::orders::notification::{Notification, NotificationFilter, NotificationKind};
use crate::orders::order::{Order, OrderFilter};
use crate::orders::payment::Payment;
use crate::orders::returns::{LineQuantity, Refund, ReleasedLine, Return, ReturnStatus};
use crate::outbox::{
    Delivery, DeliveryOutcome, DeliveryStatus, DueDelivery, NewWebhook, OutboxError,
    WebhookEndpoint,
};
use crate::plan::catalog_change::CatalogChange;
use crate::plan::Plan;
use crate::pricing::coupon::{
    Coupon, CouponAdminError, CouponCode, CouponPatch, CouponRecord, CouponUsage,
};
use crate::repository::metrics::Instrumented;
use crate::values::ids::{
    ChangeId, CustomerId, DeliveryId, NotificationId, OrderId, PaymentId, ProductId, ReturnId,
    StaffKeyId, WebhookId,
};
use crate::values::money::Money;
use crate::values::page::{Page, PageLimit};
use crate::values::text::{Email, IdempotencyKey};

/// Coupons, administered by staff.
///
/// Creation and changes are planned by the core
/// ([`plan_coupon_creation`](crate::plan_coupon_creation),
/// [`plan_coupon_update`](crate::plan_coupon_update)) against the stored
/// coupon read under a lock, and applied through the store's one `apply`.
#[async_trait]
pub trait CouponRepository: Send + Sync {
    /// Creates a coupon; `coupon_exists` if its code is taken.
    async fn create_coupon(&self, coupon: Coupon) -> Result<CouponRecord, CouponAdminError>;

    /// Changes a coupon; `coupon_unknown` if there is none with this code.
    async fn update_coupon(
        &self,
        code: &CouponCode,
        patch: &CouponPatch,
    ) -> Result<CouponRecord, CouponAdminError>;

    /// One coupon with how often it is in use, if it exists.
    async fn coupon(&self, code: &CouponCode) -> Result<Option<CouponRecord>, StorageError>;

    /// Every coupon, by code.
    async fn coupons(&self) -> Result<Vec<Coupon>, StorageError>;

    /// A coupon with its use by everyone and by `customer` (not locked: for quotes).
    async fn coupon_usage(
        &self,
        code: &CouponCode,
        customer: Option<CustomerId>,
    ) -> Result<Option<(Coupon, CouponUsage)>, StorageError>;
}

/// Products, stock, pricing rules and tax rates.
#[async_trait]
pub trait CatalogRepository: Send + Sync {
    /// One product.
    async fn product(&self, id: ProductId) -> Result<Product, CatalogError>;

    /// Every product, ordered by id (for tools and tests: services list
    /// [`product_page`](Self::product_page)s).
    async fn products(&self) -> Result<Vec<Product>, StorageError>;

    /// Products by id: at most `limit` after `after`; retired ones only with
    /// `include_retired`.
    async fn product_page(
        &self,
        after: Option<ProductId>,
        limit: PageLimit,
        include_retired: bool,
    ) -> Result<Page<Product, ProductId>, StorageError>;

    /// The products among `ids` that exist (a read, not a lock).
    async fn catalog_snapshot(&self, ids: &[ProductId]) -> Result<Catalog, StorageError>;

    /// The pricing rules of the products among `ids`.
    async fn pricing_rules(&self, ids: &[ProductId]) -> Result<RuleBook, StorageError>;

    /// Every tax rate.
    async fn tax_rates(&self) -> Result<TaxTable, StorageError>;

    /// Adds `change` (negative to remove) to a product's stock, atomically.
    ///
    /// Fails with `insufficient_stock` below zero and `stock_out_of_range` above
    /// [`MAX_STOCK`](crate::MAX_STOCK); the stock is then unchanged.
    async fn adjust_stock(&self, id: ProductId, change: i64) -> Result<Product, CatalogError>;
}

/// Customer accounts and loyalty points.
#[async_trait]
pub trait CustomerRepository: Send + Sync {
    /// Registers a customer with 0 points; fails with `email_taken` if the email is in use.
    async fn create_customer(&self, new: NewCustomer) -> Result<Customer, CustomerError>;

    /// One customer.
    async fn customer(&self, id: CustomerId) -> Result<Customer, CustomerError>;

    /// The profile and password hash registered under `email`, if any.
    async fn customer_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<CustomerCredentials>, StorageError>;

    /// Adds `change` (negative to take away) to a customer's points, atomically.
    ///
    /// Fails with `insufficient_points` below zero; the balance is then unchanged.
    async fn adjust_points(&self, id: CustomerId, change: i64) -> Result<Customer, CustomerError>;

    /// Changes a customer's name, email or phone, atomically
    /// ([`plan_profile_update`](crate::plan_profile_update)); `email_taken` if
    /// the new email is another customer's.
    async fn update_profile(
        &self,
        id: CustomerId,
        update: &ProfileUpdate,
    ) -> Result<Customer, CustomerError>;

    /// Customers by id: at most `limit` after `after`.
    async fn customers(
        &self,
        after: Option<CustomerId>,
        limit: PageLimit,
    ) -> Result<Page<Customer, CustomerId>, StorageError>;
}

/// Placed orders.
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// One order with its items.
    async fn order(&self, id: OrderId) -> Result<Order, LookupError>;

    /// A customer's orders, newest first; empty (not an error) if there are none,
    /// `unknown_customer` if the customer does not exist (for tools and tests:
    /// services list [`order_page`](Self::order_page)s).
    async fn orders_of_customer(&self, id: CustomerId) -> Result<Vec<Order>, LookupError>;

    /// The orders that match `filter`, newest first: at most `limit` older
    /// than `before`.
    async fn order_page(
        &self,
        filter: &OrderFilter,
        before: Option<OrderId>,
        limit: PageLimit,
    ) -> Result<Page<Order, OrderId>, StorageError>;
}

/// The notification log.
#[async_trait]
pub trait NotificationRepository: Send + Sync {
    /// Logs a notification about an existing order to an existing customer.
    async fn log_notification(
        &self,
        order_id: OrderId,
        customer_id: CustomerId,
        kind: NotificationKind,
        message: String,
    ) -> Result<Notification, LookupError>;

    /// The log rows that match `filter`, newest first (for tools and tests:
    /// services list [`notification_page`](Self::notification_page)s).
    async fn notifications(
        &self,
        filter: NotificationFilter,
    ) -> Result<Vec<Notification>, StorageError>;

    /// The log rows that match `filter`, newest first: at most `limit` older
    /// than `before`.
    async fn notification_page(
        &self,
        filter: NotificationFilter,
        before: Option<NotificationId>,
        limit: PageLimit,
    ) -> Result<Page<Notification, NotificationId>, StorageError>;
}

/// Which channels a dispatcher claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelFilter {
    /// Claim email deliveries (a dispatcher without an SMTP server leaves them pending).
    pub email: bool,
    /// Claim webhook deliveries.
    pub webhooks: bool,
}

/// The outbox of notification deliveries and the webhook endpoints (see the
/// [`outbox`](crate::channels_for) policy).
///
/// Deliveries are created by the adapter's one `apply`, in the transaction
/// that logs their notification: one per channel of
/// [`channels_for`](crate::channels_for) over the endpoints live at that moment.
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Claims up to `limit` pending deliveries due at `now` on the `channels`,
    /// oldest due first, and holds them until `lease_until`: each one's attempt
    /// count goes up by one, and it is not due again before the lease ends.
    /// Concurrent claimers never get the same delivery while its lease runs.
    async fn claim_due(
        &self,
        channels: ChannelFilter,
        limit: PageLimit,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>, StorageError>;

    /// Records how attempt `attempt` of delivery `id` ended; `false` (nothing
    /// written) if the delivery is no longer at that attempt or not pending —
    /// its lease ran out and another claim took it over.
    async fn record_outcome(
        &self,
        id: DeliveryId,
        attempt: u32,
        outcome: &DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    /// The deliveries of these notifications, by notification then delivery id.
    async fn deliveries(
        &self,
        notifications: &[NotificationId],
    ) -> Result<Vec<Delivery>, StorageError>;

    /// Notifications with at least one delivery in `status`, newest first: at
    /// most `limit` older than `before`.
    async fn notifications_by_delivery(
        &self,
        status: DeliveryStatus,
        before: Option<NotificationId>,
        limit: PageLimit,
    ) -> Result<Page<Notification, NotificationId>, StorageError>;

    /// Makes the failed deliveries of notification `id` pending again, due at
    /// `now` with a fresh count of attempts; answers them.
    async fn retry_failed(
        &self,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, OutboxError>;

    /// Stores a new endpoint (its secret kept for signing, never listed).
    async fn create_webhook(
        &self,
        new: &NewWebhook,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint, StorageError>;

    /// The live endpoints, by id.
    async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, StorageError>;

    /// Deletes an endpoint: it gets no new deliveries, and its pending ones
    /// fail at their next attempt.
    async fn delete_webhook(&self, id: WebhookId, now: DateTime<Utc>) -> Result<(), OutboxError>;
}

/// Sessions, passwords and staff keys.
///
/// Reads answer only live rows: an expired or revoked session has no owner, a
/// revoked key is not found by its hash. Writes are plans from the access
/// planners ([`plan_session`](crate::plan_session) and its siblings), applied
/// through the adapter's one `apply`; the use cases over them are in [`crate::auth`].
#[async_trait]
pub trait AccessRepository: Send + Sync {
    /// The customer whose session has this token hash, if it is neither expired at `now` nor revoked.
    async fn session_owner(
        &self,
        token: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError>;

    /// The unrevoked staff key with this hash.
    async fn staff_key_by_hash(&self, key: &TokenHash) -> Result<Option<StaffKey>, StorageError>;

    /// The revoked staff key with this hash, if its secret was revoked: a
    /// secret, once revoked, is never valid or issued again (the one read that
    /// answers a revoked row, so that installing it can say so).
    async fn revoked_staff_key_by_hash(
        &self,
        key: &TokenHash,
    ) -> Result<Option<StaffKey>, StorageError>;

    /// One staff key, revoked or not.
    async fn staff_key(&self, id: StaffKeyId) -> Result<Option<StaffKey>, StorageError>;

    /// Every staff key, by id.
    async fn staff_keys(&self) -> Result<Vec<StaffKey>, StorageError>;

    /// Applies a plan of the access planners, atomically; answers the id
    /// storage gave the staff key the plan issued, if it issued one.
    async fn apply_access_plan(&self, plan: &Plan) -> Result<Option<StaffKeyId>, StorageError>;
}

/// The counts of the throttles (see [`ThrottleCheck`]), kept in the store so
/// that every process and host using it counts together.
///
/// A store keeps one [`ThrottleCount`](crate::ThrottleCount) per [`ThrottleKey`] and prunes counts
/// whose window has ended, so they cannot grow without bound.
#[async_trait]
pub trait ThrottleRepository: Send + Sync {
    /// The stored counts of `keys` (a plain read, nothing locked); keys that
    /// count nothing are absent.
    async fn throttle_counts(
        &self,
        keys: &[ThrottleKey],
        now: DateTime<Utc>,
    ) -> Result<ThrottleCounts, StorageError>;

    /// Counts one attempt of `check` at `now`, atomically with its decision:
    /// reads the counts of [`ThrottleCheck::keys`] under a lock, runs
    /// [`ThrottleCheck::plan_attempt`] and, if admitted, writes the new
    /// counts. Answers the decision (`Err(wait)`: refused, nothing written).
    async fn count_attempt(
        &self,
        check: &ThrottleCheck,
        now: DateTime<Utc>,
    ) -> Result<Result<(), chrono::Duration>, StorageError>;

    /// Forgets the counts of `keys`.
    async fn clear_throttle(&self, keys: &[ThrottleKey]) -> Result<(), StorageError>;
}

/// Administering the catalog (see [`plan_catalog_change`](crate::plan_catalog_change)).
#[async_trait]
pub trait CatalogAdministration: Send + Sync {
    /// Carries out `command` for `actor`: locks what it changes, plans, and
    /// applies the change with its change-log entry in one transaction.
    /// Answers the subject as it is now.
    async fn administer(
        &self,
        actor: &Actor,
        command: &CatalogCommand,
    ) -> Result<Administered, AdminError>;

    /// The change log, oldest first: at most `limit` entries after `after`.
    async fn catalog_changes(
        &self,
        after: Option<ChangeId>,
        limit: PageLimit,
    ) -> Result<Page<CatalogChange, ChangeId>, StorageError>;
}

/// Whether the store can serve requests now (a readiness probe).
#[async_trait]
pub trait Readiness: Send + Sync {
    /// `Ok` if the store answered a trivial query within `timeout` and its
    /// schema is current; `storage_unavailable` (or `storage_failure` for an
    /// outdated schema) otherwise.
    async fn ready(&self, timeout: std::time::Duration) -> Result<(), StorageError>;
}

/// The books: what the [`audit`](crate::audit()) reads.
#[async_trait]
pub trait BooksRepository: Send + Sync {
    /// Every balance, order, notice and ledger entry, read consistently
    /// (one lock, or one transaction).
    async fn books(&self) -> Result<Books, StorageError>;
}

/// The result of a checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedOrder {
    /// The stored order.
    pub order: Order,
    /// The logged confirmation.
    pub confirmation: Notification,
    /// `true` when an idempotency key replayed an earlier checkout: nothing changed.
    pub replayed: bool,
}

/// The result of a cancel, of the whole order or of some of its units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelledOrder {
    /// The order as it is now: `cancelled`, or still `created` when units remain.
    pub order: Order,
    /// The logged notice: the cancellation, or `units_cancelled`.
    pub notice: Notification,
    /// Redeemed points given back to the customer.
    pub points_returned: u64,
    /// Earned points taken back: all the order still held for a whole
    /// cancel, else what the kept units no longer earn.
    pub points_revoked: u64,
    /// The customer's points once cancelled; below zero, points owed.
    pub points_balance: i64,
    /// What is refunded: what was paid for the cancelled units beyond what
    /// the kept units cost.
    pub refund_due: Money,
    /// What each line gave up.
    pub cancelled_lines: Vec<ReleasedLine>,
    /// The refund record, if money was refunded.
    pub refund: Option<Refund>,
}

/// The result of a return, its receipt or rejection, or a goodwill refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnOutcome {
    /// The order as it is now, with its returns and refunds.
    pub order: Order,
    /// The return created or changed (`None` for a goodwill refund).
    pub returned: Option<Return>,
    /// The refund recorded, if any.
    pub refund: Option<Refund>,
    /// The notices logged (`return_received`, `refund_created`, …).
    pub notices: Vec<Notification>,
    /// `true` when an idempotency key replayed an earlier request: nothing changed.
    pub replayed: bool,
}

impl ReturnOutcome {
    /// The answer to a request its key replays: the first return and
    /// refund, as `order` holds them; nothing was written or logged.
    pub fn replay(order: Order, replay: Replayed) -> Self {
        let returned = replay
            .return_id
            .and_then(|id| order.return_record(id).cloned());
        let refund = replay.refund_id.and_then(|id| order.refund(id).cloned());
        ReturnOutcome {
            order,
            returned,
            refund,
            notices: Vec::new(),
            replayed: true,
        }
    }
}

/// The result of recording, capturing or voiding a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentOutcome {
    /// The order as it is now, with its payments.
    pub order: Order,
    /// The payment as it is now.
    pub payment: Payment,
    /// `true` when a reference replayed an earlier payment: nothing changed.
    pub replayed: bool,
    /// The notices logged (`payment_captured`, `order_paid`, `payment_voided`).
    pub notices: Vec<Notification>,
}

/// The result of a shipment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FulfilledOrder {
    /// The order as it is now, with its fulfillments.
    pub order: Order,
    /// The shipment recorded.
    pub fulfillment: Fulfillment,
    /// The notices logged (`fulfillment_created`, `order_fulfilled`).
    pub notices: Vec<Notification>,
}

/// After the order is placed: its payments and shipments, each locked on
/// the order, planned by the core and applied whole or not at all.
///
/// Every method locks the order (so two payments, two shipments, or a
/// payment, a shipment and a cancel of one order are decided one after the
/// other), reads its payments and fulfillments, runs the planner
/// ([`plan_payment`](crate::plan_payment), [`plan_capture`](crate::plan_capture),
/// [`plan_void`](crate::plan_void), [`plan_fulfillment`](crate::plan_fulfillment))
/// and applies the plan through the store's one `apply`.
#[async_trait]
pub trait OrderSettlement: Send + Sync {
    /// Records a payment of an order, captured at once or only authorized.
    /// The same reference and amount again answers the first payment
    /// (`replayed`); nothing is written.
    async fn record_payment(
        &self,
        order_id: OrderId,
        request: &PaymentRequest,
    ) -> Result<PaymentOutcome, PaymentError>;

    /// Captures an authorized payment: all of it, or `amount` of it (the rest
    /// is released).
    async fn capture_payment(
        &self,
        order_id: OrderId,
        payment_id: PaymentId,
        amount: Option<Money>,
    ) -> Result<PaymentOutcome, PaymentError>;

    /// Voids an authorized payment.
    async fn void_payment(
        &self,
        order_id: OrderId,
        payment_id: PaymentId,
    ) -> Result<PaymentOutcome, PaymentError>;

    /// Records a shipment of an order's units.
    async fn fulfill(
        &self,
        order_id: OrderId,
        request: &FulfillmentRequest,
    ) -> Result<FulfilledOrder, FulfillmentError>;
}

/// What comes back from an order: partial cancels, returns and refunds, each
/// locked on the order, planned by the core and applied whole or not at all.
///
/// Every method locks the order, reads it with its records, runs the
/// planner ([`plan_partial_cancel`](crate::plan_partial_cancel),
/// [`plan_return`](crate::plan_return),
/// [`plan_receive_return`](crate::plan_receive_return),
/// [`plan_reject_return`](crate::plan_reject_return),
/// [`plan_refund`](crate::plan_refund)) with the store's loyalty policy, and
/// applies the plan through the store's one `apply`.
#[async_trait]
pub trait OrderReturns: Send + Sync {
    /// Cancels some units that have not shipped; every remaining unit of an
    /// order with nothing shipped is the whole cancel.
    async fn cancel_units(
        &self,
        order_id: OrderId,
        lines: &[LineQuantity],
    ) -> Result<CancelledOrder, CancelError>;

    /// Creates a return of shipped units: received at once for staff,
    /// requested for the customer.
    async fn create_return(
        &self,
        order_id: OrderId,
        request: &ReturnRequest,
        by: ReturnRequester,
    ) -> Result<ReturnOutcome, ReturnError>;

    /// Receives a requested return (restocked as asked, or as `restock` says).
    async fn receive_return(
        &self,
        return_id: ReturnId,
        restock: Option<bool>,
    ) -> Result<ReturnOutcome, ReturnError>;

    /// Rejects a requested return.
    async fn reject_return(&self, return_id: ReturnId) -> Result<ReturnOutcome, ReturnError>;

    /// Records a goodwill refund.
    async fn refund(
        &self,
        order_id: OrderId,
        request: &RefundRequest,
    ) -> Result<ReturnOutcome, ReturnError>;

    /// Returns of every order, by id; only those in `status` if given (for
    /// tools and tests: services list [`return_page`](Self::return_page)s).
    async fn returns(&self, status: Option<ReturnStatus>) -> Result<Vec<Return>, StorageError>;

    /// Returns by id: at most `limit` after `after`; only those in `status` if given.
    async fn return_page(
        &self,
        status: Option<ReturnStatus>,
        after: Option<ReturnId>,
        limit: PageLimit,
    ) -> Result<Page<Return, ReturnId>, StorageError>;
}

/// The unit of work: checkouts and cancels applied whole or not at all.
#[async_trait]
pub trait OrderWorkflow: CatalogRepository + CustomerRepository + CouponRepository {
    /// The policies this store plans with.
    fn config(&self) -> &ShopConfig;

    /// Places an order atomically: stock, order, items, points, confirmation.
    ///
    /// With an `idempotency_key`, a replay of the same request returns the first
    /// order (`replayed = true`) and changes nothing; the same key with another
    /// request fails with `idempotency_conflict`.
    async fn checkout(
        &self,
        request: &CheckoutRequest,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<PlacedOrder, crate::CheckoutError>;

    /// Cancels a `created` order with nothing shipped, atomically: restock,
    /// revoke points, void open authorizations, record the refund due, notice.
    async fn cancel(&self, order_id: OrderId) -> Result<CancelledOrder, CancelError>;

    /// The store's clock: the "now" of its plans and of coupon validity.
    fn now(&self) -> DateTime<Utc>;
}

/// Everything an adapter provides; implemented automatically.
pub trait Store:
    OrderWorkflow
    + OrderSettlement
    + OrderReturns
    + CustomerRepository
    + OrderRepository
    + NotificationRepository
    + OutboxRepository
    + BooksRepository
    + AccessRepository
    + ThrottleRepository
    + CatalogAdministration
    + Readiness
    + Instrumented
{
}

impl<T> Store for T where
    T: OrderWorkflow
        + OrderSettlement
        + OrderReturns
        + CustomerRepository
        + OrderRepository
        + NotificationRepository
        + OutboxRepository
        + BooksRepository
        + AccessRepository
        + ThrottleRepository
        + CatalogAdministration
        + Readiness
        + Instrumented
{
}
