# vsphere.lifecycle: every target sets itself up (creates .venv with pinned dependencies).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv sim demo test lint clean

$(STAMP): requirements-dev.txt requirements.txt simulator/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e simulator
	touch $(STAMP)

venv: $(STAMP)

sim: $(STAMP)
	$(BIN)/vlcmsim --scenario demo

lint: $(STAMP)
	$(BIN)/ruff check plugins simulator tests bench

test: $(STAMP) lint
	$(BIN)/python -m pytest -q tests

clean:
	rm -rf $(VENV) tests/output .pytest_cache
