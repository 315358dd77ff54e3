//! A plain reference model of what comes back from an order — partial
//! cancels, returns (staff-made, or asked for and then received or
//! rejected), goodwill refunds — beside payments and shipments, and a runner
//! that applies random sequences of them to a store and to the model side by
//! side. Orders are random too: quantities across the tier thresholds, a
//! percentage or a fixed coupon or none, redeemed points, and both roundings
//! and tax modes (the store is built with the [`Scenario`]'s configuration).
//!
//! The model counts cents and points in `i64` and restates the rules of the
//! issue with integer arithmetic only: `k` of a line's `n` remaining units
//! take `round(left × k / n)` of its money, tax and points (the last units
//! exactly what is left); a step's refund is what was paid for the units
//! beyond what the kept units cost, at most the step's value and what the
//! shop holds; authorizations above what is due are released; the kept units
//! earn `floor(net / 10.00)` points. After every step the store must give
//! the model's answer (success, or the same refusal code) and show its
//! figures; at the end every fully released line must have released exactly
//! what it cost, and the books must balance.
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! let steps = shopcore_conformance::returns_model::steps(6);
//! let mut runner = proptest::test_runner::TestRunner::deterministic();
//! assert!(steps.new_tree(&mut runner).unwrap().current().len() <= 6);
//! ```

use proptest::prelude::*;
use shopcore::{
    CheckoutRequest, Coupon, CouponCode, CouponValue, ErrorCode, FulfillmentLine,
    FulfillmentRequest, LineQuantity, Money, Order, OrderId, PaymentRequest, PricingPolicy,
    ProductId, Quantity, ReturnId, ReturnRequest, ReturnRequester, RoundingMode, ShopConfig, Store,
    TaxRounding,
};

use crate::cases::{audit_findings, cart};

/// The products a scenario may order: Laptop (tier at 5), Mouse (tier at
/// 10), Keyboard (tier at 10).
const PRODUCTS: [i64; 3] = [1, 2, 3];

/// A random order and the shop's rounding rules.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Units per product (0: not in the order; at least one line has units).
    pub quantities: [u32; 3],
    /// The coupon: none, 10 % or a fixed amount in cents.
    pub coupon: Option<CouponPick>,
    /// Points Ahmed (100 points) redeems.
    pub points: u64,
    /// The shop's rounding.
    pub rounding: RoundingMode,
    /// The shop's tax mode.
    pub tax: TaxRounding,
}

/// A coupon a scenario uses.
#[derive(Clone, Copy, Debug)]
pub enum CouponPick {
    /// 10 % off.
    TenPercent,
    /// A fixed amount off, in cents.
    AmountOff(i64),
}

impl Scenario {
    /// The configuration the store must be built with.
    pub fn config(&self) -> ShopConfig {
        ShopConfig {
            pricing: PricingPolicy {
                rounding: self.rounding,
                tax_rounding: self.tax,
            },
            ..ShopConfig::default()
        }
    }
}

/// Random scenarios.
pub fn scenarios() -> impl Strategy<Value = Scenario> {
    let quantities = (0u32..=6, 0u32..=15, 0u32..=12)
        .prop_filter("an order has a line", |q| q.0 + q.1 + q.2 > 0);
    let coupon = prop_oneof![
        Just(None),
        Just(Some(CouponPick::TenPercent)),
        (1i64..=2_000).prop_map(|c| Some(CouponPick::AmountOff(c))),
    ];
    let rounding = prop_oneof![Just(RoundingMode::HalfUp), Just(RoundingMode::HalfEven)];
    let tax = prop_oneof![Just(TaxRounding::PerOrder), Just(TaxRounding::PerLine)];
    (quantities, coupon, 0u64..=100, rounding, tax).prop_map(
        |((a, b, c), coupon, points, rounding, tax)| Scenario {
            quantities: [a, b, c],
            coupon,
            points,
            rounding,
            tax,
        },
    )
}

