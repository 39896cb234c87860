# The two quickstart commands: `make demo` and `make test`. Both create .venv on first use.
# TORCH=cpu (default): the CPU-only torch from PyTorch's CPU wheel index (constraints.txt).
# TORCH=cuda: PyPI's CUDA build of torch for NVIDIA GPUs (constraints-cuda.txt), e.g. `make install TORCH=cuda`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= cpu
CONSTRAINTS := $(if $(filter cuda,$(TORCH)),constraints-cuda.txt,constraints.txt)
# An unreachable extra index must not stall the install: fail over to the other indexes quickly.
PIP_NET := --retries 1 --timeout 15
STAMP := $(VENV)/.installed-$(TORCH)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_NET) --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_NET) -c $(CONSTRAINTS) -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

.PHONY: install demo test bench
install: $(STAMP)

demo: install
	$(BIN)/vidgen demo -o vidgen-demo --overwrite

test: install
	$(BIN)/python -m pytest -q

bench: install
	mkdir -p bench/out
	$(BIN)/python bench/io.py --out bench/out/io.json
