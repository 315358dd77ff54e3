//! Reads that combine a store's rows with a pure rule: the live catalog,
//! a product's ladder, and the audits of the store's pricing and books.

use crate::audit::{audit, Discrepancy, Opening};
use crate::catalog::{CatalogError, Product, TierLadder};
use crate::error::StorageError;
use crate::pricing::audit::{audit_ladder, audit_pricing, LadderFinding, PricingAudit};
use crate::repository::{BooksRepository, CatalogRepository, OrderWorkflow};
use crate::use_cases::quote::price_list;
use crate::values::ids::ProductId;

/// The store's products by id; retired ones only with `include_retired`.
pub async fn products_listed<S>(
    store: &S,
    include_retired: bool,
) -> Result<Vec<Product>, StorageError>
where
    S: CatalogRepository + ?Sized,
{
    let mut products = store.products().await?;
    products.retain(|product| include_retired || !product.retired);
    Ok(products)
}

/// Product `id`'s tier ladder; `unknown_product` if there is no such product.
pub async fn tier_ladder<S>(store: &S, id: ProductId) -> Result<TierLadder, CatalogError>
where
    S: CatalogRepository + ?Sized,
{
    store.product(id).await?;
    Ok(store.pricing_rules(&[id]).await?.ladder(id))
}

/// The pricing auditor ([`audit_pricing`]) over the store's live price list,
/// with the store's pricing policy.
pub async fn audit_store_pricing<S>(store: &S) -> Result<PricingAudit, StorageError>
where
    S: OrderWorkflow + ?Sized,
{
    let list = price_list(store).await?;
    Ok(audit_pricing(&list, &store.config().pricing))
}

/// The auditor's findings ([`audit_ladder`]) for `ladder` as product `id`'s,
/// at its current price and the store's rounding, without changing anything.
pub async fn audit_proposed_ladder<S>(
    store: &S,
    id: ProductId,
    ladder: &TierLadder,
) -> Result<Vec<LadderFinding>, CatalogError>
where
    S: OrderWorkflow + ?Sized,
{
    let product = store.product(id).await?;
    Ok(audit_ladder(
        product.unit_price,
        ladder,
        store.config().pricing.rounding,
    ))
}

/// The books-balance [`audit`] of the store's books from `opening`.
pub async fn audit_store_books<S>(
    store: &S,
    opening: &Opening,
) -> Result<Vec<Discrepancy>, StorageError>
where
    S: BooksRepository + ?Sized,
{
    Ok(audit(opening, &store.books().await?))
}
