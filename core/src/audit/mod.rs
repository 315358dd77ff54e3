//! The books-balance audit: does a store account for every unit and every point?
//!
//! Written once, here, over [`Books`] that any adapter exports
//! ([`BooksRepository`](crate::BooksRepository)); the conformance suite runs it
//! on every store, `make soak` on MySQL after load and after a SIGKILL.
//!
//! Given the balances when the books were opened ([`Opening`]), it checks:
//! - per product: opening − sold + returned ± manual = stock (sold and returned
//!   from the orders' items, manual from the ledger), and the stock ledger
//!   chains: each entry's `after` is the previous balance plus its change, and
//!   the last one is the stored stock;
//! - per customer: opening + earned − redeemed − revoked + returned ± manual =
//!   points (earned, redeemed, revoked and returned from the orders, manual
//!   from the ledger), with the same chain; a balance below zero is points owed;
//! - per order: the ledger moved exactly its items' units (and, if cancelled,
//!   returned them), exactly the points it earned and redeemed (and, if
//!   cancelled, gave the redeemed back and revoked every earned point, even
//!   points already spent: no customer keeps points a cancelled order earned); it has
//!   items, the items add up to the subtotal, subtotal − coupon − points + tax
//!   = total, the lines' coupon and points shares add up to the order's, each
//!   line is `unit price × quantity − discount` with `0 ≤ discount ≤ base` and
//!   shares no larger than the line; it has a confirmation (resends add more), and one
//!   cancellation notice if cancelled, none otherwise;
//! - per order, its money: the money ledger chains (each entry's balances are
//!   the ones before it moved by its amount) and ends at what the payments
//!   hold; each payment's movements are its amount authorized, its captured
//!   amount captured and the rest released once it is not authorized;
//!   captured + authorized ≤ total (captured ≤ total once cancelled, with
//!   nothing left authorized and `refund_due` = captured);
//! - per order, its shipments: never more units of a product than ordered,
//!   none of a cancelled order;
//! - per order, its events: one `payment_captured` per captured payment, one
//!   `payment_voided` per voided one, one `order_paid` once captured covers a
//!   total above zero, one `fulfillment_created` per shipment, one
//!   `order_fulfilled` once every unit has shipped;
//! - nothing in the log or the ledgers names an order that does not exist.
//!
//! ```
//! use shopcore::{audit, seed, Books, Opening};
//! let data = seed::demo_data();
//! let opening = Opening::from_seed(&data);
//! let mut books = Books::default();
//! books.stock = data.products.iter().map(|p| (p.id, p.quantity_available)).collect();
//! books.points = data.customers.iter().map(|c| (c.id, c.loyalty_points)).collect();
//! assert!(audit(&opening, &books).is_empty());
//! books.stock[0].1 -= 1; // a unit gone without an order or an adjustment
//! assert_eq!(audit(&opening, &books).len(), 2); // the balance and the ledger's end
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::lifecycle::checkout::units_by_product;
use crate::orders::notification::NotificationKind;
use crate::orders::order::{Order, OrderStatus};
use crate::orders::payment::MoneyEntry;
use crate::orders::returns::ReleaseCause;
use crate::plan::{PointsEntry, Reason, StockEntry};
use crate::seed::SeedData;
use crate::values::ids::{CustomerId, OrderId, PaymentId, ProductId};
use crate::values::money::Money;

/// The balances when the books were opened; absent products and customers start at 0.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Opening {
    /// Stock per product.
    pub stock: BTreeMap<ProductId, u32>,
    /// Points per customer.
    pub points: BTreeMap<CustomerId, i64>,
}

impl Opening {
    /// The balances of freshly loaded seed data.
    pub fn from_seed(data: &SeedData) -> Self {
        Opening {
            stock: data
                .products
                .iter()
                .map(|p| (p.id, p.quantity_available))
                .collect(),
            points: data
                .customers
                .iter()
                .map(|c| (c.id, c.loyalty_points))
                .collect(),
        }
    }
}

/// Everything the audit reads, as a store exports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Books {
    /// Stored stock per product, by id.
    pub stock: Vec<(ProductId, u32)>,
    /// Stored points per customer, by id.
    pub points: Vec<(CustomerId, i64)>,
    /// Every order with its items, by id.
    pub orders: Vec<Order>,
    /// Every logged notification: the order it is about and its kind.
    pub notices: Vec<(OrderId, NotificationKind)>,
    /// The stock ledger, in the order it was written.
    pub stock_ledger: Vec<StockEntry>,
    /// The points ledger, in the order it was written.
    pub points_ledger: Vec<PointsEntry>,
    /// The money ledger, in the order it was written.
    pub money_ledger: Vec<MoneyEntry>,
}

