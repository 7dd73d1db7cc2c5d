# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared

.PHONY: run serve test lint bench clean sysdeps

# Debian packages the readers and the writer need: LibreOffice (DOC/WPS), poppler (pdftotext, pdftoppm),
# CJK fonts (PDF writer, rendering). Installed only when missing; needs root (as on the project machines).
DEB_PACKAGES := libreoffice-writer-nogui poppler-utils fonts-noto-cjk fonts-wqy-zenhei chromium

sysdeps:
	@missing=""; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-writer-nogui"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Serif CJK" || missing="$$missing fonts-noto-cjk"; \
	fc-list 2>/dev/null | grep -qi "WenQuanYi Zen Hei" || missing="$$missing fonts-wqy-zenhei"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing — run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

## run: the main job — print the review of the seeds, make a demo corpus, ingest it with ../shared,
## create the demo accounts (their logins are printed), serve
run: $(VENV)/.installed sysdeps
	$(BIN)/gongkai check -q $(SHARED)/seeds || true
	test -d demo-corpus || $(BIN)/gongkai demo-corpus demo-corpus
	$(BIN)/gongkai ingest demo-corpus $(SHARED)/seeds $(SHARED)/fixtures || true
	$(BIN)/gongkai demo-accounts
	$(BIN)/gongkai desk demo
	$(BIN)/gongkai serve

## serve: ingest ../shared (seeds and fixtures) into gongkai.db and serve the workbench on :8000
serve: $(VENV)/.installed sysdeps
	$(BIN)/gongkai ingest $(SHARED)/seeds $(SHARED)/fixtures || true
	$(BIN)/gongkai serve

## test: lint, then the whole suite (a worker a core; modules stay whole, so their fixtures are built once)
test: $(VENV)/.installed sysdeps
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

bench: $(VENV)/.installed
	$(BIN)/python bench/bench_text.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
