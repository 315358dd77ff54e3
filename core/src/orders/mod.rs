//! Orders, their payments, shipments, returns and refunds, customers and notifications as they
//! are stored and read: the records the order's life writes and the texts its
//! notices carry.
//!
//! The planners that change them live in [`crate::lifecycle`] (checkout,
//! cancel, payments, fulfillments, adjustments, notices) and [`crate::admin`] (profiles).

pub(crate) mod customer;
pub(crate) mod fulfillment;
pub(crate) mod notification;
pub(crate) mod order;
pub(crate) mod payment;
pub(crate) mod returns;
