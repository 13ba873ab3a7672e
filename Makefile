# The two commands of the README, and the set-up they share. Every set-up step
# checks first and installs only what is missing, so a second run is quick.
#
#   make run    build everything and serve the app (:3000) with its user pool (:9229)
#   make test   every test: the dependencies against RustSec's advisories (cargo audit),
#               unit and integration (cargo), the user pool's again on
#               PostgreSQL, the JSON API driven by AWS's boto3, then the browser
#               tests (and aws-jwt-verify)
#
# Also: `make options` (every option and variable of the server and the pool),
# `make release`, `make bench`, `make fuzz`.

SHELL := /bin/bash
CARGO_LEPTOS_VERSION := 0.3.10
# RustSec's advisory database: a snapshot beside the checkout (no network here), read offline;
# --stale because a snapshot ages. Exceptions, each with its reason, are in .cargo/audit.toml.
CARGO_AUDIT_VERSION := 0.22.2
ADVISORY_DB := ../shared/advisory-db
# The CLI must match the wasm-bindgen crate the app is built with.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_GET := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get
# cargo-leptos builds debug binaries with `--cfg erase_components`; the unit tests
# use the same flags, so both share one build of the dependencies.
TEST_RUSTFLAGS := $(strip $(RUSTFLAGS) --cfg erase_components)
# boto3 and pytest, for the JSON API suite.
VENV := target/venv
# wasm-opt for release builds, from npm's binaryen: Debian's (version 108) turns this
# app's bundle into one that fails to hydrate ("WebAssembly.Table.set(): Argument 1 is invalid").
BINARYEN_VERSION := 132.0.0
BINARYEN := target/tools/binaryen

# The lazy islands (`#[island(lazy)]`) load their code from WASM files of their own, which
# cargo-leptos writes only with --split; every build of the bundle needs it.
SPLIT := --split

.PHONY: run test fuzz bench release setup setup-test options

# `make fuzz`: each fuzz target runs this long (seconds).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := verify_token json_api

# Bundles unhashed while developing: with hashed names, a CSS edit pushed by the reload
# socket would point the page at a file that does not exist (release builds hash them).
run: setup
	LEPTOS_HASH_FILES=false cargo leptos watch $(SPLIT)

# Every option and environment variable of the server and of the pool, from the binaries
# built as cargo-leptos builds them: a plain `cargo run -p server -- --help` lacks its
# flags, rebuilds every dependency and leaves a server whose pages link no stylesheet.
options: setup
	cargo leptos build $(SPLIT)
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo build --workspace --exclude frontend --bin userpool
	@target/debug/server --help
	@echo
	@target/debug/userpool serve --help

test: setup-test
	cargo audit --db $(ADVISORY_DB) --no-fetch --stale
# Clippy reads the pool's benchmark too (behind bench-support), so that it cannot rot unseen.
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo clippy --workspace --exclude frontend --all-targets --features userpool/bench-support -- -D warnings
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo test --workspace --exclude frontend
# The same selection of packages each time: `-p userpool` alone would unify features
# differently and rebuild dozens of crates on a fresh machine. The second run is the
# pool's on PostgreSQL (the app and server tests use no database and just run again).
	RUSTFLAGS="$(TEST_RUSTFLAGS)" end2end/with-postgres cargo test --workspace --exclude frontend
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo build --workspace --exclude frontend --bin userpool
# CI shows only the end of a failed run: on failure, repeat the build's first errors and the free space.
# Before the boto3 suite, which starts the app's server too (test_server_shutdown.py).
	set -o pipefail; cargo leptos build $(SPLIT) 2>&1 | tee target/leptos-build.log \
		|| { grep -m 20 -iE '^error|panicked|no space' target/leptos-build.log; df -h target; exit 1; }
	cd end2end/boto3 && ../../$(VENV)/bin/pytest -q
	cd end2end/boto3 && ../with-postgres ../../$(VENV)/bin/pytest -q test_json_api.py test_user_pools.py test_user_operations.py test_srp.py test_user_auth.py test_passkeys.py test_mfa.py test_sign_up_race.py test_replicas.py test_triggers.py test_identity_providers.py
	rm -rf target/e2e-userpool
	cd end2end && USERPOOL_DATA_DIR=$(CURDIR)/target/e2e-userpool npx playwright test

