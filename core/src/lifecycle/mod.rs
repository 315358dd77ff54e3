//! The order's life as planners: checkout, payments, fulfillments, cancel,
//! manual stock and points adjustments, and logged notices — each a pure function from a snapshot to
//! a [`Plan`](crate::Plan) or a domain error.

pub(crate) mod adjustment;
pub(crate) mod cancel;
pub(crate) mod checkout;
pub(crate) mod fulfillment;
pub(crate) mod notice;
pub(crate) mod payment;
pub(crate) mod release;
pub(crate) mod returns;
