//! Plans as effects: the one write contract between the planners and the adapters.
//!
//! Every write shopcore makes — a checkout, a cancel, a manual stock or points
//! adjustment, a logged notification — is decided by a pure planner that
//! returns a [`Plan`]: an ordered list of [`Effect`]s, each carrying the values
//! the store holds once it is applied (`after`, never "add this and see").
//! An adapter has one `apply` for plans: it runs the effects in order, in one
//! transaction, and does not decide anything. The rules — what stock may do,
//! the points cap, what a notice says — live here and in the planners only.
//!
//! Every movement of stock or points is also a ledger entry ([`StockEntry`],
//! [`PointsEntry`]) with its [`Reason`], and every movement of an order's
//! money one of the money ledger ([`MoneyMoved`]), in every store; the
//! books-balance [`audit`](crate::audit()) reads them back.
//!
//! A plan's effects may refer to the order the plan itself places
//! ([`OrderRef::Placed`]): its id is assigned by storage when
//! [`Effect::OrderPlaced`] is applied, which always comes first in such a
//! plan. Plans are built only by the planners in this crate, so that order and
//! every `after` value are guaranteed by construction.
//!
//! ```
//! use shopcore::{plan_stock_adjustment, seed, Effect, Reason};
//! let laptop = &seed::demo_data().products[0]; // 50 in stock
//! let adjustment = plan_stock_adjustment(laptop, -8, chrono::Utc::now()).unwrap();
//! let [Effect::StockMoved(moved)] = adjustment.plan.effects() else { panic!("one movement") };
//! assert_eq!((moved.change, moved.after, moved.reason), (-8, 42, Reason::Manual));
//! ```

pub(crate) mod catalog_change;

use chrono::{DateTime, Utc};

use crate::access::{SessionScope, StaffRole, TokenHash};
use crate::catalog::TierLadder;
use crate::orders::fulfillment::NewFulfillment;
use crate::orders::notification::{ConfirmationDraft, NotificationKind};
use crate::orders::order::{NewOrder, RequestFingerprint};
use crate::orders::payment::{MoneyEntry, MoneyKind, NewPayment, PaymentState};
use crate::orders::returns::{NewRefund, NewReturn, Release, ReturnRef, ReturnStatus};
use crate::plan::catalog_change::{ChangeRecord, NewProduct, ProductChanged};
use crate::values::ids::{CustomerId, OrderId, PaymentId, ProductId, ReturnId, StaffKeyId};
use crate::values::money::Money;
use crate::values::percent::Percent;
use crate::values::text::{
    CustomerName, Email, IdempotencyKey, PasswordHash, Phone, Region, StaffKeyName,
};
use crate::StorageError;

/// An order an effect is about: the one its own plan places, or one already stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderRef {
    /// The order placed by this plan's [`Effect::OrderPlaced`].
    Placed,
    /// An order that already exists.
    Existing(OrderId),
}

impl OrderRef {
    /// The concrete id, given the id storage assigned to this plan's order (if any).
    ///
    /// Fails only if a plan referred to its placed order before placing one,
    /// which the planners never do; an adapter reports it as a storage failure.
    pub fn resolve(self, placed: Option<OrderId>) -> Result<OrderId, StorageError> {
        match self {
            OrderRef::Existing(id) => Ok(id),
            OrderRef::Placed => placed.ok_or_else(|| {
                StorageError::Failure("plan refers to an order it has not placed".to_owned())
            }),
        }
    }
}

/// A payment an effect is about: the one its own plan records, or one already stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentRef {
    /// The payment recorded by this plan's [`Effect::PaymentRecorded`].
    Recorded,
    /// A payment that already exists.
    Existing(PaymentId),
}

impl PaymentRef {
    /// The concrete id, given the id storage assigned to this plan's payment (if any).
    pub fn resolve(self, recorded: Option<PaymentId>) -> Result<PaymentId, StorageError> {
        match self {
            PaymentRef::Existing(id) => Ok(id),
            PaymentRef::Recorded => recorded.ok_or_else(|| {
                StorageError::Failure("plan refers to a payment it has not recorded".to_owned())
            }),
        }
    }
}

/// Money of an order moves: one entry of the money ledger, with the
/// balances it leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoneyMoved {
    /// The order.
    pub order: OrderId,
    /// The payment that moves.
    pub payment: PaymentRef,
    /// How.
    pub kind: MoneyKind,
    /// How much (above zero).
    pub amount: Money,
    /// What the order holds authorized afterwards.
    pub authorized_after: Money,
    /// What the order has captured afterwards.
    pub captured_after: Money,
}

