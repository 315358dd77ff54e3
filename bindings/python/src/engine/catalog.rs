//! The catalog: products, tier ladders, tax regions, stock and the change log.

use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::{Administered, CatalogCommand, ChangeId, ProductId, ProductName, Region};

use super::{page_limit, present, Engine};
use crate::admin::{optional_actor, CatalogChange, TaxRate, TierRung};
use crate::args::{self, integer, text};
use crate::errors::IntoPyResult;
use crate::records::{Actor, Product};

#[pymethods]
impl Engine {
    /// Products by id: at most `limit` (1–500, default 100) after the product
    /// `after`, retired ones only with `include_retired=True`, and the `after`
    /// of the next page (`None` on the last).
    #[pyo3(signature = (*, after = None, limit = None, include_retired = false))]
    fn product_page(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
        include_retired: bool,
    ) -> PyResult<(Vec<Product>, Option<i64>)> {
        let after = present(after).map(super::product_id).transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move {
                store.product_page(after, limit, include_retired).await
            })
            .py_result()?;
        let items = page.items.into_iter().map(Product::from).collect();
        Ok((items, page.next.map(ProductId::get)))
    }

    /// One product.
    fn product(&self, py: Python<'_>, product_id: &Bound<'_, PyAny>) -> PyResult<Product> {
        let id = super::product_id(product_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.product(id).await })
            .map(Product::from)
            .py_result()
    }

    /// Every product, by id; retired ones only with `include_retired=True`.
    #[pyo3(signature = (*, include_retired = false))]
    fn products(&self, py: Python<'_>, include_retired: bool) -> PyResult<Vec<Product>> {
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            shopcore::products_listed(&*store, include_retired).await
        })
        .map(|products| products.into_iter().map(Product::from).collect())
        .py_result()
    }

    /// Adds a product (`unit_price` more than 0, `quantity_available` from 0);
    /// the change is logged with `actor` (anonymous without one).
    #[pyo3(signature = (*, product_name, unit_price, quantity_available = None, actor = None))]
    fn create_product(
        &self,
        py: Python<'_>,
        product_name: &Bound<'_, PyAny>,
        unit_price: &Bound<'_, PyAny>,
        quantity_available: Option<&Bound<'_, PyAny>>,
        actor: Option<&Actor>,
    ) -> PyResult<Product> {
        let command = CatalogCommand::CreateProduct {
            name: ProductName::parse(&text(product_name, "product_name")?).py_result()?,
            unit_price: args::money(unit_price, "unit_price")?,
            quantity_available: quantity_available
                .map(crate::admin::stock_level)
                .transpose()?
                .unwrap_or(0),
        };
        self.administer_product(py, optional_actor(actor)?, command)
    }

    /// Renames and/or reprices a product, as one logged change.
    #[pyo3(signature = (product_id, *, product_name = None, unit_price = None, actor = None))]
    fn update_product(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        product_name: Option<&Bound<'_, PyAny>>,
        unit_price: Option<&Bound<'_, PyAny>>,
        actor: Option<&Actor>,
    ) -> PyResult<Product> {
        let command = CatalogCommand::UpdateProduct {
            product: super::product_id(product_id)?,
            name: args::optional_text(product_name, "product_name")?
                .map(|name| ProductName::parse(&name))
                .transpose()
                .py_result()?,
            unit_price: unit_price
                .filter(|price| !price.is_none())
                .map(|price| args::money(price, "unit_price"))
                .transpose()?,
        };
        self.administer_product(py, optional_actor(actor)?, command)
    }

    /// Retires a product: it can no longer be quoted or ordered.
    #[pyo3(signature = (product_id, *, actor = None))]
    fn retire_product(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<Product> {
        let command = CatalogCommand::RetireProduct(super::product_id(product_id)?);
        self.administer_product(py, optional_actor(actor)?, command)
    }

    /// Restores a retired product.
    #[pyo3(signature = (product_id, *, actor = None))]
    fn restore_product(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<Product> {
        let command = CatalogCommand::RestoreProduct(super::product_id(product_id)?);
        self.administer_product(py, optional_actor(actor)?, command)
    }

    /// A product's tier ladder, by ascending minimum quantity.
    fn tier_ladder(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<TierRung>> {
        let id = super::product_id(product_id)?;
        let store = Arc::clone(&self.store);
        let ladder = self
            .run(py, async move { shopcore::tier_ladder(&*store, id).await })
            .py_result()?;
        Ok(crate::admin::rungs(&ladder))
    }

    /// Replaces a product's whole ladder (`[]` clears it), as one logged change.
    #[pyo3(signature = (product_id, tiers, *, actor = None))]
    fn replace_tier_ladder(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        tiers: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<Vec<TierRung>> {
        let command = CatalogCommand::ReplaceLadder {
            product: super::product_id(product_id)?,
            ladder: crate::admin::ladder(tiers)?,
        };
        match self.administer(py, optional_actor(actor)?, command)? {
            Administered::Ladder { ladder, .. } => Ok(crate::admin::rungs(&ladder)),
            other => Err(unexpected(&other)),
        }
    }

    /// Every region's tax rate, by region.
    fn tax_rates(&self, py: Python<'_>) -> PyResult<Vec<TaxRate>> {
        let store = Arc::clone(&self.store);
        let table = self
            .run(py, async move { store.tax_rates().await })
            .py_result()?;
        let mut rates: Vec<TaxRate> = table
            .iter()
            .map(|(region, rate)| TaxRate {
                region: region.as_str().to_owned(),
                tax_rate: rate.value(),
            })
            .collect();
        rates.sort_by(|a, b| a.region.cmp(&b.region));
        Ok(rates)
    }

    /// Sets a region's rate (creating the region if new).
    #[pyo3(signature = (region, tax_rate, *, actor = None))]
    fn set_tax_rate(
        &self,
        py: Python<'_>,
        region: &Bound<'_, PyAny>,
        tax_rate: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<TaxRate> {
        let command = CatalogCommand::SetTaxRate {
            region: Region::parse(&text(region, "region")?).py_result()?,
            rate: args::percent(tax_rate, "tax_rate")?,
        };
        match self.administer(py, optional_actor(actor)?, command)? {
            Administered::TaxRate { region, rate } => Ok(TaxRate {
                region: region.as_str().to_owned(),
                tax_rate: rate.value(),
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// Removes a region (never the default one); answers the rate it had.
    #[pyo3(signature = (region, *, actor = None))]
    fn remove_tax_region(
        &self,
        py: Python<'_>,
        region: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<TaxRate> {
        let command =
            CatalogCommand::RemoveTaxRegion(Region::parse(&text(region, "region")?).py_result()?);
        match self.administer(py, optional_actor(actor)?, command)? {
            Administered::TaxRegionRemoved { region, rate } => Ok(TaxRate {
                region: region.as_str().to_owned(),
                tax_rate: rate.value(),
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// The catalog change log, oldest first: at most `limit` (1–500, default
    /// 100) entries after the entry `after`, and the `after` of the next page
    /// (`None` on the last).
    #[pyo3(signature = (*, after = None, limit = None))]
    fn catalog_changes(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<CatalogChange>, Option<i64>)> {
        let after = after
            .filter(|a| !a.is_none())
            .map(|a| ChangeId::new(integer(a, "after")?).py_result())
            .transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move { store.catalog_changes(after, limit).await })
            .py_result()?;
        let changes = page.items.into_iter().map(CatalogChange::from).collect();
        Ok((changes, page.next.map(ChangeId::get)))
    }

    /// Adds `change` (negative to remove) to a product's stock.
    fn adjust_stock(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        change: &Bound<'_, PyAny>,
    ) -> PyResult<Product> {
        let id = super::product_id(product_id)?;
        let change = integer(change, "stock_change")?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.adjust_stock(id, change).await })
            .map(Product::from)
            .py_result()
    }
}

impl Engine {
    fn administer(
        &self,
        py: Python<'_>,
        actor: shopcore::Actor,
        command: CatalogCommand,
    ) -> PyResult<Administered> {
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.administer(&actor, &command).await })
            .py_result()
    }

    fn administer_product(
        &self,
        py: Python<'_>,
        actor: shopcore::Actor,
        command: CatalogCommand,
    ) -> PyResult<Product> {
        match self.administer(py, actor, command)? {
            Administered::Product(product) => Ok(Product::from(product)),
            other => Err(unexpected(&other)),
        }
    }
}

/// A store answered a command with another kind of subject (a bug).
fn unexpected(outcome: &Administered) -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(format!("unexpected outcome {outcome:?}"))
}
