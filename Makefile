# sitwatch tasks. Every target sets itself up: a fresh machine needs only Python >= 3.11.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test test-fast bench bench-camera eval lint typecheck clean install help

help:
	@echo "make demo    the daemon against a virtual cushion, a simulated office day in accelerated time"
	@echo "make test    the whole test suite (installs what it needs), import rules included"
	@echo "make test-fast  the unit tests only: the edit-test loop (well under a minute)"
	@echo "make bench   speed and memory figures (make bench-camera: the webcam's)"
	@echo "make eval    detection quality on the real recordings in ../shared/datasets"
	@echo "make lint    ruff, mypy and the import rules (lint-imports)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,demo,camera,web]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sitwatch demo

test: $(STAMP)
	@sh scripts/test-deps.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-camera: $(STAMP)
	$(BIN)/python benchmarks/camera_bench.py

eval: $(STAMP)
	$(BIN)/sitwatch eval

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff mypy
	$(BIN)/ruff check sitwatch tests benchmarks
	$(BIN)/mypy sitwatch
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
