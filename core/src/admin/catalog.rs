//! Administering the catalog — products, tier ladders, tax rates — and the
//! change log that records every change.
//!
//! A staff change is a [`CatalogCommand`]. An adapter locks what the command
//! changes (the product's row, or the region's rate), reads it into an
//! [`AdminSnapshot`], and applies the plan [`plan_catalog_change`] returns:
//! the change itself, then one [`Effect::CatalogChangeLogged`] naming the
//! actor, the time and the values before and after — one transaction, so a
//! change is never without its log entry. A command that changes nothing (a
//! rename to the same name, retiring a retired product) is an empty plan and
//! logs nothing.
//!
//! ```
//! use shopcore::{plan_catalog_change, seed, Actor, AdminSnapshot, CatalogCommand, Effect, ShopConfig};
//! let laptop = &seed::demo_data().products[0];
//! let command = CatalogCommand::UpdateProduct {
//!     product: laptop.id, name: None, unit_price: Some("949.00".parse().unwrap()),
//! };
//! let snapshot = AdminSnapshot { product: Some(laptop), ..AdminSnapshot::default() };
//! let planned = plan_catalog_change(&Actor::Anonymous, &command, &snapshot, &ShopConfig::default(),
//!                                   chrono::Utc::now()).unwrap();
//! let [Effect::ProductChanged(changed), Effect::CatalogChangeLogged(logged)] = planned.plan.effects() else {
//!     panic!("a change and its log entry")
//! };
//! assert_eq!(changed.unit_price.to_string(), "949.00");
//! assert!(logged.before.is_some() && logged.after.is_some());
//! ```

use crate::{
    ChangeRecord, ChangeSubject, ChangeValue, NewProduct, ProductChanged, ProductFields, ProductRef,
};
use chrono::{DateTime, Utc};

use crate::access::Actor;
use crate::catalog::{Product, TierLadder};
use crate::config::ShopConfig;
use crate::error::{ErrorCode, ErrorKind, StorageError, ValueError};
use crate::orders::order::Order;
use crate::plan::{Effect, Plan};
use crate::values::ids::ProductId;
use crate::values::money::Money;
use crate::values::percent::Percent;
use crate::values::quantity::MAX_STOCK;
use crate::values::text::{ProductName, Region};

/// One change staff make to the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogCommand {
    /// A new product; storage numbers it.
    CreateProduct {
        /// Its display name.
        name: ProductName,
        /// Price of one unit: more than 0, at most [`Money::MAX_UNIT_PRICE`].
        unit_price: Money,
        /// Units in stock to start with, `0..=MAX_STOCK`.
        quantity_available: u32,
    },
    /// A new display name, unit price, or both, as one change; orders placed
    /// before keep their prices.
    UpdateProduct {
        /// The product.
        product: ProductId,
        /// Its new name, if it changes.
        name: Option<ProductName>,
        /// Its new price (more than 0, at most [`Money::MAX_UNIT_PRICE`]), if it changes.
        unit_price: Option<Money>,
    },
    /// The product can no longer be quoted or ordered.
    RetireProduct(ProductId),
    /// A retired product can be ordered again.
    RestoreProduct(ProductId),
    /// The product's whole tier ladder is replaced (an empty ladder clears it).
    ReplaceLadder {
        /// The product.
        product: ProductId,
        /// The new ladder.
        ladder: TierLadder,
    },
    /// A region's tax rate is set (the region is created if new).
    SetTaxRate {
        /// The region.
        region: Region,
        /// Its rate.
        rate: Percent,
    },
    /// A region is removed (never the configured default region).
    RemoveTaxRegion(Region),
}

impl CatalogCommand {
    /// The existing product the command changes, if any: what an adapter locks.
    pub fn product(&self) -> Option<ProductId> {
        match self {
            Self::UpdateProduct { product, .. } | Self::ReplaceLadder { product, .. } => {
                Some(*product)
            }
            Self::RetireProduct(product) | Self::RestoreProduct(product) => Some(*product),
            Self::CreateProduct { .. } | Self::SetTaxRate { .. } | Self::RemoveTaxRegion(_) => None,
        }
    }

    /// The tax region the command changes, if any.
    pub fn region(&self) -> Option<&Region> {
        match self {
            Self::SetTaxRate { region, .. } | Self::RemoveTaxRegion(region) => Some(region),
            _ => None,
        }
    }
}

/// What a command reads, under the locks its adapter took.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdminSnapshot<'a> {
    /// The product [`CatalogCommand::product`] names (`None` if absent).
    pub product: Option<&'a Product>,
    /// That product's current ladder.
    pub ladder: TierLadder,
    /// The rate of the region [`CatalogCommand::region`] names, with its
    /// stored spelling (`None` if the region has none).
    pub tax_rate: Option<(Region, Percent)>,
}

