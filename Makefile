# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# The simulated multi-cloud fleet (collectors/simulator/scenarios/demo.yaml) is started in-process,
# one source per cloud account / GPU cloud is configured, crawled through the real clients, and served.
demo: setup
	$(PY) manage.py demo $(HOST):$(PORT)

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/bench_scan.py
	$(PY) benchmarks/bench_ingest.py
	$(PY) benchmarks/bench_crawl.py
	$(PY) benchmarks/bench_pages.py

clean:
	rm -rf var .pytest_cache
