//! Orders, customers and notifications as they are stored and read: the
//! records the order's life writes and the texts its notices carry.
//!
//! The planners that change them live in [`crate::lifecycle`] (checkout,
//! cancel, adjustments, notices) and [`crate::admin`] (profiles).

pub(crate) mod customer;
pub(crate) mod notification;
pub(crate) mod order;
