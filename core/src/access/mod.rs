//! Who may do what: actors, the one authorization policy, sessions and staff keys.
//!
//! Every request is made by an [`Actor`]: anonymous, a customer (proved by a
//! session token from login) or a staff member (proved by an API key with a
//! [`StaffRole`]). [`authorize`] is the whole policy, one `match` over
//! [`Action`]s, so the HTTP layer, the bindings and any other caller ask the
//! same question and get the same answer:
//!
//! | action | anyone | the customer it is about | support | inventory | admin |
//! |---|---|---|---|---|---|
//! | health, register, login, quote, read the catalog | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | read profile, notifications | | ✓ | ✓ | | ✓ |
//! | read order history, an order | | ✓ | ✓ | ✓ | ✓ |
//! | list every customer's orders | | | ✓ | ✓ | ✓ |
//! | record, capture and void payments | | | ✓ | | ✓ |
//! | record shipments (fulfillments) | | | | ✓ | ✓ |
//! | update profile, change password, place an order | | ✓ | | | ✓ |
//! | cancel an order | | ✓ | ✓ | | ✓ |
//! | log out (a session) | | ✓ | | | |
//! | list customers, resend confirmations, adjust points | | | ✓ | | ✓ |
//! | list deliveries by state, retry failed deliveries | | | ✓ | | ✓ |
//! | adjust stock, administer the catalog | | | | ✓ | ✓ |
//! | create and revoke staff keys, manage webhooks | | | | | ✓ |
//! | read the operational metrics, the catalog change log | | | ✓ | ✓ | ✓ |
//!
//! A request without a token is anonymous: refused actions answer
//! `unauthenticated`; a known actor without the right gets `forbidden`.
//!
//! Tokens and keys are [`AccessToken`]s: 256 random bits from the operating
//! system, hex-encoded behind a prefix that says what they are (`sct_` for a
//! session, `sck_` for a staff key). Stores keep only their SHA-256
//! ([`TokenHash`]) — a token has all the entropy it needs, so a fast hash is
//! the right one (a password needs Argon2; a token does not).

pub(crate) mod throttle;

use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::{ErrorCode, ErrorKind, StorageError, ValueError};
use crate::values::ids::{CustomerId, StaffKeyId};
use crate::values::text::StaffKeyName;

mod key_strength;
pub use key_strength::{key_strength_bits, MIN_CHOSEN_KEY_BITS};

/// A staff member's role, which decides what their key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StaffRole {
    /// Customers, orders and notifications: read, cancel, resend, adjust points.
    Support,
    /// Stock and the catalog.
    Inventory,
    /// Everything, including staff keys.
    Admin,
}

impl StaffRole {
    /// Every role.
    pub const ALL: [StaffRole; 3] = [StaffRole::Support, StaffRole::Inventory, StaffRole::Admin];

    /// The role as stored and sent: `support`, `inventory` or `admin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StaffRole::Support => "support",
            StaffRole::Inventory => "inventory",
            StaffRole::Admin => "admin",
        }
    }

    /// Parses a role name; fails with `invalid_role`.
    ///
    /// ```
    /// use shopcore::StaffRole;
    /// assert_eq!(StaffRole::parse("inventory").unwrap(), StaffRole::Inventory);
    /// assert!(StaffRole::parse("root").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, AccessError> {
        StaffRole::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| AccessError::InvalidRole(text.chars().take(40).collect()))
    }
}

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// No token.
    Anonymous,
    /// A logged-in customer.
    Customer(CustomerId),
    /// A staff API key.
    Staff {
        /// The key.
        key: StaffKeyId,
        /// Its role.
        role: StaffRole,
    },
}

