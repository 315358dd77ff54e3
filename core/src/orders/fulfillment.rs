//! Shipments of an order. Units ship in one or more fulfillments; what a line
//! has shipped and the order's [`FulfillmentStatus`] are derived from them.

use chrono::{DateTime, Utc};

use crate::values::ids::{FulfillmentId, OrderId, ProductId};
use crate::values::quantity::Quantity;
use crate::values::text::{Carrier, TrackingNumber};

/// Units of one product in a shipment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FulfillmentLine {
    /// The product.
    pub product_id: ProductId,
    /// Units shipped.
    pub quantity: Quantity,
}

/// One shipment of an order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fulfillment {
    /// The shipment's id.
    pub id: FulfillmentId,
    /// The order it ships.
    pub order_id: OrderId,
    /// What it holds, one line per product, in the order's line order.
    pub lines: Vec<FulfillmentLine>,
    /// Who carries it, if said.
    pub carrier: Option<Carrier>,
    /// The carrier's tracking number, if said.
    pub tracking_number: Option<TrackingNumber>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A shipment as a plan records it, before storage assigns its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFulfillment {
    /// The order it ships.
    pub order_id: OrderId,
    /// What it holds.
    pub lines: Vec<FulfillmentLine>,
    /// Who carries it.
    pub carrier: Option<Carrier>,
    /// The tracking number.
    pub tracking_number: Option<TrackingNumber>,
}

impl NewFulfillment {
    /// The shipment as stored under `id`, recorded at `at`.
    pub fn with_id(&self, id: FulfillmentId, at: DateTime<Utc>) -> Fulfillment {
        Fulfillment {
            id,
            order_id: self.order_id,
            lines: self.lines.clone(),
            carrier: self.carrier.clone(),
            tracking_number: self.tracking_number.clone(),
            created_at: at,
        }
    }
}

/// What an order's shipments add up to, as its `fulfillment_status` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentStatus {
    /// Nothing shipped.
    Unfulfilled,
    /// Some units shipped, not all.
    PartiallyFulfilled,
    /// Every unit shipped.
    Fulfilled,
}

impl FulfillmentStatus {
    /// The status as sent: `unfulfilled`, `partially_fulfilled` or `fulfilled`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unfulfilled => "unfulfilled",
            Self::PartiallyFulfilled => "partially_fulfilled",
            Self::Fulfilled => "fulfilled",
        }
    }
}