/// A balance the audit checks: one product's stock or one customer's points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Account {
    /// A product's stock.
    Stock(ProductId),
    /// A customer's points.
    Points(CustomerId),
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Stock(product) => write!(f, "product {product}: stock"),
            Account::Points(customer) => write!(f, "customer {customer}: points"),
        }
    }
}

/// What is wrong with one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderProblem {
    /// It has no items.
    NoItems,
    /// Its items do not add up to its subtotal.
    ItemsSum {
        /// Σ line totals.
        items: Money,
        /// The stored subtotal.
        subtotal: Money,
    },
    /// Subtotal − coupon − points + tax is not the total.
    Total {
        /// The stored subtotal.
        subtotal: Money,
        /// The stored coupon discount plus points value.
        deducted: Money,
        /// The stored tax.
        tax: Money,
        /// The stored total.
        total: Money,
    },
    /// The lines' coupon and points shares do not sum to the order's amounts.
    Allocation {
        /// The stored coupon discount.
        coupon_discount: Money,
        /// The stored points value.
        points_value: Money,
    },
    /// A line is not `unit price × quantity − discount`, its discount is out
    /// of `0..=base`, or its coupon and points shares exceed it.
    Line {
        /// The line's product.
        product: ProductId,
    },
    /// It has no confirmation.
    NoConfirmation,
    /// It has the wrong number of cancellation notices for its status.
    CancellationNotices {
        /// How many it has.
        count: usize,
        /// Its status.
        status: OrderStatus,
    },
    /// It has the wrong number of notices of a kind its payments or
    /// shipments call for.
    Events {
        /// The kind.
        kind: NotificationKind,
        /// How many it has.
        count: usize,
        /// How many its records call for.
        expected: usize,
    },
    /// A money ledger entry's balances are not the ones before it moved by
    /// its amount.
    MoneyChain {
        /// The entry's position among the order's entries (0-based).
        entry: usize,
    },
    /// The money ledger ends at other balances than the payments hold.
    MoneyLedgerEnd {
        /// Authorized and captured, as the ledger ends.
        ledger: (Money, Money),
        /// Authorized and captured, as the payments hold.
        payments: (Money, Money),
    },
    /// A payment's record or its ledger movements do not add up (captured
    /// more than its amount, refunded more than captured, or movements other
    /// than its amount authorized, its captured amount captured, the rest
    /// released and its refunded amount refunded).
    Payment {
        /// The payment.
        payment: PaymentId,
    },
    /// Captured (less refunds) and authorized money exceed what the kept
    /// units cost, something is still authorized or held on a cancelled
    /// order, or `refund_due` is set on an order that is not cancelled.
    Overpaid {
        /// Captured.
        captured: Money,
        /// Authorized and not captured.
        authorized: Money,
        /// The order's total.
        total: Money,
        /// The recorded refund due.
        refund_due: Money,
    },
    /// Its lines' tax or redeemed points do not sum to the order's.
    LineCosts {
        /// Σ line tax.
        tax: Money,
        /// Σ line points.
        points: u64,
    },
    /// A release step's share of a line is not what the rule gives
    /// (`left × k / n`, rounded with the order's rounding, the last units
    /// taking what is left), or it released more units than remained.
    ReleaseStep {
        /// The step's position among the order's releases (0-based).
        step: usize,
        /// The line's product.
        product: ProductId,
    },
    /// A refund does not add up: its parts are not its amount, its lines not
    /// its amount and tax, a goodwill refund has tax or lines, or a line
    /// refunds more than its released units cost.
    Refund {
        /// The refund.
        refund: crate::values::ids::RefundId,
    },
    /// More was refunded than captured.
    Refunded {
        /// Σ refunds.
        refunded: Money,
        /// Σ captured.
        captured: Money,
    },
    /// More units of a product came back than shipped, or are asked back.
    Returned {
        /// The product.
        product: ProductId,
        /// Units shipped.
        shipped: u32,
        /// Units returned (received).
        returned: u32,
        /// Units in open requests.
        requested: u32,
    },
    /// More units of a product shipped than ordered and not cancelled, or a
    /// cancelled order shipped.
    Shipped {
        /// The product.
        product: ProductId,
        /// Units ordered.
        ordered: u32,
        /// Units shipped.
        shipped: u32,
    },
    /// The ledger moved an account for it other than its items and points say.
    Movement {
        /// The account.
        account: Account,
        /// `order` or `cancel`.
        reason: &'static str,
        /// What the order says the movement is.
        expected: i64,
        /// What the ledger holds.
        ledger: i64,
    },
}

