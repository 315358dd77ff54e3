//! Pricing with a store's data: a quote as a checkout would price it, and the
//! store's whole price list — plain functions over the ports, so that the
//! ports stay ports.

use crate::catalog::cart::Cart;
use crate::catalog::Catalog;
use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::lifecycle::checkout::{price_order, CheckoutError, OrderPricing};
use crate::orders::customer::CustomerError;
use crate::pricing::coupon::{CouponCode, CouponError};
use crate::pricing::price_list::PriceList;
use crate::pricing::{PricingError, Quote};
use crate::repository::{CatalogRepository, CouponRepository, OrderWorkflow};
use crate::values::ids::{CustomerId, ProductId};
use crate::values::text::Region;

/// Failures of quoting through a store.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuoteError {
    /// See [`ErrorKind::UnknownTaxRegion`].
    #[error("no tax rate is configured for region \"{0}\"")]
    UnknownTaxRegion(Region),
    /// See [`ErrorKind::UnknownProduct`] and [`ErrorKind::AmountOutOfRange`].
    #[error(transparent)]
    Pricing(#[from] PricingError),
    /// See [`ErrorKind::UnknownCustomer`].
    #[error("customer {0} does not exist")]
    UnknownCustomer(CustomerId),
    /// The coupon does not apply (`coupon_unknown`, `coupon_expired`, …).
    #[error(transparent)]
    Coupon(#[from] CouponError),
    /// See [`ErrorKind::InsufficientPoints`].
    #[error("customer {customer_id} has {available} points, cannot redeem {requested}")]
    InsufficientPoints {
        /// The customer.
        customer_id: CustomerId,
        /// Points asked for.
        requested: u64,
        /// Points the customer has.
        available: u64,
    },
    /// Points to redeem without the customer whose they are
    /// ([`ErrorKind::InvalidRequest`]).
    #[error("redeem_points needs the customer_id whose points they are")]
    PointsNeedCustomer,
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Any other refusal of pricing the order as a checkout would, with its
    /// own code (never relabelled as a storage failure).
    #[error(transparent)]
    Checkout(Box<CheckoutError>),
}

impl ErrorCode for QuoteError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownTaxRegion(_) => ErrorKind::UnknownTaxRegion,
            Self::Pricing(error) => error.kind(),
            Self::UnknownCustomer(_) => ErrorKind::UnknownCustomer,
            Self::Coupon(error) => error.kind(),
            Self::InsufficientPoints { .. } => ErrorKind::InsufficientPoints,
            Self::PointsNeedCustomer => ErrorKind::InvalidRequest,
            Self::Storage(error) => error.kind(),
            Self::Checkout(error) => error.kind(),
        }
    }
}

impl From<CheckoutError> for QuoteError {
    /// The failures pricing an order shares with checkout (coupon, points, products).
    fn from(error: CheckoutError) -> Self {
        match error {
            CheckoutError::UnknownProduct(id) => PricingError::UnknownProduct(id).into(),
            CheckoutError::ProductUnavailable(id) => PricingError::ProductUnavailable(id).into(),
            CheckoutError::AmountOutOfRange { what } => {
                PricingError::AmountOutOfRange { what }.into()
            }
            CheckoutError::PointsExceedAmount { requested, max } => {
                PricingError::PointsExceedAmount { requested, max }.into()
            }
            CheckoutError::Coupon(error) => error.into(),
            CheckoutError::InsufficientPoints {
                customer_id,
                requested,
                available,
            } => QuoteError::InsufficientPoints {
                customer_id,
                requested,
                available,
            },
            CheckoutError::UnknownCustomer(id) => QuoteError::UnknownCustomer(id),
            CheckoutError::UnknownTaxRegion(region) => QuoteError::UnknownTaxRegion(region),
            CheckoutError::Storage(error) => error.into(),
            other => QuoteError::Checkout(Box::new(other)),
        }
    }
}

