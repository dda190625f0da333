# casework: `make run` to try it (the web server and the job worker), `make test` to check it. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_FAMILIES ?= 200

.PHONY: install run test lint bench clean

install: $(VENV)/.installed static/govuk/.built

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/govuk/.built: node_modules/.installed build-assets.mjs static/src/casework.scss
	node build-assets.mjs
	touch $@

run: install
	$(BIN)/casework db upgrade
	$(BIN)/casework demo --families $(DEMO_FAMILIES) --if-empty
	@# The job worker runs beside the development server and stops with it (Ctrl-C).
	$(BIN)/casework worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/casework run --host $(HOST) --port $(PORT)

test: install
	@echo "tests on $${CASEWORK_TEST_DB:-sqlite}"
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check casework tests bench

clean:
	rm -rf $(VENV) node_modules static/govuk .pytest_cache
