# Development tasks. `make test` is the one command that installs everything and runs every test;
# .ci/run calls it.
PY ?= .venv/bin/python

.PHONY: test unit lint bench

.venv/.installed: pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

test: .venv/.installed  ## every test: unit, end-to-end (wheels) and template smoke tests
	$(PY) -m pytest

unit: .venv/.installed  ## the fast tests only
	$(PY) -m pytest -m "not smoke and not e2e"

lint: .venv/.installed
	$(PY) -m ruff check src tests benchmarks hatch_build.py
	$(PY) -m ruff format --check src tests benchmarks hatch_build.py
	$(PY) -m mypy

bench: .venv/.installed  ## print the speed figures (see benchmarks/)
	$(PY) benchmarks/bench_cli.py