/// What to price: a cart, and optionally a region, a coupon, the customer
/// (for the coupon's per-customer limit and the points balance) and points to
/// redeem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuoteRequest {
    /// What.
    pub cart: Cart,
    /// The tax region; `None` uses [`ShopConfig::default_region`](crate::ShopConfig::default_region).
    pub region: Option<Region>,
    /// A coupon to apply.
    pub coupon: Option<CouponCode>,
    /// Who would buy (required to redeem points).
    pub customer_id: Option<CustomerId>,
    /// Points to redeem (0: none).
    pub redeem_points: u64,
}

impl QuoteRequest {
    /// A plain cart in the default region, without coupon or points.
    pub fn cart(cart: Cart) -> Self {
        QuoteRequest {
            cart,
            region: None,
            coupon: None,
            customer_id: None,
            redeem_points: 0,
        }
    }

    /// The same request priced for `region` (`None`: the store's default).
    pub fn in_region(self, region: Option<Region>) -> Self {
        QuoteRequest { region, ..self }
    }
}

/// Prices a cart with a coupon and points as a checkout would, with `store`'s
/// current data, without placing anything or locking: the same checks, the
/// same figures, the same error codes (a race may still change them before a
/// checkout). `region` defaults to the store's configured region; a region
/// without a rate is `unknown_tax_region`. Points need the customer; an
/// unknown customer is `unknown_customer`.
pub async fn quote_order<S>(store: &S, request: &QuoteRequest) -> Result<Quote, QuoteError>
where
    S: OrderWorkflow + ?Sized,
{
    if request.redeem_points > 0 && request.customer_id.is_none() {
        return Err(QuoteError::PointsNeedCustomer);
    }
    let buyer = match request.customer_id {
        Some(id) => Some(store.customer(id).await.map_err(|error| match error {
            CustomerError::Storage(error) => QuoteError::Storage(error),
            _ => QuoteError::UnknownCustomer(id),
        })?),
        None => None,
    };
    let ids = request.cart.product_ids_sorted();
    let catalog = store.catalog_snapshot(&ids).await?;
    let rules = store.pricing_rules(&ids).await?;
    let taxes = store.tax_rates().await?;
    let region = request
        .region
        .as_ref()
        .unwrap_or(&store.config().default_region);
    let tax_rate = taxes
        .rate(region)
        .ok_or_else(|| QuoteError::UnknownTaxRegion(region.clone()))?;
    let coupon = match &request.coupon {
        Some(code) => store.coupon_usage(code, request.customer_id).await?,
        None => None,
    };
    let pricing = OrderPricing {
        cart: &request.cart,
        coupon_code: request.coupon.as_ref(),
        coupon: coupon.as_ref().map(|(coupon, usage)| (coupon, *usage)),
        redeem_points: request.redeem_points,
        buyer: buyer.as_ref(),
        catalog: &catalog,
        rules: &rules,
        tax_rate,
    };
    Ok(price_order(&pricing, store.config(), store.now())?)
}

/// `store`'s whole price list ([`PriceList`]), read with one query per table
/// (not one transaction: an administration write in between may be half seen).
pub async fn price_list<S>(store: &S) -> Result<PriceList, StorageError>
where
    S: CatalogRepository + CouponRepository + ?Sized,
{
    let products = store.products().await?;
    let ids: Vec<ProductId> = products.iter().map(|p| p.id).collect();
    let rules = store.pricing_rules(&ids).await?;
    Ok(PriceList {
        catalog: Catalog::from_products(products),
        rules,
        tax_rates: store.tax_rates().await?,
        coupons: store.coupons().await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkout_refusal_keeps_its_own_code_when_quoting() {
        // Pricing alone never reaches these, but if it did, the code would say
        // what happened (it used to read `storage_failure`).
        let reused = CheckoutError::IdempotencyConflict {
            key: "k".to_owned(),
        };
        assert_eq!(QuoteError::from(reused).code(), "idempotency_conflict");
        let unknown = CheckoutError::UnknownCustomer(CustomerId::new(7).unwrap());
        assert_eq!(QuoteError::from(unknown).code(), "unknown_customer");
    }
}