impl MoneyMoved {
    /// The ledger entry this movement writes, once this plan's payment has its id.
    pub fn entry(
        &self,
        recorded: Option<PaymentId>,
        at: DateTime<Utc>,
    ) -> Result<MoneyEntry, StorageError> {
        Ok(MoneyEntry {
            order: self.order,
            payment: self.payment.resolve(recorded)?,
            kind: self.kind,
            amount: self.amount,
            authorized_after: self.authorized_after,
            captured_after: self.captured_after,
            at,
        })
    }
}

/// Why stock or points moved, as the ledger records it.
///
/// `O` is how the order is named: [`OrderRef`] in a plan, [`OrderId`] once stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason<O = OrderId> {
    /// Sold, or earned, by placing an order.
    Order(O),
    /// Returned, or revoked, by cancelling an order (or some of its units).
    Cancel(O),
    /// Restocked, given back or revoked by a received return of an order's units.
    Return(O),
    /// A manual adjustment by the shop.
    Manual,
}

impl<O: Copy> Reason<O> {
    /// The reason as stored: `order`, `cancel`, `return` or `manual`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Reason::Order(_) => "order",
            Reason::Cancel(_) => "cancel",
            Reason::Return(_) => "return",
            Reason::Manual => "manual",
        }
    }

    /// The order the movement belongs to, if any.
    pub fn order(&self) -> Option<O> {
        match self {
            Reason::Order(order) | Reason::Cancel(order) | Reason::Return(order) => Some(*order),
            Reason::Manual => None,
        }
    }
}

impl Reason<OrderRef> {
    /// The stored form, with this plan's order resolved (see [`OrderRef::resolve`]).
    pub fn resolve(self, placed: Option<OrderId>) -> Result<Reason, StorageError> {
        Ok(match self {
            Reason::Order(order) => Reason::Order(order.resolve(placed)?),
            Reason::Cancel(order) => Reason::Cancel(order.resolve(placed)?),
            Reason::Return(order) => Reason::Return(order.resolve(placed)?),
            Reason::Manual => Reason::Manual,
        })
    }
}

impl Reason {
    /// Parses the stored form: a reason name and the order it names, if any.
    ///
    /// ```
    /// use shopcore::{OrderId, Reason};
    /// let order = OrderId::new(7).unwrap();
    /// assert_eq!(Reason::parse("cancel", Some(order)), Some(Reason::Cancel(order)));
    /// assert_eq!(Reason::parse("manual", None), Some(Reason::Manual));
    /// assert_eq!(Reason::parse("order", None), None);
    /// ```
    pub fn parse(text: &str, order: Option<OrderId>) -> Option<Self> {
        match (text, order) {
            ("order", Some(order)) => Some(Reason::Order(order)),
            ("cancel", Some(order)) => Some(Reason::Cancel(order)),
            ("return", Some(order)) => Some(Reason::Return(order)),
            ("manual", None) => Some(Reason::Manual),
            _ => None,
        }
    }
}

/// A product's stock moves by `change` and is then `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StockMoved {
    /// The product.
    pub product: ProductId,
    /// Units added (positive) or taken (negative); never zero.
    pub change: i64,
    /// The stock level once moved.
    pub after: u32,
    /// Why.
    pub reason: Reason<OrderRef>,
}

/// A customer's points move by `change` and are then `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointsMoved {
    /// The customer.
    pub customer: CustomerId,
    /// Points added (positive) or taken (negative); never zero.
    pub change: i64,
    /// The balance once moved; below zero, points owed.
    pub after: i64,
    /// Why.
    pub reason: Reason<OrderRef>,
}

/// The text of a notice, possibly naming the order storage has yet to number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoticeText {
    /// A finished text.
    Ready(String),
    /// An order confirmation, rendered once the order has its id.
    Confirmation(Box<ConfirmationDraft>),
}

impl NoticeText {
    /// The text as logged, for the order `order_id`.
    pub fn render(&self, order_id: OrderId) -> String {
        match self {
            NoticeText::Ready(text) => text.clone(),
            NoticeText::Confirmation(draft) => draft.render(order_id),
        }
    }
}

