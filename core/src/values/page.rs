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

/// One page of a list: its items, and the cursor of the next page while more remain.
///
/// ```
/// use shopcore::{Page, PageLimit};
/// let limit = PageLimit::new(2).unwrap();
/// let page = Page::from_overfetch(vec![1, 2, 3], limit, |n| *n);
/// assert_eq!((page.items, page.next), (vec![1, 2], Some(2)));
/// let last = Page::from_overfetch(vec![4], limit, |n| *n);
/// assert_eq!((last.items, last.next), (vec![4], None));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T, C> {
    /// At most the limit's number of items.
    pub items: Vec<T>,
    /// What to pass as `after` for the next page; `None` on the last page.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page from up to `limit + 1` items read in order: the extra item only
    /// says that more remain, and the cursor is the last kept item's.
    pub fn from_overfetch(mut items: Vec<T>, limit: PageLimit, cursor: impl Fn(&T) -> C) -> Self {
        let more = items.len() > limit.get();
        items.truncate(limit.get());
        let next = if more { items.last().map(cursor) } else { None };
        Page { items, next }
    }
}
