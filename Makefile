# The two commands of the README: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# setup.py and the .pyx too: the editable install compiles the extension in place (optional:
# without a C compiler it installs the pure package), so editing the .pyx rebuilds it.
$(STAMP): $(BIN)/python pyproject.toml setup.py src/ticketlog/simulation/_compiled.pyx
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[postgres,analysis,parquet,testing,dask,service,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/day_at_the_desk.py $(DEMO_ARGS)
	$(BIN)/python examples/week_at_the_desk.py
	$(BIN)/python examples/import_a_history.py

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src tests examples benchmarks
	$(BIN)/mypy

# Two layers at once (the machine has two cores): unit and validation tests in the
# background, their report printed after the integration, end-to-end and browser tests'.
test: lint
	@$(BIN)/pytest tests/unit tests/validation > .pytest-unit.log 2>&1 & unit=$$!; \
	$(BIN)/pytest tests/integration tests/e2e tests/browser; rest=$$?; \
	wait $$unit; units=$$?; cat .pytest-unit.log; rm -f .pytest-unit.log; \
	exit $$(( rest || units ))

unit: $(STAMP)
	$(BIN)/pytest tests/unit

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
	rm -rf build src/ticketlog/simulation/_compiled.c src/ticketlog/simulation/_compiled.*.so
