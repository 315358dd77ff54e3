//! Sessions, passwords, staff keys and customer profiles.

use chrono::{DateTime, Utc};
use shopcore::{
    CustomerId, CustomerName, Email, PasswordHash, Phone, SessionScope, StaffKeyId, StaffKeyName,
    StaffRole, TokenHash,
};

use crate::backend::Backend;
use crate::error::{diverged, DbError};
use crate::rows::utc;
use crate::stmt::query;

pub(super) async fn revoke_sessions<C: Backend>(
    conn: &mut C,
    scope: &SessionScope,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    match scope {
        SessionScope::One(token) => {
            query("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL")
                .bind(utc(at))
                .bind(token.as_str())
                .execute(&mut *conn)
                .await?;
        }
        SessionScope::AllOf { customer, except } => {
            let keep = except.as_ref().map(TokenHash::as_str);
            query(
                "UPDATE sessions SET revoked_at = ? WHERE customer_id = ? AND revoked_at IS NULL \
                 AND (? IS NULL OR token_hash <> ?)",
            )
            .bind(utc(at))
            .bind(customer.get())
            .bind(keep)
            .bind(keep)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Opens a session: stores the hash of its token.
pub(super) async fn open_session<C: Backend>(
    conn: &mut C,
    token: &TokenHash,
    customer: CustomerId,
    expires_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    query(
        "INSERT INTO sessions (token_hash, customer_id, created_at, expires_at) \
         VALUES (?, ?, ?, ?)",
    )
    .bind(token.as_str())
    .bind(customer.get())
    .bind(utc(at))
    .bind(utc(expires_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a customer's new password hash.
pub(super) async fn change_password<C: Backend>(
    conn: &mut C,
    customer: CustomerId,
    hash: &PasswordHash,
) -> Result<(), DbError> {
    let updated = query("UPDATE customers SET password_hash = ? WHERE customer_id = ?")
        .bind(hash.as_str())
        .bind(customer.get())
        .execute(&mut *conn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(diverged(format_args!("customer {customer}")));
    }
    Ok(())
}

/// Stores a staff key (its secret only as a hash); answers its id.
pub(super) async fn issue_staff_key<C: Backend>(
    conn: &mut C,
    name: &StaffKeyName,
    role: StaffRole,
    key: &TokenHash,
    at: DateTime<Utc>,
) -> Result<Option<StaffKeyId>, DbError> {
    let inserted =
        query("INSERT INTO staff_keys (name, role, key_hash, created_at) VALUES (?, ?, ?, ?)")
            .bind(name.as_str())
            .bind(role.as_str())
            .bind(key.as_str())
            .bind(utc(at))
            .execute(&mut *conn)
            .await?;
    Ok(StaffKeyId::new(inserted.last_insert_id).ok())
}

/// Revokes a staff key (a revoked key keeps its first revocation time).
pub(super) async fn revoke_staff_key<C: Backend>(
    conn: &mut C,
    key: StaffKeyId,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let updated =
        query("UPDATE staff_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?")
            .bind(utc(at))
            .bind(key.get())
            .execute(&mut *conn)
            .await?;
    if updated.rows_affected != 1 {
        return Err(diverged(format_args!("staff key {key}")));
    }
    Ok(())
}

/// Stores a customer's changed profile.
pub(super) async fn change_profile<C: Backend>(
    conn: &mut C,
    customer: CustomerId,
    name: &CustomerName,
    email: &Email,
    phone: Option<&Phone>,
) -> Result<(), DbError> {
    let updated =
        query("UPDATE customers SET name = ?, email = ?, phone = ? WHERE customer_id = ?")
            .bind(name.as_str())
            .bind(email.as_str())
            .bind(phone.map(|p| p.as_str()))
            .bind(customer.get())
            .execute(&mut *conn)
            .await?;
    if updated.rows_affected != 1 {
        return Err(diverged(format_args!("profile of customer {customer}")));
    }
    Ok(())
}
