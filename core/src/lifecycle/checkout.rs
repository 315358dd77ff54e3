//! Checkout planning: decide everything an order changes, before anything changes.
//!
//! [`plan_checkout`] is pure. The adapter locks the rows the cart touches, hands
//! their snapshot to the planner, and gets back either a [`CheckoutError`] or a
//! [`CheckoutPlan`] holding every write: stock levels after the sale, the order
//! and its priced items, the customer's points after earning, and the
//! confirmation text. The adapter then applies the plan atomically; because
//! the plan already holds every resulting value, applying it cannot fail on a
//! business rule, only on storage.

use crate::RequestFingerprint;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::catalog::cart::Cart;
use crate::catalog::{Catalog, RuleBook, TaxTable};
use crate::config::ShopConfig;
use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::orders::customer::{points_room, spendable, Customer};
use crate::orders::notification::{ConfirmationDraft, NotificationKind};
use crate::orders::order::{NewOrder, OrderItem};
use crate::plan::{
    Effect, NoticeLogged, NoticeText, OrderRef, Plan, PointsMoved, Reason, StockMoved,
};
use crate::pricing::coupon::{Coupon, CouponCode, CouponError, CouponUsage};
use crate::pricing::{quote, quote_with, Deductions, PricingError, Quote};
use crate::values::ids::{CustomerId, ProductId};
use crate::values::money::Money;
use crate::values::text::{IdempotencyKey, Region};

/// A request to place an order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckoutRequest {
    /// Who is buying.
    pub customer_id: CustomerId,
    /// What, already merged and validated.
    pub cart: Cart,
    /// The tax region; `None` uses [`ShopConfig::default_region`].
    pub region: Option<Region>,
    /// The total the buyer was shown; if the checkout computes another (a
    /// price, tier or tax rate changed since), it is refused with
    /// `price_changed` and the current quote. Not part of the
    /// [`fingerprint`](Self::fingerprint).
    pub expected_total: Option<Money>,
    /// A coupon to apply (one per order).
    #[serde(default)]
    pub coupon: Option<CouponCode>,
    /// Loyalty points to redeem (0: none), worth [`ShopConfig::point_value`]
    /// each, at most what is left to pay after the coupon.
    #[serde(default)]
    pub redeem_points: u64,
}

