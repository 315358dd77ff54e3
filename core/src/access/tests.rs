//! The access policy as a table: every action × every kind of actor.

use super::*;

fn cid(id: i64) -> CustomerId {
    CustomerId::new(id).unwrap()
}

const ME: i64 = 2;
const OTHER: i64 = 3;

fn staff(role: StaffRole) -> Actor {
    Actor::Staff {
        key: StaffKeyId::new(1).unwrap(),
        role,
    }
}

/// `.` allowed, `u` unauthenticated, `f` forbidden, for the actors
/// anonymous, customer 2, support, inventory, admin.
fn expected() -> Vec<(Action, &'static str)> {
    let (me, other) = (cid(ME), cid(OTHER));
    vec![
        (Action::Health, "....."),
        (Action::Register, "....."),
        (Action::Login, "....."),
        (Action::Quote, "....."),
        (Action::ReadCatalog, "....."),
        (Action::ReadProfile(me), "u..f."),
        (Action::ReadProfile(other), "uf.f."),
        (Action::UpdateProfile(me), "u.ff."),
        (Action::UpdateProfile(other), "ufff."),
        (Action::ChangePassword(me), "u.ff."),
        (Action::ChangePassword(other), "ufff."),
        (Action::ReadOrderHistory(me), "u...."),
        (Action::ReadOrderHistory(other), "uf..."),
        (Action::PlaceOrder(me), "u.ff."),
        (Action::PlaceOrder(other), "ufff."),
        (Action::ReadOrder(me), "u...."),
        (Action::ReadOrder(other), "uf..."),
        (Action::CancelOrder(me), "u..f."),
        (Action::CancelOrder(other), "uf.f."),
        (Action::ReadNotifications(Some(me)), "u..f."),
        (Action::ReadNotifications(Some(other)), "uf.f."),
        (Action::ReadNotifications(None), "uf.f."),
        (Action::Logout, "u.fff"),
        (Action::ListCustomers, "uf.f."),
        (Action::ResendConfirmation(me), "uf.f."),
        (Action::ResendConfirmation(other), "uf.f."),
        (Action::AdjustPoints, "uf.f."),
        (Action::AdjustStock, "uff.."),
        (Action::ManageCatalog, "uff.."),
        (Action::ManageStaffKeys, "ufff."),
        (Action::ReadMetrics, "uf..."),
        (Action::ReadCatalogChanges, "uf..."),
        (Action::ManageCoupons, "uff.."),
        (Action::AuditPricing, "uf..."),
        (Action::ManageDeliveries, "uf.f."),
        (Action::ManageWebhooks, "ufff."),
        (Action::ListOrders, "uf..."),
        (Action::ManagePayments, "uf.f."),
        (Action::FulfillOrders, "uff.."),
        (Action::RequestReturn(me), "u.ff."),
        (Action::RequestReturn(other), "ufff."),
        (Action::ManageReturns, "uf.f."),
    ]
}

#[test]
fn the_policy_matches_the_table() {
    let actors = [
        Actor::Anonymous,
        Actor::Customer(cid(ME)),
        staff(StaffRole::Support),
        staff(StaffRole::Inventory),
        staff(StaffRole::Admin),
    ];
    for (action, row) in expected() {
        for (actor, want) in actors.iter().zip(row.chars()) {
            let got = match authorize(actor, &action) {
                Ok(()) => '.',
                Err(AccessError::Unauthenticated) => 'u',
                Err(AccessError::Forbidden(_)) => 'f',
                Err(other) => panic!("{other:?}"),
            };
            assert_eq!(got, want, "{actor:?} {action:?}");
        }
    }
}

#[test]
fn every_action_has_a_name_that_parses_back() {
    for (action, _) in expected() {
        let name = format!("{action:?}");
        let snake: String = name
            .split('(')
            .next()
            .unwrap()
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let lower = c.to_ascii_lowercase();
                if c.is_ascii_uppercase() && i > 0 {
                    vec!['_', lower]
                } else {
                    vec![lower]
                }
            })
            .collect();
        let customer = action.owner();
        assert_eq!(Action::from_name(&snake, customer), Some(action), "{snake}");
    }
    assert_eq!(Action::from_name("drop_tables", None), None);
}

#[test]
fn refusals_say_what_was_refused() {
    let refused = authorize(&Actor::Customer(cid(ME)), &Action::AdjustStock).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "this session or key may not adjust stock"
    );
    assert_eq!(refused.code(), "forbidden");
    assert_eq!(refused.category(), crate::ErrorCategory::Forbidden);
}

#[test]
fn tokens_are_random_prefixed_and_stored_only_as_their_hash() {
    let a = AccessToken::generate(TokenKind::Session);
    let b = AccessToken::generate(TokenKind::Session);
    assert_ne!(a, b);
    assert!(a.expose().starts_with("sct_"));
    assert!(AccessToken::generate(TokenKind::StaffKey)
        .expose()
        .starts_with("sck_"));
    let hash = a.hash();
    assert_eq!(hash.as_str().len(), 64);
    assert!(!hash.as_str().contains(&a.expose()[4..20]));
    assert_eq!(TokenHash::from_stored(hash.as_str()).unwrap(), hash);
    assert!(TokenHash::from_stored("xyz").is_err());
    // SHA-256 of the 32 ASCII digits "0123…", computed independently (Python's hashlib).
    let known = AccessToken::parse("01234567890123456789012345678901").unwrap();
    assert_eq!(
        known.hash().as_str(),
        "861009ec4d599fab1f40abc76e6f89880cff5833c79c548c99f9045f191cd90b"
    );
    for bad in [
        "",
        "short",
        &"x".repeat(201),
        "has a space in it but is long enough!!",
    ] {
        assert_eq!(
            AccessToken::parse(bad).unwrap_err().code(),
            "invalid_token",
            "{bad:?}"
        );
    }
}
