//! Customers, their loyalty points, and profile updates.

use crate::{ErrorCode, ErrorKind, StorageError};
use chrono::{DateTime, Utc};

use crate::values::ids::CustomerId;
use crate::values::text::{CustomerName, Email, PasswordHash, Phone};

/// The most loyalty points one customer can hold; earning past it saturates.
pub const MAX_POINTS: u64 = 1_000_000_000_000_000;

/// How many points a customer with `balance` can still receive before
/// [`MAX_POINTS`] (more than `MAX_POINTS` when they owe points).
pub(crate) fn points_room(balance: i64) -> u64 {
    let room = i128::from(MAX_POINTS) - i128::from(balance);
    u64::try_from(room.max(0)).unwrap_or(u64::MAX)
}

/// The points of `balance` that can be redeemed: none while points are owed.
pub(crate) fn spendable(balance: i64) -> u64 {
    u64::try_from(balance).unwrap_or(0)
}

/// A customer's profile (`customers`). The password hash is never part of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Customer {
    /// The customer's id.
    pub id: CustomerId,
    /// Display name.
    pub name: CustomerName,
    /// Unique, lower-cased email address.
    pub email: Email,
    /// Optional phone number.
    pub phone: Option<Phone>,
    /// Current loyalty points, at most [`MAX_POINTS`]. Below zero the
    /// customer owes points: a cancel took back points the order earned that
    /// were already spent. Later earnings repay the debt first, and nothing
    /// can be redeemed until the balance is above zero again.
    pub loyalty_points: i64,
    /// When the customer registered.
    pub created_at: DateTime<Utc>,
}

/// What registering a customer needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCustomer {
    /// Display name.
    pub name: CustomerName,
    /// Email address; must not be taken.
    pub email: Email,
    /// Optional phone number.
    pub phone: Option<Phone>,
    /// Hash of the password, computed by the caller; `None` for accounts without one.
    pub password_hash: Option<PasswordHash>,
}

/// A profile with its password hash, for verifying a login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerCredentials {
    /// The profile.
    pub customer: Customer,
    /// The stored hash; `None` for accounts created without a password (such as seed data).
    pub password_hash: Option<PasswordHash>,
}

/// A change to a customer's profile: each field given changes, the others stay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    /// A new display name.
    pub name: Option<CustomerName>,
    /// A new email address (must not be another customer's).
    pub email: Option<Email>,
    /// A new phone number, or `Some(None)` to remove it.
    pub phone: Option<Option<Phone>>,
}

/// Failures of customer operations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CustomerError {
    /// See [`ErrorKind::UnknownCustomer`].
    #[error("customer {0} does not exist")]
    UnknownCustomer(CustomerId),
    /// See [`ErrorKind::EmailTaken`].
    #[error("email {0} is already registered")]
    EmailTaken(Email),
    /// See [`ErrorKind::InsufficientPoints`].
    #[error("customer {customer_id} has {available} points, cannot take away {requested}")]
    InsufficientPoints {
        /// The customer.
        customer_id: CustomerId,
        /// Points to take away.
        requested: u64,
        /// Points held.
        available: u64,
    },
    /// See [`ErrorKind::InvalidAdjustment`].
    #[error("points change {0} would exceed the largest balance")]
    PointsOutOfRange(i64),
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for CustomerError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownCustomer(_) => ErrorKind::UnknownCustomer,
            Self::EmailTaken(_) => ErrorKind::EmailTaken,
            Self::InsufficientPoints { .. } => ErrorKind::InsufficientPoints,
            Self::PointsOutOfRange(_) => ErrorKind::InvalidAdjustment,
            Self::Storage(error) => error.kind(),
        }
    }
}
