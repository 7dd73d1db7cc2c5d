# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

## run: check every report under ../shared/seeds and print the review
run: $(VENV)/.installed
	$(BIN)/gongkai check $(SHARED)/seeds || true

## test: lint, then the whole suite
test: $(VENV)/.installed
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

bench: $(VENV)/.installed
	$(BIN)/python bench/bench_text.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