/// What the catalog holds for the command's subject once the plan is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Administered {
    /// The product, as it is now.
    Product(Product),
    /// The product's ladder, as it is now.
    Ladder {
        /// The product.
        product: ProductId,
        /// Its ladder.
        ladder: TierLadder,
    },
    /// A region's rate, as it is now.
    TaxRate {
        /// The region, as stored.
        region: Region,
        /// Its rate.
        rate: Percent,
    },
    /// A region was removed; it had this rate.
    TaxRegionRemoved {
        /// The region, as it was stored.
        region: Region,
        /// The rate it had.
        rate: Percent,
    },
}

/// A catalog change, decided: the plan, and what the subject will be.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CatalogPlan {
    /// The change's effects and its log entry; empty if nothing changes.
    pub plan: Plan,
    /// The subject once applied; for a created product its id is still to
    /// come (see [`CatalogPlan::outcome`]).
    outcome: Administered,
    creates: bool,
}

impl CatalogPlan {
    /// The subject once applied, given the id storage gave a created product.
    pub fn outcome(&self, created: Option<ProductId>) -> Result<Administered, StorageError> {
        match (&self.outcome, self.creates) {
            (Administered::Product(product), true) => {
                let mut product = product.clone();
                product.id = ProductRef::Created.resolve(created)?;
                Ok(Administered::Product(product))
            }
            (outcome, _) => Ok(outcome.clone()),
        }
    }
}

/// Why a catalog change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// See [`ErrorKind::UnknownProduct`].
    #[error("product {0} does not exist")]
    UnknownProduct(ProductId),
    /// See [`ErrorKind::UnknownTaxRegion`].
    #[error("no tax rate is configured for region \"{0}\"")]
    UnknownTaxRegion(Region),
    /// See [`ErrorKind::DefaultTaxRegion`].
    #[error("region \"{0}\" is the configured default region and cannot be removed")]
    DefaultTaxRegion(Region),
    /// A price or stock level out of range (`invalid_money`, `invalid_quantity`).
    #[error(transparent)]
    Value(#[from] ValueError),
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for AdminError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownProduct(_) => ErrorKind::UnknownProduct,
            Self::UnknownTaxRegion(_) => ErrorKind::UnknownTaxRegion,
            Self::DefaultTaxRegion(_) => ErrorKind::DefaultTaxRegion,
            Self::Value(error) => error.kind(),
            Self::Storage(error) => error.kind(),
        }
    }
}

/// A unit price more than 0 and at most [`Money::MAX_UNIT_PRICE`].
fn checked_price(price: Money) -> Result<Money, AdminError> {
    let reason = if price == Money::ZERO {
        "a unit price must be more than 0"
    } else if price > Money::MAX_UNIT_PRICE {
        "a unit price must be at most 99999999.99"
    } else {
        return Ok(price);
    };
    Err(ValueError::Money {
        value: price.to_string(),
        reason,
    }
    .into())
}