/// What is being asked for; actions about one customer's data name that customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// A health check.
    Health,
    /// Registering an account.
    Register,
    /// Logging in.
    Login,
    /// Pricing a cart.
    Quote,
    /// Listing or checking products.
    ReadCatalog,
    /// Reading a customer's profile.
    ReadProfile(CustomerId),
    /// Changing a customer's name, phone or email.
    UpdateProfile(CustomerId),
    /// Changing a customer's password.
    ChangePassword(CustomerId),
    /// Listing a customer's orders.
    ReadOrderHistory(CustomerId),
    /// Placing an order for a customer.
    PlaceOrder(CustomerId),
    /// Reading an order of a customer.
    ReadOrder(CustomerId),
    /// Cancelling an order of a customer.
    CancelOrder(CustomerId),
    /// Reading notifications: about one customer, or (`None`) anyone's.
    ReadNotifications(Option<CustomerId>),
    /// Ending the presented session.
    Logout,
    /// Listing every customer.
    ListCustomers,
    /// Logging a customer's confirmation again.
    ResendConfirmation(CustomerId),
    /// Adjusting a customer's loyalty points by hand.
    AdjustPoints,
    /// Adjusting stock by hand.
    AdjustStock,
    /// Administering products, prices, tiers and tax rates.
    ManageCatalog,
    /// Creating, listing and revoking staff keys.
    ManageStaffKeys,
    /// Reading the services' operational metrics (counts, latencies, pool use).
    ReadMetrics,
    /// Reading the catalog change log.
    ReadCatalogChanges,
    /// Creating, reading and changing coupons.
    ManageCoupons,
    /// Auditing the whole pricing rule set.
    AuditPricing,
    /// Listing notifications by delivery state and retrying failed deliveries.
    ManageDeliveries,
    /// Creating, listing and deleting webhook endpoints.
    ManageWebhooks,
    /// Listing every customer's orders.
    ListOrders,
    /// Recording, capturing, voiding and refunding an order's payments.
    ManagePayments,
    /// Recording an order's shipments.
    FulfillOrders,
    /// Asking for a return of this customer's shipped units (a `requested` return).
    RequestReturn(CustomerId),
    /// Creating received returns, receiving or rejecting requested ones, listing returns.
    ManageReturns,
}

impl Action {
    /// The action's name, for error messages.
    pub const fn name(&self) -> &'static str {
        match self {
            Action::Health => "health",
            Action::Register => "register",
            Action::Login => "login",
            Action::Quote => "quote",
            Action::ReadCatalog => "read the catalog",
            Action::ReadProfile(_) => "read this profile",
            Action::UpdateProfile(_) => "update this profile",
            Action::ChangePassword(_) => "change this password",
            Action::ReadOrderHistory(_) => "read this order history",
            Action::PlaceOrder(_) => "place an order for this customer",
            Action::ReadOrder(_) => "read this order",
            Action::CancelOrder(_) => "cancel this order",
            Action::ReadNotifications(_) => "read these notifications",
            Action::Logout => "log out",
            Action::ListCustomers => "list customers",
            Action::ResendConfirmation(_) => "resend confirmations",
            Action::AdjustPoints => "adjust loyalty points",
            Action::AdjustStock => "adjust stock",
            Action::ManageCatalog => "administer the catalog",
            Action::ManageStaffKeys => "manage staff keys",
            Action::ReadMetrics => "read metrics",
            Action::ReadCatalogChanges => "read the catalog change log",
            Action::ManageCoupons => "manage coupons",
            Action::AuditPricing => "audit the pricing rules",
            Action::ManageDeliveries => "manage notification deliveries",
            Action::ManageWebhooks => "manage webhooks",
            Action::ListOrders => "list every customer's orders",
            Action::ManagePayments => "record, capture, void or refund payments",
            Action::FulfillOrders => "record shipments",
            Action::RequestReturn(_) => "ask for a return of this order",
            Action::ManageReturns => "manage returns",
        }
    }

    /// The customer whose data this is, if it is one customer's.
    fn owner(&self) -> Option<CustomerId> {
        match *self {
            Action::ReadProfile(c)
            | Action::UpdateProfile(c)
            | Action::ChangePassword(c)
            | Action::ReadOrderHistory(c)
            | Action::PlaceOrder(c)
            | Action::ReadOrder(c)
            | Action::CancelOrder(c)
            | Action::ResendConfirmation(c)
            | Action::RequestReturn(c)
            | Action::ReadNotifications(Some(c)) => Some(c),
            _ => None,
        }
    }
}

