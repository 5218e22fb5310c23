# Whistle: the two commands of the README are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: help venv demo test test-faults lint typecheck unit bench system-deps clean

help:
	@echo "make demo        set up and run the demo (embedded broker, SQLite, simulators)"
	@echo "make test        set up and run lint, type checks and the test suite"
	@echo "make test-faults the slow fault-injection tests"
	@echo "make bench       benchmarks (JSON lines with same-run references)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

WEB_STAMP := gateway/web/node_modules/.package-lock.json

# Front-end libraries (chart.js) from the npm registry, pinned by package-lock.json.
$(WEB_STAMP): gateway/web/package-lock.json
	npm ci --prefix gateway/web --no-audit --no-fund --loglevel=error

venv: $(STAMP) $(WEB_STAMP)

demo: venv
	$(BIN)/whistle demo $(DEMO_ARGS)

system-deps:
	bash scripts/system-deps.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check whistle edge gateway models firmware_sim tests bench

typecheck: venv
	$(BIN)/mypy whistle edge gateway models firmware_sim tests bench

unit: venv
	$(BIN)/pytest -q $(PYTEST_ARGS)

test: venv system-deps lint typecheck
	$(BIN)/pytest -q -m "not faults" $(PYTEST_ARGS)

test-faults: venv system-deps
	$(BIN)/pytest -q -m faults $(PYTEST_ARGS) || [ $$? -eq 5 ]

bench: venv
	@for b in bench/bench_*.py; do echo "# $$b"; $(BIN)/python $$b $(BENCH_ARGS) || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache data/demo