/// One step of a run. `line` is 0, 1 or 2 for products 1 (Laptop), 2
/// (Mouse) and 3 (Keyboard), which may not be in the order; `nth` indexes
/// the returns made so far (or names none).
#[derive(Clone, Debug)]
pub enum Step {
    /// Records a payment of `cents`, captured at once or only authorized.
    Pay {
        /// The amount.
        cents: i64,
        /// Captured at once.
        capture: bool,
    },
    /// Captures exactly what is still due (refused if nothing is).
    PayRest,
    /// Ships units of a line.
    Ship {
        /// The line.
        line: usize,
        /// Units.
        units: u32,
    },
    /// Cancels units of a line.
    Cancel {
        /// The line.
        line: usize,
        /// Units.
        units: u32,
    },
    /// Cancels the whole order.
    CancelWhole,
    /// Staff return units of a line (received at once, restocked or not).
    Return {
        /// The line.
        line: usize,
        /// Units.
        units: u32,
        /// Back to stock.
        restock: bool,
    },
    /// The customer asks for a return of units of a line.
    Request {
        /// The line.
        line: usize,
        /// Units.
        units: u32,
    },
    /// Staff receive the `nth` return.
    Receive {
        /// Which return.
        nth: usize,
    },
    /// Staff reject the `nth` return.
    Reject {
        /// Which return.
        nth: usize,
    },
    /// A goodwill refund of `cents`.
    Goodwill {
        /// The amount.
        cents: i64,
    },
}

/// Random sequences of up to `max` steps.
pub fn steps(max: usize) -> impl Strategy<Value = Vec<Step>> {
    let units = 1u32..=8;
    let step = prop_oneof![
        2 => (0i64..=150_000, any::<bool>()).prop_map(|(cents, capture)| Step::Pay { cents, capture }),
        3 => Just(Step::PayRest),
        3 => (0usize..3, units.clone()).prop_map(|(line, units)| Step::Ship { line, units }),
        3 => (0usize..3, units.clone()).prop_map(|(line, units)| Step::Cancel { line, units }),
        1 => Just(Step::CancelWhole),
        3 => (0usize..3, units.clone(), any::<bool>())
            .prop_map(|(line, units, restock)| Step::Return { line, units, restock }),
        2 => (0usize..3, units).prop_map(|(line, units)| Step::Request { line, units }),
        2 => (0usize..3).prop_map(|nth| Step::Receive { nth }),
        1 => (0usize..3).prop_map(|nth| Step::Reject { nth }),
        2 => (0i64..=60_000).prop_map(|cents| Step::Goodwill { cents }),
    ];
    proptest::collection::vec(step, 0..=max)
}

/// `left × k / n` rounded with `mode`, in integers; `left` for the last units.
fn share(left: i64, n: i64, k: i64, mode: RoundingMode) -> i64 {
    if k == n {
        return left;
    }
    let (q, r) = ((left * k) / n, (left * k) % n);
    let up = match mode {
        RoundingMode::HalfUp => 2 * r >= n,
        RoundingMode::HalfEven => 2 * r > n || (2 * r == n && q % 2 == 1),
    };
    q + i64::from(up)
}

/// One line as the model sees it.
#[derive(Clone, Debug, Default)]
struct Line {
    product: i64,
    units: i64,
    net: i64,
    tax: i64,
    points: i64,
    // What is left to release.
    left_units: i64,
    left_net: i64,
    left_tax: i64,
    left_points: i64,
    shipped: i64,
    cancelled: i64,
    returned: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ReturnState {
    Requested { line: usize, units: i64 },
    Done,
}

#[derive(Clone, Debug)]
struct Model {
    lines: Vec<Line>,
    rounding: RoundingMode,
    cancelled: bool,
    due: i64,
    captured: i64,
    paid_for_units: i64,
    held: i64,
    authorized: i64,
    refunded: i64,
    points_kept: i64,
    returns: Vec<ReturnState>,
}

type Answer = Result<(), &'static str>;

impl Model {
    fn line(&self, index: usize) -> Option<usize> {
        let product = PRODUCTS[index];
        self.lines.iter().position(|l| l.product == product)
    }

    fn unfulfilled(&self, l: usize) -> i64 {
        let line = &self.lines[l];
        line.units - line.cancelled - line.shipped
    }

    fn requested(&self, l: usize) -> i64 {
        self.returns
            .iter()
            .map(|r| match r {
                ReturnState::Requested { line, units } if *line == l => *units,
                _ => 0,
            })
            .sum()
    }

    fn returnable(&self, l: usize) -> i64 {
        let line = &self.lines[l];
        line.shipped - line.returned - self.requested(l)
    }

