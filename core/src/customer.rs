//! Customers and their loyalty points.

use chrono::{DateTime, Utc};

use crate::ids::CustomerId;
use crate::text::{CustomerName, Email, PasswordHash, Phone};

/// The most loyalty points one customer can hold; earning past it saturates.
pub const MAX_POINTS: u64 = 1_000_000_000_000_000;

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
    /// Current loyalty points, `0..=MAX_POINTS`.
    pub loyalty_points: u64,
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
