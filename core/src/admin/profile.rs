//! Customer profile administration: a profile update decided as a plan.

use chrono::{DateTime, Utc};

use crate::orders::customer::{Customer, CustomerError, ProfileUpdate};
use crate::plan::{Effect, Plan};
use crate::values::ids::CustomerId;

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
