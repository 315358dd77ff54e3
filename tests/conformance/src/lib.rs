//! # shopcore-conformance
//!
//! One suite of behaviours that every `shopcore` store must show, written once
//! against the repository traits and run against each adapter. Every case
//! starts from a store freshly loaded with [`shopcore::seed::demo_data`] and the
//! default [`shopcore::ShopConfig`].
//!
//! An adapter's test file instantiates the suite with a *runner*: a function
//! that builds a fresh seeded store, runs one case on it, and cleans up.
//!
//! ```ignore
//! fn run(case: shopcore_conformance::Case<MyStore>) {
//!     my_runtime::block_on(async {
//!         let store = MyStore::fresh_seeded().await;
//!         case(&store).await;
//!     })
//! }
//! shopcore_conformance::conformance_tests!(run);
//! ```
//!
//! ## Layout
//! - [`cases`]: the behaviours, one `async fn` each, named as sentences;
//! - [`admin_cases`]: the same for catalog administration;
//! - [`coupon_cases`]: coupons and paying with points;
//! - [`outbox_cases`]: notification deliveries and webhook endpoints;
//! - [`identity_cases`]: emails and idempotency keys compared exactly, the
//!   chosen admin key refused once revoked;
//! - [`throttle_cases`]: the throttles of logins, registrations and coupon lookups;
//! - [`settlement_cases`]: payments (authorize, capture, void) and shipments;
//! - [`returns_cases`]: partial cancels, returns and refunds, to the cent;
//! - [`returns_model`]: a reference model of partial cancels, returns and
//!   refunds on random orders (coupons, points, both roundings and tax modes);
//! - [`settlement_model`]: a reference model of one order's payments and
//!   shipments, for property tests that run random operations on a store;
//! - [`conformance_tests!`]: turns every case into a `#[test]`;
//! - [`bench`](mod@bench): what the adapters' throughput benchmarks share (their
//!   catalog, carts and results header).

pub mod admin_cases;
pub mod bench;
pub mod cases;
pub mod coupon_cases;
pub mod identity_cases;
pub mod outbox_cases;
pub mod returns_cases;
pub mod returns_model;
pub mod settlement_cases;
pub mod settlement_model;
pub mod throttle_cases;

use std::future::Future;
use std::pin::Pin;

