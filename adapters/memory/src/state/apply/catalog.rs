//! The writes of catalog administration: products and the change log.

use super::super::*;

impl State {
    pub(super) fn create_product(&mut self, id: ProductId, new: &NewProduct, at: DateTime<Utc>) {
        self.next_product_id += 1;
        self.catalog.insert(Product {
            id,
            name: new.name.clone(),
            quantity_available: new.quantity_available,
            unit_price: new.unit_price,
            last_updated: at,
            retired: false,
        });
        self.stock_ledger.extend(new.opening_entry(id, at));
    }

    pub(super) fn change_product(&mut self, changed: &ProductChanged, at: DateTime<Utc>) {
        if let Some(product) = self.catalog.get_mut(changed.product) {
            product.name.clone_from(&changed.name);
            product.unit_price = changed.unit_price;
            product.retired = changed.retired;
            product.last_updated = at;
        }
    }

    pub(super) fn log_change(
        &mut self,
        record: &ChangeRecord,
        subject: ChangeSubject,
        at: DateTime<Utc>,
    ) {
        let id = ChangeId::new(self.change_log.len() as i64 + 1)
            .unwrap_or_else(|_| unreachable!("length + 1 is positive"));
        self.change_log.push(CatalogChange {
            id,
            at,
            actor: record.actor,
            subject,
            before: record.before.clone(),
            after: record.after.clone(),
        });
    }
}
