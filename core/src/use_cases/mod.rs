//! Use cases over the ports: the compositions of reads, pure rules and writes
//! that a caller (the bindings, an HTTP layer, a test) runs against any
//! [`Store`](crate::Store) — pricing a quote with the store's data, and work
//! guarded by a throttle. The authentication use cases are in [`crate::auth`].

pub(crate) mod notice;
pub(crate) mod quote;
pub(crate) mod reads;
pub(crate) mod throttled;
pub(crate) mod webhooks;