# The release build: the server, and the browser bundle optimised for size
# (wasm-opt from binaryen) and split (the lazy islands' code loads only on their
# pages), precompressed (brotli, gzip) for the server to send as is.
# Debug builds (make run, make test) need no wasm-opt.
release: setup
	@test -x $(BINARYEN)/node_modules/.bin/wasm-opt \
		|| npm install --prefix $(BINARYEN) --no-audit --no-fund --no-save binaryen@$(BINARYEN_VERSION)
	PATH="$(CURDIR)/$(BINARYEN)/node_modules/.bin:$$PATH" cargo leptos build --release $(SPLIT)
	@command -v brotli >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq brotli; }
	for file in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do \
		brotli -f -k -q 11 "$$file" && gzip -f -k -9 "$$file" || exit 1; \
	done

# Benchmarks (release builds): each prints its figures and the ratio against its
# in-run baseline (or its target); the lines go to target/bench-report.md.
bench: release
	@command -v wrk >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq wrk; }
	@test -d benches/node_peer/node_modules || npm ci --prefix benches/node_peer --no-audit --no-fund
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo build --release --example axum_peer
	set -o pipefail; cargo bench -p app --features test-support --bench verify | tee target/bench-verify.txt
	set -o pipefail; cargo bench -p userpool --features bench-support --bench pool | tee target/bench-pool.txt
	set -o pipefail; benches/ssr_load.py | tee target/bench-load.txt
	set -o pipefail; benches/payload_size.py | tee target/bench-payload.txt
	{ echo "| benchmark | figures |"; echo "| --- | --- |"; \
	  grep -h -e '(target' -e '(wrk ' target/bench-*.txt | sed 's/^\([^:]*\): \(.*\)$$/| \1 | \2 |/'; } > target/bench-report.md
	cat target/bench-report.md

# libFuzzer on stable Rust (no sanitizer): the server's token verification and the
# pool's JSON API. Findings land in fuzz/artifacts/; the run fails on the first.
fuzz:
	@cargo fuzz --version 2>/dev/null | grep -qF 0.13.2 || cargo install cargo-fuzz --locked --version 0.13.2
	cargo fuzz build -s none
	for target in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus/$$target && \
		cargo fuzz run -s none $$target fuzz/corpus/$$target fuzz/seeds/$$target -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

setup:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -qF "$(CARGO_LEPTOS_VERSION)" \
		|| cargo install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION)
	@wasm-bindgen --version 2>/dev/null | grep -qF "$(WASM_BINDGEN_VERSION)" \
		|| cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

setup-test: setup
	@cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
	@command -v unshare >/dev/null && command -v mount >/dev/null \
		|| { $(APT_GET) update -qq && $(APT_GET) install -y -qq util-linux mount; }
	@cargo audit --version 2>/dev/null | grep -qF "$(CARGO_AUDIT_VERSION)" \
		|| cargo install cargo-audit --locked --version $(CARGO_AUDIT_VERSION)
	@command -v chromium >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq chromium; }
	@command -v openssl >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq openssl; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(APT_GET) update -qq && $(APT_GET) install -y -qq postgresql; }
	@test $(VENV)/.installed -nt end2end/boto3/requirements.txt || { \
		{ python3 -m venv $(VENV) || { $(APT_GET) update -qq && $(APT_GET) install -y -qq python3-venv && python3 -m venv $(VENV); }; } \
		&& $(VENV)/bin/pip install -q -r end2end/boto3/requirements.txt && touch $(VENV)/.installed; }
	@test end2end/node_modules/.installed -nt end2end/package-lock.json \
		|| (cd end2end && npm ci --no-audit --no-fund && touch node_modules/.installed)