/// A notification is written to the log (the outbox of what customers are told).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeLogged {
    /// The order it is about.
    pub order: OrderRef,
    /// Who it is for.
    pub customer: CustomerId,
    /// What it is about.
    pub kind: NotificationKind,
    /// What it says.
    pub text: NoticeText,
}

/// One step of a plan, with the values the store holds once it is applied.
///
/// Deliberately exhaustive: a new kind of effect must fail to compile in every
/// adapter until its `apply` handles it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// An order and its items are stored; storage assigns the id that
    /// [`OrderRef::Placed`] names in the rest of the plan.
    OrderPlaced(Box<NewOrder>),
    /// A `created` order becomes `cancelled`, having given back `points_revoked`.
    OrderCancelled {
        /// The order.
        order: OrderId,
        /// Points taken back from the customer: all the order earned.
        points_revoked: u64,
        /// What it owes the customer back: everything captured.
        refund_due: Money,
    },
    /// A payment of an existing order is stored; storage assigns the id that
    /// [`PaymentRef::Recorded`] names in the rest of the plan.
    PaymentRecorded(Box<NewPayment>),
    /// A stored payment's status and amounts change to these values.
    PaymentChanged {
        /// The order it pays.
        order: OrderId,
        /// The payment.
        payment: PaymentId,
        /// Its status now.
        status: PaymentState,
        /// What it has captured now.
        amount_captured: Money,
        /// What of its authorization is released while it stays authorized, now.
        amount_released: Money,
        /// What of its captured money is refunded, now.
        amount_refunded: Money,
    },
    /// An order's money moves; a ledger entry.
    MoneyMoved(MoneyMoved),
    /// A shipment of an existing order is stored; storage assigns its id.
    FulfillmentCreated(Box<NewFulfillment>),
    /// A return of an existing order is stored; storage assigns the id that
    /// [`ReturnRef::Created`] names in the rest of the plan.
    ReturnCreated(Box<NewReturn>),
    /// A stored return's status changes (`received` or `rejected`), and
    /// whether its units go back to stock (staff may decide on receipt).
    ReturnChanged {
        /// The order.
        order: OrderId,
        /// The return.
        return_id: ReturnId,
        /// Its status now.
        status: ReturnStatus,
        /// Whether its units are restocked, now.
        restock: bool,
    },
    /// Units of an existing order are released (cancelled or returned): a
    /// step stored with what each line gave up.
    UnitsReleased {
        /// The order.
        order: OrderId,
        /// The step.
        release: Box<Release<ReturnRef>>,
    },
    /// A refund of an existing order is stored; storage assigns its id.
    RefundRecorded(Box<NewRefund>),
    /// Stock moves; also a ledger entry.
    StockMoved(StockMoved),
    /// Points move; also a ledger entry.
    PointsMoved(PointsMoved),
    /// A notification is logged.
    NoticeLogged(NoticeLogged),
    /// An idempotency key of a customer now names this plan's order; a replay
    /// with the same fingerprint returns it. Keys are scoped per customer: two
    /// customers may use the same key.
    KeyBound {
        /// Whose key it is.
        customer: CustomerId,
        /// The key.
        key: IdempotencyKey,
        /// The digest of the request it was first used with.
        fingerprint: RequestFingerprint,
    },
    /// A customer session starts; only the token's hash is stored.
    SessionOpened {
        /// The hash of the session token.
        token: TokenHash,
        /// Whose session it is.
        customer: CustomerId,
        /// When it stops working.
        expires_at: DateTime<Utc>,
    },
    /// Sessions end (logout, password change).
    SessionsRevoked(SessionScope),
    /// A customer's password hash is replaced.
    PasswordChanged {
        /// The customer.
        customer: CustomerId,
        /// The new Argon2id hash.
        hash: PasswordHash,
    },
    /// A staff key is created; storage assigns its id. Only its hash is stored.
    StaffKeyIssued {
        /// Who or what it is for.
        name: StaffKeyName,
        /// What it may do.
        role: StaffRole,
        /// The hash of the key.
        key: TokenHash,
    },
    /// A staff key stops working.
    StaffKeyRevoked {
        /// The key.
        key: StaffKeyId,
    },
    /// A product is added to the catalog; storage assigns the id that
    /// [`ProductRef::Created`](crate::ProductRef::Created) names in the rest of
    /// the plan. Its opening stock is also a `manual` ledger entry (when above 0).
    ProductCreated(NewProduct),
    /// A product's name, price or retirement changes to these values.
    ProductChanged(ProductChanged),
    /// A product's whole tier ladder is replaced (empty: no tiers).
    LadderReplaced {
        /// The product.
        product: ProductId,
        /// Its ladder now.
        ladder: TierLadder,
    },
    /// A region's tax rate is set (the region is added if new).
    TaxRateSet {
        /// The region, with the spelling to store.
        region: Region,
        /// Its rate now.
        rate: Percent,
    },
    /// A region and its rate are removed.
    TaxRegionRemoved {
        /// The region.
        region: Region,
    },
    /// An entry is appended to the catalog change log.
    CatalogChangeLogged(ChangeRecord),
    /// A coupon is stored with these values: added if `created`, else replacing
    /// the stored coupon of its code.
    CouponSaved {
        /// The coupon, whole.
        coupon: Box<crate::pricing::coupon::Coupon>,
        /// Whether it is new.
        created: bool,
    },
    /// A customer's profile takes these values (the email stays unique).
    ProfileChanged {
        /// The customer.
        customer: CustomerId,
        /// Display name now.
        name: CustomerName,
        /// Email now.
        email: Email,
        /// Phone now.
        phone: Option<Phone>,
    },
}

