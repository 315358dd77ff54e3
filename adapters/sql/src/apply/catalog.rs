//! Catalog administration: products, tier ladders, tax regions, coupons
//! and the change log.

use chrono::{DateTime, Utc};
use shopcore::{
    ChangeRecord, ChangeSubject, ChangeValue, Coupon, CouponValue, NewProduct, Percent,
    ProductChanged, ProductId, Region, StorageError, TierLadder,
};

use crate::admin::actor_columns;
use crate::backend::Backend;
use crate::error::{diverged, DbError};
use crate::rows::{inserted_id, utc};
use crate::stmt::{query, Builder};

pub(super) async fn insert_product<C: Backend>(
    conn: &mut C,
    new: &NewProduct,
    at: DateTime<Utc>,
) -> Result<ProductId, DbError> {
    let inserted = query(
        "INSERT INTO inventory (product_name, quantity_available, unit_price, last_updated, retired) \
         VALUES (?, ?, ?, ?, FALSE)",
    )
    .bind(new.name.as_str())
    .bind(new.quantity_available)
    .bind(new.unit_price.amount())
    .bind(utc(at))
    .execute(&mut *conn)
    .await?;
    Ok(inserted_id(&inserted, "inventory", ProductId::new)?)
}

/// The product's rules become exactly the ladder's rungs.
pub(super) async fn replace_ladder<C: Backend>(
    conn: &mut C,
    product: ProductId,
    ladder: &TierLadder,
) -> Result<(), DbError> {
    query("DELETE FROM pricing_rules WHERE product_id = ?")
        .bind(product.get())
        .execute(&mut *conn)
        .await?;
    if ladder.is_empty() {
        return Ok(());
    }
    let mut sql =
        Builder::new("INSERT INTO pricing_rules (product_id, min_quantity, discount_percentage) ");
    sql.push_values(ladder.rungs(), |mut row, rung| {
        row.push_bind(product.get())
            .push_bind(rung.min_quantity.get())
            .push_bind(rung.discount.value());
    });
    sql.build().execute(&mut *conn).await?;
    Ok(())
}

pub(super) async fn log_change<C: Backend>(
    conn: &mut C,
    record: &ChangeRecord,
    created: Option<ProductId>,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let subject = record.subject.resolve(created)?;
    let (product, region) = match &subject {
        ChangeSubject::Product(product) | ChangeSubject::Ladder(product) => (Some(*product), None),
        ChangeSubject::TaxRate(region) => (None, Some(region.as_str())),
    };
    let json = |value: &Option<ChangeValue>| {
        value
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StorageError::Failure(format!("cannot encode a change: {e}")))
    };
    let (kind, actor_id, role) = actor_columns(&record.actor);
    query(
        "INSERT INTO catalog_changes (changed_at, actor_kind, actor_id, actor_role, subject, \
         product_id, region, before_value, after_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(utc(at))
    .bind(kind)
    .bind(actor_id)
    .bind(role)
    .bind(record.subject.kind())
    .bind(product.map(ProductId::get))
    .bind(region)
    .bind(json(&record.before)?)
    .bind(json(&record.after)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts a new coupon, or replaces the stored one's values (the row must exist).
pub(super) async fn save_coupon<C: Backend>(
    conn: &mut C,
    coupon: &Coupon,
    created: bool,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let (percent_off, amount_off) = match coupon.value {
        CouponValue::PercentOff(percent) => (Some(percent.value()), None),
        CouponValue::AmountOff(amount) => (None, Some(amount.amount())),
    };
    let sql = if created {
        "INSERT INTO coupons (percent_off, amount_off, min_subtotal, valid_from, valid_until, \
         max_redemptions, max_per_customer, active, updated_at, code, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    } else {
        "UPDATE coupons SET percent_off = ?, amount_off = ?, min_subtotal = ?, valid_from = ?, \
         valid_until = ?, max_redemptions = ?, max_per_customer = ?, active = ?, updated_at = ? \
         WHERE code = ?"
    };
    let mut query = query(sql)
        .bind(percent_off)
        .bind(amount_off)
        .bind(coupon.min_subtotal.amount())
        .bind(coupon.valid_from.map(utc))
        .bind(coupon.valid_until.map(utc))
        .bind(coupon.max_redemptions)
        .bind(coupon.max_per_customer)
        .bind(coupon.active)
        .bind(utc(at))
        .bind(coupon.code.as_str());
    if created {
        query = query.bind(utc(at));
    }
    let written = query.execute(&mut *conn).await?;
    if written.rows_affected != 1 {
        return Err(diverged(format_args!("coupon {}", coupon.code)));
    }
    Ok(())
}

/// Stores a product's changed name, price and retirement.
pub(super) async fn change_product<C: Backend>(
    conn: &mut C,
    changed: &ProductChanged,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let updated = query(
        "UPDATE inventory SET product_name = ?, unit_price = ?, retired = ?, last_updated = ? \
         WHERE product_id = ?",
    )
    .bind(changed.name.as_str())
    .bind(changed.unit_price.amount())
    .bind(changed.retired)
    .bind(utc(at))
    .bind(changed.product.get())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected != 1 {
        return Err(diverged(format_args!("product {}", changed.product)));
    }
    Ok(())
}

/// Sets a region's tax rate; an existing region keeps its stored spelling.
pub(super) async fn set_tax_rate<C: Backend>(
    conn: &mut C,
    region: &Region,
    rate: &Percent,
) -> Result<(), DbError> {
    query(
        "INSERT INTO tax_rates (region, tax_rate) VALUES (?, ?) \
         ON DUPLICATE KEY UPDATE tax_rate = VALUES(tax_rate)",
    )
    .bind(region.as_str())
    .bind(rate.value())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes a tax region.
pub(super) async fn remove_tax_region<C: Backend>(
    conn: &mut C,
    region: &Region,
) -> Result<(), DbError> {
    let deleted = query("DELETE FROM tax_rates WHERE region = ?")
        .bind(region.as_str())
        .execute(&mut *conn)
        .await?;
    if deleted.rows_affected != 1 {
        return Err(diverged(format_args!("tax rate of {region}")));
    }
    Ok(())
}
