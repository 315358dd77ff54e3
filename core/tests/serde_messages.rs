//! Deserializing requests from JSON: errors name the field and what was
//! expected, never an internal type.

use shopcore::{CheckoutRequest, Money};

fn error_of(json: &str) -> String {
    serde_json::from_str::<CheckoutRequest>(json)
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_requests_say_which_field_and_what_was_expected() {
    for (json, expected) in [
        (
            r#"{"customer_id": 1, "cart": {"lines": [{"product_id": 1, "quantity": 1}]}, "region": null, "expected_total": 12.5}"#,
            "not the float 12.5",
        ),
        (
            r#"{"customer_id": 0, "cart": {"lines": [{"product_id": 1, "quantity": 1}]}, "region": null, "expected_total": null}"#,
            "id",
        ),
        (
            r#"{"customer_id": 1, "cart": {"lines": [{"product_id": 1, "quantity": 0}]}, "region": null, "expected_total": null}"#,
            "quantity",
        ),
        (
            r#"{"customer_id": 1, "cart": {"lines": []}, "region": null, "expected_total": null}"#,
            "at least one product",
        ),
    ] {
        let message = error_of(json);
        assert!(message.contains(expected), "{json}: {message}");
        for internal in ["Repr", "untagged", "variant"] {
            assert!(!message.contains(internal), "{json}: {message}");
        }
    }
    let money = serde_json::from_str::<Money>("-1").unwrap_err().to_string();
    assert!(money.contains("must not be negative"), "{money}");
}