    /// Releases `units` per line; `whole` for the whole cancel.
    fn release(&mut self, units: &[(usize, i64)], cancelling: bool, whole: bool) {
        let mut value = 0;
        for &(l, k) in units {
            let line = &mut self.lines[l];
            let n = line.left_units;
            let (net, tax, points) = (
                share(line.left_net, n, k, self.rounding),
                share(line.left_tax, n, k, self.rounding),
                share(line.left_points, n, k, self.rounding),
            );
            line.left_units -= k;
            line.left_net -= net;
            line.left_tax -= tax;
            line.left_points -= points;
            if cancelling {
                line.cancelled += k;
            } else {
                line.returned += k;
            }
            value += net + tax;
        }
        let due_after = self.due - value;
        let refund = value
            .min((self.paid_for_units - due_after).max(0))
            .min(self.held);
        self.due = due_after;
        self.held -= refund;
        self.paid_for_units -= refund;
        self.refunded += refund;
        let needed = (due_after - self.paid_for_units).max(0);
        self.authorized = if whole {
            0
        } else {
            self.authorized.min(needed)
        };
        let kept_net: i64 = self.lines.iter().map(|l| l.left_net).sum();
        self.points_kept = if whole {
            0
        } else {
            self.points_kept.min(kept_net / 1_000)
        };
    }

    fn step(&mut self, step: &Step) -> Answer {
        match *step {
            Step::Pay { cents, capture } => self.pay(cents, capture),
            Step::PayRest => self.pay(self.balance_due(), true),
            Step::Ship { line, units } => {
                if self.cancelled {
                    return Err("order_cancelled");
                }
                let l = self.line(line).ok_or("product_not_in_order")?;
                if i64::from(units) > self.unfulfilled(l) {
                    return Err("fulfillment_exceeds_order");
                }
                self.lines[l].shipped += i64::from(units);
                Ok(())
            }
            Step::Cancel { line, units } => {
                if self.cancelled {
                    return Err("order_not_cancellable");
                }
                let l = self.line(line).ok_or("product_not_in_order")?;
                let k = i64::from(units);
                if k > self.unfulfilled(l) {
                    return Err("cancel_exceeds_unfulfilled");
                }
                let nothing_shipped = self.lines.iter().all(|l| l.shipped == 0);
                let everything = self
                    .lines
                    .iter()
                    .enumerate()
                    .all(|(i, x)| x.left_units == if i == l { k } else { 0 });
                if nothing_shipped && everything {
                    return self.cancel_whole();
                }
                self.release(&[(l, k)], true, false);
                Ok(())
            }
            Step::CancelWhole => self.cancel_whole(),
            Step::Return { line, units, .. } | Step::Request { line, units } => {
                let l = self.line(line).ok_or("product_not_in_order")?;
                let k = i64::from(units);
                if k > self.returnable(l) {
                    return Err("return_exceeds_fulfilled");
                }
                if matches!(step, Step::Request { .. }) {
                    self.returns
                        .push(ReturnState::Requested { line: l, units: k });
                } else {
                    self.returns.push(ReturnState::Done);
                    self.release(&[(l, k)], false, false);
                }
                Ok(())
            }
            Step::Receive { nth } | Step::Reject { nth } => {
                let Some(state) = self.returns.get(nth).cloned() else {
                    return Err("unknown_return");
                };
                let ReturnState::Requested { line, units } = state else {
                    return Err("return_not_requested");
                };
                if self.cancelled {
                    return Err("return_not_requested");
                }
                self.returns[nth] = ReturnState::Done;
                if matches!(step, Step::Receive { .. }) {
                    self.release(&[(line, units)], false, false);
                }
                Ok(())
            }
            Step::Goodwill { cents } => {
                if cents <= 0 {
                    return Err("invalid_amount");
                }
                if cents > self.held {
                    return Err("refund_exceeds_paid");
                }
                self.held -= cents;
                self.refunded += cents;
                Ok(())
            }
        }
    }

    fn pay(&mut self, cents: i64, capture: bool) -> Answer {
        if cents <= 0 {
            return Err("invalid_amount");
        }
        if self.cancelled {
            return Err("order_cancelled");
        }
        if self.paid_for_units + self.authorized + cents > self.due {
            return Err("payment_exceeds_balance");
        }
        if capture {
            self.captured += cents;
            self.paid_for_units += cents;
            self.held += cents;
        } else {
            self.authorized += cents;
        }
        Ok(())
    }

    fn cancel_whole(&mut self) -> Answer {
        if self.cancelled {
            return Err("order_not_cancellable");
        }
        if self.lines.iter().any(|l| l.shipped > 0) {
            return Err("order_fulfilled");
        }
        let units: Vec<(usize, i64)> = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.left_units > 0)
            .map(|(i, l)| (i, l.left_units))
            .collect();
        self.release(&units, true, true);
        self.cancelled = true;
        Ok(())
    }

    fn balance_due(&self) -> i64 {
        if self.cancelled {
            0
        } else {
            (self.due - self.paid_for_units).max(0)
        }
    }

