//! Passwords, login, sessions and staff keys over the ports.
//!
//! [`register`] hashes the password (Argon2id) before the store sees it;
//! [`login`] verifies against the stored hash and answers only "this
//! customer" or `invalid_credentials` — the same error for an unknown email,
//! an account without a password and a wrong password, after the same amount
//! of work. [`open_session`] then hands out a session token; [`authenticate`]
//! turns a presented token or staff key into an [`Actor`] for
//! [`authorize`](crate::authorize). Stores keep only hashes of all three.
//!
//! The use cases that run Argon2 ([`register`], [`login`],
//! [`login_throttled`], [`change_password`]) never run it themselves: they
//! hand it to the [`PasswordWorker`] they are given, so that it stays off the
//! async worker threads of whoever calls them (see [`PasswordWorker`]). Without
//! a runtime, pass [`InlinePasswordWorker`]:
//!
//! ```
//! use shopcore::auth::{login, register, InlinePasswordWorker};
//! use shopcore::{CustomerError, CustomerRepository};
//! use shopcore::{CustomerName, Email, Password};
//!
//! async fn sign_up_then_in<S: CustomerRepository>(store: &S) -> Result<(), CustomerError> {
//!     let email = Email::parse("nour@example.com").expect("a valid email");
//!     let password = Password::parse("tahrir-square-2011").expect("8 to 128 characters");
//!     let name = CustomerName::parse("Nour Said").expect("a valid name");
//!     register(store, &InlinePasswordWorker, name, email.clone(), None, &password).await?;
//!     assert!(login(store, &InlinePasswordWorker, &email, &password).await.is_ok());
//!     Ok(())
//! }
//! ```

pub(crate) mod hashing;
pub(crate) mod password_work;
pub(crate) mod sessions;

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::access::throttle::{retry_after_seconds, ThrottleCheck, ThrottlePolicy, Throttled};
use crate::access::{
    key_strength_bits, AccessError, AccessToken, Actor, StaffKey, StaffRole, TokenHash,
    MIN_CHOSEN_KEY_BITS,
};
pub use crate::auth::password_work::{
    InlinePasswordWorker, PasswordWork, PasswordWorkDone, PasswordWorkKind, PasswordWorker,
};
use crate::auth::sessions::{
    plan_logout, plan_password_change, plan_session, plan_staff_key, plan_staff_key_revocation,
    IssuedStaffKey, OpenedSession,
};
use crate::error::{ErrorCode, ErrorKind, StorageError, ValueError};
use crate::orders::customer::{Customer, CustomerError, NewCustomer};
use crate::plan::Plan;
use crate::repository::{AccessRepository, CustomerRepository, OrderWorkflow, ThrottleRepository};
use crate::use_cases::throttled::{run_throttled, Verdict};
use crate::values::ids::{CustomerId, StaffKeyId};
use crate::values::text::{CustomerName, Email, PasswordHash, Phone, StaffKeyName};

/// A password as typed: 8 to 128 characters. Never printed, never serialized.
///
/// ```
/// use shopcore::Password;
/// assert!(Password::parse("correct horse").is_ok());
/// assert!(Password::parse("short").is_err());
/// assert_eq!(format!("{:?}", Password::parse("correct horse").unwrap()), "Password(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The shortest accepted password.
    pub const MIN_LEN: usize = 8;
    /// The longest accepted password.
    pub const MAX_LEN: usize = 128;

    /// Fails with `invalid_password` outside 8–128 characters.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let length = text.chars().count();
        if length < Self::MIN_LEN {
            return Err(ValueError::Password {
                reason: "must be at least 8 characters",
            });
        }
        if length > Self::MAX_LEN {
            return Err(ValueError::Password {
                reason: "must be at most 128 characters",
            });
        }
        Ok(Password(text.to_owned()))
    }

    /// Hashes the password with Argon2id and a random salt (PHC string
    /// format). At most one hash per core runs at once, on reused memory (see
    /// the `hashing` module); further callers wait.
    ///
    /// Blocks the calling thread for the length of the hash (tens of
    /// milliseconds): in async code go through a [`PasswordWorker`], as the
    /// use cases of this module do.
    pub fn hash(&self) -> Result<PasswordHash, StorageError> {
        hashing::hash(self.0.as_bytes())
            .map(PasswordHash::new)
            .map_err(|e| StorageError::Failure(format!("password hashing failed: {e}")))
    }

    /// Whether this password matches `hash`; a malformed hash never matches.
    /// Bounded and blocking like [`hash`](Self::hash).
    pub fn verify(&self, hash: &PasswordHash) -> bool {
        hashing::verify(self.0.as_bytes(), hash.as_str())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Why a login failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// See [`ErrorKind::InvalidCredentials`].
    #[error("invalid email or password")]
    InvalidCredentials,
    /// See [`ErrorKind::TooManyAttempts`].
    #[error("too many failed logins: try again in {retry_after_seconds} s")]
    TooManyAttempts {
        /// Seconds until an attempt may be made again.
        retry_after_seconds: u64,
    },
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for LoginError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidCredentials => ErrorKind::InvalidCredentials,
            Self::TooManyAttempts { .. } => ErrorKind::TooManyAttempts,
            Self::Storage(error) => error.kind(),
        }
    }
}

