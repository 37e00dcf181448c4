# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test lint bench train clean

$(BIN)/intake-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/intake-bot
	$(BIN)/intake-bot demo

test: $(BIN)/intake-bot
	scripts/test-services.sh
	$(BIN)/python -m pytest

lint: $(BIN)/intake-bot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(BIN)/intake-bot
	scripts/test-services.sh
	$(BIN)/python benchmarks/intake_backlog.py

clean:
	rm -rf $(VENV) build *.egg-info
