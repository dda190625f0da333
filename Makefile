# casework: `make run` to try it (the web server and the job worker), `make test` to check it. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_FAMILIES ?= 200
# The later programme the demo's needs are written for and the family pages show:
# Supporting Families, the programme of the families the demo signs up today (a need is
# the programme of its family's episode). `make run OUTCOME_RULESET=phase2` shows 2015-20's.
OUTCOME_RULESET ?= supporting_families

LOCK_TOOLS := $(VENV)/lock-tools

.PHONY: install run test lint lock audit bench clean

install: $(VENV)/.installed static/govuk/.built

# The exact versions of requirements.lock, each checked against its hashes; then casework
# itself. `pip check` fails if pyproject.toml names a package the lock lacks: run `make lock`.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# pip, setuptools and wheel too come from the lock, at its versions, checked by hash
	@# (venv brings an old setuptools); casework is built with them, not with whatever
	@# setuptools a build environment would fetch.
	@# The pip that venv brings (23.x) cannot install the lock (it refuses weasyprint's
	@# fonttools[woff] under --require-hashes): the lock's own pip first, checked by hash.
	awk '/^pip==/{on=1} on{print} on && !/\\$$/{exit}' requirements.lock > $(VENV)/pip.lock
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(VENV)/pip.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; \
	  echo "requirements.lock lacks a dependency of pyproject.toml: run make lock" >&2; exit 1; }
	touch $@

# Re-pin every dependency (after changing pyproject.toml, or to take new releases).
lock:
	test -x $(LOCK_TOOLS)/bin/pip-compile || \
	  { $(PYTHON) -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/pip install --quiet pip-tools; }
	$(LOCK_TOOLS)/bin/pip-compile --quiet --allow-unsafe --extra=test --extra=redis --extra=tools --generate-hashes \
	  --no-emit-index-url --no-emit-find-links --strip-extras \
	  --output-file=requirements.lock pyproject.toml

# Known vulnerabilities in the pinned set, from the PyPA advisory database (needs the network;
# see docs/security.md).
audit: install
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --require-hashes --disable-pip -r requirements.lock

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/govuk/.built: node_modules/.installed build-assets.mjs static/src/casework.scss
	node build-assets.mjs
	touch $@

run: install
	$(BIN)/casework db upgrade
	CASEWORK_OUTCOME_RULESET=$(OUTCOME_RULESET) $(BIN)/casework demo --families $(DEMO_FAMILIES) --if-empty
	@# The job worker runs beside the development server and stops with it (Ctrl-C).
	$(BIN)/casework worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	CASEWORK_OUTCOME_RULESET=$(OUTCOME_RULESET) $(BIN)/casework run --host $(HOST) --port $(PORT)

test: install
	@echo "tests on $${CASEWORK_TEST_DB:-sqlite}"
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check casework tests bench

clean:
	rm -rf $(VENV) node_modules static/govuk .pytest_cache