/// Registers a customer with a password hashed by `passwords`.
pub async fn register<R, W>(
    customers: &R,
    passwords: &W,
    name: CustomerName,
    email: Email,
    phone: Option<Phone>,
    password: &Password,
) -> Result<Customer, CustomerError>
where
    R: CustomerRepository + ?Sized,
    W: PasswordWorker + ?Sized,
{
    let password_hash = Some(passwords.hash(password).await?);
    customers
        .create_customer(NewCustomer {
            name,
            email,
            phone,
            password_hash,
        })
        .await
}

/// A hash to verify against when there is no account, so an unknown email
/// costs the same time as a wrong password: an Argon2id hash with the
/// parameters of every new hash (checked by a test), of a password nobody
/// needs to know (a match is refused all the same). A constant, so that no
/// hash is ever computed to make it.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$5DTjLpr/vwn+Hv6AKYzsCw$mp0AhFZEATYOYWddmz4IKOcOp8PlODJJ17/DDJ2SQI4";

fn decoy_hash() -> PasswordHash {
    PasswordHash::new(DECOY_HASH.to_owned())
}

/// The customer registered under `email` with this password, verified by
/// `passwords` (one verification whether the account exists or not).
pub async fn login<R, W>(
    customers: &R,
    passwords: &W,
    email: &Email,
    password: &Password,
) -> Result<Customer, LoginError>
where
    R: CustomerRepository + ?Sized,
    W: PasswordWorker + ?Sized,
{
    let credentials = customers.customer_credentials(email).await?;
    let (customer, hash) = match credentials {
        Some(found) => match found.password_hash {
            Some(hash) => (Some(found.customer), hash),
            None => (None, decoy_hash()),
        },
        None => (None, decoy_hash()),
    };
    let matches = passwords.verify(password, &hash).await?;
    match customer {
        Some(customer) if matches => Ok(customer),
        _ => Err(LoginError::InvalidCredentials),
    }
}