    /// Asserts that `order` shows what the model holds.
    fn check(&self, order: &Order, context: &dyn Fn() -> String) {
        let c = |m: Money| m.cents();
        assert_eq!(c(order.amount_due()), self.due, "amount_due {}", context());
        assert_eq!(
            c(order.balance_due()),
            self.balance_due(),
            "balance_due {}",
            context()
        );
        assert_eq!(
            c(order.amount_paid()),
            self.captured,
            "amount_paid {}",
            context()
        );
        assert_eq!(
            c(order.amount_refunded()),
            self.refunded,
            "refunded {}",
            context()
        );
        assert_eq!(
            c(order.amount_authorized()),
            self.authorized,
            "authorized {}",
            context()
        );
        assert_eq!(
            i64::try_from(order.points_kept()).unwrap_or(-1),
            self.points_kept,
            "points kept {}",
            context()
        );
        for line in &self.lines {
            let p = ProductId::new(line.product).expect("id");
            let released = order.released(p);
            assert_eq!(
                (
                    c(released.amount),
                    c(released.tax),
                    i64::try_from(released.points).unwrap_or(-1)
                ),
                (
                    line.net - line.left_net,
                    line.tax - line.left_tax,
                    line.points - line.left_points
                ),
                "line {} released {}",
                line.product,
                context()
            );
            assert_eq!(
                i64::from(order.cancelled_quantity(p)),
                line.cancelled,
                "{}",
                context()
            );
            assert_eq!(
                i64::from(order.returned_quantity(p)),
                line.returned,
                "{}",
                context()
            );
            assert_eq!(
                i64::from(order.fulfilled_quantity(p)),
                line.shipped,
                "{}",
                context()
            );
        }
    }
}

/// Largest remainder of `amount` over `weights`, in integers (earlier lines
/// first on equal remainders).
fn split(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i64 = weights.iter().sum();
    if total == 0 {
        return weights.iter().map(|_| 0).collect();
    }
    let mut shares: Vec<i64> = weights.iter().map(|w| amount * w / total).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(amount * weights[i] % total));
    let mut left = amount - shares.iter().sum::<i64>();
    for i in order {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
}

/// Places the scenario's order (creating its coupon first), runs `steps` on
/// it and on the model, checking every answer and figure; then checks that
/// every fully released line released exactly what it cost and that the
/// books balance. The store must have been built with `scenario.config()`.
pub async fn run_returns_model<S: Store>(store: &S, scenario: &Scenario, steps: &[Step]) {
    let lines: Vec<(i64, i64)> = PRODUCTS
        .iter()
        .zip(scenario.quantities)
        .filter(|(_, q)| *q > 0)
        .map(|(p, q)| (*p, i64::from(q)))
        .collect();
    let coupon = match scenario.coupon {
        None => None,
        Some(pick) => {
            let value = match pick {
                CouponPick::TenPercent => CouponValue::PercentOff("10".parse().expect("pct")),
                CouponPick::AmountOff(cents) => {
                    CouponValue::AmountOff(Money::from_cents(cents).expect("cents"))
                }
            };
            let code = CouponCode::parse("MODEL").expect("code");
            store
                .create_coupon(Coupon::new(code.clone(), value))
                .await
                .expect("coupon");
            Some(code)
        }
    };
    let request = CheckoutRequest {
        customer_id: shopcore::CustomerId::new(1).expect("id"),
        cart: cart(&lines),
        region: None,
        expected_total: None,
        coupon,
        redeem_points: scenario.points,
    };
    let Ok(placed) = store.checkout(&request, None).await else {
        return; // a coupon larger than the order, or points worth more: not this model's concern
    };
    let order = placed.order;
    // The lines' costs as kept at checkout, checked against the rules.
    let nets: Vec<i64> = order
        .items
        .iter()
        .map(|i| i.net_price().expect("net").cents())
        .collect();
    let taxes: Vec<i64> = order.items.iter().map(|i| i.tax.cents()).collect();
    if scenario.tax == TaxRounding::PerOrder {
        assert_eq!(taxes, split(order.tax.cents(), &nets), "{scenario:?}");
    } else {
        for (net, tax) in nets.iter().zip(&taxes) {
            assert_eq!(
                *tax,
                share(net * 14, 100, 1, scenario.rounding),
                "{scenario:?}"
            );
        }
    }
    let shares: Vec<i64> = order.items.iter().map(|i| i.points_share.cents()).collect();
    let points: Vec<i64> = order
        .items
        .iter()
        .map(|i| i64::try_from(i.points_redeemed).expect("points"))
        .collect();
    let redeemed = i64::try_from(order.points_redeemed).expect("points");
    assert_eq!(points, split(redeemed, &shares), "{scenario:?}");
    let mut model = Model {
        lines: order
            .items
            .iter()
            .zip(nets.iter().zip(taxes.iter().zip(&points)))
            .map(|(item, (&net, (&tax, &points)))| Line {
                product: item.product_id.get(),
                units: i64::from(item.quantity.get()),
                net,
                tax,
                points,
                left_units: i64::from(item.quantity.get()),
                left_net: net,
                left_tax: tax,
                left_points: points,
                ..Line::default()
            })
            .collect(),
        rounding: scenario.rounding,
        cancelled: false,
        due: order.total_amount.cents(),
        captured: 0,
        paid_for_units: 0,
        held: 0,
        authorized: 0,
        refunded: 0,
        points_kept: i64::try_from(order.points_earned).expect("points"),
        returns: Vec::new(),
    };
    let mut returns: Vec<ReturnId> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let context = || format!("step {index} {step:?} of {steps:?} in {scenario:?}");
        // What is due before the step (for `PayRest`).
        let rest = model.balance_due();
        let predicted = model.step(step);
        let answered = apply(store, order.id, step, &returns, rest, index).await;
        assert_eq!(answered, predicted, "{}", context());
        let stored = store.order(order.id).await.expect("order");
        returns = stored.returns.iter().map(|r| r.id).collect();
        model.check(&stored, &context);
    }
    for line in &model.lines {
        if line.left_units == 0 {
            assert_eq!((line.left_net, line.left_tax, line.left_points), (0, 0, 0));
        }
    }
    assert_eq!(
        audit_findings(store).await,
        Vec::<String>::new(),
        "after {steps:?} in {scenario:?}"
    );
}

