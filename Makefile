# shopcore — the documented way in. `make test` is what CI runs (.ci/run).
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DIST := dist
LOCK := requirements.lock

.PHONY: test fmt-check core-deps lock lock-check deny cargo-deny-installed docs mdbook-installed audit audit-python lint doc-check package-check test-rust lint-python test-python venv venv-tools dist bench-deps run example bench bench-core bench-mysql bench-stores bench-http bench-login bench-register-flood bench-dispatch \
	soak soak-short soak-openapi fuzz test-galera test-galera-short

## Everything CI checks: formatting, the Python lock file (up to date with the pyproject
## ranges), the Rust supply chain (cargo deny: bans, licenses, sources), clippy, the API docs, all Rust tests and doctests, then
## the Python bindings and the five Flask services (pytest, schemathesis, end to end),
## then the short soak (mixed load, SIGKILL, packet-delay race, each audited), then the
## short Galera phase (a local three-node cluster: conformance, races, a node killed, soak).
test: fmt-check core-deps lock-check deny docs lint doc-check package-check test-rust lint-python test-python soak-short test-galera-short

fmt-check:
	$(CARGO) fmt --all -- --check

## core's areas import each other without a cycle (scripts/core-deps.py; its
## self-test shows on a made-up crate that a cycle is found).
core-deps:
	python3 scripts/core-deps.py --self-test
	python3 scripts/core-deps.py

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## API docs build without a warning (broken intra-doc links fail), every
## feature's items included (as docs.rs builds them: `shopcore::testing`).
doc-check:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked --all-features

## Every published crate packages as it would be published (`cargo package`; not the docs
## crate, `publish = false`), and the
## packaged crates build on their own (path dependencies resolved by version).
package-check:
	$(CARGO) package --workspace --exclude shopcore-docs --locked --allow-dirty

## Unit, integration, property, conformance and concurrency tests, plus doctests.
## The MySQL suite runs against 127.0.0.1:3306 (started if installed but stopped);
## with CI=true an unreachable server fails the run instead of skipping.
test-rust:
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" $(CARGO) test --workspace --locked

## A virtualenv with the locked development packages (requirements.lock), the shopcore bindings built in
## place (maturin develop, release profile: cargo rebuilds only what changed), and the
## services installed editable from examples/flask. A second run with no change
## takes seconds; the release artifacts are `make dist`'s job.
venv: venv-tools $(VENV)/.services-installed
	VIRTUAL_ENV="$(CURDIR)/$(VENV)" $(VENV)/bin/maturin develop --quiet --release --locked \
		--manifest-path bindings/python/Cargo.toml

$(VENV)/.services-installed: $(VENV)/.tools-installed examples/flask/pyproject.toml
	$(PY) -m pip install --quiet --no-deps -e ./examples/flask
	touch $@

venv-tools: $(VENV)/.tools-installed

## Exactly the pinned packages of requirements.lock, each checked against its hashes, wheels
## only (pip itself is pinned there too); a changed lock file installs again. `--no-deps`: the
## lock is the whole resolved set (a venv's own older pip refuses hash mode on an extra's
## requirement such as pip-audit's `CacheControl[filecache]`); `pip check` then proves that every
## package's requirements are met by the pins.
$(VENV)/.tools-installed: $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps --only-binary :all: -r $(LOCK)
	$(PY) -m pip check
	touch $@

## requirements.lock: every Python package of the development environment, pinned with its
## hashes, resolved by uv (pinned in the lint group) from examples/flask/pyproject.toml, the one
## place the ranges are written: the services' dependencies, the granian extra and the groups
## dev, lint and bench; for CPython 3.11 on x86_64 Linux (glibc 2.28+), wheels only (nothing is
## built to resolve; shopcore itself is left out, maturin develop builds it). Run it after changing
## a range; pins that still fit stay as they are. LOCK_ARGS=--upgrade moves every pin to the newest
## release in range, LOCK_ARGS="--upgrade-package NAME" one.
LOCK_COMPILE = $(VENV)/bin/uv pip compile --quiet --no-build --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --generate-hashes --all-extras \
	--group examples/flask/pyproject.toml:dev --group examples/flask/pyproject.toml:lint \
	--group examples/flask/pyproject.toml:bench --no-emit-package shopcore \
	--custom-compile-command "make lock" examples/flask/pyproject.toml
