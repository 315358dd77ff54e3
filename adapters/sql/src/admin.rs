//! Catalog administration on MySQL: each command in one transaction with
//! retry, locking what it changes — the product's `inventory` row (also for
//! its ladder), or the region's `tax_rates` row — then planning with the core
//! and applying the change and its `catalog_changes` row through `apply_plan`.
//! Checkouts lock the same `inventory` rows, so a reprice or a ladder change
//! and a checkout of that product are serialised.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use const_format::concatcp;
use shopcore::{
    plan_catalog_change, Actor, AdminError, AdminSnapshot, Administered, CatalogAdministration,
    CatalogChange, CatalogCommand, ChangeId, ChangeSubject, ChangeValue, CustomerId, Page,
    PageLimit, ProductId, Region, StaffKeyId, StaffRole, StorageError, ValueError,
};

use crate::apply::apply_plan;
use crate::backend::Backend;
use crate::error::{invalid_row, DbError};
use crate::repositories::{ascending_page, select_products, select_rules, Read};
use crate::stmt::query;
use crate::transaction::Attempt;
use crate::SqlStore;

/// The columns of `catalog_changes` the adapter reads and writes, in order.
pub(crate) const CHANGE_COLUMNS: &str = "change_id, changed_at, actor_kind, actor_id, actor_role, \
     subject, product_id, region, before_value, after_value";

impl<C: Backend> SqlStore<C> {
    async fn administer_in(
        &self,
        conn: &mut C,
        actor: &Actor,
        command: &CatalogCommand,
    ) -> Attempt<Administered, AdminError> {
        let ids: Vec<ProductId> = command.product().into_iter().collect();
        // The product row first (FOR UPDATE), then its rules: read after the
        // lock, they are the ones no other administrator is changing.
        let catalog = select_products(&mut *conn, &ids, true).await?;
        let product = command.product().and_then(|id| catalog.get(id));
        let ladder = match product {
            Some(product) => select_rules(&mut *conn, &[product.id], Read::Shared)
                .await?
                .ladder(product.id),
            None => Default::default(),
        };
        let tax_rate = match command.region() {
            Some(region) => match locked_tax_rate(conn, region).await? {
                Ok(rate) => rate,
                Err(refused) => return Ok(Err(refused)),
            },
            None => None,
        };
        let snapshot = AdminSnapshot {
            product,
            ladder,
            tax_rate,
        };
        let planned =
            match plan_catalog_change(actor, command, &snapshot, &self.config, self.clock.now()) {
                Ok(planned) => planned,
                Err(refused) => return Ok(Err(refused)),
            };
        let applied = apply_plan(conn, &planned.plan, &self.faults).await?;
        Ok(Ok(planned.outcome(applied.product_id)?))
    }
}

