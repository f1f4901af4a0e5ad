# The two commands a new user needs: `make run` and `make test` (see README.md).
# Everything they need is installed here: a virtualenv with the pinned packages, and, for the
# tests, Debian's chromium (browser tests), PostgreSQL 15 server (scale-out backend), nginx (slow
# clients) and rootful podman with mmdebstrap (the container image and compose tests), and gcc,
# which compiles the matcher's C loop (index/_scan.c; without it pip installs the Python loop).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed
APT_PACKAGES := gcc libc6-dev chromium fonts-nanum postgresql-15 wrk nginx-light podman runc mmdebstrap golang-github-containernetworking-plugin-dnsname
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast test-slow lint bench index install system-deps clean

$(STAMP): pyproject.toml index/_scan.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

install: $(STAMP)

## Build the index of the sample corpus (or bring it up to date with corpus/ and glossary.yaml),
## then serve it with gunicorn.
run: $(STAMP)
	$(BIN)/glossary build --quiet --glossary glossary.yaml --corpus corpus --index var/index
	@echo "Glossary service: open http://$(HOST):$(PORT)/ (API: http://$(HOST):$(PORT)/api/docs)"
	GLOSSARY_SERVICE_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c service/gunicorn_conf.py 'service:create_app()'

index: $(STAMP)
	$(BIN)/glossary build --glossary glossary.yaml --corpus corpus --index var/index

## What the test suite needs from Debian: installed once, only when missing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## The whole test suite (browser and PostgreSQL tests included), with short reliability checks.
test: system-deps $(STAMP)
	@# Installed before system-deps brought gcc (make run first): compile the matcher's loop now.
	@$(BIN)/python -c 'import index._scan' 2>/dev/null || $(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -m pytest

## The edit-run loop: no browser, no PostgreSQL, nothing slow (about 40 s).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not postgres and not slow" -q

## What CI checks before the tests (and .pre-commit-config.yaml before a commit).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## The long reliability checks: 60 s soak and repeated kill -9 of the builder.
test-slow: system-deps $(STAMP)
	RELIABILITY_FULL=1 $(BIN)/python -m pytest tests/test_reliability.py tests/test_write_safety.py tests/test_slow_clients.py -m slow

bench: system-deps $(STAMP)
	$(BIN)/python bench/postings.py --sizes 10000,100000,1000000
	$(BIN)/python bench/rematch.py --size 1000000 --backend postgresql
	$(BIN)/python bench/rematch.py --size 1000000 --backend whoosh
	$(BIN)/python bench/core.py
	$(BIN)/python bench/matcher.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/slow_clients.py
	$(BIN)/python bench/annotate_limits.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/aliases.py

clean:
	rm -rf var test-artifacts bench/out .pytest_cache