/// Decides a catalog change on what its adapter read under locks.
///
/// Refused with a code, writing nothing: an unknown product, a price of 0 or
/// over [`Money::MAX_UNIT_PRICE`], opening stock over the largest stock level,
/// removing the default region or one without a rate.
pub fn plan_catalog_change(
    actor: &Actor,
    command: &CatalogCommand,
    snapshot: &AdminSnapshot<'_>,
    config: &ShopConfig,
    now: DateTime<Utc>,
) -> Result<CatalogPlan, AdminError> {
    let mut plan = Plan::new(now);
    let log = |plan: &mut Plan, subject, before, after| {
        if before != after {
            plan.push(Effect::CatalogChangeLogged(ChangeRecord {
                actor: *actor,
                subject,
                before,
                after,
            }));
        }
    };
    // The product the command names, as read (never another one).
    let existing = |id: ProductId| {
        snapshot
            .product
            .filter(|product| product.id == id)
            .ok_or(AdminError::UnknownProduct(id))
    };
    let (outcome, creates) = match command {
        CatalogCommand::CreateProduct {
            name,
            unit_price,
            quantity_available,
        } => {
            let unit_price = checked_price(*unit_price)?;
            if *quantity_available > MAX_STOCK {
                return Err(ValueError::Quantity {
                    value: quantity_available.to_string(),
                    max: MAX_STOCK,
                }
                .into());
            }
            let product = Product {
                // Replaced by the id storage assigns (`CatalogPlan::outcome`).
                id: ProductId::new(1).expect("1 is a valid id"),
                name: name.clone(),
                quantity_available: *quantity_available,
                unit_price,
                last_updated: now,
                retired: false,
            };
            plan.push(Effect::ProductCreated(NewProduct {
                name: name.clone(),
                unit_price,
                quantity_available: *quantity_available,
            }));
            let after = ChangeValue::Product(ProductFields::from(&product));
            log(
                &mut plan,
                ChangeSubject::Product(ProductRef::Created),
                None,
                Some(after),
            );
            (Administered::Product(product), true)
        }
        CatalogCommand::UpdateProduct { product: id, .. }
        | CatalogCommand::RetireProduct(id)
        | CatalogCommand::RestoreProduct(id) => {
            let before = existing(*id)?;
            let mut after = before.clone();
            match command {
                CatalogCommand::UpdateProduct {
                    name, unit_price, ..
                } => {
                    if let Some(price) = unit_price {
                        after.unit_price = checked_price(*price)?;
                    }
                    if let Some(name) = name {
                        after.name = name.clone();
                    }
                }
                CatalogCommand::RetireProduct(_) => after.retired = true,
                _ => after.retired = false,
            }
            let (was, now_fields) = (ProductFields::from(before), ProductFields::from(&after));
            if was != now_fields {
                after.last_updated = now;
                plan.push(Effect::ProductChanged(ProductChanged {
                    product: after.id,
                    name: after.name.clone(),
                    unit_price: after.unit_price,
                    retired: after.retired,
                }));
                log(
                    &mut plan,
                    ChangeSubject::Product(ProductRef::Existing(after.id)),
                    Some(ChangeValue::Product(was)),
                    Some(ChangeValue::Product(now_fields)),
                );
            }
            (Administered::Product(after), false)
        }
        CatalogCommand::ReplaceLadder { product, ladder } => {
            existing(*product)?;
            if snapshot.ladder != *ladder {
                plan.push(Effect::LadderReplaced {
                    product: *product,
                    ladder: ladder.clone(),
                });
                let value = |tiers: &TierLadder| {
                    Some(ChangeValue::Ladder {
                        tiers: tiers.clone(),
                    })
                };
                log(
                    &mut plan,
                    ChangeSubject::Ladder(*product),
                    value(&snapshot.ladder),
                    value(ladder),
                );
            }
            let outcome = Administered::Ladder {
                product: *product,
                ladder: ladder.clone(),
            };
            (outcome, false)
        }
        CatalogCommand::SetTaxRate { region, rate } => {
            if region.as_str().eq_ignore_ascii_case(Order::LEGACY_REGION) {
                // Orders in it would be taken for orders of the original schema.
                return Err(AdminError::Value(ValueError::Field {
                    field: "region",
                    reason:
                        "\"legacy\" names the orders of the original schema: choose another name",
                }));
            }
            let stored = snapshot.tax_rate.as_ref();
            let region = stored.map_or(region, |(r, _)| r).clone();
            let before = stored.map(|(_, rate)| *rate);
            if before != Some(*rate) {
                plan.push(Effect::TaxRateSet {
                    region: region.clone(),
                    rate: *rate,
                });
                let value = |tax_rate| ChangeValue::TaxRate { tax_rate };
                log(
                    &mut plan,
                    ChangeSubject::TaxRate(region.clone()),
                    before.map(value),
                    Some(value(*rate)),
                );
            }
            (
                Administered::TaxRate {
                    region,
                    rate: *rate,
                },
                false,
            )
        }
        CatalogCommand::RemoveTaxRegion(region) => {
            if region.key() == config.default_region.key() {
                return Err(AdminError::DefaultTaxRegion(config.default_region.clone()));
            }
            let (stored, rate) = snapshot
                .tax_rate
                .clone()
                .ok_or_else(|| AdminError::UnknownTaxRegion(region.clone()))?;
            // What would go is the stored region: never the default one,
            // however the request spelled it.
            if stored.key() == config.default_region.key() {
                return Err(AdminError::DefaultTaxRegion(config.default_region.clone()));
            }
            plan.push(Effect::TaxRegionRemoved {
                region: stored.clone(),
            });
            log(
                &mut plan,
                ChangeSubject::TaxRate(stored.clone()),
                Some(ChangeValue::TaxRate { tax_rate: rate }),
                None,
            );
            (
                Administered::TaxRegionRemoved {
                    region: stored,
                    rate,
                },
                false,
            )
        }
    };
    Ok(CatalogPlan {
        plan,
        outcome,
        creates,
    })
}

#[cfg(test)]
mod tests;
