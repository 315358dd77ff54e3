//! # shopcore
//!
//! The business rules of an e-commerce order backend as a pure Rust library:
//! order validation, pricing with quantity-tier discounts, tax by region with
//! explicit decimal rounding, stock and loyalty rules, the order lifecycle and
//! notification texts. No I/O and no async runtime: storage sits behind the
//! async repository traits in [`repository`], implemented by the adapter
//! crates `shopcore-memory` and `shopcore-mysql`.
//!
//! The design follows "decide, then apply": [`plan_checkout`], [`plan_cancel`],
//! [`plan_stock_adjustment`], [`plan_points_adjustment`] and [`plan_notice`]
//! are pure functions from a locked snapshot to a [`Plan`] (or a domain
//! error): an ordered list of [`Effect`]s carrying their resulting values,
//! every stock and points movement a ledger entry. Adapters have one `apply`
//! for plans and run it atomically; [`audit()`] checks from the exported
//! [`Books`] that every unit and point is accounted for.
//!
//! ```
//! use shopcore::{quote, seed, Cart, CartLine, PricingPolicy, ProductId, Quantity};
//! let data = seed::demo_data();
//! let cart = Cart::new([CartLine {
//!     product_id: ProductId::new(1).unwrap(),
//!     quantity: Quantity::new(5).unwrap(),
//! }])
//! .unwrap();
//! let q = quote(&cart, &data.catalog(), &data.rule_book(), "14".parse().unwrap(),
//!               &PricingPolicy::default()).unwrap();
//! assert_eq!(q.lines[0].discount.to_string(), "500.00"); // 10 % of 4999.95 = 499.995, half-up
//! assert_eq!(q.total.to_string(), "5129.94");
//! ```
//!
//! ## Layout
//!
//! The crate is cut into areas, one folder each, that import each other
//! without a cycle (`scripts/core-deps.py`, run by `make test`, fails on
//! one). Every public name is re-exported here, at the crate root. From the
//! bottom up:
//!
//! - [`error`]: error kinds, categories and the [`ErrorCode`] trait;
//! - `values`: value types that parse, not validate — [`Money`], [`Quantity`],
//!   [`Percent`], the ids, the text fields, [`Page`]s and the [`Clock`];
//! - `catalog`: products, tier ladders, tax tables ([`Catalog`], [`RuleBook`],
//!   [`TaxTable`]) and [`Cart`]s;
//! - `access`: [`Actor`], [`Action`] and [`authorize`], the one access
//!   policy; tokens and staff keys; the throttles' rules ([`ThrottleCheck`]);
//! - `pricing`: [`quote`] and [`quote_with`] (coupon and points), [`Coupon`]
//!   rules, loyalty, [`PriceList`] and [`audit_pricing`]; `config`: [`ShopConfig`];
//! - `orders`: orders, customers and notifications as stored and read;
//! - `plan`: [`Plan`] and [`Effect`], the one write contract, with the
//!   payloads it carries and the ledger entries;
//! - `lifecycle`: the order's life as planners — [`plan_checkout`],
//!   [`plan_cancel`], adjustments, [`plan_notice`];
//! - `admin`: staff administration as planners — the catalog
//!   ([`plan_catalog_change`]), coupons, customer profiles;
//! - `audit`: the books-balance [`audit()`] over any store's [`Books`];
//! - `outbox`: delivery of notifications by email and webhooks;
//! - [`repository`]: the ports adapters implement, and what a store counts
//!   ([`StoreMetrics`], [`Instrumented`]);
//! - `use_cases`: compositions over the ports — [`quote_order`],
//!   [`price_list`], [`quote_throttled`], [`checkout_throttled`],
//!   [`resend_confirmation`], the store-wide audits ([`audit_store_books`],
//!   [`audit_store_pricing`]) and the reads front ends share;
//! - [`auth`]: passwords (Argon2id), registration, login, sessions and staff
//!   keys over the ports, and the [`PasswordWorker`] they hash on;
//! - [`seed`]: the original backend's seed data; `testing` (feature
//!   `proptest`): strategies for property tests of pricing rules.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod access;
mod admin;
mod audit;
pub mod auth;
mod catalog;
mod config;
pub mod error;
mod lifecycle;
mod orders;
mod outbox;
mod plan;
#[cfg(test)]
mod planner_test;
mod pricing;
pub mod repository;
pub mod seed;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod testing;
mod use_cases;
mod values;

