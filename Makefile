# The two quickstart commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

$(BIN)/vidgen: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

.PHONY: install demo test bench
install: $(BIN)/vidgen

demo: install
	$(BIN)/vidgen demo -o vidgen-demo --overwrite

test: install
	$(BIN)/python -m pytest -q

bench: install
	mkdir -p bench/out
	$(BIN)/python bench/io.py --out bench/out/io.json