/// The snake_case names of the actions, written once: [`Action::from_name`]
/// reads them, [`Action::key`] writes them, [`Action::NAMES`] lists them. An
/// action is `unit` (about no one), `about` one customer, or `anyones` (about
/// one customer, or with `None` about everyone's).
macro_rules! action_names {
    ($($how:ident $variant:ident => $name:literal,)*) => {
        impl Action {
            /// The action called `name` in snake_case (`"read_order"`, `"adjust_stock"`,
            /// …), about `customer` for the actions that are about one customer (for
            /// `read_notifications`, `None` means anyone's). `None` if there is no
            /// such action or a customer is missing.
            ///
            /// ```
            /// use shopcore::{Action, CustomerId};
            /// let sara = CustomerId::new(2).unwrap();
            /// assert_eq!(Action::from_name("read_order", Some(sara)), Some(Action::ReadOrder(sara)));
            /// assert_eq!(Action::from_name("read_order", None), None);
            /// assert_eq!(Action::from_name("adjust_stock", None), Some(Action::AdjustStock));
            /// ```
            pub fn from_name(name: &str, customer: Option<CustomerId>) -> Option<Action> {
                match name {
                    $($name => action_names!(@make $how $variant customer),)*
                    _ => None,
                }
            }

            /// The snake_case name of every action, as [`Action::from_name`] reads it
            /// and [`Action::key`] writes it, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// The action's snake_case name (`"read_order"`), the inverse of [`Action::from_name`].
            ///
            /// ```
            /// use shopcore::{Action, CustomerId};
            /// let sara = CustomerId::new(2).unwrap();
            /// assert_eq!(Action::ReadOrder(sara).key(), "read_order");
            /// for name in Action::NAMES {
            ///     assert_eq!(Action::from_name(name, Some(sara)).unwrap().key(), *name);
            /// }
            /// ```
            pub const fn key(&self) -> &'static str {
                match self {
                    $(action_names!(@pattern $how $variant) => $name,)*
                }
            }
        }
    };
    (@make unit $variant:ident $customer:ident) => { Some(Action::$variant) };
    (@make about $variant:ident $customer:ident) => { $customer.map(Action::$variant) };
    (@make anyones $variant:ident $customer:ident) => { Some(Action::$variant($customer)) };
    (@pattern unit $variant:ident) => { Action::$variant };
    (@pattern about $variant:ident) => { Action::$variant(_) };
    (@pattern anyones $variant:ident) => { Action::$variant(_) };
}

action_names! {
    unit Health => "health",
    unit Register => "register",
    unit Login => "login",
    unit Quote => "quote",
    unit ReadCatalog => "read_catalog",
    about ReadProfile => "read_profile",
    about UpdateProfile => "update_profile",
    about ChangePassword => "change_password",
    about ReadOrderHistory => "read_order_history",
    about PlaceOrder => "place_order",
    about ReadOrder => "read_order",
    about CancelOrder => "cancel_order",
    anyones ReadNotifications => "read_notifications",
    unit Logout => "logout",
    unit ListCustomers => "list_customers",
    about ResendConfirmation => "resend_confirmation",
    unit AdjustPoints => "adjust_points",
    unit AdjustStock => "adjust_stock",
    unit ManageCatalog => "manage_catalog",
    unit ManageStaffKeys => "manage_staff_keys",
    unit ReadMetrics => "read_metrics",
    unit ReadCatalogChanges => "read_catalog_changes",
    unit ManageCoupons => "manage_coupons",
    unit AuditPricing => "audit_pricing",
    unit ManageDeliveries => "manage_deliveries",
    unit ManageWebhooks => "manage_webhooks",
    unit ListOrders => "list_orders",
    unit ManagePayments => "manage_payments",
    unit FulfillOrders => "fulfill_orders",
    about RequestReturn => "request_return",
    unit ManageReturns => "manage_returns",
}

