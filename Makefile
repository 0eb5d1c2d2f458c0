# Two commands for a newcomer: `make serve` and `make test`. Both build .venv from scratch.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test lint validate docs bench mutate flips clean

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

$(VENV)/.installed-mutate: $(BIN)/activate pyproject.toml setup.py
	$(BIN)/pip install --quiet -e '.[dev,mutate]'
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

# By hand, not in `make test` or CI (tens of minutes): mutation testing of the stages and the
# money code ([tool.mutmut] in pyproject.toml), and every order comparison flipped in turn.
mutate: $(VENV)/.installed-mutate
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

flips: $(VENV)/.installed-test
	$(BIN)/python bench/flip_comparisons.py --jobs 2

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis mutants