impl CheckoutRequest {
    /// A request of `customer_id` for `cart` in the default region, with no
    /// expected total, coupon or points; the methods below add those.
    ///
    /// ```
    /// use shopcore::{Cart, CheckoutRequest, CouponCode, CustomerId, Region};
    /// let request = CheckoutRequest::new(CustomerId::new(1)?, Cart::of([(1, 1), (2, 10)])?)
    ///     .region(Region::parse("Giza")?)
    ///     .coupon(CouponCode::parse("SAVE10")?)
    ///     .redeem_points(100);
    /// assert_eq!(request.redeem_points, 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(customer_id: CustomerId, cart: Cart) -> Self {
        CheckoutRequest {
            customer_id,
            cart,
            region: None,
            expected_total: None,
            coupon: None,
            redeem_points: 0,
        }
    }

    /// The tax region (instead of the default one).
    #[must_use]
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// The total the buyer was shown (refused with `price_changed` if it moved).
    #[must_use]
    pub fn expected_total(mut self, total: Money) -> Self {
        self.expected_total = Some(total);
        self
    }

    /// A coupon to apply.
    #[must_use]
    pub fn coupon(mut self, code: CouponCode) -> Self {
        self.coupon = Some(code);
        self
    }

    /// Loyalty points to redeem.
    #[must_use]
    pub fn redeem_points(mut self, points: u64) -> Self {
        self.redeem_points = points;
        self
    }

    /// A stable digest of what the request asks for, used to tell an idempotent
    /// replay (same fingerprint) from a conflicting reuse of a key.
    ///
    /// Line order and duplicate lines do not change it; region case does not either.
    ///
    /// ```
    /// use shopcore::{Cart, CartLine, CheckoutRequest, CustomerId, ProductId, Quantity};
    /// let line = |id, qty| CartLine {
    ///     product_id: ProductId::new(id).unwrap(),
    ///     quantity: Quantity::new(qty).unwrap(),
    /// };
    /// let request = |lines: Vec<CartLine>| CheckoutRequest {
    ///     customer_id: CustomerId::new(1).unwrap(),
    ///     cart: Cart::new(lines).unwrap(),
    ///     region: None,
    ///     expected_total: None,
    ///     coupon: None,
    ///     redeem_points: 0,
    /// };
    /// let a = request(vec![line(1, 1), line(2, 3)]);
    /// let b = request(vec![line(2, 1), line(1, 1), line(2, 2)]);
    /// let c = request(vec![line(1, 2)]);
    /// assert_eq!(a.fingerprint(), b.fingerprint());
    /// assert_ne!(a.fingerprint(), c.fingerprint());
    /// ```
    pub fn fingerprint(&self) -> RequestFingerprint {
        let mut lines: Vec<(i64, u32)> = self
            .cart
            .lines()
            .iter()
            .map(|l| (l.product_id.get(), l.quantity.get()))
            .collect();
        lines.sort_unstable();
        let mut hasher = Sha256::new();
        hasher.update(b"checkout/v1\n");
        hasher.update(self.customer_id.get().to_be_bytes());
        match &self.region {
            Some(region) => {
                hasher.update([1]);
                hasher.update(region.key().as_bytes());
                hasher.update([0]);
            }
            None => hasher.update([0]),
        }
        for (product, quantity) in lines {
            hasher.update(product.to_be_bytes());
            hasher.update(quantity.to_be_bytes());
        }
        // Written only when used, so requests without them keep the digests
        // of keys stored before coupons and points existed.
        if let Some(coupon) = &self.coupon {
            hasher.update(b"\ncoupon:");
            hasher.update(coupon.as_str().as_bytes());
        }
        if self.redeem_points > 0 {
            hasher.update(b"\npoints:");
            hasher.update(self.redeem_points.to_be_bytes());
        }
        RequestFingerprint::of(hasher)
    }
}

/// The rows a checkout reads, as the adapter locked them.
#[derive(Clone, Copy, Debug)]
pub struct CheckoutSnapshot<'a> {
    /// The buying customer, if it exists.
    pub customer: Option<&'a Customer>,
    /// At least the cart's products (missing ones are `unknown_product`).
    pub catalog: &'a Catalog,
    /// At least the cart's products' rules.
    pub rules: &'a RuleBook,
    /// At least the requested (or default) region's rate.
    pub tax_rates: &'a TaxTable,
    /// The request's coupon, if it names one that exists, with how often it
    /// is in use (by everyone, and by this customer).
    pub coupon: Option<(&'a Coupon, CouponUsage)>,
}