/// Whether `actor` may do `action`: the whole access policy (see the module docs).
///
/// ```
/// use shopcore::{authorize, Action, Actor, CustomerId, ErrorCode};
/// let (sara, omar) = (CustomerId::new(2).unwrap(), CustomerId::new(3).unwrap());
/// assert!(authorize(&Actor::Customer(sara), &Action::ReadOrder(sara)).is_ok());
/// assert_eq!(authorize(&Actor::Customer(sara), &Action::ReadOrder(omar)).unwrap_err().code(), "forbidden");
/// assert_eq!(authorize(&Actor::Anonymous, &Action::ReadOrder(omar)).unwrap_err().code(), "unauthenticated");
/// assert!(authorize(&Actor::Anonymous, &Action::Quote).is_ok());
/// ```
pub fn authorize(actor: &Actor, action: &Action) -> Result<(), AccessError> {
    use Action as A;
    let public = matches!(
        action,
        A::Health | A::Register | A::Login | A::Quote | A::ReadCatalog
    );
    let allowed = public
        || match actor {
            Actor::Anonymous => return Err(AccessError::Unauthenticated),
            Actor::Customer(me) => {
                matches!(action, A::Logout)
                    || (action.owner() == Some(*me)
                        && matches!(
                            action,
                            A::ReadProfile(_)
                                | A::UpdateProfile(_)
                                | A::ChangePassword(_)
                                | A::ReadOrderHistory(_)
                                | A::PlaceOrder(_)
                                | A::ReadOrder(_)
                                | A::CancelOrder(_)
                                | A::ReadNotifications(_)
                                | A::RequestReturn(_)
                        ))
            }
            // A staff key is not a session: there is nothing to log out.
            Actor::Staff {
                role: StaffRole::Admin,
                ..
            } => !matches!(action, A::Logout),
            Actor::Staff {
                role: StaffRole::Support,
                ..
            } => matches!(
                action,
                A::ReadProfile(_)
                    | A::ReadOrderHistory(_)
                    | A::ReadOrder(_)
                    | A::CancelOrder(_)
                    | A::ReadNotifications(_)
                    | A::ListCustomers
                    | A::ResendConfirmation(_)
                    | A::AdjustPoints
                    | A::ReadMetrics
                    | A::ReadCatalogChanges
                    | A::AuditPricing
                    | A::ManageDeliveries
                    | A::ListOrders
                    | A::ManagePayments
                    | A::ManageReturns
            ),
            Actor::Staff {
                role: StaffRole::Inventory,
                ..
            } => {
                matches!(
                    action,
                    A::AdjustStock
                        | A::ManageCatalog
                        | A::ManageCoupons
                        | A::ReadMetrics
                        | A::ReadCatalogChanges
                        | A::AuditPricing
                        | A::ReadOrder(_)
                        | A::ReadOrderHistory(_)
                        | A::ListOrders
                        | A::FulfillOrders
                )
            }
        };
    if allowed {
        Ok(())
    } else {
        Err(AccessError::Forbidden(action.name()))
    }
}

/// Why a request may not go ahead, or a token or key is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// See [`ErrorKind::Unauthenticated`].
    #[error("a valid session token or staff key is required")]
    Unauthenticated,
    /// See [`ErrorKind::Forbidden`].
    #[error("this session or key may not {0}")]
    Forbidden(&'static str),
    /// See [`ErrorKind::InvalidToken`].
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    /// See [`ErrorKind::InvalidRole`].
    #[error("unknown staff role {0:?}: must be support, inventory or admin")]
    InvalidRole(String),
    /// See [`ErrorKind::UnknownStaffKey`].
    #[error("staff key {0} does not exist")]
    UnknownStaffKey(StaffKeyId),
    /// A key an operator chose is below [`MIN_CHOSEN_KEY_BITS`] by
    /// [`key_strength_bits`] (see [`ErrorKind::InvalidToken`]).
    #[error(
        "invalid token: a chosen staff key needs at least {MIN_CHOSEN_KEY_BITS} bits by \
         shopcore's estimate (characters that repeat or continue a run do not count), \
         this one has about {bits}: use 40 or more random hex characters or a generated key"
    )]
    WeakKey {
        /// The key's estimated strength.
        bits: u32,
    },
    /// See [`ErrorKind::StaffKeyRevoked`].
    #[error(
        "this key was revoked (staff key {0}): a revoked key is never valid again; choose a new one"
    )]
    StaffKeyRevoked(StaffKeyId),
    /// See [`ErrorKind::InvalidName`].
    #[error(transparent)]
    Value(#[from] ValueError),
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for AccessError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Unauthenticated => ErrorKind::Unauthenticated,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::InvalidToken(_) => ErrorKind::InvalidToken,
            Self::InvalidRole(_) => ErrorKind::InvalidRole,
            Self::UnknownStaffKey(_) => ErrorKind::UnknownStaffKey,
            Self::WeakKey { .. } => ErrorKind::InvalidToken,
            Self::StaffKeyRevoked(_) => ErrorKind::StaffKeyRevoked,
            Self::Value(error) => error.kind(),
            Self::Storage(error) => error.kind(),
        }
    }
}

