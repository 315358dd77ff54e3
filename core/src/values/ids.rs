//! Identifiers as newtypes, so a product id cannot be passed where an order id belongs.
//!
//! Every id is a positive integer that fits a signed 64-bit column.

use std::fmt;
use std::str::FromStr;

use crate::error::ValueError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $entity:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(i64);

        impl $name {
            /// Fails with `invalid_id` unless `value` is positive.
            pub fn new(value: i64) -> Result<Self, ValueError> {
                if value > 0 {
                    Ok(Self(value))
                } else {
                    Err(ValueError::Id { entity: $entity, value: value.to_string() })
                }
            }

            /// The id as an integer (always positive).
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = ValueError;
            fn try_from(value: i64) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text.parse::<i64>() {
                    Ok(value) => Self::new(value),
                    Err(_) => Err(ValueError::Id {
                        entity: $entity,
                        value: text.chars().take(40).collect(),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a product (`inventory.product_id`).
    ///
    /// ```
    /// use shopcore::ProductId;
    /// assert_eq!(ProductId::new(3).unwrap().get(), 3);
    /// assert!(ProductId::new(0).is_err());
    /// assert!("abc".parse::<ProductId>().is_err());
    /// ```
    ProductId,
    "product"
);
id_type!(
    /// Identifies a customer (`customers.customer_id`).
    CustomerId,
    "customer"
);
id_type!(
    /// Identifies an order (`orders.order_id`).
    OrderId,
    "order"
);
id_type!(
    /// Identifies a logged notification (`notification_log.notification_id`).
    NotificationId,
    "notification"
);
id_type!(
    /// Identifies an entry of the catalog change log (`catalog_changes.change_id`).
    ChangeId,
    "change"
);

id_type!(
    /// Identifies a webhook endpoint (`webhook_endpoints.webhook_id`).
    WebhookId,
    "webhook"
);
id_type!(
    /// Identifies one notification's delivery over one channel (`notification_deliveries.delivery_id`).
    DeliveryId,
    "delivery"
);
id_type!(
    /// Identifies a staff API key (`staff_keys.key_id`).
    StaffKeyId,
    "staff key"
);
id_type!(
    /// Identifies a payment of an order (`payments.payment_id`).
    PaymentId,
    "payment"
);
id_type!(
    /// Identifies a shipment of an order (`fulfillments.fulfillment_id`).
    FulfillmentId,
    "fulfillment"
);
id_type!(
    /// Identifies a return of an order (`returns.return_id`).
    ReturnId,
    "return"
);
id_type!(
    /// Identifies a refund of an order (`refunds.refund_id`).
    RefundId,
    "refund"
);