pub use access::throttle::{
    ThrottleCheck, ThrottleCount, ThrottleCounts, ThrottleKey, ThrottlePolicy, Throttled,
};
pub use access::{
    authorize, key_strength_bits, AccessError, AccessToken, Action, Actor, SessionScope, StaffKey,
    StaffRole, TokenHash, TokenKind, MIN_CHOSEN_KEY_BITS,
};
pub use admin::catalog::{
    plan_catalog_change, AdminError, AdminSnapshot, Administered, CatalogCommand, CatalogPlan,
};
pub use admin::coupon::{plan_coupon_creation, plan_coupon_update, saved_coupon};
pub use admin::profile::{plan_profile_update, ProfileChange};
pub use audit::{audit, Account, Books, Discrepancy, Opening, OrderProblem};
pub use auth::password_work::{
    InlinePasswordWorker, PasswordWork, PasswordWorkDone, PasswordWorkKind, PasswordWorker,
};
pub use auth::sessions::{
    plan_logout, plan_password_change, plan_session, plan_staff_key, plan_staff_key_revocation,
    IssuedStaffKey, OpenedSession,
};
pub use auth::{LoginError, Password};
pub use catalog::cart::{Cart, CartError, CartLine};
pub use catalog::{
    Catalog, CatalogError, LadderError, PricingRule, Product, RuleBook, TaxTable, TierLadder,
    TierRung,
};
pub use config::ShopConfig;
pub use error::{ErrorCategory, ErrorCode, ErrorKind, StorageError, ValueError};
pub use lifecycle::adjustment::{
    plan_points_adjustment, plan_stock_adjustment, points_after_change, stock_after_change,
    PointsAdjustment, StockAdjustment,
};
pub use lifecycle::cancel::{
    plan_cancel, plan_partial_cancel, plan_unlocked_cancel, CancelConditions, CancelError,
    CancelPlan, CancelSnapshot, UnlockedCancelDecision, UnlockedCancelPlan, UnlockedCancelSnapshot,
};
pub use lifecycle::checkout::{
    plan_checkout, CheckoutError, CheckoutPlan, CheckoutRequest, CheckoutSnapshot,
};
pub use lifecycle::fulfillment::{
    plan_fulfillment, FulfillmentError, FulfillmentPlan, FulfillmentRequest, FulfillmentSnapshot,
};
pub use lifecycle::notice::plan_notice;
pub use lifecycle::payment::{
    plan_capture, plan_payment, plan_void, PaymentDecision, PaymentError, PaymentPlan,
    PaymentRequest, SettlementSnapshot,
};
pub use lifecycle::returns::{
    plan_receive_return, plan_refund, plan_reject_return, plan_return, RefundRequest, Replayed,
    ReturnError, ReturnPlan, ReturnRequest, ReturnRequester, ReturnSnapshot,
};
pub use orders::customer::{
    Customer, CustomerCredentials, CustomerError, NewCustomer, ProfileUpdate, MAX_POINTS,
};
pub use orders::fulfillment::{Fulfillment, FulfillmentLine, FulfillmentStatus, NewFulfillment};
pub use orders::notification::{
    ConfirmationDraft, NoticeTargets, Notification, NotificationFilter, NotificationKind,
};
pub use orders::order::{
    LookupError, NewOrder, Order, OrderFilter, OrderItem, OrderStatus, Released, RequestFingerprint,
};
pub use orders::payment::{
    MoneyEntry, MoneyKind, NewPayment, Payment, PaymentState, PaymentStatus,
};
pub use orders::returns::{
    release_points, release_share, KeyedRequest, LineQuantity, NewRefund, NewReturn, Refund,
    RefundKind, RefundLine, RefundPart, Release, ReleaseCause, ReleasedLine, Return, ReturnRef,
    ReturnStatus,
};
pub use outbox::{
    channels_for, email_message, jitter, non_public_address, plan_webhook, webhook_request,
    Channel, Delivery, DeliveryOutcome, DeliveryStatus, DueDelivery, EmailMessage, HostAllowlist,
    NewWebhook, OutboxError, RetryPolicy, WebhookEndpoint, WebhookEvent, WebhookRequest,
    WebhookSecret, WebhookTargets, WebhookUrl, MAX_ERROR_LEN,
};
pub use plan::catalog_change::{
    CatalogChange, ChangeRecord, ChangeSubject, ChangeValue, NewProduct, ProductChanged,
    ProductFields, ProductRef,
};
pub use plan::{
    Effect, MoneyMoved, NoticeLogged, NoticeText, OrderRef, PaymentRef, Plan, PointsEntry,
    PointsMoved, Reason, StockEntry, StockMoved,
};
pub use pricing::audit::{
    audit_ladder, audit_pricing, CouponFinding, LadderFinding, PricingAudit, ProductFindings,
    TaxRoundingSpread,
};
pub use pricing::coupon::{
    Coupon, CouponAdminError, CouponCode, CouponError, CouponPatch, CouponRecord, CouponUsage,
    CouponValue,
};
pub use pricing::loyalty::{LoyaltyPolicy, PointValue};
pub use pricing::price_list::PriceList;
pub use pricing::{
    allocate, allocate_points, line_costs, quote, quote_with, Deductions, PricingError,
    PricingPolicy, Quote, QuoteLine, TaxRounding,
};
pub use repository::metrics::{Instrumented, MetricsSnapshot, PoolUsage, RetryCause, StoreMetrics};
pub use repository::{
    AccessRepository, BooksRepository, CancelledOrder, CatalogAdministration, CatalogRepository,
    ChannelFilter, CouponRepository, CustomerRepository, FulfilledOrder, NotificationRepository,
    OrderRepository, OrderReturns, OrderSettlement, OrderWorkflow, OutboxRepository,
    PaymentOutcome, PlacedOrder, Readiness, ReturnOutcome, Store, ThrottleRepository,
};
pub use use_cases::notice::resend_confirmation;
pub use use_cases::quote::{price_list, quote_order, QuoteError, QuoteRequest};
pub use use_cases::reads::{
    audit_proposed_ladder, audit_store_books, audit_store_pricing, products_listed, tier_ladder,
};
pub use use_cases::throttled::{checkout_throttled, quote_throttled};
pub use use_cases::webhooks::register_webhook;
pub use values::clock::{Clock, FixedClock, SystemClock};
pub use values::ids::{
    ChangeId, CustomerId, DeliveryId, FulfillmentId, NotificationId, OrderId, PaymentId, ProductId,
    RefundId, ReturnId, StaffKeyId, WebhookId,
};
pub use values::money::{Money, RoundingMode};
pub use values::page::{Page, PageLimit};
pub use values::percent::Percent;
pub use values::quantity::{Quantity, MAX_STOCK};
pub use values::text::{
    Carrier, CustomerName, Email, IdempotencyKey, PasswordHash, PaymentMethod, PaymentReference,
    Phone, ProductName, ReasonText, Region, StaffKeyName, TrackingNumber,
};