/// What an [`AccessToken`] is for, shown by its prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A customer session (`sct_…`).
    Session,
    /// A staff API key (`sck_…`).
    StaffKey,
}

impl TokenKind {
    const fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "sct_",
            TokenKind::StaffKey => "sck_",
        }
    }
}

/// A session token or staff key as presented: secret, never printed.
///
/// ```
/// use shopcore::{AccessToken, TokenKind};
/// let token = AccessToken::generate(TokenKind::Session);
/// assert!(token.expose().starts_with("sct_") && token.expose().len() == 68);
/// assert_eq!(format!("{token:?}"), "AccessToken(<redacted>)");
/// let presented = AccessToken::parse(token.expose()).unwrap();
/// assert_eq!(presented.hash(), token.hash());
/// assert!(AccessToken::parse("short").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// The shortest token accepted (an administrator's chosen key included).
    pub const MIN_LEN: usize = 32;
    /// The longest token accepted.
    pub const MAX_LEN: usize = 200;

    /// 256 random bits from the operating system, hex, behind the kind's prefix.
    pub fn generate(kind: TokenKind) -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source");
        let mut text = String::with_capacity(68);
        text.push_str(kind.prefix());
        text.push_str(&hex(&bytes));
        AccessToken(text)
    }

    /// A presented token: 32 to 200 printable ASCII characters without spaces.
    pub fn parse(text: &str) -> Result<Self, AccessError> {
        if text.len() < Self::MIN_LEN {
            return Err(AccessError::InvalidToken("must be at least 32 characters"));
        }
        if text.len() > Self::MAX_LEN {
            return Err(AccessError::InvalidToken("must be at most 200 characters"));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AccessError::InvalidToken(
                "must be printable ASCII without spaces",
            ));
        }
        Ok(AccessToken(text.to_owned()))
    }

    /// The token itself, to hand to its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps: the token's SHA-256.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex(&Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The SHA-256 of an [`AccessToken`], as 64 hex digits: all a store keeps of it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenHash(String);

impl TokenHash {
    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A stored digest read back; fails unless it is 64 lower-case hex digits.
    pub fn from_stored(text: &str) -> Result<Self, StorageError> {
        if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(TokenHash(text.to_owned()))
        } else {
            Err(StorageError::Failure(
                "a stored token hash is malformed".to_owned(),
            ))
        }
    }
}

/// A staff API key as stored (its secret only as a hash, elsewhere).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffKey {
    /// The key's id.
    pub id: StaffKeyId,
    /// Who or what it is for.
    pub name: StaffKeyName,
    /// What it may do.
    pub role: StaffRole,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Which sessions a [`Effect::SessionsRevoked`](crate::Effect::SessionsRevoked) ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionScope {
    /// The session with this token.
    One(TokenHash),
    /// Every session of the customer except (if given) this one.
    AllOf {
        /// The customer.
        customer: CustomerId,
        /// The session to keep: the one making the change.
        except: Option<TokenHash>,
    },
}

#[cfg(test)]
mod tests;