/// The region's rate with its stored spelling, locked (a missing region's
/// gap is locked too, so two creations of one region serialise); refused if
/// the name differs from a stored one only by accents.
async fn locked_tax_rate<C: Backend>(
    conn: &mut C,
    region: &Region,
) -> Result<Result<Option<(Region, shopcore::Percent)>, AdminError>, DbError> {
    let row: Option<(String, rust_decimal::Decimal)> =
        query("SELECT region, tax_rate FROM tax_rates WHERE region = ? FOR UPDATE")
            .bind(region.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    let Some((stored, rate)) = row else {
        return Ok(Ok(None));
    };
    let bad = |e: shopcore::ValueError| invalid_row("tax_rates", format!("{stored:?}: {e}"));
    let stored = Region::parse(&stored).map_err(bad)?;
    if stored.key() != region.key() {
        // Another name the column's collation holds equal (Caïro and Cairo):
        // writing it would change that region, so it is refused.
        return Ok(Err(AdminError::Value(ValueError::Region {
            reason: "is the same as an existing region but for its accents",
        })));
    }
    Ok(Ok(Some((
        stored,
        shopcore::Percent::new(rate).map_err(bad)?,
    ))))
}

#[async_trait]
impl<C: Backend> CatalogAdministration for SqlStore<C> {
    async fn administer(
        &self,
        actor: &Actor,
        command: &CatalogCommand,
    ) -> Result<Administered, AdminError> {
        in_transaction!(self, |conn| self.administer_in(conn, actor, command))
    }

    async fn catalog_changes(
        &self,
        after: Option<ChangeId>,
        limit: PageLimit,
    ) -> Result<Page<CatalogChange, ChangeId>, StorageError> {
        const SQL: &str = concatcp!(
            "SELECT ",
            CHANGE_COLUMNS,
            " FROM catalog_changes WHERE change_id > ? ORDER BY change_id LIMIT ?"
        );
        let after = after.map_or(0, ChangeId::get);
        ascending_page::<_, ChangeRow, _, _>(
            &mut *self.conn().await?,
            SQL,
            after,
            limit,
            |c: &CatalogChange| c.id,
        )
        .await
    }
}

/// How an actor is stored: kind, id, role.
pub(crate) fn actor_columns(actor: &Actor) -> (&'static str, Option<i64>, Option<&'static str>) {
    match actor {
        Actor::Anonymous => ("anonymous", None, None),
        Actor::Customer(id) => ("customer", Some(id.get()), None),
        Actor::Staff { key, role } => ("staff", Some(key.get()), Some(role.as_str())),
    }
}

crate::row! {
    pub(crate) struct ChangeRow {
        change_id: i64,
        changed_at: DateTime<Utc>,
        actor_kind: String,
        actor_id: Option<i64>,
        actor_role: Option<String>,
        subject: String,
        product_id: Option<i64>,
        region: Option<String>,
        before_value: Option<String>,
        after_value: Option<String>,
    }
}

impl TryFrom<ChangeRow> for CatalogChange {
    type Error = StorageError;
    fn try_from(row: ChangeRow) -> Result<Self, Self::Error> {
        let bad = |detail: &dyn std::fmt::Display| {
            invalid_row(
                "catalog_changes",
                format!("change {}: {detail}", row.change_id),
            )
        };
        let actor = match (
            row.actor_kind.as_str(),
            row.actor_id,
            row.actor_role.as_deref(),
        ) {
            ("anonymous", None, None) => Actor::Anonymous,
            ("customer", Some(id), None) => {
                Actor::Customer(CustomerId::new(id).map_err(|e| bad(&e))?)
            }
            ("staff", Some(id), Some(role)) => Actor::Staff {
                key: StaffKeyId::new(id).map_err(|e| bad(&e))?,
                role: StaffRole::parse(role).map_err(|e| bad(&e))?,
            },
            (kind, ..) => return Err(bad(&format!("actor {kind:?}"))),
        };
        let product = || {
            row.product_id
                .ok_or_else(|| bad(&"no product"))
                .and_then(|id| ProductId::new(id).map_err(|e| bad(&e)))
        };
        let subject = match row.subject.as_str() {
            "product" => ChangeSubject::Product(product()?),
            "ladder" => ChangeSubject::Ladder(product()?),
            "tax_rate" => ChangeSubject::TaxRate(
                Region::parse(row.region.as_deref().unwrap_or_default()).map_err(|e| bad(&e))?,
            ),
            other => return Err(bad(&format!("subject {other:?}"))),
        };
        let value = |text: &Option<String>| -> Result<Option<ChangeValue>, StorageError> {
            text.as_deref()
                .map(|json| serde_json::from_str(json).map_err(|e| bad(&e)))
                .transpose()
        };
        Ok(CatalogChange {
            id: ChangeId::new(row.change_id).map_err(|e| bad(&e))?,
            at: row.changed_at,
            actor,
            subject,
            before: value(&row.before_value)?,
            after: value(&row.after_value)?,
        })
    }
}
