# Tapedeck: `make run` starts everything, `make test` runs the whole suite.
# Both install what is missing (uv, the virtualenv, generated gRPC code) themselves.

PYTHON ?= python3
UV_VERSION := 0.13.9
# Use the machine's Python; never download one.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
PROTOS := $(shell find protos/tapedeck -name '*.proto')
MEMBERS := pyproject.toml uv.lock $(wildcard */pyproject.toml services/*/pyproject.toml)
PYTEST_ARGS ?=

.PHONY: run test lint typecheck gen sync compile clean web web-test bench-auth bench-library bench-startup bench-exports bench-web

run: compile web
	TAPEDECK_WEB_DIR="$${TAPEDECK_WEB_DIR:-$(CURDIR)/web/dist}" $(PY) -m launcher

test: compile lint typecheck web web-test
	$(PY) -m pytest $(PYTEST_ARGS)

# The web app (web/), built when Node.js is here: `npm ci` from the committed lock file, then
# Vite. Without Node.js the API runs all the same and `/` says how to build the app.
WEB_SOURCES := $(shell find web/src web/public web/index.html web/vite.config.ts web/tsconfig.json -type f 2>/dev/null)

web:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web/dist/index.html; \
	else echo "Node.js is not installed: the web app is not built (the API runs without it)"; fi

# npm ci writes node_modules/.package-lock.json: a stamp of what is installed.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build
	@touch $@

# The app's component tests (Vitest); the browser tests are in tests/web, run by pytest.
web-test: web
	@if command -v npm >/dev/null 2>&1; then cd web && npm test; fi

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# Each is the package `tests` to mypy, so each gets a run of its own (see [tool.mypy]).
MYPY_TEST_DIRS := kit/tests collection/tests emulator/tests gateway/tests services/auth/tests \
	services/library/tests services/playlist/tests services/track/tests services/album/tests \
	services/artist/tests services/download/tests cli/tests

typecheck: gen
	$(VENV)/bin/mypy
	@set -e; for dir in $(MYPY_TEST_DIRS); do echo "mypy $$dir"; $(VENV)/bin/mypy $$dir; done

gen: protos/gen/.stamp

sync: $(VENV)/.synced

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) $(MEMBERS)
	@mkdir -p protos/gen
	$(UV) sync --all-packages --locked
	@touch $@

# Byte-code compiled ahead: the installed packages once per sync, the workspace's changed
# files at each run. Otherwise every process `make run` starts compiles what it imports
# (about 2.5 s of CPU each) whenever Python may not write byte-code (PYTHONDONTWRITEBYTECODE,
# a read-only tree) and on every first start.
WORKSPACE := kit collection gateway emulator launcher cli services teststack protos/gen

compile: gen $(VENV)/.compiled
	@$(PY) -m compileall -q -x '/tests/' $(WORKSPACE)

$(VENV)/.compiled: $(VENV)/.synced
	$(PY) -m compileall -q -j 0 $(VENV)/lib
	@touch $@

# Stubs are built from protos/ every time a .proto changes; they are never committed.
protos/gen/.stamp: $(PROTOS) $(VENV)/.synced
	rm -rf protos/gen/tapedeck
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=protos/gen --pyi_out=protos/gen \
		--grpc_python_out=protos/gen $(PROTOS)
	@touch $@

bench-auth: gen
	$(PY) bench/auth_overhead.py

bench-library: gen
	$(PY) bench/library_save.py

bench-startup: compile
	$(PY) bench/startup.py

bench-exports: compile
	$(PY) bench/exports.py

.PHONY: bench-downloads
bench-downloads: compile
	$(PY) bench/downloads.py

.PHONY: bench-retention
bench-retention: compile
	$(PY) bench/retention.py

.PHONY: bench-restore
bench-restore: compile
	$(PY) bench/restore.py

.PHONY: bench-history
bench-history: compile
	$(PY) bench/history.py

.PHONY: bench-limit
bench-limit: compile
	$(PY) bench/fair_limit.py

bench-web: compile web
	$(PY) bench/web_render.py

clean:
	find $(wildcard $(WORKSPACE)) -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf $(VENV) .tools protos/gen .pytest_cache .mypy_cache .ruff_cache .hypothesis web/dist web/node_modules
