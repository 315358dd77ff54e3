//! Payments of an order and the money ledger they write.
//!
//! A payment is recorded by the shop's trusted side (a payment provider's
//! webhook handler, or a person) as captured at once or as an authorization
//! captured or voided later. Every movement of money is a [`MoneyEntry`] of
//! the order's ledger, with the balances it leaves: what is authorized and
//! not yet captured, and what is captured. The order's [`PaymentStatus`] is
//! derived from its payments, never stored apart from them.

use chrono::{DateTime, Utc};

use crate::values::ids::{OrderId, PaymentId};
use crate::values::money::Money;
use crate::values::text::{PaymentMethod, PaymentReference};

/// Where one payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Authorized: held on the customer's card, not yet taken.
    Authorized,
    /// Captured: the money is the shop's (a partial capture released the rest).
    Captured,
    /// Voided: the authorization was released; nothing was taken.
    Voided,
}

impl PaymentState {
    /// The state as stored and sent: `authorized`, `captured` or `voided`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Authorized => "authorized",
            Self::Captured => "captured",
            Self::Voided => "voided",
        }
    }

    /// Parses a stored state.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Authorized, Self::Captured, Self::Voided]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// One payment of an order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Payment {
    /// The payment's id.
    pub id: PaymentId,
    /// The order it pays.
    pub order_id: OrderId,
    /// How it was made.
    pub method: PaymentMethod,
    /// The provider's reference: unique within the order.
    pub reference: PaymentReference,
    /// The amount recorded: authorized, or captured at once.
    pub amount: Money,
    /// Where it stands.
    pub status: PaymentState,
    /// What was captured: `amount` or less once captured, else 0.00.
    pub amount_captured: Money,
    /// What of an authorization was let go while it stays authorized (a
    /// partial cancel lowered what is due); 0.00 otherwise.
    #[serde(default = "zero")]
    pub amount_released: Money,
    /// What of the captured money was refunded.
    #[serde(default = "zero")]
    pub amount_refunded: Money,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
}

fn zero() -> Money {
    Money::ZERO
}

impl Payment {
    /// What it holds authorized and not captured: `amount − amount_released`
    /// while authorized, else 0.00.
    pub fn amount_authorized(&self) -> Money {
        match self.status {
            PaymentState::Authorized => self
                .amount
                .checked_sub(self.amount_released)
                .unwrap_or(Money::ZERO),
            PaymentState::Captured | PaymentState::Voided => Money::ZERO,
        }
    }

    /// What of its captured money is not refunded.
    pub fn amount_refundable(&self) -> Money {
        self.amount_captured
            .checked_sub(self.amount_refunded)
            .unwrap_or(Money::ZERO)
    }
}

/// A payment as a plan records it, before storage assigns its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    /// The order it pays.
    pub order_id: OrderId,
    /// How it was made.
    pub method: PaymentMethod,
    /// The provider's reference.
    pub reference: PaymentReference,
    /// The amount.
    pub amount: Money,
    /// `authorized`, or `captured` when captured at once.
    pub status: PaymentState,
    /// `amount` when captured at once, else 0.00.
    pub amount_captured: Money,
}

impl NewPayment {
    /// The payment as stored under `id`, recorded at `at`.
    pub fn with_id(&self, id: PaymentId, at: DateTime<Utc>) -> Payment {
        Payment {
            id,
            order_id: self.order_id,
            method: self.method.clone(),
            reference: self.reference.clone(),
            amount: self.amount,
            status: self.status,
            amount_captured: self.amount_captured,
            amount_released: Money::ZERO,
            amount_refunded: Money::ZERO,
            created_at: at,
            updated_at: at,
        }
    }
}

/// What an order's payments add up to, as its `payment_status` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Nothing authorized or captured.
    Unpaid,
    /// Authorized, nothing captured.
    Authorized,
    /// Captured, but less than is due.
    PartiallyPaid,
    /// Captured at least what is due (an order due 0.00 is paid).
    Paid,
    /// Some captured money was refunded, not all of it.
    PartiallyRefunded,
    /// Everything captured was refunded.
    Refunded,
}

