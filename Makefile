# Two commands take a fresh machine (Python 3.11, make, a C compiler) to results:
#   make demo   creates .venv, installs glassbox, runs `glassbox demo`
#   make test   same .venv plus the test extras, runs the linter (make lint), then the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/glassbox demo

test: lint
	$(BIN)/python -m pytest -q

# ruff lint rules and formatting: the tree is kept formatted (ruff format .)
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