/// One way the books do not balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Discrepancy {
    /// The stored balance is not opening + orders + cancels + manual.
    Balance {
        /// Which balance.
        account: Account,
        /// What the store holds.
        stored: i64,
        /// The opening balance.
        opening: i64,
        /// The net movement by orders (stock: − units sold, from the items;
        /// points: + points earned − points redeemed, from the orders).
        orders: i64,
        /// The net movement by cancels (stock: + units returned, from the items;
        /// points: + points returned − points revoked, from the orders).
        cancels: i64,
        /// The net manual movement, from the ledger.
        manual: i64,
    },
    /// A ledger entry's `after` is not the balance before it plus its change.
    Chain {
        /// Which ledger.
        account: Account,
        /// The entry's position among the account's entries (0-based).
        entry: usize,
        /// The balance the entries before it give, plus its change.
        expected: i64,
        /// The `after` it records.
        recorded: i64,
    },
    /// The stored balance is not where the account's ledger ends.
    LedgerEnd {
        /// Which balance.
        account: Account,
        /// What the store holds.
        stored: i64,
        /// Opening + every change in the ledger.
        ledger: i64,
    },
    /// An order is inconsistent.
    Order {
        /// The order.
        order: OrderId,
        /// How.
        problem: OrderProblem,
    },
    /// A notification or ledger entry names an order that does not exist.
    UnknownOrder {
        /// The order named.
        order: OrderId,
        /// `notification` or `ledger entry`.
        named_by: &'static str,
    },
}

impl fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Discrepancy::Balance { account, stored, opening, orders, cancels, manual } => write!(
                f,
                "{account} {stored}, books say {opening} opening {orders:+} by orders \
                 {cancels:+} by cancels {manual:+} manual = {}",
                books_balance(*opening, *orders, *cancels, *manual)
            ),
            Discrepancy::Chain { account, entry, expected, recorded } => write!(
                f,
                "{account} ledger entry {entry} records {recorded}, the entries before it give {expected}"
            ),
            Discrepancy::LedgerEnd { account, stored, ledger } => {
                write!(f, "{account} {stored}, its ledger ends at {ledger}")
            }
            Discrepancy::Order { order, problem } => {
                write!(f, "order {order}: ")?;
                match problem {
                    OrderProblem::NoItems => write!(f, "no items"),
                    OrderProblem::ItemsSum { items, subtotal } => {
                        write!(f, "items sum to {items}, subtotal {subtotal}")
                    }
                    OrderProblem::Total { subtotal, deducted, tax, total } => {
                        write!(f, "{subtotal} - {deducted} + {tax} != total {total}")
                    }
                    OrderProblem::Allocation { coupon_discount, points_value } => write!(
                        f,
                        "the lines' shares do not sum to the coupon discount {coupon_discount} \
                         and the points value {points_value}"
                    ),
                    OrderProblem::Line { product } => {
                        write!(f, "the line of product {product} does not add up")
                    }
                    OrderProblem::NoConfirmation => write!(f, "0 confirmations"),
                    OrderProblem::CancellationNotices { count, status } => write!(
                        f,
                        "{count} cancellation notices while {}",
                        status.as_str()
                    ),
                    OrderProblem::Movement { account, reason, expected, ledger } => write!(
                        f,
                        "{account} moved {ledger} by its {reason} in the ledger, expected {expected}"
                    ),
                    OrderProblem::Events { kind, count, expected } => {
                        write!(f, "{count} {kind} notices, its records call for {expected}")
                    }
                    OrderProblem::MoneyChain { entry } => {
                        write!(f, "money ledger entry {entry} does not follow from the ones before")
                    }
                    OrderProblem::MoneyLedgerEnd { ledger, payments } => write!(
                        f,
                        "money ledger ends at {} authorized and {} captured, payments hold {} and {}",
                        ledger.0, ledger.1, payments.0, payments.1
                    ),
                    OrderProblem::Payment { payment } => {
                        write!(f, "payment {payment} does not add up with its movements")
                    }
                    OrderProblem::Overpaid { captured, authorized, total, refund_due } => write!(
                        f,
                        "{captured} captured and {authorized} authorized of {total}, \
                         refund due {refund_due}"
                    ),
                    OrderProblem::Shipped { product, ordered, shipped } => {
                        write!(f, "product {product}: {shipped} shipped of {ordered} ordered and not cancelled")
                    }
                    OrderProblem::LineCosts { tax, points } => write!(
                        f,
                        "its lines hold {tax} of tax and {points} redeemed points, not the order's"
                    ),
                    OrderProblem::ReleaseStep { step, product } => write!(
                        f,
                        "release {step} of product {product} does not follow the rule for what units cost"
                    ),
                    OrderProblem::Refund { refund } => {
                        write!(f, "refund {refund} does not add up")
                    }
                    OrderProblem::Refunded { refunded, captured } => {
                        write!(f, "{refunded} refunded of {captured} captured")
                    }
                    OrderProblem::Returned { product, shipped, returned, requested } => write!(
                        f,
                        "product {product}: {returned} returned and {requested} asked back of {shipped} shipped"
                    ),
                }
            }
            Discrepancy::UnknownOrder { order, named_by } => {
                write!(f, "a {named_by} names order {order}, which does not exist")
            }
        }
    }
}

