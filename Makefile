# One command per job. `make test` builds .venv on first use, so it works from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DOCS_STAMP := $(VENV)/.docs-stamp
DEMO_STAMP := $(VENV)/.demo-stamp

.PHONY: test lint typecheck pytest demo bench docs clean sources-doc measures-doc sensitivity-doc tutorial calibrate validation-doc

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sendalloc needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples tools scripts
	$(BIN)/ruff format --check src tests benchmarks examples tools scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

# docs/sources.md is rendered from src/sendalloc/data/sources.toml (a test checks it).
sources-doc: $(STAMP)
	$(BIN)/python -c 'import sendalloc.sources as s; open("docs/sources.md", "w", encoding="utf-8").write(s.render_markdown())'

# docs/measures.md holds the table of sendalloc.measures (a test checks it).
measures-doc: $(STAMP)
	$(BIN)/python tools/measures_doc.py

# Execute examples/tutorial.ipynb in a fresh kernel (in a temporary directory)
# and store its outputs in it; tests/test_tutorial.py runs it in `make test`.
# MPLBACKEND is unset so that figures are stored inline.
tutorial: $(STAMP)
	env -u MPLBACKEND $(BIN)/python tools/execute_notebook.py examples/tutorial.ipynb

# The county sensitivity analysis in docs/sensitivity.md (a few CPU-minutes).
sensitivity-doc: $(STAMP)
	$(BIN)/python scripts/sensitivity_doc.py

# Fit today's process for every preset (about 30 min on two cores, the large
# county in one process, the others in a second): writes the fitted values into
# src/sendalloc/scenarios/*.toml, the record src/sendalloc/data/calibration.json
# and docs/validation.md.
calibrate: $(STAMP)
	$(BIN)/python tools/calibrate_presets.py large_county & pid=$$!; \
	$(BIN)/python tools/calibrate_presets.py county london_borough; rc=$$?; \
	wait $$pid && [ $$rc -eq 0 ]
	$(BIN)/python tools/validation_doc.py

# docs/validation.md is rendered from the record (a test checks it).
validation-doc: $(STAMP)
	$(BIN)/python tools/validation_doc.py

# The demo needs only the package and matplotlib, not the whole dev extra
# (dask, pyarrow, mypy, ruff: minutes to install); a venv that has the dev
# extra already has both.
$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then :; \
	else $(BIN)/python -m pip install --quiet -e '.[plot]'; fi
	touch $@

demo: $(DEMO_STAMP)
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

# The documentation site, into site/. --strict: a broken link, anchor or
# cross-reference, or a failing gallery example, fails the build. The gallery
# runs the examples (tools/docs/gallery.py) and caches them in .cache/.
# NO_MKDOCS_2_WARNING silences mkdocs-material's banner about MkDocs 2.0, which
# the docs extra excludes (mkdocs<2).
$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis site .cache
