# Thin targets over cargo; .ci/run calls `make test`, the README's test command.
CARGO ?= cargo

.PHONY: help build test lint fmt bless docs bench fuzz example

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## release build
	$(CARGO) build --release

test: ## format check, clippy (warnings are errors), every test, then every plangate test case
	@if [ -d ../shared/plans/real ]; then echo "real plans: ../shared/plans/real found, conformance test runs"; \
	 else echo "real plans: ../shared/plans/real ABSENT, conformance test skips"; fi
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test
	$(CARGO) run --quiet -- test testdata/policy-lang/examples
	$(CARGO) run --quiet -- test testdata/policies

lint: ## clippy only
	$(CARGO) clippy --all-targets -- -D warnings

fmt: ## format the code
	$(CARGO) fmt

bless: ## rewrite golden files after a reviewed change
	BLESS=1 $(CARGO) test

example: ## run plangate on a shipped example plan
	$(CARGO) run --release -- check testdata/plans/peering-one-side-missing.json

bench: ## benchmark plangate against the JSON parse floors (see docs/performance.md)
	bash scripts/bench.sh

fuzz: ## fuzz plan loading, policy loading and policy evaluation, 60 s a target (see docs/security.md)
	bash scripts/fuzz.sh
