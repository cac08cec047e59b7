# sitwatch tasks. Every target sets itself up: a fresh machine needs only Python >= 3.11.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test test-fast bench bench-camera eval lint typecheck clean install help \
	fuzz fuzz-ci load soak bench-reports

help:
	@echo "make demo    the daemon against a virtual cushion, a simulated office day in accelerated time"
	@echo "make test    the whole test suite (installs what it needs), import rules included"
	@echo "make test-fast  the unit tests only: the edit-test loop (well under a minute)"
	@echo "make bench   speed and memory figures (make bench-camera: the webcam's; make"
	@echo "             bench-reports: report times on a year of history, MB per week)"
	@echo "make eval    detection quality on the real recordings in ../shared/datasets"
	@echo "make lint    ruff, mypy and the import rules (lint-imports)"
	@echo "make fuzz    the wire parser under atheris for FUZZ_SECONDS (600); make fuzz-ci: the"
	@echo "             hypothesis parser properties with FUZZ_EXAMPLES (5000) examples each"
	@echo "make load    the daemon at 100 frames/s over a real pty: backlog, CPU, RSS"
	@echo "make soak    the daemon over SOAK_DAYS (28) simulated days: RSS, fds, database and"
	@echo "             backup size per simulated week"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,demo,camera,web]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sitwatch demo

# ESPHome (~250 MB, its own venv so its pins never meet ours) validates firmware/esphome in the
# tests; if it cannot be installed, that one test skips and says why.
ESPHOME := $(VENV)/esphome/bin/esphome
$(ESPHOME):
	@$(PY) -m venv $(VENV)/esphome && $(VENV)/esphome/bin/python -m pip install --quiet \
		'esphome>=2024.6' || echo "warning: could not install ESPHome; its firmware test will skip"

test: $(STAMP) $(ESPHOME)
	@sh scripts/test-deps.sh
	SITWATCH_ESPHOME=$(abspath $(ESPHOME)) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-reports: $(STAMP)
	$(BIN)/python benchmarks/report_bench.py

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

FUZZ_SECONDS ?= 600
FUZZ_EXAMPLES ?= 5000
SOAK_DAYS ?= 28

# Not part of `make test`: these run as long as you let them.
fuzz: $(STAMP)
	@$(BIN)/python -c "import atheris" 2>/dev/null || $(BIN)/python -m pip install --quiet atheris
	@mkdir -p build/fuzz-corpus/wire
	$(BIN)/python fuzz/wire_atheris.py -max_total_time=$(FUZZ_SECONDS) build/fuzz-corpus/wire \
		fuzz/seeds/wire

fuzz-ci: $(STAMP)
	SITWATCH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/fuzz

# libfaketime runs the daemon's clock ten times faster (apt package faketime; installed as root)
load: $(STAMP)
	@ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		command -v apt-get >/dev/null && apt-get install -y -qq faketime >/dev/null; } || \
		echo "note: no libfaketime (apt-get install faketime): the load runs in real time"
	$(BIN)/python benchmarks/load.py

soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py --days $(SOAK_DAYS)
