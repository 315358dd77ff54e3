//! Error codes and categories shared by every concern.
//!
//! Each concern has its own `thiserror` enum ([`ValueError`], [`CartError`],
//! [`PricingError`], [`CheckoutError`], …) so a function's signature says which
//! failures it can produce. All of them implement [`ErrorCode`], which maps a
//! variant to one [`ErrorKind`]: the stable snake_case machine code that the
//! Python bindings and the HTTP layer expose, and its [`ErrorCategory`], which
//! decides the exception class and the HTTP status. `ErrorKind` is the single
//! list that bindings match exhaustively, so adding a kind fails to compile
//! until every layer maps it.
//!
//! ```
//! use shopcore::{ErrorCategory, ErrorCode, ErrorKind, Quantity};
//! let refused = Quantity::new(0).unwrap_err();
//! assert_eq!(refused.code(), "invalid_quantity");
//! assert_eq!(refused.category(), ErrorCategory::Validation);
//! assert_eq!(ErrorKind::from_code("invalid_quantity").unwrap().category(), ErrorCategory::Validation);
//! ```
//!
//! [`CartError`]: crate::CartError
//! [`PricingError`]: crate::PricingError
//! [`CheckoutError`]: crate::CheckoutError

use std::fmt;

/// The broad class of an error; bindings and HTTP map it 1:1
/// (validation → 400, unauthenticated → 401, forbidden → 403, not found → 404,
/// conflict → 409, rate limited → 429, storage → 503).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCategory {
    /// The input is malformed or breaks a rule that no state change can fix.
    Validation,
    /// The input names something that does not exist.
    NotFound,
    /// The input is well formed but conflicts with the current state.
    Conflict,
    /// The caller could not prove who they are (a failed login, a missing or
    /// unknown token).
    Unauthenticated,
    /// The caller is known but may not do this.
    Forbidden,
    /// Too many attempts: try again later.
    RateLimited,
    /// The storage backend failed or is unreachable.
    Storage,
}

impl ErrorCategory {
    /// The category as its snake_case name, e.g. `"not_found"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::RateLimited => "rate_limited",
            Self::Storage => "storage",
        }
    }
}

macro_rules! error_kinds {
    ($( $(#[doc = $doc:literal])* $variant:ident => $code:literal, $category:ident; )*) => {
        /// Every error shopcore can report, with its stable machine code.
        ///
        /// ```
        /// use shopcore::{ErrorCategory, ErrorKind};
        /// assert_eq!(ErrorKind::InsufficientStock.code(), "insufficient_stock");
        /// assert_eq!(ErrorKind::InsufficientStock.category(), ErrorCategory::Conflict);
        /// assert_eq!(ErrorKind::from_code("unknown_tax_region"), Some(ErrorKind::UnknownTaxRegion));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant,)*];

            /// The stable snake_case machine code.
            pub const fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)* }
            }

            /// The category that decides the exception class and HTTP status.
            pub const fn category(self) -> ErrorCategory {
                match self { $(Self::$variant => ErrorCategory::$category,)* }
            }

            /// The kind with this machine code, if any.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)* _ => None }
            }

            /// What the error means: its documentation, one line (each line
            /// of it begins with a space), for the error-code table of the book.
            pub const fn description(self) -> &'static str {
                match self { $(Self::$variant => concat!($($doc),*),)* }
            }
        }
    };
}

