# Shipyard: `make demo` rehearses a release in the sandbox, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench sandbox-down clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/inv sandbox.up
	$(BIN)/inv release --env=sandbox --allow-dirty
	$(BIN)/inv sandbox.status

test: $(STAMP)
	$(BIN)/ruff check src tests bench tasks.py
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/cli_startup.py

sandbox-down: $(STAMP)
	$(BIN)/inv sandbox.down

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
