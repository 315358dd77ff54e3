//! Carts: the validated list of what a customer wants to buy.
//!
//! A [`Cart`] is never empty, holds at most [`Cart::MAX_LINES`] distinct
//! products, and has one line per product: duplicate lines are merged on
//! construction (their quantities added, the result still a valid
//! [`Quantity`]). Lines keep the order in which each product first appeared.

use std::collections::HashMap;

use crate::error::{ErrorCode, ErrorKind, ValueError};
use crate::values::ids::ProductId;
use crate::values::quantity::Quantity;

/// One line of a cart or order request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CartLine {
    /// The product to buy.
    pub product_id: ProductId,
    /// How many units.
    pub quantity: Quantity,
}

/// Why a list of lines is not a cart.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CartError {
    /// See [`ErrorKind::EmptyOrder`].
    #[error("an order needs at least one product")]
    Empty,
    /// See [`ErrorKind::TooManyLines`].
    #[error("an order may have at most {max} distinct products, got {count}")]
    TooManyLines {
        /// Distinct products in the request.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A line of [`Cart::of`] names no valid product id or quantity.
    #[error("line {index} of the cart: {source}")]
    Line {
        /// The line's position (0-based).
        index: usize,
        /// What is wrong with it.
        source: ValueError,
    },
    /// Merging duplicate lines of one product exceeded the quantity limit.
    #[error("merged quantity of product {product_id} is invalid: {source}")]
    MergedQuantity {
        /// The product whose lines were merged.
        product_id: ProductId,
        /// The quantity error.
        source: ValueError,
    },
}

impl ErrorCode for CartError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Empty => ErrorKind::EmptyOrder,
            Self::TooManyLines { .. } => ErrorKind::TooManyLines,
            Self::MergedQuantity { .. } => ErrorKind::InvalidQuantity,
            Self::Line { source, .. } => source.kind(),
        }
    }
}

/// A non-empty list of distinct products with quantities.
///
/// ```
/// use shopcore::{Cart, CartLine, ProductId, Quantity};
/// let line = |id, qty| CartLine {
///     product_id: ProductId::new(id).unwrap(),
///     quantity: Quantity::new(qty).unwrap(),
/// };
/// let cart = Cart::new([line(2, 4), line(1, 1), line(2, 6)]).unwrap();
/// assert_eq!(cart.lines(), &[line(2, 10), line(1, 1)]);
/// assert!(Cart::new([]).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Cart {
    lines: Vec<CartLine>,
}

impl Cart {
    /// The most distinct products one cart may hold.
    pub const MAX_LINES: usize = 1000;

    /// Merges duplicate products and checks the cart is non-empty and not too large.
    pub fn new(lines: impl IntoIterator<Item = CartLine>) -> Result<Self, CartError> {
        let mut merged: Vec<CartLine> = Vec::new();
        let mut position: HashMap<ProductId, usize> = HashMap::new();
        for line in lines {
            match position.get(&line.product_id) {
                Some(&at) => {
                    let existing = &mut merged[at];
                    existing.quantity =
                        existing
                            .quantity
                            .checked_add(line.quantity)
                            .map_err(|source| CartError::MergedQuantity {
                                product_id: line.product_id,
                                source,
                            })?;
                }
                None => {
                    if merged.len() == Self::MAX_LINES {
                        return Err(CartError::TooManyLines {
                            count: Self::MAX_LINES + 1,
                            max: Self::MAX_LINES,
                        });
                    }
                    position.insert(line.product_id, merged.len());
                    merged.push(line);
                }
            }
        }
        if merged.is_empty() {
            return Err(CartError::Empty);
        }
        Ok(Cart { lines: merged })
    }

    /// A cart from `(product id, quantity)` pairs, checked and merged as by
    /// [`Cart::new`].
    ///
    /// ```
    /// use shopcore::{Cart, ErrorCode};
    /// let cart = Cart::of([(1, 1), (2, 10), (1, 2)])?;
    /// assert_eq!(cart.lines().len(), 2);
    /// assert_eq!(cart.lines()[0].quantity.get(), 3);
    /// assert_eq!(Cart::of([(1, 0)]).unwrap_err().code(), "invalid_quantity");
    /// assert_eq!(Cart::of([(0, 1)]).unwrap_err().code(), "invalid_id");
    /// # Ok::<(), shopcore::CartError>(())
    /// ```
    pub fn of(lines: impl IntoIterator<Item = (i64, i64)>) -> Result<Self, CartError> {
        let lines = lines
            .into_iter()
            .enumerate()
            .map(|(index, (product, quantity))| {
                let line = |source| CartError::Line { index, source };
                Ok(CartLine {
                    product_id: ProductId::new(product).map_err(line)?,
                    quantity: Quantity::new(quantity).map_err(line)?,
                })
            })
            .collect::<Result<Vec<_>, CartError>>()?;
        Cart::new(lines)
    }