/// One conformance case, ready to run on a store.
pub type Case<S> = for<'a> fn(&'a S) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Generates one `#[test]` per conformance case, each calling `$runner(case)`.
///
/// `$runner` must be a `fn(Case<S>)` that runs the case on a fresh seeded store.
#[macro_export]
macro_rules! conformance_tests {
    ($runner:path) => {
        $crate::conformance_tests!(@cases $runner;
            products_are_listed_by_id_with_seed_values,
            unknown_product_is_not_found,
            stock_adjustments_add_remove_and_refuse_going_negative,
            quote_matches_the_worked_example,
            quote_rejects_unknown_region_and_product,
            checkout_of_the_worked_example_stores_everything,
            failed_checkouts_change_nothing,
            checkout_region_is_case_insensitive_and_stored_as_configured,
            buying_the_last_units_then_one_more_is_insufficient_stock,
            idempotent_replay_returns_the_first_order,
            reusing_a_key_for_another_request_is_a_conflict,
            cancel_restocks_revokes_points_and_logs_a_notice,
            cancel_revokes_every_earned_point_even_if_spent,
            cancelling_orders_whose_points_were_spent_mints_no_points,
            cancel_of_a_cancelled_or_unknown_order_is_refused,
            registration_lowercases_email_and_refuses_duplicates,
            credentials_are_found_by_email_with_their_hash,
            points_adjustments_refuse_going_negative,
            order_history_is_newest_first_and_empty_for_new_customers,
            notifications_are_filtered_and_newest_first,
            logging_a_notification_needs_an_existing_order_and_customer,
            registered_customers_log_in_with_their_password_only,
            resending_a_confirmation_repeats_it_for_the_right_customer_only,
            checkout_and_cancel_are_ledger_entries_naming_the_order,
            manual_adjustments_are_ledger_entries_and_refusals_write_none,
            the_books_balance_after_a_mixed_history,
            sessions_authenticate_until_logout_or_expiry,
            a_password_change_ends_the_other_sessions,
            password_work_runs_only_on_the_worker_given,
            each_password_use_case_does_its_argon2_work_once,
            staff_keys_authenticate_with_their_role_until_revoked,
            idempotency_keys_are_scoped_per_customer,
            a_fresh_store_is_ready,
            checkouts_are_counted_by_outcome
        );
        $crate::conformance_tests!(@admin $runner;
            a_created_product_is_quoted_ordered_and_audited,
            a_reprice_leaves_placed_orders_as_they_were,
            a_retired_product_is_not_sold_until_restored,
            a_ladder_is_replaced_whole_and_cleared,
            tax_regions_come_and_go_but_the_default_stays,
            the_change_log_pages_by_cursor,
            a_stale_expected_total_is_price_changed_and_writes_nothing,
            profiles_are_updated_keeping_emails_unique,
            customers_page_by_id,
            every_list_pages_by_cursor
        );
        $crate::conformance_tests!(@coupons $runner;
            a_coupon_and_points_price_and_place_the_worked_example,
            a_coupon_that_does_not_apply_says_why_and_writes_nothing,
            points_and_coupons_never_take_an_order_below_zero,
            coupons_are_administered_with_clear_refusals,
            the_price_list_is_the_live_rule_set
        );
        $crate::conformance_tests!(@outbox $runner;
            notices_are_queued_on_every_subscribed_channel,
            claims_are_leased_and_outcomes_fenced_by_attempt,
            failed_deliveries_are_listed_and_retried,
            claims_carry_the_endpoint_until_it_is_deleted
        );
        $crate::conformance_tests!(@identity $runner;
            lookalike_emails_are_distinct_accounts_on_every_store,
            idempotency_keys_differing_in_case_are_different_keys,
            a_revoked_or_guessable_admin_key_is_refused
        );
        $crate::conformance_tests!(@settlement $runner;
            an_order_is_authorized_captured_in_part_and_paid,
            payment_refusals_say_why_and_write_nothing,
            a_payment_reference_replays_the_first_payment_or_conflicts,
            an_order_ships_in_parts_and_then_is_fulfilled,
            a_cancel_voids_authorizations_and_refunds_what_was_captured,
            races_on_one_order_have_one_winner
        );
        $crate::conformance_tests!(@returns $runner;
            the_readme_order_returns_three_mice_then_seven_to_the_cent,
            a_partial_cancel_lowers_what_is_due_and_releases_the_authorization,
            a_partial_cancel_of_a_paid_order_refunds_the_units_share,
            a_customer_requests_returns_that_staff_receive_or_reject,
            goodwill_refunds_pay_back_at_most_what_was_captured,
            return_and_cancel_refusals_say_why_and_write_nothing,
            races_for_the_same_units_or_money_have_one_winner,
            return_and_refund_keys_replay_the_first_answer
        );
        $crate::conformance_tests!(@throttle $runner;
            failed_logins_never_lock_the_owner_out_from_another_address,
            malformed_logins_count_against_the_address_only,
            failures_for_one_email_slow_down_addresses_that_failed_too,
            concurrent_logins_pass_and_concurrent_guesses_stop_at_the_limit,
            a_correct_password_clears_its_own_count,
            registrations_from_one_address_are_refused_past_the_limit,
            failed_coupon_lookups_are_refused_past_the_limit,
            failed_coupon_checkouts_are_refused_past_the_limit
        );
    };
    (@identity $runner:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $runner(|store| ::std::boxed::Box::pin($crate::identity_cases::$case(store)));
            }
        )*
    };
    (@settlement $runner:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $runner(|store| ::std::boxed::Box::pin($crate::settlement_cases::$case(store)));
            }
        )*
    };
    (@returns $runner:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $runner(|store| ::std::boxed::Box::pin($crate::returns_cases::$case(store)));
            }
        )*
    };
    (@throttle $runner:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $runner(|store| ::std::boxed::Box::pin($crate::throttle_cases::$case(store)));
            }
        )*
    };
    (@outbox $runner:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $runner(|store| ::std::boxed::Box::pin($crate::outbox_cases::$case(store)));
            }
        )*
    };
    (@coupons $runner:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $runner(|store| ::std::boxed::Box::pin($crate::coupon_cases::$case(store)));
            }
        )*
    };
    (@admin $runner:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $runner(|store| ::std::boxed::Box::pin($crate::admin_cases::$case(store)));
            }
        )*
    };
    (@cases $runner:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $runner(|store| ::std::boxed::Box::pin($crate::cases::$case(store)));
            }
        )*
    };
}
