//! Bounded lists: every list a store answers is a page of at most
//! [`PageLimit::MAX`] items after a cursor.

use crate::error::ValueError;

/// How many items one page holds: 1 to [`PageLimit::MAX`], default [`PageLimit::DEFAULT`].
///
/// ```
/// use shopcore::{ErrorCode, PageLimit};
/// assert_eq!(PageLimit::default().get(), 100);
/// assert_eq!(PageLimit::new(500).unwrap().get(), 500);
/// assert_eq!(PageLimit::new(0).unwrap_err().code(), "invalid_request");
/// assert!(PageLimit::new(501).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageLimit(u16);

impl PageLimit {
    /// The largest page.
    pub const MAX: u16 = 500;
    /// The page size when none is asked for.
    pub const DEFAULT: u16 = 100;

    /// Fails with `invalid_request` outside `1..=MAX`.
    pub fn new(value: i64) -> Result<Self, ValueError> {
        u16::try_from(value)
            .ok()
            .filter(|n| (1..=Self::MAX).contains(n))
            .map(PageLimit)
            .ok_or(ValueError::Limit {
                value: value.to_string(),
                max: Self::MAX,
            })
    }

    /// The number of items.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        PageLimit(Self::DEFAULT)
    }
}