/// Why an order cannot be placed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutError {
    /// See [`ErrorKind::UnknownCustomer`].
    #[error("customer {0} does not exist")]
    UnknownCustomer(CustomerId),
    /// See [`ErrorKind::UnknownTaxRegion`].
    #[error("no tax rate is configured for region \"{0}\"")]
    UnknownTaxRegion(Region),
    /// See [`ErrorKind::UnknownProduct`].
    #[error("product {0} does not exist")]
    UnknownProduct(ProductId),
    /// See [`ErrorKind::ProductUnavailable`].
    #[error("product {0} is retired: it can no longer be ordered")]
    ProductUnavailable(ProductId),
    /// See [`ErrorKind::AmountOutOfRange`].
    #[error("the order's {what} exceeds the largest amount, 9999999999.99")]
    AmountOutOfRange {
        /// Which figure overflowed.
        what: &'static str,
    },
    /// See [`ErrorKind::InsufficientStock`].
    #[error(
        "insufficient stock for product {product_id}: requested {requested}, available {available}"
    )]
    InsufficientStock {
        /// The product short of stock (the first in cart order).
        product_id: ProductId,
        /// Units requested.
        requested: u32,
        /// Units in stock.
        available: u32,
    },
    /// The coupon does not apply (`coupon_unknown`, `coupon_expired`, …).
    #[error(transparent)]
    Coupon(#[from] CouponError),
    /// See [`ErrorKind::InsufficientPoints`].
    #[error("customer {customer_id} has {available} points, cannot redeem {requested}")]
    InsufficientPoints {
        /// The buyer.
        customer_id: CustomerId,
        /// Points asked for.
        requested: u64,
        /// Points the customer has.
        available: u64,
    },
    /// See [`ErrorKind::PointsExceedAmount`].
    #[error(
        "{requested} points are worth more than what is left to pay; at most {max} can be redeemed"
    )]
    PointsExceedAmount {
        /// Points asked for.
        requested: u64,
        /// The most that can be redeemed on this order.
        max: u64,
    },
    /// See [`ErrorKind::PriceChanged`].
    #[error("the total is now {} (the buyer expected {expected}): prices changed", .quote.total)]
    PriceChanged {
        /// The total the buyer expected.
        expected: Money,
        /// The quote as it is now.
        quote: Box<Quote>,
    },
    /// See [`ErrorKind::IdempotencyConflict`].
    #[error("idempotency key {key:?} was already used for a different request")]
    IdempotencyConflict {
        /// The reused key.
        key: String,
    },
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for CheckoutError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownCustomer(_) => ErrorKind::UnknownCustomer,
            Self::UnknownTaxRegion(_) => ErrorKind::UnknownTaxRegion,
            Self::UnknownProduct(_) => ErrorKind::UnknownProduct,
            Self::ProductUnavailable(_) => ErrorKind::ProductUnavailable,
            Self::AmountOutOfRange { .. } => ErrorKind::AmountOutOfRange,
            Self::InsufficientStock { .. } => ErrorKind::InsufficientStock,
            Self::PriceChanged { .. } => ErrorKind::PriceChanged,
            Self::Coupon(error) => error.kind(),
            Self::InsufficientPoints { .. } => ErrorKind::InsufficientPoints,
            Self::PointsExceedAmount { .. } => ErrorKind::PointsExceedAmount,
            Self::IdempotencyConflict { .. } => ErrorKind::IdempotencyConflict,
            Self::Storage(error) => error.kind(),
        }
    }
}

impl From<PricingError> for CheckoutError {
    fn from(error: PricingError) -> Self {
        match error {
            PricingError::UnknownProduct(id) => Self::UnknownProduct(id),
            PricingError::ProductUnavailable(id) => Self::ProductUnavailable(id),
            PricingError::AmountOutOfRange { what } => Self::AmountOutOfRange { what },
            PricingError::PointsExceedAmount { requested, max } => {
                Self::PointsExceedAmount { requested, max }
            }
        }
    }
}

/// A checkout, decided: the priced cart and the effects that place the order.
///
/// Effects, in order: [`Effect::OrderPlaced`]; one [`Effect::StockMoved`] per
/// product (reason `order`); [`Effect::PointsMoved`] for redeemed points (if
/// any), then for earned points (if any);
/// the confirmation ([`Effect::NoticeLogged`]); and, once [`bind_key`](Self::bind_key)
/// is called, [`Effect::KeyBound`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckoutPlan {
    /// The priced cart.
    pub quote: Quote,
    /// Points the order earns: the loyalty policy's points on what the buyer
    /// pays before tax (after coupon and points), less whatever would take the
    /// customer past [`MAX_POINTS`](crate::MAX_POINTS).
    pub points_earned: u64,
    plan: Plan,
}

impl CheckoutPlan {
    /// The effects to apply.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The order this plan places.
    pub fn new_order(&self) -> &NewOrder {
        match self.plan.effects().first() {
            Some(Effect::OrderPlaced(order)) => order,
            _ => unreachable!("a checkout plan starts by placing its order"),
        }
    }

