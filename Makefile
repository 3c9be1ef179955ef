# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SOURCE ?= example-gitops

.PHONY: setup demo demo-data test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# Load the inventory from the example manifests shipped in the repo (a GitOps dump is a source like any other).
demo-data: setup
	$(PY) manage.py migrate --noinput
	mkdir -p var
	$(PY) manage.py scan examples/manifests --source $(DEMO_SOURCE) --format json > var/demo-specs.json
	$(PY) manage.py ingest var/demo-specs.json --source $(DEMO_SOURCE)
	$(PY) manage.py demo_user

demo: demo-data
	@echo "Model Footprint on http://$(HOST):$(PORT)/  (log in as demo / demo)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/bench_scan.py
	$(PY) benchmarks/bench_ingest.py

clean:
	rm -rf var .pytest_cache
