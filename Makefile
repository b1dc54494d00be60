# Murmur: `make run` starts everything on embedded services; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench loadtest quality clean

$(STAMP): requirements.txt
	@echo "[murmur] creating $(VENV) and installing requirements (about a minute the first time)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m workers.launcher run

# Real-browser tests drive Debian's Chromium (Playwright's own browser download is not reachable here).
BROWSER_STAMP := $(VENV)/.browser
$(BROWSER_STAMP):
	@command -v chromium >/dev/null && fc-list | grep -qi "Noto Sans CJK" || { \
	  echo "[murmur] installing Chromium and CJK fonts for the browser tests (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }
	@touch $(BROWSER_STAMP)

test: $(STAMP) $(BROWSER_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m workers.launcher test

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff format --check . || true

bench: $(STAMP)
	$(PY) -m workers.launcher bench ingest

# AI output quality on the labelled dev sets (real embeddings, real workers, the default vLLM model or
# VLLM_BASE_URL's): one JSON object. QUALITY_ARGS=--fast for the regression subset, --no-llm without the model.
quality: $(STAMP)
	$(PY) -m workers.launcher quality $(QUALITY_ARGS)

loadtest: $(STAMP)
	$(PY) -m workers.launcher bench loadtest 50 30

clean:
	rm -rf .data/test
