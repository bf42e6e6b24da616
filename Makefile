# The two commands of the README. Each sets up everything it needs on a fresh machine:
# a virtualenv in .venv with the project and its dependencies, nothing else.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Test processes side by side (pytest-xdist): one per core, at most 4. Most of the suite's
# time is spent waiting on subprocesses, servers and the browser, so 2 help even on 2 cores.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; [ $$n -lt 2 ] && n=2; echo $$n)

.PHONY: run test lint bench demo system-deps

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Run the service: embedded Redis unless REDIS_URL is set, SQLite unless DATABASE_URL is set.
run: $(BIN)/.installed
	$(BIN)/supportbot run

# Debian packages the tests drive for real (a real Alertmanager; headless Chromium and its
# driver for the dashboard's browser tests); installed when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@command -v prometheus-alertmanager >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq prometheus-alertmanager; }
	@{ command -v chromium && command -v chromedriver; } >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; }

# Lint, then the whole test suite (SQLite; PostgreSQL too when DATABASE_URL is set).
test: $(BIN)/.installed system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/supportbot handlers


	$(BIN)/python -m pytest -n $(TEST_WORKERS)

demo: $(BIN)/.installed
	$(BIN)/supportbot demo

bench: $(BIN)/.installed
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done
