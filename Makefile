# Thin targets over cargo; .ci/run calls `make test`, the README's test command.
CARGO ?= cargo

.PHONY: help build test lint fmt bless docs bench example

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## release build
	$(CARGO) build --release

test: ## format check, clippy (warnings are errors), every test
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test

lint: ## clippy only
	$(CARGO) clippy --all-targets -- -D warnings

fmt: ## format the code
	$(CARGO) fmt

bless: ## rewrite golden files after a reviewed change
	BLESS=1 $(CARGO) test

example: ## run plangate on a shipped example plan
	$(CARGO) run --release -- check testdata/plans/peering-one-side-missing.json
