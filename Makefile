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
# PyTorch's CPU wheel index, which constraints.txt adds for pip and pipx users. Where it cannot be
# reached (a network that reaches only PyPI or a mirror), pip would retry it for every package and
# print a warning each time: it is checked once here and left out, with one line saying so (torch's
# +cpu wheel must then come from the indexes or find-links in pip's own configuration).
TORCH_INDEX := https://download.pytorch.org/whl/cpu
REACHABLE := import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_NET) --upgrade pip
	@constraints=$(CONSTRAINTS); \
	if grep -q -- "--extra-index-url $(TORCH_INDEX)" $(CONSTRAINTS) && ! $(BIN)/python -c "$(REACHABLE)" $(TORCH_INDEX)/ 2>/dev/null; then \
		echo "make: $(TORCH_INDEX) cannot be reached; installing without it (torch from pip's configured indexes: pip config list)"; \
		grep -v -- "--extra-index-url $(TORCH_INDEX)" $(CONSTRAINTS) > $(VENV)/constraints-reachable.txt; \
		constraints=$(VENV)/constraints-reachable.txt; \
	fi; \
	echo "$(BIN)/python -m pip install --quiet $(PIP_NET) -c $$constraints -e \".[test]\""; \
	$(BIN)/python -m pip install --quiet $(PIP_NET) -c $$constraints -e ".[test]"
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