fn units_of(product: i64, units: u32) -> Vec<LineQuantity> {
    vec![LineQuantity {
        product_id: ProductId::new(product).expect("id"),
        quantity: Quantity::new(i64::from(units)).expect("units"),
    }]
}

async fn apply<S: Store>(
    store: &S,
    order: OrderId,
    step: &Step,
    returns: &[ReturnId],
    rest: i64,
    index: usize,
) -> Answer {
    let code = |e: &dyn ErrorCode| e.code();
    let money = |cents: i64| Money::from_cents(cents.max(0)).unwrap_or(Money::MAX);
    let nth = |n: usize| {
        returns
            .get(n)
            .copied()
            .unwrap_or(ReturnId::new(1_000_000).expect("id"))
    };
    let pay = |cents: i64, capture: bool| PaymentRequest {
        amount: money(cents),
        method: "card".parse().expect("method"),
        reference: format!("pi_{index}").parse().expect("reference"),
        capture,
    };
    match *step {
        Step::Pay { cents, capture } => store
            .record_payment(order, &pay(cents, capture))
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        // What the model says is due (the store's own figure is checked after each step).
        Step::PayRest => store
            .record_payment(order, &pay(rest, true))
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        Step::Ship { line, units } => {
            let request = FulfillmentRequest {
                lines: Some(vec![FulfillmentLine {
                    product_id: ProductId::new(PRODUCTS[line]).expect("id"),
                    quantity: Quantity::new(i64::from(units)).expect("units"),
                }]),
                carrier: None,
                tracking_number: None,
            };
            store
                .fulfill(order, &request)
                .await
                .map(drop)
                .map_err(|e| code(&e))
        }
        Step::Cancel { line, units } => store
            .cancel_units(order, &units_of(PRODUCTS[line], units))
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        Step::CancelWhole => store.cancel(order).await.map(drop).map_err(|e| code(&e)),
        Step::Return {
            line,
            units,
            restock,
        } => store
            .create_return(
                order,
                &ReturnRequest {
                    lines: units_of(PRODUCTS[line], units),
                    restock,
                    reason: None,
                    key: None,
                },
                ReturnRequester::Staff,
            )
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        Step::Request { line, units } => store
            .create_return(
                order,
                &ReturnRequest {
                    lines: units_of(PRODUCTS[line], units),
                    restock: true,
                    reason: None,
                    key: None,
                },
                ReturnRequester::Customer {
                    window: chrono::Duration::days(30),
                },
            )
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        Step::Receive { nth: n } => store
            .receive_return(nth(n), None)
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        Step::Reject { nth: n } => store
            .reject_return(nth(n))
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        Step::Goodwill { cents } => store
            .refund(
                order,
                &shopcore::RefundRequest {
                    amount: money(cents),
                    reason: None,
                    key: None,
                },
            )
            .await
            .map(drop)
            .map_err(|e| code(&e)),
    }
}
