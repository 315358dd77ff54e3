# shopcore — the documented way in. `make test` is what CI runs (.ci/run).
CARGO ?= cargo

.PHONY: test fmt-check lint test-rust example bench bench-core

## Everything CI checks: formatting, clippy, all Rust tests and doctests.
test: fmt-check lint test-rust

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## Unit, integration, property, conformance and concurrency tests, plus doctests.
test-rust:
	$(CARGO) test --workspace --locked

## Quote and place an order on the seed data.
example:
	$(CARGO) run --locked -p shopcore-memory --example checkout

## Criterion benchmarks of the core and the in-memory checkout, then a summary table.
bench-core:
	$(CARGO) bench --locked -p shopcore --bench quote
	$(CARGO) bench --locked -p shopcore-memory --bench checkout
	python3 scripts/criterion_table.py quote memory_checkout

bench: bench-core