lock: venv-tools
	$(LOCK_COMPILE) $(LOCK_ARGS) --output-file $(LOCK)

## requirements.lock is what examples/flask/pyproject.toml resolves to: a range changed
## without `make lock` fails here (the lock resolved again, its pins kept as preferences).
lock-check: venv-tools
	tmp="$$(mktemp -d)" && trap 'rm -rf "$$tmp"' EXIT && cp $(LOCK) "$$tmp/requirements.lock" && \
	$(LOCK_COMPILE) --output-file "$$tmp/requirements.lock" && \
	{ diff -u $(LOCK) "$$tmp/requirements.lock" || \
	  { echo "$(LOCK) is out of date with examples/flask/pyproject.toml: run make lock"; exit 1; }; }

## pip-audit over the pinned set of requirements.lock (not whatever the venv holds), each pin
## looked up in PyPI's advisories: a known vulnerability fails, and so does a pin it could not
## look up (--strict), so it never passes having checked nothing. Not yet in `make test`: the
## registry reached from this project's machines and CI serves PyPI's per-project JSON but not
## the per-release JSON pip-audit reads, so there every pin "could not be audited".
audit-python: venv-tools
	$(VENV)/bin/pip-audit --strict --progress-spinner off --disable-pip --require-hashes -r $(LOCK)

## The book (docs/, mdBook; installed on first use, pinned, without its server): every relative
## link and anchor of the book and the READMEs resolves (scripts/check_doc_links.py, after its
## self-test shows a broken link and a broken anchor are found), then the book is built into
## docs/book. Its Rust examples are doctests of shopcore-docs (test-rust), its Python examples
## run in test_readme.py, its generated tables are checked by book_tables.rs and test_docs_tables.py.
MDBOOK_VERSION := 0.5.4
mdbook-installed:
	mdbook --version 2>/dev/null | grep -qx 'mdbook v$(MDBOOK_VERSION)' || \
		$(CARGO) install --locked --no-default-features --features search mdbook@$(MDBOOK_VERSION)
docs: mdbook-installed
	python3 scripts/check_doc_links.py --self-test
	python3 scripts/check_doc_links.py
	mdbook build docs

## cargo-deny (installed on first use, pinned) against deny.toml: no banned crate (OpenSSL:
## TLS is rustls), only the licenses listed, crates.io as the only source. Advisories are
## `make audit`'s: their database is a git repository on a host these machines cannot reach.
CARGO_DENY_VERSION := 0.20.2
cargo-deny-installed:
	cargo deny --version 2>/dev/null | grep -qx 'cargo-deny $(CARGO_DENY_VERSION)' || \
		$(CARGO) install --locked cargo-deny@$(CARGO_DENY_VERSION)
deny: cargo-deny-installed
	cargo deny --locked check bans licenses sources

## Advisories, where their databases can be fetched: cargo deny's (RustSec, from GitHub)
## and pip-audit's over the Python pins (PyPI's per-release JSON). Not part of `make test`.
audit: cargo-deny-installed audit-python
	cargo deny --locked check advisories

## Release artifacts in dist/: the sdist and the wheel of shopcore (maturin,
## release build; auditwheel repairs it to a manylinux tag) and of the services
## (shopcore-services, hatchling). test_dist.py installs them into fresh venvs.
dist: venv-tools
	rm -rf $(DIST) && mkdir -p $(DIST)/raw
	$(VENV)/bin/maturin sdist --manifest-path bindings/python/Cargo.toml --out $(DIST)
	$(VENV)/bin/maturin build --locked --release --compatibility linux --manifest-path bindings/python/Cargo.toml \
		--interpreter $(PY) --out $(DIST)/raw
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/auditwheel repair --wheel-dir $(DIST) $(DIST)/raw/shopcore-*.whl
	rm -rf $(DIST)/raw
	$(PY) -m build --sdist --wheel --outdir $(DIST) examples/flask
	ls -l $(DIST)

