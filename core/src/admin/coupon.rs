//! Coupon administration: creating and changing a coupon, decided as a plan.

use chrono::{DateTime, Utc};

use crate::plan::{Effect, Plan};
use crate::pricing::coupon::{Coupon, CouponAdminError, CouponCode, CouponPatch};

/// Plans creating `coupon`, given the coupon stored under its code (if any,
/// read under a lock): refused if one exists or if it is inconsistent.
///
/// ```
/// use shopcore::{plan_coupon_creation, Coupon, CouponCode, CouponValue, Effect, Money};
/// let coupon = Coupon {
///     code: CouponCode::parse("spring").unwrap(),
///     value: CouponValue::AmountOff("5.00".parse().unwrap()),
///     min_subtotal: Money::ZERO, valid_from: None, valid_until: None,
///     max_redemptions: Some(100), max_per_customer: Some(1), active: true,
/// };
/// let plan = plan_coupon_creation(None, coupon.clone(), chrono::Utc::now()).unwrap();
/// assert!(matches!(&plan.effects()[0], Effect::CouponSaved { created: true, .. }));
/// let taken = plan_coupon_creation(Some(&coupon), coupon.clone(), chrono::Utc::now());
/// assert_eq!(shopcore::ErrorCode::code(&taken.unwrap_err()), "coupon_exists");
/// ```
pub fn plan_coupon_creation(
    existing: Option<&Coupon>,
    coupon: Coupon,
    now: DateTime<Utc>,
) -> Result<Plan, CouponAdminError> {
    if existing.is_some() {
        return Err(CouponAdminError::Exists(coupon.code));
    }
    coupon.validate()?;
    let mut plan = Plan::new(now);
    plan.push(Effect::CouponSaved {
        coupon: Box::new(coupon),
        created: true,
    });
    Ok(plan)
}

/// Plans a change to the coupon `code`, given the stored one (read under a lock).
pub fn plan_coupon_update(
    existing: Option<&Coupon>,
    code: &CouponCode,
    patch: &CouponPatch,
    now: DateTime<Utc>,
) -> Result<Plan, CouponAdminError> {
    let existing = existing
        .filter(|coupon| coupon.code == *code)
        .ok_or_else(|| CouponAdminError::Unknown(code.clone()))?;
    let coupon = patch.applied_to(existing)?;
    let mut plan = Plan::new(now);
    plan.push(Effect::CouponSaved {
        coupon: Box::new(coupon),
        created: false,
    });
    Ok(plan)
}

/// The coupon a plan made by [`plan_coupon_creation`] or [`plan_coupon_update`] saves.
pub fn saved_coupon(plan: &Plan) -> Option<&Coupon> {
    plan.effects().iter().find_map(|effect| match effect {
        Effect::CouponSaved { coupon, .. } => Some(coupon.as_ref()),
        _ => None,
    })
}