    /// The lines, one per product, in first-appearance order.
    pub fn lines(&self) -> &[CartLine] {
        &self.lines
    }

    /// The distinct products, sorted by id (the order adapters lock rows in).
    pub fn product_ids_sorted(&self) -> Vec<ProductId> {
        let mut ids: Vec<ProductId> = self.lines.iter().map(|l| l.product_id).collect();
        ids.sort_unstable();
        ids
    }
}

/// A cart from JSON: its lines as a list, or the form it serializes to,
/// `{"lines": [...]}`; checked and merged as by [`Cart::new`].
///
/// ```
/// use shopcore::Cart;
/// let bare: Cart = serde_json::from_str(r#"[{"product_id": 2, "quantity": 10}]"#).unwrap();
/// let wrapped: Cart = serde_json::from_str(r#"{"lines": [{"product_id": 2, "quantity": 10}]}"#).unwrap();
/// assert_eq!(bare, wrapped);
/// assert!(serde_json::from_str::<Cart>("[]").unwrap_err().to_string().contains("at least one product"));
/// ```
impl<'de> serde::Deserialize<'de> for Cart {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CartVisitor;
        impl<'de> serde::de::Visitor<'de> for CartVisitor {
            type Value = Vec<CartLine>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a cart: a list of {\"product_id\", \"quantity\"} lines, or {\"lines\": [...]}",
                )
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Vec<CartLine>, A::Error> {
                let mut lines = Vec::new();
                while let Some(line) = seq.next_element()? {
                    lines.push(line);
                }
                Ok(lines)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Vec<CartLine>, A::Error> {
                let mut lines = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "lines" || lines.is_some() {
                        return Err(serde::de::Error::custom(format_args!(
                            "a cart object has one field, \"lines\" (got {key:?})"
                        )));
                    }
                    lines = Some(map.next_value()?);
                }
                lines.ok_or_else(|| serde::de::Error::missing_field("lines"))
            }
        }
        let lines = deserializer.deserialize_any(CartVisitor)?;
        Cart::new(lines).map_err(serde::de::Error::custom)
    }
}

/// A cart line from raw numbers, for unit tests across the crate.
#[cfg(test)]
pub(crate) fn line(id: i64, qty: i64) -> CartLine {
    CartLine {
        product_id: ProductId::new(id).expect("test id"),
        quantity: Quantity::new(qty).expect("test quantity"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_cart_is_empty_order() {
        assert_eq!(Cart::new([]).unwrap_err().kind(), ErrorKind::EmptyOrder);
    }

    #[test]
    fn merging_past_the_quantity_limit_is_invalid_quantity() {
        let err = Cart::new([line(1, 600_000), line(1, 600_000)]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidQuantity);
    }

    #[test]
    fn more_than_max_lines_is_too_many_lines() {
        let ok = Cart::new((1..=Cart::MAX_LINES as i64).map(|id| line(id, 1)));
        assert_eq!(ok.unwrap().lines().len(), Cart::MAX_LINES);
        let too_many = Cart::new((1..=Cart::MAX_LINES as i64 + 1).map(|id| line(id, 1)));
        assert_eq!(too_many.unwrap_err().kind(), ErrorKind::TooManyLines);
        // Duplicates of existing lines do not count against the limit.
        let dupes = (1..=Cart::MAX_LINES as i64)
            .chain([1, 2])
            .map(|id| line(id, 1));
        assert!(Cart::new(dupes).is_ok());
    }

    #[test]
    fn serde_validates_the_cart() {
        let cart: Cart =
            serde_json::from_str(r#"{"lines":[{"product_id":1,"quantity":2}]}"#).unwrap();
        assert_eq!(cart.lines(), &[line(1, 2)]);
        assert!(serde_json::from_str::<Cart>(r#"{"lines":[]}"#).is_err());
        assert!(
            serde_json::from_str::<Cart>(r#"{"lines":[{"product_id":1,"quantity":0}]}"#).is_err()
        );
    }
}
