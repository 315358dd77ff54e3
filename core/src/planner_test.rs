//! Planner tests in the given / when / then manner of cqrs-es's
//! `TestFramework`: given a snapshot, when a command is decided, then these
//! effects — or this error. Test-only.
//!
//! ```text
//! given(&laptop)
//!     .when(|product| plan_stock_adjustment(product, -8, now))
//!     .then_effects(&[Effect::StockMoved(StockMoved { product: laptop.id, change: -8, after: 42, reason: Reason::Manual })]);
//! given(&laptop)
//!     .when(|product| plan_stock_adjustment(product, -51, now))
//!     .then_error("insufficient_stock");
//! ```

use std::fmt::Debug;

use crate::admin::catalog::CatalogPlan;
use crate::error::ErrorCode;
use crate::lifecycle::adjustment::{PointsAdjustment, StockAdjustment};
use crate::lifecycle::cancel::CancelPlan;
use crate::lifecycle::checkout::CheckoutPlan;
use crate::plan::{Effect, Plan};

/// The rows a planner reads, as a test sets them up.
pub(crate) struct Given<S>(S);

/// Starts a planner test from `snapshot`.
pub(crate) fn given<S>(snapshot: S) -> Given<S> {
    Given(snapshot)
}

impl<S> Given<S> {
    /// Decides `command` on the snapshot.
    pub(crate) fn when<T, E>(self, command: impl FnOnce(S) -> Result<T, E>) -> Then<T, E> {
        Then(command(self.0))
    }
}

/// What the planner decided.
pub(crate) struct Then<T, E>(Result<T, E>);

/// A planner's decision that carries a plan.
pub(crate) trait Decided {
    /// The plan decided.
    fn decided_plan(&self) -> &Plan;
}

impl Decided for Plan {
    fn decided_plan(&self) -> &Plan {
        self
    }
}

impl Decided for CheckoutPlan {
    fn decided_plan(&self) -> &Plan {
        self.plan()
    }
}

impl Decided for CancelPlan {
    fn decided_plan(&self) -> &Plan {
        self.plan()
    }
}

impl Decided for StockAdjustment {
    fn decided_plan(&self) -> &Plan {
        &self.plan
    }
}

impl Decided for PointsAdjustment {
    fn decided_plan(&self) -> &Plan {
        &self.plan
    }
}

impl Decided for CatalogPlan {
    fn decided_plan(&self) -> &Plan {
        &self.plan
    }
}

impl<T: Decided + Debug, E: ErrorCode + Debug> Then<T, E> {
    /// Asserts the command was planned as exactly `expected`, in order;
    /// answers the decision for further checks.
    #[track_caller]
    pub(crate) fn then_effects(self, expected: &[Effect]) -> T {
        let decided = match self.0 {
            Ok(decided) => decided,
            Err(refused) => panic!("expected a plan, the planner refused: {refused:?}"),
        };
        assert_eq!(decided.decided_plan().effects(), expected);
        decided
    }

    /// Asserts the command was planned, changing nothing.
    #[track_caller]
    pub(crate) fn then_nothing(self) -> T {
        self.then_effects(&[])
    }

    /// Asserts the command was refused with `code`; answers the error.
    #[track_caller]
    pub(crate) fn then_error(self, code: &str) -> E {
        match self.0 {
            Ok(decided) => panic!(
                "expected {code}, the planner planned {:?}",
                decided.decided_plan().effects()
            ),
            Err(refused) => {
                assert_eq!(refused.code(), code, "{refused:?}");
                refused
            }
        }
    }
}
