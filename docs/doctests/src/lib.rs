//! The Rust examples of the README and of the book (`docs/src`), compiled
//! (and, where they need no database, run) by `cargo test --doc -p
//! shopcore-docs`, so that neither can drift from the API; and, in
//! `tests/book_tables.rs`, the book's tables that the code is the source of.
//! Not published: it exists for its tests.

/// Includes one Markdown file as the documentation of an empty item, whose
/// Rust blocks are then doctests.
macro_rules! doctests {
    ($($name:ident => $path:literal,)*) => {
        $(
            #[cfg(doctest)]
            #[doc = include_str!($path)]
            pub struct $name;
        )*
    };
}

doctests! {
    Readme => "../../../README.md",
    Introduction => "../../src/introduction.md",
    GettingStarted => "../../src/getting-started.md",
    Pricing => "../../src/pricing.md",
    CouponsAndPoints => "../../src/coupons-and-points.md",
    Orders => "../../src/orders.md",
    AccessControl => "../../src/access-control.md",
    HttpReference => "../../src/http-reference.md",
    Python => "../../src/python.md",
    Rust => "../../src/rust.md",
    PropertyTesting => "../../src/property-testing.md",
    Operations => "../../src/operations.md",
    Configuration => "../../src/configuration.md",
    PastOneMachine => "../../src/past-one-machine.md",
    Notifications => "../../src/notifications.md",
    Guarantees => "../../src/guarantees.md",
    Performance => "../../src/performance.md",
    Errors => "../../src/errors.md",
    DesignRecords => "../../src/design-records.md",
}
