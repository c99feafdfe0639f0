# The two commands of the README:  `make run` (everything, with demo data) and `make test` (the whole suite).
# Every target installs what it needs; nothing has to be set up by hand first.

SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FRONTEND_DEPS := frontend/node_modules/.package-lock.json

.PHONY: run test test-cluster lint fmt services-up services-down bench frontend chromium wrk clean

run: $(STAMP) frontend
	$(BIN)/feedline run

# The suites that time something (the browser's log-in figure, the quick bench, the soak) run alone first; then
# the other integration suites and the Redis Cluster pass run side by side, each on its own services (test slots
# 0 and 1), which took CI from 27 to 22.7 minutes: both wait on processes and services more than they compute.
test: $(STAMP) chromium wrk frontend-deps lint
	$(BIN)/pytest tests/unit -q
	FEEDLINE_TEST_KEEP_SERVICES=1 $(BIN)/pytest --durations=10 tests/e2e tests/bench \
		|| { $(BIN)/feedline services down --test-slot 0 >/dev/null; exit 1; }
	@mkdir -p .feedline; \
	FEEDLINE_TEST_SLOT=1 $(MAKE) --no-print-directory test-cluster > .feedline/test-cluster.log 2>&1 & cluster=$$!; \
	$(BIN)/pytest --durations=20 --ignore=tests/unit --ignore=tests/e2e --ignore=tests/bench; main=$$?; \
	wait $$cluster; clustered=$$?; \
	echo "--- the Redis Cluster pass (test slot 1), run beside the suites above ---"; cat .feedline/test-cluster.log; \
	test $$main -eq 0 -a $$clustered -eq 0

# The engine and the API suites once more on a local Redis Cluster (3 primaries + 3 replicas, ports of the
# test slot's own): real API and worker processes on a redis+cluster:// URL (feeds, live subscriptions,
# fan-out through the worker, revocation, several processes, outages), then a primary killed and a reshard
# under load (skipped in the single-server pass). The API suites of the protocol and of input validation
# are left out here (nothing in them depends on the Redis topology; all of tests/api passes on the cluster).
CLUSTER_API_SUITES := $(addprefix tests/api/,test_auth.py test_graphql_mutations.py test_graphql_queries.py \
	test_hub.py test_multiprocess.py test_ratelimit.py test_round_trips.py test_security.py \
	test_service_unavailable.py test_subscriptions.py test_tracing.py)
test-cluster: $(STAMP)
	FEEDLINE_TEST_REDIS=cluster $(BIN)/pytest --durations=15 tests/engine $(CLUSTER_API_SUITES) \
		tests/faults/test_cluster_topology.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) wrk
	$(BIN)/feedline bench

services-up: $(STAMP)
	$(BIN)/feedline services up

services-down: $(STAMP)
	$(BIN)/feedline services down

# Python: a virtualenv with the package (editable) and its pinned dependencies (requirements.lock).
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev,seed,bench]'
	touch $(STAMP)

# The web client: dependencies from the lockfile, then the production build the API serves at `/`.
.PHONY: frontend-deps
frontend-deps: $(if $(wildcard frontend/package.json),$(FRONTEND_DEPS),)

$(FRONTEND_DEPS): frontend/package.json frontend/package-lock.json
	cd frontend && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

frontend: frontend-deps
	@if [ -f frontend/package.json ]; then cd frontend && npm run --silent build; fi

# Browser tests drive Debian's Chromium (no browser download).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# wrk: the bench's compiled HTTP load generator for saturation throughput (bench/wrk.py).
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

clean:
	-$(BIN)/feedline services down
	rm -rf $(VENV) frontend/node_modules frontend/dist
