# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
# Each creates .venv and installs the package (with what the tests need) when missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kg build seeds -o output

test: $(STAMP)
	@tools/system-packages
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.encodings
	$(BIN)/python -m bench.scaling
	$(BIN)/python -m bench.views
	$(BIN)/python -m bench.national

docs: $(STAMP)
	$(BIN)/python tools/cli_reference.py > docs/cli.md.tmp
	mv docs/cli.md.tmp docs/cli.md

clean:
	rm -rf $(VENV) output/*.ttl output/*.html output/*.jsonl .pytest_cache
