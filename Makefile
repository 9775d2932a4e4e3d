# One command per job. `make test` builds .venv on first use, so it works from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: test lint typecheck pytest demo bench clean sources-doc sensitivity-doc

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sendalloc needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples scripts
	$(BIN)/ruff format --check src tests benchmarks examples scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

# docs/sources.md is rendered from src/sendalloc/data/sources.toml (a test checks it).
sources-doc: $(STAMP)
	$(BIN)/python -c 'import sendalloc.sources as s; open("docs/sources.md", "w", encoding="utf-8").write(s.render_markdown())'

# The county sensitivity analysis in docs/sensitivity.md (a few CPU-minutes).
sensitivity-doc: $(STAMP)
	$(BIN)/python scripts/sensitivity_doc.py

demo: $(STAMP)
	$(BIN)/sendalloc run county

# Optional: YARDSTICK=path/to/refalloc.c (a plain-C reference of serial dictatorship
# and deferred acceptance) is compiled and timed on the same instances, for ratios.
YARDSTICK ?=
bench: $(STAMP)
	# `matching` is only compared against, never imported by sendalloc.
	$(BIN)/python -m pip install --quiet matching
	mkdir -p bench-out
	$(if $(YARDSTICK),gcc -O2 -o bench-out/refalloc $(YARDSTICK))
	$(BIN)/python benchmarks/run.py --json bench-out/rows.json \
		$(if $(YARDSTICK),--yardstick bench-out/refalloc) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