    /// Makes the plan also bind the buyer's `key` (first used with a request of
    /// `fingerprint`) to the order it places.
    pub fn bind_key(&mut self, key: IdempotencyKey, fingerprint: RequestFingerprint) {
        let customer = self.new_order().customer_id;
        self.plan.push(Effect::KeyBound {
            customer,
            key,
            fingerprint,
        });
    }
}

/// Decides a checkout against locked rows, or says why it cannot happen.
///
/// Checks, in order: the customer exists; the region has a tax rate (never a
/// guessed one); every product exists, is not retired, and the amounts fit;
/// the coupon, if any, applies; the buyer has the points to redeem and they
/// are worth at most what is left to pay; the total is the `expected_total`,
/// if one is given; every line has the stock it asks for.
///
/// ```
/// use shopcore::{plan_checkout, seed, Cart, CartLine, CheckoutRequest, CheckoutSnapshot,
///                CustomerId, Effect, OrderId, ProductId, Quantity, ShopConfig};
/// let data = seed::demo_data();
/// let (catalog, rules, taxes) = (data.catalog(), data.rule_book(), data.tax_table());
/// let request = CheckoutRequest {
///     customer_id: CustomerId::new(1).unwrap(),
///     cart: Cart::new([CartLine { product_id: ProductId::new(2).unwrap(),
///                                 quantity: Quantity::new(10).unwrap() }]).unwrap(),
///     region: None,
///     expected_total: None,
///     coupon: None,
///     redeem_points: 0,
/// };
/// let snapshot = CheckoutSnapshot {
///     customer: Some(&data.customers[0]),
///     catalog: &catalog,
///     rules: &rules,
///     tax_rates: &taxes,
///     coupon: None,
/// };
/// let plan = plan_checkout(&request, &snapshot, &ShopConfig::default(), chrono::Utc::now()).unwrap();
/// assert_eq!(plan.quote.total.to_string(), "290.60"); // 254.91 + 35.69
/// assert_eq!(plan.points_earned, 25);
/// let moved = plan.plan().stock_moves().next().unwrap();
/// assert_eq!((moved.product, moved.change, moved.after), (ProductId::new(2).unwrap(), -10, 190));
/// let Some(Effect::NoticeLogged(confirmation)) = plan.plan().effects().last() else { panic!() };
/// assert!(confirmation.text.render(OrderId::new(7).unwrap()).starts_with("Order #7 confirmed"));
/// ```
pub fn plan_checkout(
    request: &CheckoutRequest,
    snapshot: &CheckoutSnapshot<'_>,
    config: &ShopConfig,
    now: DateTime<Utc>,
) -> Result<CheckoutPlan, CheckoutError> {
    let customer = snapshot
        .customer
        .filter(|c| c.id == request.customer_id)
        .ok_or(CheckoutError::UnknownCustomer(request.customer_id))?;
    let wanted_region = request.region.as_ref().unwrap_or(&config.default_region);
    let (region, tax_rate) = snapshot
        .tax_rates
        .lookup(wanted_region)
        .ok_or_else(|| CheckoutError::UnknownTaxRegion(wanted_region.clone()))?;
    let pricing = OrderPricing {
        cart: &request.cart,
        coupon_code: request.coupon.as_ref(),
        coupon: snapshot.coupon,
        redeem_points: request.redeem_points,
        buyer: Some(customer),
        catalog: snapshot.catalog,
        rules: snapshot.rules,
        tax_rate: *tax_rate,
    };
    let quote = price_order(&pricing, config, now)?;
    if let Some(expected) = request.expected_total {
        if expected != quote.total {
            return Err(CheckoutError::PriceChanged {
                expected,
                quote: Box::new(quote),
            });
        }
    }

    let mut plan = Plan::new(now);
    let mut items = Vec::with_capacity(quote.lines.len());
    let mut names = Vec::with_capacity(quote.lines.len());
    let mut moves = Vec::with_capacity(quote.lines.len());
    let costs = crate::pricing::line_costs(
        &quote
            .lines
            .iter()
            .map(|l| (l.net_price, l.tax, l.points_share))
            .collect::<Vec<_>>(),
        quote.tax,
        quote.points_redeemed,
    );
    for (line, (tax, points_redeemed)) in quote.lines.iter().zip(costs) {
        // The quote found every product, so this lookup succeeds.
        let product = snapshot
            .catalog
            .get(line.product_id)
            .ok_or(CheckoutError::UnknownProduct(line.product_id))?;
        let requested = line.quantity.get();
        let after = product.quantity_available.checked_sub(requested).ok_or(
            CheckoutError::InsufficientStock {
                product_id: line.product_id,
                requested,
                available: product.quantity_available,
            },
        )?;
        items.push(OrderItem {
            product_id: line.product_id,
            quantity: line.quantity,
            unit_price: line.unit_price,
            discount: line.discount,
            line_total: line.final_price,
            coupon_share: line.coupon_share,
            points_share: line.points_share,
            tax,
            points_redeemed,
        });
        names.push(product.name.to_string());
        moves.push(StockMoved {
            product: line.product_id,
            change: -i64::from(requested),
            after,
            reason: Reason::Order(OrderRef::Placed),
        });
    }

    // Points: the redeemed ones leave first, then the order earns on what the
    // customer pays before tax, up to the cap.
    // The quote redeemed at most what the balance holds, so this cannot
    // underflow; a customer who owes points redeems nothing and repays first.
    let after_redeeming = customer.loyalty_points - points_change(quote.points_redeemed);
    let points_earned = config
        .loyalty
        .points_for(quote.taxable)
        .min(points_room(after_redeeming));
    plan.push(Effect::OrderPlaced(Box::new(NewOrder {
        customer_id: customer.id,
        region: region.clone(),
        items,
        subtotal: quote.subtotal,
        coupon: request.coupon.clone(),
        coupon_discount: quote.coupon_discount,
        points_redeemed: quote.points_redeemed,
        points_value: quote.points_value,
        tax: quote.tax,
        total_amount: quote.total,
        points_earned,
        created_at: now,
        rounding: config.pricing.rounding,
    })));
    for moved in moves {
        plan.push(Effect::StockMoved(moved));
    }
    let sale = Reason::Order(OrderRef::Placed);
    if quote.points_redeemed > 0 {
        plan.push(Effect::PointsMoved(PointsMoved {
            customer: customer.id,
            change: -points_change(quote.points_redeemed),
            after: after_redeeming,
            reason: sale,
        }));
    }
    if points_earned > 0 {
        plan.push(Effect::PointsMoved(PointsMoved {
            customer: customer.id,
            change: points_change(points_earned),
            after: after_redeeming + points_change(points_earned),
            reason: sale,
        }));
    }
    plan.push(Effect::NoticeLogged(NoticeLogged {
        order: OrderRef::Placed,
        customer: customer.id,
        kind: NotificationKind::OrderConfirmation,
        text: NoticeText::Confirmation(Box::new(ConfirmationDraft {
            customer_name: customer.name.clone(),
            names,
            quote: quote.clone(),
            coupon: request.coupon.clone(),
            region: region.clone(),
            points_earned,
            placed_at: now,
            delivery_days: config.delivery_days,
        })),
    }));
    Ok(CheckoutPlan {
        quote,
        points_earned,
        plan,
    })
}

