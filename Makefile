# Everything set up from nothing: a .venv with the pinned Python packages, Anvil from npm, then the job.
# `make demo` and `make test` are the two commands of the README; the rest are for developers.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export PYTHONPATH := $(CURDIR)
# pydantic-settings warns about an ape config field on every start; it is noise, not ours.
export PYTHONWARNINGS ?= ignore:::pydantic_settings.sources.utils
# ape keeps its data folder inside the project so a fresh machine needs nothing in $HOME.
export APE_DATA_FOLDER ?= $(CURDIR)/.ape-data

APE := $(VENV)/bin/ape
# uv installs the pinned packages (requirements.lock) in ~8 s where pip takes ~40 s. It compiles them to
# bytecode at install (~10 s): uv does not by default, and where PYTHONDONTWRITEBYTECODE is set (this
# machine and CI) every Python process would otherwise compile ape and its dependencies from source on
# every start (~2 s an `ape` process; `make test` starts dozens).
UV_VERSION := 0.13.9
PYTEST_ARGS ?=

.PHONY: setup compile chromium chromium-background demo operate chaos operator-bench test test-long serve api-bench index-bench test-fast gas merkle-bench mutate soak ide-stress abi chart ide-sim lint roles clean help

help:
	@echo "make demo   set up, compile, start a local Anvil, deploy everything and run the economy"
	@echo "           (DEMO_SERVE=1 then leaves the dashboard serving on http://127.0.0.1:8700/)"
	@echo "make test   set up, compile, run the whole test suite on a local Anvil"
	@echo "make test-long  the state machines with 4x their examples (~25 min)"
	@echo "make gas    write benchmarks/gas.md (gas per operation beside the anchors)"
	@echo "make merkle-bench  time the rewards Merkle tree + all proofs for 1,000,000 devices"
	@echo "make mutate mutation testing of every contract (hours): writes benchmarks/mutation.md"
	@echo "make soak   the whole-economy state machine for 100,000 steps (SOAK_STEPS=, SOAK_SEED=; ~20 min)"
	@echo "make ide-stress  the three published IDE stress scenarios replayed on Anvil, chain == model (~2 min)"
	@echo "make chaos  the operator as its own process, kill -9 24 times over 30 simulated days (~7 min)"
	@echo "make operate  the operator service on a local Anvil: N simulated days with a fleet simulator (OPERATE_ARGS=)"
	@echo "make serve  the HTTP API (proofs, stakes, bookings, supply, IDE epochs) for a deployment (SERVE_ARGS=)"
	@echo "make api-bench  10,000 proof requests against a 1,000,000-leaf root: writes benchmarks/api.md"
	@echo "make index-bench  indexer speed on 100,000 events and a deep reorg: writes benchmarks/indexer.md"
	@echo "make abi    regenerate the committed ABIs in abi/"
	@echo "make chart  write docs/supply.png (circulating supply by category over 20 years)"
	@echo "make ide-sim  simulate the Incentive Dynamic Engine over 365 daily epochs under the published"
	@echo "            stress tests: writes docs/ide-simulation.md and docs/ide/*.png"
	@echo "make lint   ruff over the Python code"
	@echo "make roles  who holds every role of the local deployment, read from the chain (ROLES_ARGS=\"--strict\")"

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(VENV)/bin/python -r requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	anvil --version | head -1
	touch $@

setup: $(VENV)/.installed node_modules/.installed

# ape 0.8.51 can record stale bytecode as fresh (docs/toolchain.md): always compile explicitly, forced.
compile: setup
	$(APE) compile --force

demo: compile
	$(APE) run demo --verbosity WARNING

# The dashboard's browser test (tests/integration/test_dashboard_browser.py) drives Debian's chromium
# through Playwright (its own browser download is unreachable): installed when missing (~1 min, as root).
CHROMIUM_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
chromium:
	@command -v chromium >/dev/null || ($(CHROMIUM_INSTALL))

# `make test` starts that install in the background before anything else, so that it overlaps the
# set-up and the tests; the browser test waits for .build/chromium-install.rc (and shows the log).
chromium-background:
	@mkdir -p .build && rm -f .build/chromium-install.rc
	@command -v chromium >/dev/null || { echo "installing chromium in the background (.build/chromium-install.log)"; \
	  ( ($(CHROMIUM_INSTALL)) > .build/chromium-install.log 2>&1; echo $$? > .build/chromium-install.rc ) & }

