//! The payloads of catalog administration's effects: a new product, a
//! product's changed fields, and the change-log records (as a plan carries
//! them and as stored).

use crate::StorageError;
use chrono::{DateTime, Utc};

use crate::access::Actor;
use crate::catalog::{Product, TierLadder};
use crate::plan::{Reason, StockEntry};
use crate::values::ids::{ChangeId, ProductId};
use crate::values::money::Money;
use crate::values::percent::Percent;
use crate::values::text::{ProductName, Region};

/// The product a change is about: the one its plan creates, or one that exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProductRef {
    /// The product created by this plan's [`Effect::ProductCreated`](crate::Effect::ProductCreated).
    Created,
    /// A product that already exists.
    Existing(ProductId),
}

impl ProductRef {
    /// The concrete id, given the id storage assigned to this plan's product (if any).
    pub fn resolve(self, created: Option<ProductId>) -> Result<ProductId, StorageError> {
        match self {
            ProductRef::Existing(id) => Ok(id),
            ProductRef::Created => created.ok_or_else(|| {
                StorageError::Failure("plan refers to a product it has not created".to_owned())
            }),
        }
    }
}

/// What a logged change is about. `P` names the product: [`ProductRef`] in a
/// plan, [`ProductId`] once stored.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChangeSubject<P = ProductId> {
    /// A product's name, price or retirement.
    Product(P),
    /// A product's tier ladder.
    Ladder(ProductId),
    /// A region's tax rate.
    TaxRate(Region),
}

impl ChangeSubject<ProductRef> {
    /// The stored form, with this plan's product resolved (see [`ProductRef::resolve`]).
    pub fn resolve(&self, created: Option<ProductId>) -> Result<ChangeSubject, StorageError> {
        Ok(match self {
            Self::Product(product) => ChangeSubject::Product(product.resolve(created)?),
            Self::Ladder(product) => ChangeSubject::Ladder(*product),
            Self::TaxRate(region) => ChangeSubject::TaxRate(region.clone()),
        })
    }
}

impl<P> ChangeSubject<P> {
    /// `product`, `ladder` or `tax_rate`, as stored.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Product(_) => "product",
            Self::Ladder(_) => "ladder",
            Self::TaxRate(_) => "tax_rate",
        }
    }
}

/// A product's administered fields, as the change log records them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProductFields {
    /// Display name.
    pub product_name: String,
    /// Price of one unit.
    pub unit_price: Money,
    /// Whether it is retired.
    pub retired: bool,
}

impl From<&Product> for ProductFields {
    fn from(product: &Product) -> Self {
        ProductFields {
            product_name: product.name.to_string(),
            unit_price: product.unit_price,
            retired: product.retired,
        }
    }
}

/// A value before or after a change (serialises as the JSON the change log
/// stores and the HTTP routes show).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum ChangeValue {
    /// A product's fields.
    Product(ProductFields),
    /// A tier ladder.
    Ladder {
        /// The rungs, ascending.
        tiers: TierLadder,
    },
    /// A tax rate.
    TaxRate {
        /// The rate, a percentage.
        tax_rate: Percent,
    },
}

/// A change to log, as a plan carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRecord {
    /// Who made it.
    pub actor: Actor,
    /// What it changed.
    pub subject: ChangeSubject<ProductRef>,
    /// The value before (`None` for something new).
    pub before: Option<ChangeValue>,
    /// The value after (`None` for something removed).
    pub after: Option<ChangeValue>,
}

/// One entry of the change log, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogChange {
    /// Its id, ascending in the order changes were made.
    pub id: ChangeId,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    pub subject: ChangeSubject,
    /// The value before (`None` for something new).
    pub before: Option<ChangeValue>,
    /// The value after (`None` for something removed).
    pub after: Option<ChangeValue>,
}

/// A new product, as [`Effect::ProductCreated`](crate::Effect::ProductCreated) stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProduct {
    /// Display name.
    pub name: ProductName,
    /// Price of one unit.
    pub unit_price: Money,
    /// Opening stock (also a `manual` ledger entry when above 0).
    pub quantity_available: u32,
}

impl NewProduct {
    /// The ledger entry of its opening stock, once storage numbered it `id`
    /// (none for an empty start).
    pub fn opening_entry(&self, id: ProductId, at: DateTime<Utc>) -> Option<StockEntry> {
        (self.quantity_available > 0).then(|| StockEntry {
            product: id,
            change: i64::from(self.quantity_available),
            after: self.quantity_available,
            reason: Reason::Manual,
            at,
        })
    }
}

/// A product's administered fields change to these values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductChanged {
    /// The product.
    pub product: ProductId,
    /// Its name now.
    pub name: ProductName,
    /// Its unit price now.
    pub unit_price: Money,
    /// Whether it is retired now.
    pub retired: bool,
}
