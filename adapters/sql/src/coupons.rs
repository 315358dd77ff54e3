//! Coupons on MySQL: the `coupons` table, and how often each is in use.
//!
//! A coupon's use is not a counter: it is the number of its orders that are
//! not cancelled (`orders.coupon_code`, indexed with the status), so a cancel
//! gives the use back without touching the coupon. A checkout with a coupon
//! locks the coupon's row (`FOR UPDATE`, after its products) and then counts
//! with a locking read, which sees every committed order: two checkouts of one
//! coupon are serialised on its row, and N remaining redemptions are sold
//! exactly N times. Creating and changing a coupon lock the same row.

use async_trait::async_trait;
use const_format::concatcp;
use shopcore::{
    plan_coupon_creation, plan_coupon_update, saved_coupon, Coupon, CouponAdminError, CouponCode,
    CouponPatch, CouponRecord, CouponRepository, CouponUsage, CustomerId, Plan, StorageError,
};

use crate::apply::apply_plan;
use crate::backend::Backend;
use crate::error::DbError;
use crate::repositories::Read;
use crate::rows::{CouponRow, COUPON_COLUMNS};
use crate::stmt::query;
use crate::transaction::Attempt;
use crate::SqlStore;

/// The coupon with `code`, locked `FOR UPDATE` if `lock` (a missing code's
/// gap is locked too, so two creations of one code serialise).
pub(crate) async fn select_coupon<C: Backend>(
    conn: &mut C,
    code: &CouponCode,
    lock: bool,
) -> Result<Option<Coupon>, DbError> {
    const SELECT: &str = concatcp!("SELECT ", COUPON_COLUMNS, " FROM coupons WHERE code = ?");
    const LOCK: &str = concatcp!(SELECT, " FOR UPDATE");
    let row: Option<CouponRow> = query(if lock { LOCK } else { SELECT })
        .bind(code.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Coupon::try_from).transpose()?)
}

/// How often `code` is in use: its orders that are not cancelled, in all and
/// of `customer`. With [`Read::Shared`] it counts every committed order.
pub(crate) async fn select_usage<C: Backend>(
    conn: &mut C,
    code: &CouponCode,
    customer: Option<CustomerId>,
    read: Read,
) -> Result<CouponUsage, DbError> {
    const PLAIN: &str = "SELECT COUNT(*), COALESCE(SUM(customer_id = ?), 0) \
         FROM orders FORCE INDEX (orders_by_coupon) WHERE coupon_code = ? AND status = 'created'";
    const SHARED: &str = concatcp!(PLAIN, " LOCK IN SHARE MODE");
    let sql = match read {
        Read::Plain => PLAIN,
        Read::Shared => SHARED,
    };
    let (total, by_customer): (i64, rust_decimal::Decimal) = query(sql)
        .bind(customer.map_or(0, |c| c.get()))
        .bind(code.as_str())
        .fetch_one(conn)
        .await?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(CouponUsage {
        total: count(total),
        by_customer: count(i64::try_from(by_customer).unwrap_or(i64::MAX)),
    })
}

impl<C: Backend> SqlStore<C> {
    async fn save_coupon_in(
        &self,
        conn: &mut C,
        code: &CouponCode,
        plan: &(dyn Fn(Option<&Coupon>) -> Result<Plan, CouponAdminError> + Sync),
    ) -> Attempt<CouponRecord, CouponAdminError> {
        let existing = select_coupon(&mut *conn, code, true).await?;
        let plan = match plan(existing.as_ref()) {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(refused)),
        };
        apply_plan(conn, &plan, &self.faults).await?;
        let coupon = saved_coupon(&plan)
            .cloned()
            .ok_or_else(|| StorageError::Failure("a coupon plan saved no coupon".to_owned()))?;
        let times_redeemed = select_usage(&mut *conn, code, None, Read::Shared)
            .await?
            .total;
        Ok(Ok(CouponRecord {
            coupon,
            times_redeemed,
        }))
    }
}

#[async_trait]
impl<C: Backend> CouponRepository for SqlStore<C> {
    async fn create_coupon(&self, coupon: Coupon) -> Result<CouponRecord, CouponAdminError> {
        let code = coupon.code.clone();
        let plan = |existing: Option<&Coupon>| {
            plan_coupon_creation(existing, coupon.clone(), self.clock.now())
        };
        in_transaction!(self, |conn| self.save_coupon_in(conn, &code, &plan))
    }

    async fn update_coupon(
        &self,
        code: &CouponCode,
        patch: &CouponPatch,
    ) -> Result<CouponRecord, CouponAdminError> {
        let plan =
            |existing: Option<&Coupon>| plan_coupon_update(existing, code, patch, self.clock.now());
        in_transaction!(self, |conn| self.save_coupon_in(conn, code, &plan))
    }

    async fn coupon(&self, code: &CouponCode) -> Result<Option<CouponRecord>, StorageError> {
        let Some(coupon) = select_coupon(&mut *self.conn().await?, code, false).await? else {
            return Ok(None);
        };
        let usage = select_usage(&mut *self.conn().await?, code, None, Read::Plain).await?;
        Ok(Some(CouponRecord {
            coupon,
            times_redeemed: usage.total,
        }))
    }

    async fn coupons(&self) -> Result<Vec<Coupon>, StorageError> {
        const SQL: &str = concatcp!("SELECT ", COUPON_COLUMNS, " FROM coupons ORDER BY code");
        let rows: Vec<CouponRow> = query(SQL)
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        Ok(rows
            .into_iter()
            .map(Coupon::try_from)
            .collect::<Result<_, _>>()?)
    }

    async fn coupon_usage(
        &self,
        code: &CouponCode,
        customer: Option<CustomerId>,
    ) -> Result<Option<(Coupon, CouponUsage)>, StorageError> {
        let Some(coupon) = select_coupon(&mut *self.conn().await?, code, false).await? else {
            return Ok(None);
        };
        let usage = select_usage(&mut *self.conn().await?, code, customer, Read::Plain).await?;
        Ok(Some((coupon, usage)))
    }
}
