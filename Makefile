# The two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# axe-core and Lighthouse, for the accessibility tests and the app benchmark;
# `npm ci` empties node_modules first, so a changed lock file means a fresh copy.
NODE_STAMP := node_modules/.installed-$(shell cksum < package-lock.json | cut -d' ' -f1)

export CASEHUB_DATA_DIR ?= $(CURDIR)/data

.PHONY: run test test-services test-sqlite test-postgres bench lint migrations clean

run: $(STAMP)
	$(BIN)/casehub serve --demo-if-empty

test: test-services test-sqlite test-postgres

test-services:
	scripts/test-services

test-sqlite: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The browser tests drive the app, whose server they start on SQLite; the
# rest of the suite runs again on PostgreSQL.
test-postgres: $(STAMP)
	CASEHUB_TEST_DATABASE=postgres $(BIN)/python -m pytest -q -p no:cacheprovider \
		-m "not browser"

bench: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check server sync tests bench
	$(BIN)/mypy

# After changing a model: write the migration that brings databases along.
migrations: $(STAMP)
	$(BIN)/tortoise -c server.db.MIGRATIONS_CONFIG makemigrations

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	rm -f $(VENV)/.installed-*
	touch $@

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) data
