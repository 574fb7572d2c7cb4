# Two commands for a fresh machine (see README):
#   make demo   set up, then screen the example submission and print its report
#   make test   set up, then run the tests
#   make serve  set up, then start the service (docs/service.md)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/professional-learning
OUT    ?= out/example-report

.PHONY: setup demo test serve bench bench-quality example analyse-example clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch is installed on its own first, pinned: the CPU build lies on the machines' disk, while
# a resolver left to itself would pull a CUDA build of several GB.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,service]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/screening check $(EXAMPLE) --out $(OUT)
	@echo
	@cat $(OUT)/report.md

# Two test processes: 11 min instead of 17.5 on a 2-core machine (bench/RESULTS.md, "Test suite time").
# TEST_PROCESSES=0 runs the suite in this process (pytest -n 0), for debugging. The 25 slowest
# tests are listed at the end, so every CI log says where the time went on its machine.
TEST_PROCESSES ?= 2
test: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -n $(TEST_PROCESSES) --dist worksteal --durations=25

# Embedded defaults: a SQLite file and uploads under $$XDG_DATA_HOME/mc-screening, an in-process
# worker, the bundled rubrics. HOST and PORT override where it listens.
HOST ?= 127.0.0.1
PORT ?= 8000
serve: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m service serve --host $(HOST) --port $(PORT)

bench: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.embedding
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.speed
	$(BIN)/python -m bench.agreement

# program designers: analyse the example pilot data (docs/analysis.md) into out/pilot-analysis
analyse-example: setup
	$(BIN)/screening analyse examples/pilot/pilot.json --out out/pilot-analysis

# mapping quality: CEReD (needs ../shared/data/cered) and the labelled MC set; appends to bench/RESULTS.md
bench-quality: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.quality

example: setup
	$(BIN)/python examples/build.py
	$(BIN)/python examples/pilot/build.py

clean:
	rm -rf $(VENV) out screening-report .pytest_cache
