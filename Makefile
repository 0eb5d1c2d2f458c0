# Two commands for a newcomer: `make serve` and `make test`. Both build .venv from scratch.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test lint validate docs bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Extras by role (pyproject.toml): `service` for the HTTP service, `dev` for the test suite.
$(VENV)/.installed: $(BIN)/activate pyproject.toml setup.py
	$(BIN)/pip install --quiet -e '.[service]'
	touch $@

$(VENV)/.installed-test: $(BIN)/activate pyproject.toml setup.py
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

serve: $(VENV)/.installed
	$(BIN)/pricing serve --rules rules --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check pricing tests bench tools
	$(BIN)/pricing validate rules
	$(BIN)/python -m pytest

validate: $(VENV)/.installed
	$(BIN)/pricing validate rules

# docs/markets.md is generated from the rule files; the test suite fails while it is stale.
docs: $(VENV)/.installed
	$(BIN)/pricing markets doc --output docs/markets.md

bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_quote.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
