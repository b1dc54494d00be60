# Murmur: `make run` starts everything on embedded services; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench loadtest clean

$(STAMP): requirements.txt
	@echo "[murmur] creating $(VENV) and installing requirements (about a minute the first time)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m workers.launcher run

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m workers.launcher test

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check . || true

bench: $(STAMP)
	$(PY) -m workers.launcher bench

clean:
	rm -rf .data/test
