//! The planners of sessions, passwords and staff keys: pure decisions over
//! the tokens and keys of [`crate::access`], applied through a store's one
//! `apply` by the use cases in [`crate::auth`].

use chrono::{DateTime, Duration, Utc};

use crate::access::{AccessToken, SessionScope, StaffKey, StaffRole, TokenKind};
use crate::plan::{Effect, Plan};
use crate::values::ids::CustomerId;
use crate::values::text::{PasswordHash, StaffKeyName};

/// Decides opening a session for a customer who just proved their password.
///
/// ```
/// use shopcore::{plan_session, CustomerId};
/// let now = chrono::Utc::now();
/// let (session, plan) = plan_session(CustomerId::new(1).unwrap(), now, chrono::Duration::hours(24));
/// assert_eq!(session.expires_at, now + chrono::Duration::hours(24));
/// assert_eq!(plan.effects().len(), 1);
/// ```
pub fn plan_session(
    customer: CustomerId,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> (OpenedSession, Plan) {
    let token = AccessToken::generate(TokenKind::Session);
    let expires_at = now + lifetime;
    let mut plan = Plan::new(now);
    plan.push(Effect::SessionOpened {
        token: token.hash(),
        customer,
        expires_at,
    });
    (
        OpenedSession {
            customer,
            token,
            expires_at,
        },
        plan,
    )
}

/// Decides ending the presented session (logging out).
pub fn plan_logout(token: &AccessToken, now: DateTime<Utc>) -> Plan {
    let mut plan = Plan::new(now);
    plan.push(Effect::SessionsRevoked(SessionScope::One(token.hash())));
    plan
}

/// Decides a password change: the new hash, and every other session of the
/// customer ended (the one making the change, if any, is kept).
pub fn plan_password_change(
    customer: CustomerId,
    new_hash: PasswordHash,
    keep: Option<&AccessToken>,
    now: DateTime<Utc>,
) -> Plan {
    let mut plan = Plan::new(now);
    plan.push(Effect::PasswordChanged {
        customer,
        hash: new_hash,
    });
    plan.push(Effect::SessionsRevoked(SessionScope::AllOf {
        customer,
        except: keep.map(AccessToken::hash),
    }));
    plan
}

/// Decides creating a staff key: a fresh secret (or `chosen`, for the
/// administrator key installed from the environment).
pub fn plan_staff_key(
    name: StaffKeyName,
    role: StaffRole,
    chosen: Option<AccessToken>,
    now: DateTime<Utc>,
) -> (AccessToken, Plan) {
    let secret = chosen.unwrap_or_else(|| AccessToken::generate(TokenKind::StaffKey));
    let mut plan = Plan::new(now);
    plan.push(Effect::StaffKeyIssued {
        name,
        role,
        key: secret.hash(),
    });
    (secret, plan)
}

/// Decides revoking a staff key; revoking a revoked key is a no-op plan.
pub fn plan_staff_key_revocation(key: &StaffKey, now: DateTime<Utc>) -> Plan {
    let mut plan = Plan::new(now);
    if key.revoked_at.is_none() {
        plan.push(Effect::StaffKeyRevoked { key: key.id });
    }
    plan
}

/// A session just opened: the token to give the customer once, and when it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedSession {
    /// The customer.
    pub customer: CustomerId,
    /// The token (shown once; the store keeps only its hash).
    pub token: AccessToken,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A staff key just created: its record and the key, shown this once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedStaffKey {
    /// The stored key.
    pub key: StaffKey,
    /// The secret (the store keeps only its hash).
    pub secret: AccessToken,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Effect;

    fn cid(id: i64) -> CustomerId {
        CustomerId::new(id).unwrap()
    }

    const ME: i64 = 2;

    #[test]
    fn a_password_change_plan_keeps_only_the_asking_session() {
        let keep = AccessToken::generate(TokenKind::Session);
        let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned());
        let plan = plan_password_change(
            cid(ME),
            hash.clone(),
            Some(&keep),
            chrono::DateTime::UNIX_EPOCH,
        );
        assert_eq!(
            plan.effects(),
            [
                Effect::PasswordChanged {
                    customer: cid(ME),
                    hash
                },
                Effect::SessionsRevoked(SessionScope::AllOf {
                    customer: cid(ME),
                    except: Some(keep.hash())
                }),
            ]
        );
    }
}