# Three `ape test` processes side by side, each on its own Anvil, files split by tests/durations.json
# (tests/parallel.py; TEST_JOBS=1 runs one). PYTEST_ARGS go to each.
TEST_JOBS ?= 3
test: chromium-background compile lint
	TEST_JOBS=$(TEST_JOBS) $(VENV)/bin/python -m tests.parallel -- $(PYTEST_ARGS)

# The state machines with 4x their examples (IONET_TEST_SCALE, tests/machines.py): ~25 min.
test-long: compile lint
	IONET_TEST_SCALE=4 $(APE) test tests/fuzz $(PYTEST_ARGS)

gas: compile
	$(APE) run gas

# Not part of `make test`: ~1 min and ~1.5 GB of temporary JSON (tests/unit/test_rewards_engine.py
# checks a 10,000-leaf tree).
merkle-bench: setup
	$(VENV)/bin/python -m benchmarks.bench_merkle_scale

# The operator service on a local Anvil (issue 19, first slice; ionet/service): deploys the suite with
# governance, runs the fleet simulator and the operator for OPERATE_ARGS="--days 30 --devices 8", and
# ends with a report (every booking-hour recorded once, every epoch stated, settled and rooted).
OPERATE_ARGS ?=
operate: compile
	$(APE) run operate --verbosity WARNING $(OPERATE_ARGS)

# Not part of `make test`: ~20 min and ~4 GB of temporary SQLite. One daily epoch of the operator for
# 1,000,000 devices (benchmarks/operator.md), then one hourly cycle on Anvil at 10,000 open bookings
# (benchmarks/operator_hour.md; ~6 min of it is setting up the devices and bookings).
operator-bench: compile
	$(VENV)/bin/python -m benchmarks.bench_operator_epoch
	$(APE) run operator_bench --verbosity WARNING

# Not part of `make test` (which kills it 3 times in a day): ~7 min. The operator as its own process
# (ionet/service/daemon.py), killed with SIGKILL at 24 random moments over 30 simulated days.
chaos: compile
	$(APE) run operate --verbosity WARNING --days 30 --devices 6 --kills 24 --no-governance $(CHAOS_ARGS)

# The HTTP API (ionet/serve, docs/api.md) for a deployment: SERVE_ARGS="--network ... --manifest ..."
# (default: the local network's manifest, on 127.0.0.1:8700); the dashboard page at / (docs/api.md).
SERVE_ARGS ?=
serve: compile
	$(APE) run serve $(SERVE_ARGS)

# Not part of `make test`: ~2 min. Proof requests against a 1,000,000-leaf root (benchmarks/api.md).
api-bench: setup
	$(VENV)/bin/python -m benchmarks.bench_api

# Not part of `make test`: ~1 min. Indexer speed on a local chain of 100,000 events (benchmarks/indexer.md).
index-bench: compile
	$(VENV)/bin/python -m benchmarks.bench_indexer

# Not part of `make test`: hours. MUTATE_ARGS="--contract NodeStaking --jobs 2" narrows or widens it.
MUTATE_ARGS ?=
mutate: compile
	$(VENV)/bin/python -m tools.mutate $(MUTATE_ARGS)

# Not part of `make test` (which runs the same machine for ~4,000 steps): ~20 min. A failure prints
# the shortest sequence hypothesis finds; rerun it with the same SOAK_SEED.
SOAK_STEPS ?= 100000
SOAK_SEED ?= 1
soak: compile
	IONET_SOAK_STEPS=$(SOAK_STEPS) IONET_SOAK_SEED=$(SOAK_SEED) $(APE) test tests/fuzz/test_economy_state_machine.py -s

# Not all of `make test` (which replays the combined shock only): the three published stress
# scenarios of `make ide-sim` on Anvil, 30 epochs each, chain == model to the wei (~2 min).
ide-stress: compile
	IONET_IDE_STRESS=all $(APE) test tests/integration/test_ide_stress_on_chain.py

abi: compile
	$(VENV)/bin/python -m ionet.abi publish

chart: setup
	$(VENV)/bin/python -m ionet.studies.chart docs/supply.png

# Plain Python, a few seconds: the engine's reference model (ionet/models/ide.py) over a year, five scenarios.
ide-sim: setup
	$(VENV)/bin/python -m ionet.studies.ide_sim

lint: setup
	$(VENV)/bin/ruff check ionet scripts tests benchmarks tools

ROLES_ARGS ?=
roles: compile
	$(APE) run roles --deploy-if-missing $(ROLES_ARGS)

clean:
	rm -rf .build .ape-data