/// What [`price_order`] prices: a cart with its coupon and points, against
/// the rows read for it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OrderPricing<'a> {
    pub cart: &'a Cart,
    pub coupon_code: Option<&'a CouponCode>,
    pub coupon: Option<(&'a Coupon, CouponUsage)>,
    pub redeem_points: u64,
    /// The buyer, whose balance the points come from (required if any are redeemed).
    pub buyer: Option<&'a Customer>,
    pub catalog: &'a Catalog,
    pub rules: &'a RuleBook,
    pub tax_rate: crate::values::percent::Percent,
}

/// Prices an order: the coupon is checked against the subtotal after tier
/// discounts, the points against the buyer's balance, then the whole quote is
/// computed with both. Shared by checkout and quoting, so both refuse alike.
pub(crate) fn price_order(
    order: &OrderPricing<'_>,
    config: &ShopConfig,
    now: DateTime<Utc>,
) -> Result<Quote, CheckoutError> {
    let tiers_only = quote(
        order.cart,
        order.catalog,
        order.rules,
        order.tax_rate,
        &config.pricing,
    )?;
    let coupon = match order.coupon_code {
        None => None,
        Some(code) => {
            let (coupon, usage) = order
                .coupon
                .filter(|(coupon, _)| coupon.code == *code)
                .ok_or_else(|| CouponError::Unknown(code.clone()))?;
            coupon.check(usage, tiers_only.subtotal, now)?;
            Some(coupon.value)
        }
    };
    if order.redeem_points > 0 {
        let available = order
            .buyer
            .map_or(0, |buyer| spendable(buyer.loyalty_points));
        if order.redeem_points > available {
            return Err(CheckoutError::InsufficientPoints {
                customer_id: order.buyer.map(|b| b.id).ok_or_else(|| {
                    StorageError::Failure("points redeemed without a buyer".to_owned())
                })?,
                requested: order.redeem_points,
                available,
            });
        }
    }
    if coupon.is_none() && order.redeem_points == 0 {
        return Ok(tiers_only);
    }
    let deductions = Deductions {
        coupon,
        points: order.redeem_points,
        point_value: config.point_value,
    };
    Ok(quote_with(
        order.cart,
        order.catalog,
        order.rules,
        order.tax_rate,
        &config.pricing,
        &deductions,
    )?)
}

