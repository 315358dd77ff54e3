//! The catalog planner: each command's effects and log entry, its refusals,
//! and that a change to nothing plans nothing.

use super::*;
use crate::access::StaffRole;
use crate::catalog::TierRung;
use crate::planner_test::given;
use crate::seed;
use crate::values::ids::StaffKeyId;
use crate::values::quantity::Quantity;

fn admin() -> Actor {
    Actor::Staff {
        key: StaffKeyId::new(7).unwrap(),
        role: StaffRole::Inventory,
    }
}

fn now() -> DateTime<Utc> {
    "2026-12-01T10:00:00Z".parse().unwrap()
}

fn plan(command: &CatalogCommand, snapshot: &AdminSnapshot<'_>) -> Result<CatalogPlan, AdminError> {
    plan_catalog_change(&admin(), command, snapshot, &ShopConfig::default(), now())
}

fn laptop() -> Product {
    seed::demo_data().products[0].clone()
}

fn on(product: &Product) -> AdminSnapshot<'_> {
    AdminSnapshot {
        product: Some(product),
        ..AdminSnapshot::default()
    }
}

fn rung(min: i64, discount: &str) -> TierRung {
    TierRung {
        min_quantity: Quantity::new(min).unwrap(),
        discount: discount.parse().unwrap(),
    }
}

fn logged(plan: &CatalogPlan) -> &ChangeRecord {
    match plan.plan.effects().last() {
        Some(Effect::CatalogChangeLogged(record)) => record,
        other => panic!("the last effect is the log entry, not {other:?}"),
    }
}

#[test]
fn a_created_product_is_numbered_by_storage_and_logged_as_new() {
    let command = CatalogCommand::CreateProduct {
        name: ProductName::parse("  USB-C Dock ").unwrap(),
        unit_price: "89.50".parse().unwrap(),
        quantity_available: 12,
    };
    let planned = plan(&command, &AdminSnapshot::default()).unwrap();
    let [Effect::ProductCreated(new), Effect::CatalogChangeLogged(record)] = planned.plan.effects()
    else {
        panic!("{:?}", planned.plan.effects())
    };
    assert_eq!(
        (new.name.as_str(), new.quantity_available),
        ("USB-C Dock", 12)
    );
    assert_eq!(record.subject, ChangeSubject::Product(ProductRef::Created));
    assert_eq!(record.actor, admin());
    assert_eq!(record.before, None);
    let Some(ChangeValue::Product(fields)) = &record.after else {
        panic!()
    };
    assert_eq!(fields.unit_price.to_string(), "89.50");
    let Administered::Product(product) = planned.outcome(ProductId::new(42).ok()).unwrap() else {
        panic!()
    };
    assert_eq!((product.id.get(), product.retired), (42, false));
    assert!(
        planned.outcome(None).is_err(),
        "a created product needs its id"
    );
}

#[test]
fn prices_must_be_above_zero_and_fit_the_column() {
    let product = laptop();
    for (price, ok) in [
        ("0", false),
        ("0.01", true),
        ("99999999.99", true),
        ("100000000.00", false),
    ] {
        let command = CatalogCommand::UpdateProduct {
            product: product.id,
            name: None,
            unit_price: Some(price.parse().unwrap()),
        };
        match plan(&command, &on(&product)) {
            Ok(_) => assert!(ok, "{price} accepted"),
            Err(err) => {
                assert!(!ok, "{price} refused: {err}");
                assert_eq!(err.code(), "invalid_money");
            }
        }
    }
    let create = CatalogCommand::CreateProduct {
        name: ProductName::parse("Free").unwrap(),
        unit_price: Money::ZERO,
        quantity_available: 1,
    };
    assert_eq!(
        plan(&create, &AdminSnapshot::default()).unwrap_err().code(),
        "invalid_money"
    );
    let too_much = CatalogCommand::CreateProduct {
        name: ProductName::parse("Heap").unwrap(),
        unit_price: "1".parse().unwrap(),
        quantity_available: MAX_STOCK + 1,
    };
    given(AdminSnapshot::default())
        .when(|snapshot| plan(&too_much, &snapshot))
        .then_error("invalid_quantity");
}

#[test]
fn rename_reprice_retire_and_restore_log_before_and_after() {
    let product = laptop();
    let retire = plan(&CatalogCommand::RetireProduct(product.id), &on(&product)).unwrap();
    let record = logged(&retire);
    assert_eq!(
        record.subject,
        ChangeSubject::Product(ProductRef::Existing(product.id))
    );
    let (Some(ChangeValue::Product(before)), Some(ChangeValue::Product(after))) =
        (&record.before, &record.after)
    else {
        panic!()
    };
    assert!(!before.retired && after.retired);
    assert_eq!(before.unit_price, after.unit_price);
    let Administered::Product(retired) = retire.outcome(None).unwrap() else {
        panic!()
    };
    assert!(retired.retired);
    assert_eq!(retired.last_updated, now());
    // Retiring again, or renaming to the same name, changes nothing: no effects.
    given(on(&retired))
        .when(|snapshot| plan(&CatalogCommand::RetireProduct(product.id), &snapshot))
        .then_nothing();
    let same_name = CatalogCommand::UpdateProduct {
        product: product.id,
        name: Some(ProductName::parse("Laptop").unwrap()),
        unit_price: None,
    };
    given(on(&product))
        .when(|snapshot| plan(&same_name, &snapshot))
        .then_nothing();
    let restore = plan(&CatalogCommand::RestoreProduct(product.id), &on(&retired)).unwrap();
    assert_eq!(restore.plan.effects().len(), 2);
}