impl PaymentStatus {
    /// The status as sent: `unpaid`, `authorized`, `partially_paid`, `paid`,
    /// `partially_refunded` or `refunded`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unpaid => "unpaid",
            Self::Authorized => "authorized",
            Self::PartiallyPaid => "partially_paid",
            Self::Paid => "paid",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    /// The status of an order due `due` with `captured` captured and
    /// `authorized` held.
    ///
    /// ```
    /// use shopcore::{Money, PaymentStatus};
    /// let m = |s: &str| s.parse::<Money>().unwrap();
    /// assert_eq!(PaymentStatus::derive(m("10.00"), Money::ZERO, Money::ZERO), PaymentStatus::Unpaid);
    /// assert_eq!(PaymentStatus::derive(m("10.00"), Money::ZERO, m("10.00")), PaymentStatus::Authorized);
    /// assert_eq!(PaymentStatus::derive(m("10.00"), m("4.00"), m("6.00")), PaymentStatus::PartiallyPaid);
    /// assert_eq!(PaymentStatus::derive(m("10.00"), m("10.00"), Money::ZERO), PaymentStatus::Paid);
    /// assert_eq!(PaymentStatus::derive(Money::ZERO, Money::ZERO, Money::ZERO), PaymentStatus::Paid);
    /// ```
    pub fn derive(due: Money, captured: Money, authorized: Money) -> Self {
        if captured >= due {
            Self::Paid
        } else if captured > Money::ZERO {
            Self::PartiallyPaid
        } else if authorized > Money::ZERO {
            Self::Authorized
        } else {
            Self::Unpaid
        }
    }
}

/// What moved money in an order's ledger.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MoneyKind {
    /// Authorized: `amount` more is held.
    Authorized,
    /// Captured: `amount` moves from held to captured. A payment captured at
    /// once is an authorization and its capture.
    Captured,
    /// Released: `amount` held is let go (the rest of a partial capture, a
    /// void, a cancel).
    Released,
    /// Refunded: `amount` captured is paid back.
    Refunded,
}

impl MoneyKind {
    /// The kind as stored: `authorized`, `captured` or `released`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Authorized => "authorized",
            Self::Captured => "captured",
            Self::Released => "released",
            Self::Refunded => "refunded",
        }
    }

    /// Parses a stored kind.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Authorized,
            Self::Captured,
            Self::Released,
            Self::Refunded,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }

    /// The balances `(authorized, captured)` after moving `amount` from
    /// `before`; `None` if a balance would go below zero or past [`Money::MAX`].
    ///
    /// ```
    /// use shopcore::{Money, MoneyKind};
    /// let m = |s: &str| s.parse::<Money>().unwrap();
    /// let held = MoneyKind::Authorized.apply((Money::ZERO, Money::ZERO), m("5.00")).unwrap();
    /// assert_eq!(MoneyKind::Captured.apply(held, m("3.00")), Some((m("2.00"), m("3.00"))));
    /// assert_eq!(MoneyKind::Released.apply(held, m("6.00")), None);
    /// ```
    pub fn apply(self, before: (Money, Money), amount: Money) -> Option<(Money, Money)> {
        let (authorized, captured) = before;
        match self {
            Self::Authorized => Some((authorized.checked_add(amount)?, captured)),
            Self::Captured => Some((
                authorized.checked_sub(amount)?,
                captured.checked_add(amount)?,
            )),
            Self::Released => Some((authorized.checked_sub(amount)?, captured)),
            Self::Refunded => Some((authorized, captured.checked_sub(amount)?)),
        }
    }
}

/// A stored movement of an order's money: one row of the money ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoneyEntry {
    /// The order.
    pub order: OrderId,
    /// The payment that moved.
    pub payment: PaymentId,
    /// How.
    pub kind: MoneyKind,
    /// How much (above zero).
    pub amount: Money,
    /// What the order holds authorized and not captured afterwards.
    pub authorized_after: Money,
    /// What the order has captured and not refunded afterwards.
    pub captured_after: Money,
    /// When.
    pub at: DateTime<Utc>,
}