error_kinds! {
    /// A request is malformed: a field is missing or has the wrong type.
    InvalidRequest => "invalid_request", Validation;
    /// A quantity is not a whole number in the allowed range.
    InvalidQuantity => "invalid_quantity", Validation;
    /// A money amount is negative, too large or has more than two decimals.
    InvalidMoney => "invalid_money", Validation;
    /// A percentage is outside 0–100 or has more than two decimals.
    InvalidPercent => "invalid_percent", Validation;
    /// An id is not a positive integer.
    InvalidId => "invalid_id", Validation;
    /// An email address is malformed.
    InvalidEmail => "invalid_email", Validation;
    /// A tax region name is empty, too long or has control characters.
    InvalidRegion => "invalid_region", Validation;
    /// A customer name is empty, too long or has control characters.
    InvalidName => "invalid_name", Validation;
    /// A phone number is too long or has characters other than digits, spaces, `+ - ( )`.
    InvalidPhone => "invalid_phone", Validation;
    /// A password is too short or too long.
    InvalidPassword => "invalid_password", Validation;
    /// An idempotency key is empty, too long or not printable ASCII.
    InvalidIdempotencyKey => "invalid_idempotency_key", Validation;
    /// A stock or points change is outside the allowed range.
    InvalidAdjustment => "invalid_adjustment", Validation;
    /// An order has no lines.
    EmptyOrder => "empty_order", Validation;
    /// An order has more distinct lines than allowed.
    TooManyLines => "too_many_lines", Validation;
    /// A computed amount exceeds the largest storable amount.
    AmountOutOfRange => "amount_out_of_range", Validation;
    /// The tax region has no configured rate (never a guessed rate).
    UnknownTaxRegion => "unknown_tax_region", Validation;
    /// A tier ladder is malformed: a repeated minimum quantity or too many rungs
    /// (the message names the rung).
    InvalidTier => "invalid_tier", Validation;
    /// A coupon's fields are not valid (code, value, window, limits).
    InvalidCoupon => "invalid_coupon", Validation;
    /// An order redeems points worth more than what is left to pay after the coupon.
    PointsExceedAmount => "points_exceed_amount", Validation;
    /// A webhook endpoint's url, events or secret are not valid.
    InvalidWebhook => "invalid_webhook", Validation;
    /// A payment or capture amount is zero or less.
    InvalidAmount => "invalid_amount", Validation;
    /// A line names a product the order does not hold.
    ProductNotInOrder => "product_not_in_order", Validation;
    /// No product has this id.
    UnknownProduct => "unknown_product", NotFound;
    /// No customer has this id.
    UnknownCustomer => "unknown_customer", NotFound;
    /// No order has this id.
    OrderNotFound => "order_not_found", NotFound;
    /// No coupon has this code.
    CouponUnknown => "coupon_unknown", NotFound;
    /// No webhook endpoint has this id.
    UnknownWebhook => "unknown_webhook", NotFound;
    /// No notification has this id.
    NotificationNotFound => "notification_not_found", NotFound;
    /// The order has no payment with this id.
    UnknownPayment => "unknown_payment", NotFound;
    /// No return has this id.
    UnknownReturn => "unknown_return", NotFound;
    /// There is not enough stock for the requested change.
    InsufficientStock => "insufficient_stock", Conflict;
    /// The checkout's total differs from the one the buyer expected (a price,
    /// tier or tax rate changed): nothing was written.
    PriceChanged => "price_changed", Conflict;
    /// The product is retired: it can be neither quoted nor ordered.
    ProductUnavailable => "product_unavailable", Conflict;
    /// The configured default tax region cannot be removed.
    DefaultTaxRegion => "default_tax_region", Conflict;
    /// Stock would exceed the largest storable level.
    StockOutOfRange => "stock_out_of_range", Conflict;
    /// The customer has fewer loyalty points than the change takes away.
    InsufficientPoints => "insufficient_points", Conflict;
    /// Only orders in status `created` can be cancelled.
    OrderNotCancellable => "order_not_cancellable", Conflict;
    /// The order is cancelled: it has no confirmation to send again, and takes
    /// no payment or shipment.
    OrderCancelled => "order_cancelled", Conflict;
    /// A payment would make what is captured and authorized exceed what the
    /// order is due.
    PaymentExceedsBalance => "payment_exceeds_balance", Conflict;
    /// The payment reference was used on this order before with another amount.
    PaymentReferenceConflict => "payment_reference_conflict", Conflict;
    /// Only an authorized payment can be captured or voided.
    PaymentNotAuthorized => "payment_not_authorized", Conflict;
    /// A capture asks for more than the payment authorized.
    CaptureExceedsAuthorized => "capture_exceeds_authorized", Conflict;
    /// A shipment asks for more units of a line than remain to ship (the
    /// message names the product and what remains).
    FulfillmentExceedsOrder => "fulfillment_exceeds_order", Conflict;
    /// Units of the order have shipped, so the whole order cannot be cancelled.
    OrderFulfilled => "order_fulfilled", Conflict;
    /// A cancel asks for more units of a line than are neither shipped nor
    /// cancelled (the message names the product and what remains).
    CancelExceedsUnfulfilled => "cancel_exceeds_unfulfilled", Conflict;
    /// A return asks for more units of a line than shipped and are not yet
    /// returned or asked back (the message names the product and what remains).
    ReturnExceedsFulfilled => "return_exceeds_fulfilled", Conflict;
    /// Only a `requested` return can be received or rejected.
    ReturnNotRequested => "return_not_requested", Conflict;
    /// The customer's return window for these units has closed.
    ReturnWindowClosed => "return_window_closed", Conflict;
    /// A refund asks for more than was captured and not yet refunded.
    RefundExceedsPaid => "refund_exceeds_paid", Conflict;
    /// The order comes from the original schema (region `legacy`): what each
    /// unit cost was never kept, so its units are neither cancelled one by
    /// one nor returned; it is refunded by goodwill refunds.
    LegacyOrder => "legacy_order", Conflict;
    /// The idempotency key was used before with a different request.
    IdempotencyConflict => "idempotency_conflict", Conflict;
    /// Another customer already uses this email address.
    EmailTaken => "email_taken", Conflict;
    /// The coupon is deactivated.
    CouponInactive => "coupon_inactive", Conflict;
    /// The coupon's validity has not started.
    CouponNotYetValid => "coupon_not_yet_valid", Conflict;
    /// The coupon's validity has ended.
    CouponExpired => "coupon_expired", Conflict;
    /// The coupon has been redeemed as often as it may be.
    CouponExhausted => "coupon_exhausted", Conflict;
    /// The customer has used the coupon as often as one customer may.
    CouponCustomerLimit => "coupon_customer_limit", Conflict;
    /// The subtotal after tier discounts is below the coupon's minimum.
    CouponMinSubtotal => "coupon_min_subtotal", Conflict;
    /// A coupon with this code already exists.
    CouponExists => "coupon_exists", Conflict;
    /// The notification has no failed delivery to retry.
    NothingToRetry => "nothing_to_retry", Conflict;
    /// The email and password do not match an account.
    InvalidCredentials => "invalid_credentials", Unauthenticated;
    /// The request carries no token, or one that is malformed, unknown, expired or revoked.
    Unauthenticated => "unauthenticated", Unauthenticated;
    /// The caller's session or key does not allow this.
    Forbidden => "forbidden", Forbidden;
    /// Too many failed logins for this email or from this address: wait and retry.
    TooManyAttempts => "too_many_attempts", RateLimited;
    /// An access token or staff key is malformed.
    InvalidToken => "invalid_token", Validation;
    /// A staff role is not `support`, `inventory` or `admin`.
    InvalidRole => "invalid_role", Validation;
    /// No staff key has this id.
    UnknownStaffKey => "unknown_staff_key", NotFound;
    /// The staff key being installed (`SHOPCORE_ADMIN_KEY`) was revoked: a
    /// revoked secret is never valid again; choose a new one.
    StaffKeyRevoked => "staff_key_revoked", Conflict;
    /// The storage backend cannot be reached or refused the credentials.
    StorageUnavailable => "storage_unavailable", Storage;
    /// The storage backend failed while executing a request.
    StorageFailure => "storage_failure", Storage;
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Implemented by every error enum of shopcore: maps a variant to its [`ErrorKind`].
pub trait ErrorCode: std::error::Error {
    /// The kind of this error.
    fn kind(&self) -> ErrorKind;

    /// The stable machine code, e.g. `"unknown_product"`.
    fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// The category, which decides the exception class and HTTP status.
    fn category(&self) -> ErrorCategory {
        self.kind().category()
    }
}

/// Invalid input to one of the value types' constructors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// See [`ErrorKind::InvalidQuantity`].
    #[error("quantity must be a whole number from 1 to {max}, got {value}")]
    Quantity {
        /// The rejected input, as text.
        value: String,
        /// The largest allowed quantity.
        max: u32,
    },
    /// See [`ErrorKind::InvalidMoney`].
    #[error("invalid amount {value:?}: {reason}")]
    Money {
        /// The rejected input, as text.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// See [`ErrorKind::InvalidPercent`].
    #[error("invalid percentage {value:?}: must be from 0 to 100 with at most two decimals")]
    Percent {
        /// The rejected input, as text.
        value: String,
    },
    /// See [`ErrorKind::InvalidId`].
    #[error("invalid {entity} id {value:?}: must be a positive integer")]
    Id {
        /// Which id: "product", "customer", "order", "notification".
        entity: &'static str,
        /// The rejected input, as text.
        value: String,
    },
    /// See [`ErrorKind::InvalidEmail`].
    #[error("invalid email address: {reason}")]
    Email {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// See [`ErrorKind::InvalidRegion`].
    #[error("invalid tax region: {reason}")]
    Region {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A page size out of range (see [`ErrorKind::InvalidRequest`]).
    #[error("limit must be a whole number from 1 to {max}, got {value}")]
    Limit {
        /// The rejected input, as text.
        value: String,
        /// The largest page.
        max: u16,
    },
    /// See [`ErrorKind::InvalidName`].
    #[error("invalid name: {reason}")]
    Name {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// See [`ErrorKind::InvalidPhone`].
    #[error("invalid phone number: {reason}")]
    Phone {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// See [`ErrorKind::InvalidPassword`].
    #[error("invalid password: {reason}")]
    Password {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// See [`ErrorKind::InvalidCoupon`].
    #[error("invalid coupon code: {reason}")]
    CouponCode {
        /// What is wrong.
        reason: &'static str,
    },
    /// See [`ErrorKind::InvalidIdempotencyKey`].
    #[error("invalid idempotency key: {reason}")]
    IdempotencyKey {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A text field of a request is not valid (see [`ErrorKind::InvalidRequest`]).
    #[error("invalid {field}: {reason}")]
    Field {
        /// The field, as the request names it.
        field: &'static str,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// See [`ErrorKind::InvalidAmount`].
    #[error("amount must be greater than zero, got {value}")]
    Amount {
        /// The rejected amount, as text.
        value: String,
    },
}

impl ErrorCode for ValueError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Quantity { .. } => ErrorKind::InvalidQuantity,
            Self::Money { .. } => ErrorKind::InvalidMoney,
            Self::Percent { .. } => ErrorKind::InvalidPercent,
            Self::Id { .. } => ErrorKind::InvalidId,
            Self::Email { .. } => ErrorKind::InvalidEmail,
            Self::Region { .. } => ErrorKind::InvalidRegion,
            Self::Name { .. } => ErrorKind::InvalidName,
            Self::Limit { .. } => ErrorKind::InvalidRequest,
            Self::Phone { .. } => ErrorKind::InvalidPhone,
            Self::Password { .. } => ErrorKind::InvalidPassword,
            Self::IdempotencyKey { .. } => ErrorKind::InvalidIdempotencyKey,
            Self::CouponCode { .. } => ErrorKind::InvalidCoupon,
            Self::Field { .. } => ErrorKind::InvalidRequest,
            Self::Amount { .. } => ErrorKind::InvalidAmount,
        }
    }
}

/// A failure of the storage backend, not of the request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// See [`ErrorKind::StorageUnavailable`].
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// See [`ErrorKind::StorageFailure`].
    #[error("storage failure: {0}")]
    Failure(String),
}

impl ErrorCode for StorageError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Unavailable(_) => ErrorKind::StorageUnavailable,
            Self::Failure(_) => ErrorKind::StorageFailure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_is_unique_snake_case_and_round_trips() {
        let mut seen = HashSet::new();
        for kind in ErrorKind::ALL {
            let code = kind.code();
            assert!(seen.insert(code), "duplicate code {code}");
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
            assert_eq!(ErrorKind::from_code(code), Some(*kind));
        }
        assert_eq!(ErrorKind::from_code("no_such_code"), None);
    }

    #[test]
    fn the_codes_the_http_layer_relies_on_have_their_categories() {
        use ErrorCategory::*;
        let expected = [
            ("insufficient_stock", Conflict),
            ("unknown_product", NotFound),
            ("unknown_customer", NotFound),
            ("unknown_tax_region", Validation),
            ("invalid_quantity", Validation),
            ("empty_order", Validation),
            ("order_not_cancellable", Conflict),
            ("idempotency_conflict", Conflict),
            ("storage_unavailable", Storage),
        ];
        for (code, category) in expected {
            let kind = ErrorKind::from_code(code).expect(code);
            assert_eq!(kind.category(), category, "{code}");
        }
    }
}