#[test]
fn commands_about_a_missing_product_are_unknown_product() {
    let id = ProductId::new(99).unwrap();
    for command in [
        CatalogCommand::RetireProduct(id),
        CatalogCommand::UpdateProduct {
            product: id,
            name: Some(ProductName::parse("X").unwrap()),
            unit_price: None,
        },
        CatalogCommand::ReplaceLadder {
            product: id,
            ladder: TierLadder::default(),
        },
    ] {
        given(AdminSnapshot::default())
            .when(|snapshot| plan(&command, &snapshot))
            .then_error("unknown_product");
    }
}

#[test]
fn a_ladder_is_replaced_whole_and_its_old_rungs_logged() {
    let product = laptop();
    let old = TierLadder::new(vec![rung(5, "10")]).unwrap();
    let new = TierLadder::new(vec![rung(10, "15"), rung(3, "5")]).unwrap();
    let snapshot = AdminSnapshot {
        product: Some(&product),
        ladder: old.clone(),
        tax_rate: None,
    };
    let command = CatalogCommand::ReplaceLadder {
        product: product.id,
        ladder: new.clone(),
    };
    let planned = plan(&command, &snapshot).unwrap();
    let record = logged(&planned);
    assert_eq!(
        record.before,
        Some(ChangeValue::Ladder { tiers: old.clone() })
    );
    assert_eq!(
        record.after,
        Some(ChangeValue::Ladder { tiers: new.clone() })
    );
    // Clearing is replacing with nothing; the same ladder again is no change.
    let clear = CatalogCommand::ReplaceLadder {
        product: product.id,
        ladder: TierLadder::default(),
    };
    assert_eq!(plan(&clear, &snapshot).unwrap().plan.effects().len(), 2);
    let same = CatalogCommand::ReplaceLadder {
        product: product.id,
        ladder: old,
    };
    given(snapshot)
        .when(|snapshot| plan(&same, &snapshot))
        .then_nothing();
}

#[test]
fn ladders_refuse_repeated_minimums_and_too_many_rungs() {
    let err = TierLadder::new(vec![rung(2, "1"), rung(3, "2"), rung(2, "3")]).unwrap_err();
    assert_eq!(err.to_string(), "tiers[2]: min_quantity 2 repeats tiers[0]");
    let many: Vec<_> = (1..=101).map(|q| rung(q, "1")).collect();
    assert!(TierLadder::new(many[..100].to_vec()).is_ok());
    assert_eq!(TierLadder::new(many).unwrap_err().code(), "invalid_tier");
}

#[test]
fn tax_rates_are_set_keeping_the_stored_spelling_and_the_default_region_stays() {
    let giza = Region::parse("Giza").unwrap();
    let snapshot = AdminSnapshot {
        tax_rate: Some((giza.clone(), "14".parse().unwrap())),
        ..AdminSnapshot::default()
    };
    let set = CatalogCommand::SetTaxRate {
        region: Region::parse("GIZA").unwrap(),
        rate: "15".parse().unwrap(),
    };
    let planned = plan(&set, &snapshot).unwrap();
    let Effect::TaxRateSet { region, .. } = &planned.plan.effects()[0] else {
        panic!()
    };
    assert_eq!(region.as_str(), "Giza");
    assert_eq!(
        logged(&planned).before,
        Some(ChangeValue::TaxRate {
            tax_rate: "14".parse().unwrap()
        })
    );
    // A new region has nothing before.
    let aswan = CatalogCommand::SetTaxRate {
        region: Region::parse("Aswan").unwrap(),
        rate: "12.5".parse().unwrap(),
    };
    assert_eq!(
        logged(&plan(&aswan, &AdminSnapshot::default()).unwrap()).before,
        None
    );
    let remove = plan(
        &CatalogCommand::RemoveTaxRegion(Region::parse("giza").unwrap()),
        &snapshot,
    )
    .unwrap();
    assert_eq!(logged(&remove).after, None);
    let cairo = CatalogCommand::RemoveTaxRegion(Region::parse("cairo").unwrap());
    assert_eq!(
        plan(&cairo, &AdminSnapshot::default()).unwrap_err().code(),
        "default_tax_region"
    );
    let unknown = CatalogCommand::RemoveTaxRegion(Region::parse("Luxor").unwrap());
    assert_eq!(
        plan(&unknown, &AdminSnapshot::default())
            .unwrap_err()
            .code(),
        "unknown_tax_region"
    );
}

#[test]
fn the_legacy_region_is_reserved_for_orders_of_the_original_schema() {
    let legacy = CatalogCommand::SetTaxRate {
        region: Region::parse("LEGACY").unwrap(),
        rate: "14".parse().unwrap(),
    };
    let refused = plan(&legacy, &AdminSnapshot::default()).unwrap_err();
    assert_eq!(refused.code(), "invalid_request");
    let nearby = CatalogCommand::SetTaxRate {
        region: Region::parse("Legacy Town").unwrap(),
        rate: "14".parse().unwrap(),
    };
    assert!(plan(&nearby, &AdminSnapshot::default()).is_ok());
}