## ruff (lint, and the layout: ruff format --check, as cargo fmt --check for the Rust) and
## mypy --strict on every Python file (the bindings' package, the services, their tests, the
## benchmarks, the scripts); mypy stubtest of the hand-written _core.pyi against the built module
## (the allowlist names only what a stub cannot express: type aliases).
lint-python: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m mypy bindings/python examples/flask bench scripts
	$(PY) -m mypy.stubtest shopcore._core --allowlist bindings/python/stubtest-allowlist.txt

## pytest: bindings, every route on the in-memory engine and on MySQL, OpenAPI, end to end,
## and the release artifacts of `make dist` installed into fresh virtualenvs (test_dist.py).
test-python: venv dist
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" $(PY) -m pytest

## The five services on ports 5001–5005 in one process, the shop kept in the SQLite
## file .run/shop.db (created and seeded on the first start, reused afterwards), or
## DATABASE_URL's database (sqlite:PATH, mysql://…, memory: for the in-memory engine).
## Access is enforced (SHOPCORE_AUTH=legacy for the original open contract); prints an
## admin key when it makes one (the first start), unless SHOPCORE_ADMIN_KEY is set.
## A dispatcher in the same process delivers the outbox; unless SHOPCORE_SMTP_URL
## is set, emails go to a local SMTP sink on port 8025 that appends them to .run/mail.mbox.
run: venv
	@mkdir -p .run
	@if [ -z "$$SHOPCORE_SMTP_URL" ]; then \
		$(PY) scripts/mail_sink.py --port 8025 --mbox .run/mail.mbox & sink=$$!; \
		trap 'kill $$sink 2>/dev/null' EXIT INT TERM; \
		SHOPCORE_SMTP_URL=smtp://127.0.0.1:8025 $(VENV)/bin/shopcore-services serve --dispatch $(RUN_ARGS); \
	else \
		$(VENV)/bin/shopcore-services serve --dispatch $(RUN_ARGS); \
	fi

## A local three-node Galera cluster (scripts/galera.sh start): the adapter's
## conformance suite on a joining node (the long form: all the adapter's tests); races
## across the three nodes, one Engine per node, and a node SIGKILLed mid-load and
## restarted (test_galera.py); the mixed soak workload on one service process per node,
## audited on every node (soak.py --galera).
## The cluster is removed afterwards, pass or fail. `make test` runs the short form.
test-galera-short: GALERA_KEY_ROUNDS = 50
test-galera-short: GALERA_SOAK = --short
test-galera-short: GALERA_RUST_TESTS = --workspace --test conformance --test settlement_races --test returns_races
test-galera: GALERA_KEY_ROUNDS = 500
test-galera: GALERA_SOAK =
test-galera: GALERA_RUST_TESTS = -p shopcore-mysql
test-galera test-galera-short: bench-deps
	scripts/galera.sh start
	status=0; urls="$$(scripts/galera.sh urls | tr '\n' ' ')"; \
	SHOPCORE_TEST_MYSQL_URL=mysql://root@127.0.0.1:3312 SHOPCORE_GALERA_URLS="$$urls" \
		$(CARGO) test --locked $(GALERA_RUST_TESTS) \
		|| status=$$?; \
	SHOPCORE_GALERA_URLS="$$urls" SHOPCORE_GALERA_KEY_ROUNDS=$(GALERA_KEY_ROUNDS) \
		$(PY) -m pytest -q -s -p no:cacheprovider examples/flask/tests/test_galera.py || status=$$?; \
	SHOPCORE_GALERA_URLS="$$urls" $(PY) bench/soak.py --galera $(GALERA_SOAK) || status=$$?; \
	scripts/galera.sh stop; exit $$status

## Quote and place an order on the seed data.
example:
	$(CARGO) run --locked -p shopcore-memory --example checkout

## Criterion benchmarks of the core and the in-memory checkout, then a summary table.
bench-core:
	$(CARGO) bench --locked -p shopcore --bench quote
	$(CARGO) bench --locked -p shopcore-memory --bench checkout
	python3 scripts/criterion_table.py quote memory_checkout