/// A points amount (at most [`MAX_POINTS`](crate::MAX_POINTS)) as a signed ledger change.
pub(crate) fn points_change(points: u64) -> i64 {
    i64::try_from(points).unwrap_or_else(|_| unreachable!("points never exceed MAX_POINTS"))
}

/// Units of each product an order took, summed per product (orders written by
/// older systems may list a product twice).
pub(crate) fn units_by_product(items: &[OrderItem]) -> Vec<(ProductId, u32)> {
    let mut order: Vec<ProductId> = Vec::new();
    let mut units: HashMap<ProductId, u32> = HashMap::new();
    for item in items {
        let entry = units.entry(item.product_id).or_insert_with(|| {
            order.push(item.product_id);
            0
        });
        *entry = entry.saturating_add(item.quantity.get());
    }
    order.into_iter().map(|id| (id, units[&id])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::cart::{line, CartLine};
    use crate::seed;
    use crate::values::quantity::Quantity;

    fn plan(
        customer: i64,
        lines: &[CartLine],
        region: Option<&str>,
    ) -> Result<CheckoutPlan, CheckoutError> {
        plan_expecting(customer, lines, region, None)
    }

    fn plan_expecting(
        customer: i64,
        lines: &[CartLine],
        region: Option<&str>,
        expected_total: Option<&str>,
    ) -> Result<CheckoutPlan, CheckoutError> {
        let data = seed::demo_data();
        let (catalog, rules, taxes) = (data.catalog(), data.rule_book(), data.tax_table());
        let customer_id = CustomerId::new(customer).unwrap();
        let request = CheckoutRequest {
            customer_id,
            cart: Cart::new(lines.iter().copied()).unwrap(),
            region: region.map(|r| Region::parse(r).unwrap()),
            expected_total: expected_total.map(|t| t.parse().unwrap()),
            coupon: None,
            redeem_points: 0,
        };
        let snapshot = CheckoutSnapshot {
            customer: data.customers.iter().find(|c| c.id == customer_id),
            catalog: &catalog,
            rules: &rules,
            tax_rates: &taxes,
            coupon: None,
        };
        plan_checkout(
            &request,
            &snapshot,
            &ShopConfig::default(),
            DateTime::UNIX_EPOCH,
        )
    }

    fn pid(id: i64) -> ProductId {
        ProductId::new(id).unwrap()
    }

    #[test]
    fn an_expected_total_must_be_the_total_to_the_cent() {
        let cart = [line(1, 1), line(2, 10)];
        assert!(plan_expecting(1, &cart, None, Some("1430.59")).is_ok());
        let err = plan_expecting(1, &cart, None, Some("1430.58")).unwrap_err();
        assert_eq!(err.code(), "price_changed");
        let CheckoutError::PriceChanged { expected, quote } = err else {
            panic!()
        };
        assert_eq!(
            (expected.to_string(), quote.total.to_string()),
            ("1430.58".into(), "1430.59".into())
        );
        // A stale total is refused before stock is looked at.
        let too_many = [line(4, 76)];
        assert_eq!(
            plan_expecting(1, &too_many, None, Some("1.00"))
                .unwrap_err()
                .code(),
            "price_changed"
        );
    }

    #[test]
    fn worked_example_plans_effects_in_order_with_resulting_values() {
        let plan = plan(1, &[line(1, 1), line(2, 10)], None).unwrap();
        assert_eq!(plan.quote.total.to_string(), "1430.59");
        assert_eq!(plan.points_earned, 125);
        let ahmed = CustomerId::new(1).unwrap();
        let sale = Reason::Order(OrderRef::Placed);
        let effects = plan.plan().effects();
        assert_eq!(effects.len(), 5, "{effects:#?}");
        let Effect::OrderPlaced(order) = &effects[0] else {
            panic!("the order comes first: {effects:#?}")
        };
        assert_eq!(order.region.as_str(), "Cairo");
        assert_eq!(order.customer_id, ahmed);
        assert_eq!(order.points_earned, 125);
        assert_eq!(order.total_amount.to_string(), "1430.59");
        assert_eq!(
            effects[1..3],
            [
                Effect::StockMoved(StockMoved {
                    product: pid(1),
                    change: -1,
                    after: 49,
                    reason: sale
                }),
                Effect::StockMoved(StockMoved {
                    product: pid(2),
                    change: -10,
                    after: 190,
                    reason: sale
                }),
            ]
        );
        assert_eq!(
            effects[3],
            Effect::PointsMoved(PointsMoved {
                customer: ahmed,
                change: 125,
                after: 225,
                reason: sale
            })
        );
        let Effect::NoticeLogged(notice) = &effects[4] else {
            panic!("the confirmation comes last: {effects:#?}")
        };
        assert_eq!((notice.order, notice.customer), (OrderRef::Placed, ahmed));
        assert_eq!(notice.kind, NotificationKind::OrderConfirmation);
        let text = notice.text.render(crate::OrderId::new(42).unwrap());
        for expected in [
            "Order #42 confirmed",
            "Dear Ahmed Hassan",
            "1 x Laptop @ 999.99 = 999.99",
            "10 x Mouse @ 29.99 - 44.99 (15.00% off) = 254.91",
            "Subtotal: 1254.90",
            "Tax (Cairo 14.00%): 175.69",
            "Total: 1430.59",
            "Loyalty points earned: 125",
            "by 1970-01-06",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn a_bound_key_is_the_last_effect() {
        let mut plan = plan(2, &[line(3, 1)], None).unwrap();
        let key = IdempotencyKey::parse("k-1").unwrap();
        let fingerprint = RequestFingerprint("f".repeat(64));
        plan.bind_key(key.clone(), fingerprint.clone());
        assert_eq!(
            plan.plan().effects().last(),
            Some(&Effect::KeyBound {
                customer: CustomerId::new(2).unwrap(),
                key,
                fingerprint
            })
        );
    }

    #[test]
    fn points_stop_at_the_cap_and_an_order_earning_none_moves_none() {
        let data = seed::demo_data();
        let (catalog, rules, taxes) = (data.catalog(), data.rule_book(), data.tax_table());
        let mut rich = data.customers[0].clone();
        let max = i64::try_from(crate::MAX_POINTS).unwrap();
        rich.loyalty_points = max - 3;
        let request = CheckoutRequest {
            customer_id: rich.id,
            cart: Cart::new([line(1, 1)]).unwrap(),
            region: None,
            expected_total: None,
            coupon: None,
            redeem_points: 0,
        };
        let snapshot = CheckoutSnapshot {
            customer: Some(&rich),
            catalog: &catalog,
            rules: &rules,
            tax_rates: &taxes,
            coupon: None,
        };
        let config = ShopConfig::default();
        let capped = plan_checkout(&request, &snapshot, &config, DateTime::UNIX_EPOCH).unwrap();
        assert_eq!(capped.points_earned, 3);
        assert_eq!(capped.new_order().points_earned, 3);
        let moved: Vec<_> = capped.plan().points_moves().collect();
        assert_eq!((moved[0].change, moved[0].after), (3, max));

        let mut full = rich.clone();
        full.loyalty_points = max;
        let snapshot = CheckoutSnapshot {
            customer: Some(&full),
            ..snapshot
        };
        let none = plan_checkout(&request, &snapshot, &config, DateTime::UNIX_EPOCH).unwrap();
        assert_eq!(none.points_earned, 0);
        assert_eq!(none.plan().points_moves().count(), 0);
    }

    #[test]
    fn unknown_customer_region_product_and_short_stock_are_distinct_errors() {
        let kind = |r: Result<CheckoutPlan, CheckoutError>| r.unwrap_err().kind();
        assert_eq!(
            kind(plan(99, &[line(1, 1)], None)),
            ErrorKind::UnknownCustomer
        );
        assert_eq!(
            kind(plan(1, &[line(1, 1)], Some("Aswan"))),
            ErrorKind::UnknownTaxRegion
        );
        assert_eq!(
            kind(plan(1, &[line(1, 1), line(77, 1)], None)),
            ErrorKind::UnknownProduct
        );
        let short = plan(1, &[line(1, 1), line(4, 76)], None).unwrap_err();
        assert_eq!(
            short,
            CheckoutError::InsufficientStock {
                product_id: ProductId::new(4).unwrap(),
                requested: 76,
                available: 75
            }
        );
    }

    #[test]
    fn region_lookup_ignores_case_and_keeps_the_stored_spelling() {
        let plan = plan(2, &[line(5, 1)], Some("giza")).unwrap();
        assert_eq!(plan.new_order().region.as_str(), "Giza");
    }

    #[test]
    fn buying_exactly_the_stock_leaves_zero() {
        let plan = plan(3, &[line(4, 75)], None).unwrap();
        assert_eq!(plan.plan().stock_moves().next().map(|m| m.after), Some(0));
    }

    #[test]
    fn units_by_product_sums_duplicate_items() {
        let item = |id, qty| OrderItem {
            product_id: ProductId::new(id).unwrap(),
            quantity: Quantity::new(qty).unwrap(),
            unit_price: crate::Money::ZERO,
            discount: crate::Money::ZERO,
            line_total: crate::Money::ZERO,
            coupon_share: crate::Money::ZERO,
            points_share: crate::Money::ZERO,
            tax: crate::Money::ZERO,
            points_redeemed: 0,
        };
        let summed = units_by_product(&[item(2, 1), item(1, 4), item(2, 3)]);
        assert_eq!(
            summed,
            vec![
                (ProductId::new(2).unwrap(), 4),
                (ProductId::new(1).unwrap(), 4)
            ]
        );
    }
}
