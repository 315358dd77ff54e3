//! Value types that parse, not validate: money and its rounding, quantities,
//! percentages, ids, the text fields, pages of lists and the clock.
//!
//! Every other area builds on these; they depend on nothing but [`crate::error`].

pub(crate) mod clock;
pub(crate) mod ids;
pub(crate) mod money;
pub(crate) mod page;
pub(crate) mod percent;
pub(crate) mod quantity;
pub(crate) mod text;