## Checkouts per second through the MySQL adapter vs hand-written SQL of its previous
## shape, at 1/4/16/64 clients: over 100 products, then over 5 hot products and 3 customers.
bench-mysql:
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" $(CARGO) bench --locked -p shopcore-mysql --bench throughput && \
	SHOPCORE_TEST_MYSQL_URL="$$url" SHOPCORE_BENCH_PRODUCTS=5 SHOPCORE_BENCH_CUSTOMERS=3 \
		$(CARGO) bench --locked -p shopcore-mysql --bench throughput

## Checkouts per second through the in-memory, SQLite and MySQL stores side by side, at
## 1/4/16 clients through one store and over 4 processes on one SQLite file (one MySQL
## database); SQLite also with synchronous=NORMAL, its busy reruns and where its time goes
## (adapters/sqlite/benches/stores.rs): over 100 products, then over 5 hot products and 3 customers.
bench-stores:
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" $(CARGO) bench --locked -p shopcore-sqlite --bench stores && \
	SHOPCORE_TEST_MYSQL_URL="$$url" SHOPCORE_BENCH_PRODUCTS=5 SHOPCORE_BENCH_CUSTOMERS=3 \
		$(CARGO) bench --locked -p shopcore-sqlite --bench stores

## Checkouts per second with no dispatcher, one whose endpoints never answer, and one
## delivering to a local sink, side by side (bench/dispatch_overhead.py).
bench-dispatch: venv
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" $(PY) bench/dispatch_overhead.py

## gunicorn, granian, the baseline's requests, matplotlib for the plot: all in requirements.lock
## (the bench group), so make venv has installed them.
bench-deps: venv

## The order flow over HTTP under wrk (installed if missing): the original architecture vs
## shopcore (MySQL, in-memory) vs the raw-SQL ceiling and the adapter without HTTP, a plot,
## gunicorn vs granian, and quote cost through the bindings (bench/run_bench.py).
bench-http: bench-deps
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" $(PY) bench/run_bench.py

## Memory of the service process over 200 logins from 64 clients at once (Argon2 bounded).
bench-login: venv
	$(PY) bench/login_memory.py

## Quote and order p50/p99 through one engine while 64 clients register (each request from a
## loopback address of its own), vs an equally large GET /health flood and vs idle; in-memory
## and MySQL (bench/register_flood.py). Goal (issue 30): register-flood p99 within 3x of health-flood p99.
bench-register-flood: venv
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" $(PY) bench/register_flood.py --store both

bench: bench-core bench-mysql bench-stores bench-http bench-login bench-register-flood bench-dispatch

## Reliability, bounded: the services on MySQL under a mixed load from 16 clients,
## again with a SIGKILL and restart mid-run, and the last-units race through a
## packet-delay proxy, each audited from the database (bench/soak.py); then
## schemathesis at >= 1000 requests per service, then the fuzz target.
soak: bench-deps
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" $(PY) bench/soak.py
	$(MAKE) soak-openapi fuzz

## The short form `make test` runs: the same phases, fewer requests.
soak-short: bench-deps
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" $(PY) bench/soak.py --short

## schemathesis against all five services on MySQL, >= 1000 requests each, zero 5xx.
soak-openapi: venv
	url="$$(scripts/ensure-mysql.sh)" && \
	SHOPCORE_TEST_MYSQL_URL="$$url" SHOPCORE_OPENAPI_EXAMPLES=1000 SHOPCORE_OPENAPI_MIN_REQUESTS=1000 \
	$(PY) -m pytest -q -p no:cacheprovider examples/flask/tests/test_openapi.py

## cargo-fuzz (nightly toolchain, libFuzzer) on request parsing and quoting,
## FUZZ_SECONDS long (default 60); installs cargo-fuzz on first use.
FUZZ_SECONDS ?= 60
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install --locked cargo-fuzz
	mkdir -p fuzz/corpus/checkout_request
	cd fuzz && $(CARGO) +nightly fuzz run checkout_request corpus/checkout_request seeds/checkout_request \
		-- -max_total_time=$(FUZZ_SECONDS)
