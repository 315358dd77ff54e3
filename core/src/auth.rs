//! Passwords and login: Argon2id hashes that never leave the store.
//!
//! [`register`] hashes the password before the store sees it; [`login`]
//! verifies against the stored hash and answers only "this customer" or
//! `invalid_credentials` — the same error for an unknown email, an account
//! without a password and a wrong password, after the same amount of work.

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::customer::{Customer, NewCustomer};
use crate::error::{ErrorCode, ErrorKind, StorageError, ValueError};
use crate::repository::{CustomerError, CustomerRepository};
use crate::text::{CustomerName, Email, PasswordHash, Phone};

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

    /// Hashes the password with Argon2id and a random salt (PHC string format).
    pub fn hash(&self) -> Result<PasswordHash, StorageError> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|hash| PasswordHash::new(hash.to_string()))
            .map_err(|e| StorageError::Failure(format!("password hashing failed: {e}")))
    }

    /// Whether this password matches `hash`; a malformed hash never matches.
    pub fn verify(&self, hash: &PasswordHash) -> bool {
        argon2::PasswordHash::new(hash.as_str())
            .map(|parsed| {
                Argon2::default()
                    .verify_password(self.0.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
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
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for LoginError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidCredentials => ErrorKind::InvalidCredentials,
            Self::Storage(error) => error.kind(),
        }
    }
}

/// Registers a customer with a hashed password.
pub async fn register<R: CustomerRepository + ?Sized>(
    customers: &R,
    name: CustomerName,
    email: Email,
    phone: Option<Phone>,
    password: &Password,
) -> Result<Customer, CustomerError> {
    let password_hash = Some(password.hash()?);
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
/// costs the same time as a wrong password.
fn decoy_hash() -> &'static PasswordHash {
    static DECOY: OnceLock<PasswordHash> = OnceLock::new();
    DECOY.get_or_init(|| {
        Password("decoy password for timing".to_owned())
            .hash()
            .unwrap_or_else(|_| PasswordHash::new(String::new()))
    })
}

/// The customer registered under `email` with this password.
pub async fn login<R: CustomerRepository + ?Sized>(
    customers: &R,
    email: &Email,
    password: &Password,
) -> Result<Customer, LoginError> {
    let credentials = customers.customer_credentials(email).await?;
    match credentials {
        Some(found) => match &found.password_hash {
            Some(hash) if password.verify(hash) => Ok(found.customer),
            Some(_) => Err(LoginError::InvalidCredentials),
            None => {
                password.verify(decoy_hash());
                Err(LoginError::InvalidCredentials)
            }
        },
        None => {
            password.verify(decoy_hash());
            Err(LoginError::InvalidCredentials)
        }
    }
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