/// Registers a customer as [`register`] does, throttled per client
/// `address` ([`ThrottleCheck::registration`]): each admitted registration
/// counts, whether it then succeeds or not; past the limit a registration is
/// `too_many_attempts` and nothing is hashed or written.
#[allow(clippy::too_many_arguments)] // each is a distinct input of the use case
pub async fn register_throttled<S, W>(
    store: &S,
    passwords: &W,
    policy: &ThrottlePolicy,
    name: CustomerName,
    email: Email,
    phone: Option<Phone>,
    password: &Password,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Customer, Throttled<CustomerError>>
where
    S: CustomerRepository + ThrottleRepository + ?Sized,
    W: PasswordWorker + ?Sized,
{
    let check = ThrottleCheck::registration(policy, address);
    store
        .count_attempt(&check, now)
        .await?
        .map_err(Throttled::wait)?;
    register(store, passwords, name, email, phone, password)
        .await
        .map_err(Throttled::Refused)
}

/// Logs in from the texts as typed, throttled as the `throttle` module
/// describes: failures refused per (email, `address`) and per `address`,
/// slowed down per email for addresses that failed too; a correct password
/// from an address without failures always logs in, and clears its own
/// (email, address) count. Refusals (`too_many_attempts`) read the same
/// whether the email exists or not. A malformed email or password is
/// `invalid_credentials` like a wrong one (no hint which), costs no hash and
/// counts against the address only. Argon2 runs on `passwords`.
#[allow(clippy::too_many_arguments)] // each is a distinct input of the use case
pub async fn login_throttled<S, W>(
    store: &S,
    passwords: &W,
    policy: &ThrottlePolicy,
    email: &str,
    password: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Customer, LoginError>
where
    S: CustomerRepository + ThrottleRepository + ?Sized,
    W: PasswordWorker + ?Sized,
{
    let (Ok(email), Ok(password)) = (Email::parse(email), Password::parse(password)) else {
        return Err(malformed_login(store, policy, address, now).await);
    };
    let check = ThrottleCheck::login(policy, &email, address);
    throttled_login(
        store,
        &check,
        now,
        login(store, passwords, &email, &password),
    )
    .await
}

/// Counts a malformed email or password (no hash: it cannot be anyone's)
/// against `address` only; the answer is `invalid_credentials` like a wrong
/// password, or `too_many_attempts` past the address's limit.
async fn malformed_login<S: ThrottleRepository + ?Sized>(
    store: &S,
    policy: &ThrottlePolicy,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> LoginError {
    let check = ThrottleCheck::malformed_login(policy, address);
    match store.count_attempt(&check, now).await {
        Ok(Ok(())) => LoginError::InvalidCredentials,
        Ok(Err(wait)) => too_many_attempts(wait),
        Err(storage) => storage.into(),
    }
}

fn too_many_attempts(wait: Duration) -> LoginError {
    LoginError::TooManyAttempts {
        retry_after_seconds: retry_after_seconds(wait),
    }
}

/// Runs one password check under a login throttle: refused, or a success
/// (which clears its own count), a failure (counted) or neither (storage).
async fn throttled_login<S, T>(
    store: &S,
    check: &ThrottleCheck,
    now: DateTime<Utc>,
    password_check: impl std::future::Future<Output = Result<T, LoginError>>,
) -> Result<T, LoginError>
where
    S: ThrottleRepository + ?Sized,
{
    let throttled = run_throttled(store, check, now, password_check, |outcome| match outcome {
        Ok(_) => Verdict::Passed,
        Err(LoginError::InvalidCredentials) => Verdict::Failed,
        Err(_) => Verdict::Neither,
    })
    .await;
    let (outcome, counts) = match throttled {
        Ok(done) => done,
        Err(Throttled::TooManyAttempts {
            retry_after_seconds,
        }) => {
            return Err(LoginError::TooManyAttempts {
                retry_after_seconds,
            })
        }
        Err(Throttled::Refused(error)) => return Err(error),
    };
    if outcome.is_ok() {
        if let Some(own) = check.own_key().filter(|key| counts.contains_key(*key)) {
            store.clear_throttle(std::slice::from_ref(own)).await?;
        }
    }
    outcome
}

/// Opens a session for `customer` (who just proved their password): the
/// token to hand over once, and its expiry. The store keeps only its hash.
pub async fn open_session<S: AccessRepository + ?Sized>(
    store: &S,
    customer: CustomerId,
    lifetime: Duration,
    now: DateTime<Utc>,
) -> Result<OpenedSession, StorageError> {
    let (session, plan) = plan_session(customer, now, lifetime);
    store.apply_access_plan(&plan).await?;
    Ok(session)
}

/// Logs in and opens a session, as a front end does on a login request:
/// [`login_throttled`] at the store's clock, then [`open_session`] for the
/// store's configured session lifetime ([`ShopConfig::session_lifetime`](crate::ShopConfig::session_lifetime)).
/// Answers the customer and the session (its token shown this once).
pub async fn login_and_open_session<S, W>(
    store: &S,
    passwords: &W,
    policy: &ThrottlePolicy,
    email: &str,
    password: &str,
    address: Option<&str>,
) -> Result<(Customer, OpenedSession), LoginError>
where
    S: OrderWorkflow + AccessRepository + ThrottleRepository + ?Sized,
    W: PasswordWorker + ?Sized,
{
    let now = store.now();
    let customer = login_throttled(store, passwords, policy, email, password, address, now).await?;
    let lifetime = store.config().session_lifetime();
    let session = open_session(store, customer.id, lifetime, now).await?;
    Ok((customer, session))
}

/// Ends the session of `token`; an unknown or ended session is already logged out.
pub async fn logout<S: AccessRepository + ?Sized>(
    store: &S,
    token: &AccessToken,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    store.apply_access_plan(&plan_logout(token, now)).await?;
    Ok(())
}

/// Changes a customer's password after checking the current one, and ends
/// every other session of theirs (`keep`, the session asking, stays). Both
/// the check and the new hash run on `passwords`.
///
/// The check of the current password is throttled like a login (for the
/// customer's email and `address`); a wrong current password is
/// `invalid_credentials`, and nothing changes. A malformed one is
/// `invalid_credentials` too, counted against the address only.
#[allow(clippy::too_many_arguments)] // each is a distinct input of the use case
pub async fn change_password<S, W>(
    store: &S,
    passwords: &W,
    policy: &ThrottlePolicy,
    customer: CustomerId,
    current: &str,
    new: &Password,
    keep: Option<&AccessToken>,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), LoginError>
where
    S: CustomerRepository + AccessRepository + ThrottleRepository + ?Sized,
    W: PasswordWorker + ?Sized,
{
    let profile = match store.customer(customer).await {
        Ok(profile) => profile,
        Err(CustomerError::Storage(e)) => return Err(e.into()),
        Err(_) => return Err(LoginError::InvalidCredentials),
    };
    let Ok(current) = Password::parse(current) else {
        return Err(malformed_login(store, policy, address, now).await);
    };
    let check = ThrottleCheck::login(policy, &profile.email, address);
    throttled_login(
        store,
        &check,
        now,
        login(store, passwords, &profile.email, &current),
    )
    .await?;
    let plan = plan_password_change(customer, passwords.hash(new).await?, keep, now);
    store.apply_access_plan(&plan).await?;
    Ok(())
}

/// Who presents `bearer` (the token of an `Authorization: Bearer` header):
/// no token is [`Actor::Anonymous`]; a live session its customer; a live
/// staff key its role. Anything else — malformed, unknown, expired, revoked —
/// is `unauthenticated`, without saying which.
pub async fn authenticate<S: AccessRepository + ?Sized>(
    store: &S,
    bearer: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Actor, AccessError> {
    let Some(bearer) = bearer else {
        return Ok(Actor::Anonymous);
    };
    let hash = AccessToken::parse(bearer)
        .map_err(|_| AccessError::Unauthenticated)?
        .hash();
    if let Some(customer) = store.session_owner(&hash, now).await? {
        return Ok(Actor::Customer(customer));
    }
    match store.staff_key_by_hash(&hash).await? {
        Some(key) => Ok(Actor::Staff {
            key: key.id,
            role: key.role,
        }),
        None => Err(AccessError::Unauthenticated),
    }
}

/// Creates a staff key with a fresh secret, shown in the answer this once.
pub async fn create_staff_key<S: AccessRepository + ?Sized>(
    store: &S,
    name: StaffKeyName,
    role: StaffRole,
    now: DateTime<Utc>,
) -> Result<IssuedStaffKey, AccessError> {
    let (secret, plan) = plan_staff_key(name, role, None, now);
    let key = issue(store, &plan).await?;
    Ok(IssuedStaffKey { key, secret })
}

/// Installs a key the operator chose (`SHOPCORE_ADMIN_KEY`) with `role`;
/// if a live key with that secret exists already, that one is kept — also
/// when another process installs it at the same moment (several workers
/// starting together): the write that loses finds the winner's key.
///
/// Refused, with nothing written: a key below [`MIN_CHOSEN_KEY_BITS`] by
/// [`key_strength_bits`] (`invalid_token`: stores keep only a fast hash of a
/// key, safe only for a key nobody can guess), and a key whose secret was
/// revoked (`staff_key_revoked`: revoking is final; choose a new key). Neither
/// message carries the key or its hash.
pub async fn install_staff_key<S: AccessRepository + ?Sized>(
    store: &S,
    name: StaffKeyName,
    role: StaffRole,
    secret: AccessToken,
    now: DateTime<Utc>,
) -> Result<StaffKey, AccessError> {
    let bits = key_strength_bits(secret.expose());
    if bits < MIN_CHOSEN_KEY_BITS {
        return Err(AccessError::WeakKey { bits });
    }
    let hash = secret.hash();
    if let Some(existing) = installed(store, &hash).await? {
        return Ok(existing);
    }
    let (_, plan) = plan_staff_key(name, role, Some(secret), now);
    match issue(store, &plan).await {
        Ok(key) => Ok(key),
        Err(refused) => match installed(store, &hash).await? {
            Some(installed_meanwhile) => Ok(installed_meanwhile),
            None => Err(refused.into()),
        },
    }
}

/// The live key with this hash; `staff_key_revoked` if the secret was revoked.
async fn installed<S: AccessRepository + ?Sized>(
    store: &S,
    hash: &TokenHash,
) -> Result<Option<StaffKey>, AccessError> {
    if let Some(live) = store.staff_key_by_hash(hash).await? {
        return Ok(Some(live));
    }
    match store.revoked_staff_key_by_hash(hash).await? {
        Some(revoked) => Err(AccessError::StaffKeyRevoked(revoked.id)),
        None => Ok(None),
    }
}

/// Applies a plan that issues a staff key, and reads the key back as stored.
async fn issue<S: AccessRepository + ?Sized>(
    store: &S,
    plan: &Plan,
) -> Result<StaffKey, StorageError> {
    let missing = || StorageError::Failure("the issued staff key is missing".to_owned());
    let id = store.apply_access_plan(plan).await?.ok_or_else(missing)?;
    store.staff_key(id).await?.ok_or_else(missing)
}

/// Revokes a staff key (revoking it again changes nothing); answers it as stored.
pub async fn revoke_staff_key<S: AccessRepository + ?Sized>(
    store: &S,
    id: StaffKeyId,
    now: DateTime<Utc>,
) -> Result<StaffKey, AccessError> {
    let key = store
        .staff_key(id)
        .await?
        .ok_or(AccessError::UnknownStaffKey(id))?;
    store
        .apply_access_plan(&plan_staff_key_revocation(&key, now))
        .await?;
    Ok(store.staff_key(id).await?.unwrap_or(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password_and_are_salted() {
        let password = Password::parse("s3cret-passw0rd").unwrap();
        let first = password.hash().unwrap();
        let second = password.hash().unwrap();
        assert!(first.as_str().starts_with("$argon2id$"));
        assert_ne!(first, second, "salts differ");
        assert!(password.verify(&first));
        assert!(!Password::parse("another-password").unwrap().verify(&first));
        assert!(!password.verify(&PasswordHash::new("not a hash".to_owned())));
    }

    /// `$argon2id$v=19$m=…,t=…,p=…$salt$hash`: everything but salt and hash.
    fn shape(phc: &str) -> (Vec<&str>, Vec<usize>) {
        let parts: Vec<&str> = phc.split('$').collect();
        assert_eq!(parts.len(), 6, "{phc}");
        (
            parts[..4].to_vec(),
            parts[4..].iter().map(|p| p.len()).collect(),
        )
    }

    #[test]
    fn the_decoy_is_a_hash_as_costly_as_a_fresh_one() {
        let fresh = Password::parse("any password at all")
            .unwrap()
            .hash()
            .unwrap();
        assert_eq!(shape(DECOY_HASH), shape(fresh.as_str()));
        assert!(!Password::parse("any password at all")
            .unwrap()
            .verify(&decoy_hash()));
    }

    #[test]
    fn length_limits_count_characters() {
        assert!(Password::parse(&"é".repeat(8)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert_eq!(
            Password::parse("1234567").unwrap_err().kind(),
            ErrorKind::InvalidPassword
        );
    }
}