/// How the audit names a ledger movement of an order: its reason, except that
/// points spent by an order are its `redemption`, points a cancel or a
/// return gives back are its `return`, and points they take are `cancel`
/// (revocations).
fn movement(account: Account, reason: Reason, change: i64) -> &'static str {
    match (account, reason) {
        (Account::Points(_), Reason::Order(_)) if change < 0 => "redemption",
        (Account::Points(_), Reason::Cancel(_) | Reason::Return(_)) if change > 0 => "return",
        (Account::Points(_), Reason::Cancel(_) | Reason::Return(_)) => "cancel",
        _ => reason.as_str(),
    }
}

/// Walks one account's ledger from `opening`: chain breaks, then where it ends.
fn walk(
    account: Account,
    opening: i64,
    entries: impl Iterator<Item = (i64, i64)>,
    found: &mut Vec<Discrepancy>,
) -> i64 {
    let mut balance = opening;
    for (entry, (change, recorded)) in entries.enumerate() {
        balance = balance.saturating_add(change);
        if recorded != balance {
            found.push(Discrepancy::Chain {
                account,
                entry,
                expected: balance,
                recorded,
            });
            // Continue from what the entry records, so one bad entry is one finding.
            balance = recorded;
        }
    }
    balance
}

/// Every way `books` fail to balance from `opening`; empty when they balance.
pub fn audit(opening: &Opening, books: &Books) -> Vec<Discrepancy> {
    let mut found = Vec::new();
    let orders: BTreeMap<OrderId, &Order> = books.orders.iter().map(|o| (o.id, o)).collect();

    // Ledger movements per (order, account, reason), and the net manual
    // movement per account (those of orders are checked order by order).
    let mut by_order: BTreeMap<(OrderId, Account, &'static str), i64> = BTreeMap::new();
    let mut manual: BTreeMap<Account, i64> = BTreeMap::new();
    let mut unknown: BTreeSet<(OrderId, &'static str)> = BTreeSet::new();
    let entries = books
        .stock_ledger
        .iter()
        .map(|e| (Account::Stock(e.product), e.change, e.reason))
        .chain(
            books
                .points_ledger
                .iter()
                .map(|e| (Account::Points(e.customer), e.change, e.reason)),
        );
    for (account, change, reason) in entries {
        if reason == Reason::Manual {
            *manual.entry(account).or_default() += change;
        }
        if let Some(order) = reason.order() {
            *by_order
                .entry((order, account, movement(account, reason, change)))
                .or_default() += change;
            if !orders.contains_key(&order) {
                unknown.insert((order, "ledger entry"));
            }
        }
    }

    // What each order says the ledger must hold for it.
    let mut expected: BTreeMap<(OrderId, Account, &'static str), i64> = BTreeMap::new();
    let mut sold: BTreeMap<ProductId, i64> = BTreeMap::new();
    let mut returned: BTreeMap<ProductId, i64> = BTreeMap::new();
    let mut earned: BTreeMap<CustomerId, i64> = BTreeMap::new();
    let mut given_back: BTreeMap<CustomerId, i64> = BTreeMap::new();
    for order in &books.orders {
        // Orders cancelled before cancels were release steps gave back
        // everything at once; others give back what their releases record.
        let legacy = returns::cancelled_without_releases(order);
        for (product, units) in units_by_product(&order.items) {
            let units = i64::from(units);
            let account = Account::Stock(product);
            expected.insert((order.id, account, "order"), -units);
            *sold.entry(product).or_default() += units;
            if legacy {
                expected.insert((order.id, account, "cancel"), units);
                *returned.entry(product).or_default() += units;
            }
        }
        for release in &order.releases {
            let reason = match release.cause {
                ReleaseCause::Cancellation => "cancel",
                ReleaseCause::Return(_) => "return",
            };
            if !release.restocked {
                continue;
            }
            for line in &release.lines {
                let units = i64::from(line.quantity.get());
                let account = Account::Stock(line.product_id);
                *expected.entry((order.id, account, reason)).or_default() += units;
                *returned.entry(line.product_id).or_default() += units;
            }
        }
        let points = i64::try_from(order.points_earned).unwrap_or(i64::MAX);
        let redeemed = i64::try_from(order.points_redeemed).unwrap_or(i64::MAX);
        let (points_back, revoked) = if legacy {
            (redeemed, points)
        } else {
            order
                .releases
                .iter()
                .fold((0i64, 0i64), |(back, revoked), r| {
                    (
                        back.saturating_add(i64::try_from(r.points_returned()).unwrap_or(i64::MAX)),
                        revoked.saturating_add(i64::try_from(r.points_revoked).unwrap_or(i64::MAX)),
                    )
                })
        };
        let account = Account::Points(order.customer_id);
        if points > 0 {
            expected.insert((order.id, account, "order"), points);
        }
        if redeemed > 0 {
            expected.insert((order.id, account, "redemption"), -redeemed);
        }
        if points_back > 0 {
            expected.insert((order.id, account, "return"), points_back);
        }
        if revoked > 0 {
            // Earned points are revoked whether spent or not.
            expected.insert((order.id, account, "cancel"), -revoked);
        }
        *earned.entry(order.customer_id).or_default() += points - redeemed;
        *given_back.entry(order.customer_id).or_default() += points_back - revoked;
        returns::check_order(order, &mut found);
        check_order(order, &mut found);
    }
    let keys: BTreeSet<_> = expected.keys().chain(by_order.keys()).copied().collect();
    for key @ (order, account, reason) in keys {
        if !orders.contains_key(&order) {
            continue; // reported once as an unknown order
        }
        let want = expected.get(&key).copied().unwrap_or(0);
        let ledger = by_order.get(&key).copied().unwrap_or(0);
        if want != ledger {
            found.push(Discrepancy::Order {
                order,
                problem: OrderProblem::Movement {
                    account,
                    reason,
                    expected: want,
                    ledger,
                },
            });
        }
    }

    // Balances and ledger chains:
    // (account, stored, opening, by orders, by cancels, ledger chain).
    let stock_accounts = books.stock.iter().map(|&(product, stored)| {
        let chain: Vec<(i64, i64)> = books
            .stock_ledger
            .iter()
            .filter(|e| e.product == product)
            .map(|e| (e.change, i64::from(e.after)))
            .collect();
        let start = opening.stock.get(&product).copied().unwrap_or(0);
        (
            Account::Stock(product),
            i64::from(stored),
            i64::from(start),
            -sold.get(&product).copied().unwrap_or(0),
            returned.get(&product).copied().unwrap_or(0),
            chain,
        )
    });
    let points_accounts = books.points.iter().map(|&(customer, stored)| {
        let chain: Vec<(i64, i64)> = books
            .points_ledger
            .iter()
            .filter(|e| e.customer == customer)
            .map(|e| (e.change, e.after))
            .collect();
        (
            Account::Points(customer),
            stored,
            opening.points.get(&customer).copied().unwrap_or(0),
            earned.get(&customer).copied().unwrap_or(0),
            given_back.get(&customer).copied().unwrap_or(0),
            chain,
        )
    });
    for (account, stored, start, orders, cancels, chain) in stock_accounts.chain(points_accounts) {
        let manual = manual.get(&account).copied().unwrap_or(0);
        check_balance(
            &mut found,
            Discrepancy::Balance {
                account,
                stored,
                opening: start,
                orders,
                cancels,
                manual,
            },
        );
        let end = walk(account, start, chain.into_iter(), &mut found);
        ledger_end(&mut found, account, stored, end);
    }

    // Money and shipments.
    for entry in &books.money_ledger {
        if !orders.contains_key(&entry.order) {
            unknown.insert((entry.order, "money ledger entry"));
        }
    }
    settlement::check(books, &mut found);

    // Notices.
    let mut notices: BTreeMap<(OrderId, NotificationKind), usize> = BTreeMap::new();
    for &(order, kind) in &books.notices {
        if !orders.contains_key(&order) {
            unknown.insert((order, "notification"));
        }
        *notices.entry((order, kind)).or_default() += 1;
    }
    for order in &books.orders {
        let count_of = |kind| notices.get(&(order.id, kind)).copied().unwrap_or(0);
        if count_of(NotificationKind::OrderConfirmation) == 0 {
            found.push(Discrepancy::Order {
                order: order.id,
                problem: OrderProblem::NoConfirmation,
            });
        }
        settlement::check_events(order, count_of, &mut found);
        let count = count_of(NotificationKind::OrderCancellation);
        let wanted = usize::from(order.status == OrderStatus::Cancelled);
        if count != wanted {
            found.push(Discrepancy::Order {
                order: order.id,
                problem: OrderProblem::CancellationNotices {
                    count,
                    status: order.status,
                },
            });
        }
    }
    found.extend(
        unknown
            .into_iter()
            .map(|(order, named_by)| Discrepancy::UnknownOrder { order, named_by }),
    );
    found
}

/// What a balance should be: opening plus every net movement.
fn books_balance(opening: i64, orders: i64, cancels: i64, manual: i64) -> i128 {
    i128::from(opening) + i128::from(orders) + i128::from(cancels) + i128::from(manual)
}

/// Records `balance` (a [`Discrepancy::Balance`] candidate) if its stored value
/// is not what the books say.
fn check_balance(found: &mut Vec<Discrepancy>, balance: Discrepancy) {
    if let Discrepancy::Balance {
        stored,
        opening,
        orders,
        cancels,
        manual,
        ..
    } = balance
    {
        if books_balance(opening, orders, cancels, manual) != i128::from(stored) {
            found.push(balance);
        }
    }
}

fn ledger_end(found: &mut Vec<Discrepancy>, account: Account, stored: i64, ledger: i64) {
    if stored != ledger {
        found.push(Discrepancy::LedgerEnd {
            account,
            stored,
            ledger,
        });
    }
}

/// The checks that need only the order itself.
fn check_order(order: &Order, found: &mut Vec<Discrepancy>) {
    let mut problem = |problem| {
        found.push(Discrepancy::Order {
            order: order.id,
            problem,
        })
    };
    if order.items.is_empty() {
        problem(OrderProblem::NoItems);
    }
    let items = order
        .items
        .iter()
        .try_fold(Money::ZERO, |sum, item| sum.checked_add(item.line_total));
    match items {
        Some(items) if items == order.subtotal => {}
        other => problem(OrderProblem::ItemsSum {
            items: other.unwrap_or(Money::MAX),
            subtotal: order.subtotal,
        }),
    }
    let sum = |share: fn(&crate::orders::order::OrderItem) -> Money| {
        order
            .items
            .iter()
            .try_fold(Money::ZERO, |sum, item| sum.checked_add(share(item)))
    };
    if sum(|item| item.coupon_share) != Some(order.coupon_discount)
        || sum(|item| item.points_share) != Some(order.points_value)
    {
        problem(OrderProblem::Allocation {
            coupon_discount: order.coupon_discount,
            points_value: order.points_value,
        });
    }
    let total = order
        .subtotal
        .checked_sub(order.coupon_discount)
        .and_then(|rest| rest.checked_sub(order.points_value))
        .and_then(|taxable| taxable.checked_add(order.tax));
    if total != Some(order.total_amount) {
        problem(OrderProblem::Total {
            subtotal: order.subtotal,
            deducted: order
                .coupon_discount
                .checked_add(order.points_value)
                .unwrap_or(Money::MAX),
            tax: order.tax,
            total: order.total_amount,
        });
    }
    for item in &order.items {
        let base = item
            .unit_price
            .amount()
            .checked_mul(rust_decimal::Decimal::from(item.quantity.get()))
            .and_then(|base| Money::new(base).ok());
        let adds_up = base.is_some_and(|base| {
            item.discount <= base && base.checked_sub(item.discount) == Some(item.line_total)
        }) && item.net_price().is_some();
        if !adds_up {
            problem(OrderProblem::Line {
                product: item.product_id,
            });
        }
    }
}

mod returns;
mod settlement;
#[cfg(test)]
mod tests;
