# Two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install lint layers typecheck pytest demo messages clean load

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	@echo "make run: development defaults (DEBUG=1, a built-in SECRET_KEY, plain HTTP); production settings: docs/security.md"
	DEBUG=$${DEBUG:-1} $(BIN)/kokyaku migrate --no-input -v 0
	DEBUG=$${DEBUG:-1} $(BIN)/kokyaku demo --if-empty --url http://$(HOST):$(PORT)/
	DEBUG=$${DEBUG:-1} $(BIN)/kokyaku serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check kokyaku tests benchmarks scripts
	$(BIN)/ruff format --check kokyaku tests benchmarks scripts

layers: install
	$(BIN)/lint-imports

typecheck: install
	DEBUG=1 $(BIN)/mypy kokyaku tests benchmarks scripts

pytest: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

test: lint layers typecheck pytest

# Locust against `kokyaku serve` on 127.0.0.1, bounded in time; needs DATABASE_URL=postgres://... with a
# 100,000-account demo (benchmarks/load.py says how). Not part of `make test`.
LOAD_USERS   ?= 50
LOAD_SECONDS ?= 60
load: install
	$(BIN)/python -c "import locust" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,load]'
	$(BIN)/python -m benchmarks.load --users $(LOAD_USERS) --seconds $(LOAD_SECONDS)

messages: install
	cd kokyaku && DEBUG=1 ../$(BIN)/django-admin makemessages -l ja --no-obsolete --settings=kokyaku.settings --pythonpath=.. \
		&& DEBUG=1 ../$(BIN)/django-admin compilemessages --settings=kokyaku.settings --pythonpath=..

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
