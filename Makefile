# oncotrial: `make demo` runs the virtual LEADER trial end to end; `make test` runs every check.
# Every environment is installed from uv.lock (the exact tested versions): `uv sync --locked`
# refuses a lock that no longer matches pyproject.toml. `make lock` re-resolves and re-tests.
PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
# uv uses this interpreter and never downloads one of its own.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test lint typecheck imports docs pytest bench lock clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --python $(PYTHON) --quiet --compile-bytecode
	$(BIN)/python -m compileall -q src >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/oncotrial demo --out out/demo

# docs before pytest, so pytest's summary is the run's last line.
test: lint typecheck imports docs pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

imports: $(STAMP)
	$(BIN)/lint-imports

# The documentation site in site/ (tutorials, API reference from the docstrings); --strict makes
# every warning (a broken link, a docstring griffe cannot parse) an error.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

pytest: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# One deliberate step to take newer releases: re-resolve every package within pyproject's
# ranges, install exactly that, and run every check on it. Commit uv.lock only if it passes.
lock: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)
	$(UV) sync --locked --extra dev --python $(PYTHON) --quiet --compile-bytecode
	$(BIN)/python -m compileall -q src >/dev/null
	touch $(STAMP)
	$(MAKE) test

clean:
	rm -rf $(VENV) $(TOOLS) out site .mypy_cache .ruff_cache .pytest_cache