/// The date and time crate of the public API (`DateTime<Utc>` in orders,
/// clocks and plans), re-exported so a user needs no version of their own.
pub use chrono;
/// The decimal crate behind [`Money`] and [`Percent`], re-exported.
pub use rust_decimal;
/// The decimal type of [`Money::amount`] and [`Percent::value`].
pub use rust_decimal::Decimal;

/// `Display` as the snake_case name `as_str` gives (the stored or configured form).
macro_rules! display_as_str {
    ($($name:ty),* $(,)?) => {$(
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(
    OrderStatus,
    ErrorCategory,
    StaffRole,
    NotificationKind,
    Channel,
    DeliveryStatus,
    RoundingMode,
    TaxRounding,
    Reason,
    PaymentState,
    PaymentStatus,
    FulfillmentStatus,
    MoneyKind,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_enums_display_as_their_stored_names() {
        assert_eq!(OrderStatus::Cancelled.to_string(), "cancelled");
        assert_eq!(ErrorCategory::NotFound.to_string(), "not_found");
        assert_eq!(StaffRole::Inventory.to_string(), "inventory");
        assert_eq!(RoundingMode::HalfEven.to_string(), "half_even");
        assert_eq!(TaxRounding::PerLine.to_string(), "per_line");
        assert_eq!(
            NotificationKind::OrderConfirmation.to_string(),
            NotificationKind::OrderConfirmation.as_str()
        );
    }
}
