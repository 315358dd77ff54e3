//! Customers, their loyalty points, and profile updates.

use chrono::{DateTime, Utc};

use crate::plan::{Effect, Plan};
use crate::repository::CustomerError;
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

/// A profile update, decided: the customer as they will be, and the plan
/// (one [`Effect::ProfileChanged`], or nothing if nothing changes).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProfileChange {
    /// The customer after the update.
    pub customer: Customer,
    /// The plan.
    pub plan: Plan,
}

/// Decides a profile update of `customer` (read under a lock), given who
/// holds the new email now (`email_owner`, read under a lock too).
///
/// ```
/// use shopcore::{plan_profile_update, seed, Email, ErrorCode, ProfileUpdate};
/// let data = seed::demo_data();
/// let (sara, omar) = (&data.customers[1], &data.customers[2]);
/// let update = ProfileUpdate { email: Some(Email::parse("Sara.M@Example.com").unwrap()), ..Default::default() };
/// let change = plan_profile_update(sara, &update, None, chrono::Utc::now()).unwrap();
/// assert_eq!(change.customer.email.as_str(), "sara.m@example.com");
/// let taken = ProfileUpdate { email: Some(omar.email.clone()), ..Default::default() };
/// let err = plan_profile_update(sara, &taken, Some(omar.id), chrono::Utc::now()).unwrap_err();
/// assert_eq!(err.code(), "email_taken");
/// ```
pub fn plan_profile_update(
    customer: &Customer,
    update: &ProfileUpdate,
    email_owner: Option<CustomerId>,
    now: DateTime<Utc>,
) -> Result<ProfileChange, CustomerError> {
    if let (Some(email), Some(owner)) = (&update.email, email_owner) {
        if owner != customer.id {
            return Err(CustomerError::EmailTaken(email.clone()));
        }
    }
    let mut after = customer.clone();
    if let Some(name) = &update.name {
        after.name = name.clone();
    }
    if let Some(email) = &update.email {
        after.email = email.clone();
    }
    if let Some(phone) = &update.phone {
        after.phone = phone.clone();
    }
    let mut plan = Plan::new(now);
    if after != *customer {
        plan.push(Effect::ProfileChanged {
            customer: after.id,
            name: after.name.clone(),
            email: after.email.clone(),
            phone: after.phone.clone(),
        });
    }
    Ok(ProfileChange {
        customer: after,
        plan,
    })
}