/// An ordered list of effects, decided at one instant, applied whole or not at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    at: DateTime<Utc>,
    effects: Vec<Effect>,
}

impl Plan {
    /// A plan decided at `at`; effects are added by the planners only.
    pub(crate) fn new(at: DateTime<Utc>) -> Self {
        Plan {
            at,
            effects: Vec::new(),
        }
    }

    /// Appends every effect of `other` (decided at the same instant).
    pub(crate) fn extend(&mut self, other: Plan) {
        self.effects.extend(other.effects);
    }

    pub(crate) fn push(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    /// When the plan was decided: the time every row it writes carries.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The effects, in the order they must be applied.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// The stock movements of the plan.
    pub fn stock_moves(&self) -> impl Iterator<Item = &StockMoved> {
        self.effects.iter().filter_map(|e| match e {
            Effect::StockMoved(moved) => Some(moved),
            _ => None,
        })
    }

    /// The money movements of the plan.
    pub fn money_moves(&self) -> impl Iterator<Item = &MoneyMoved> {
        self.effects.iter().filter_map(|e| match e {
            Effect::MoneyMoved(moved) => Some(moved),
            _ => None,
        })
    }

    /// The notices the plan logs, in order.
    pub fn notices(&self) -> impl Iterator<Item = &NoticeLogged> {
        self.effects.iter().filter_map(|e| match e {
            Effect::NoticeLogged(notice) => Some(notice),
            _ => None,
        })
    }

    /// The points movements of the plan.
    pub fn points_moves(&self) -> impl Iterator<Item = &PointsMoved> {
        self.effects.iter().filter_map(|e| match e {
            Effect::PointsMoved(moved) => Some(moved),
            _ => None,
        })
    }
}

/// A stored movement of stock: one row of the stock ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StockEntry {
    /// The product.
    pub product: ProductId,
    /// Units added (positive) or taken (negative).
    pub change: i64,
    /// The stock level after the movement.
    pub after: u32,
    /// Why, with the order it belongs to.
    pub reason: Reason,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored movement of loyalty points: one row of the points ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointsEntry {
    /// The customer.
    pub customer: CustomerId,
    /// Points added (positive) or taken (negative).
    pub change: i64,
    /// The balance after the movement; below zero, points owed.
    pub after: i64,
    /// Why, with the order it belongs to.
    pub reason: Reason,
    /// When.
    pub at: DateTime<Utc>,
}

impl StockMoved {
    /// The ledger entry this movement writes, once this plan's order has its id.
    pub fn entry(
        &self,
        placed: Option<OrderId>,
        at: DateTime<Utc>,
    ) -> Result<StockEntry, StorageError> {
        Ok(StockEntry {
            product: self.product,
            change: self.change,
            after: self.after,
            reason: self.reason.resolve(placed)?,
            at,
        })
    }
}

impl PointsMoved {
    /// The ledger entry this movement writes, once this plan's order has its id.
    pub fn entry(
        &self,
        placed: Option<OrderId>,
        at: DateTime<Utc>,
    ) -> Result<PointsEntry, StorageError> {
        Ok(PointsEntry {
            customer: self.customer,
            change: self.change,
            after: self.after,
            reason: self.reason.resolve(placed)?,
            at,
        })
    }
}
