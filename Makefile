# PhyMotion-JAX: `make demo` and `make test` each set up everything from this repository's files.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# CPU build of PyTorch by default. For CUDA: make setup TORCH_SPEC="torch==2.11.0" \
#   TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu130"
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
EXTRAS ?= generator,report,pose,dev
STAMP := $(VENV)/.installed

export JAX_COMPILATION_CACHE_DIR ?= $(CURDIR)/.cache/jax
export MUJOCO_GL ?= osmesa
export PYOPENGL_PLATFORM ?= osmesa

.PHONY: setup sysdeps demo test lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@$(MAKE) --no-print-directory sysdeps
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_SPEC)" $(TORCH_INDEX)
	$(PIP) install -q -e ".[$(EXTRAS)]"
	@touch $@

# Headless rendering (OSMesa) for `phymotion render`; installed when running as root.
sysdeps:
	@if ! ldconfig -p 2>/dev/null | grep -q libOSMesa; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libosmesa6 >/dev/null) \
	      || echo "warning: could not install libosmesa6; rendering will be unavailable"; \
	  else echo "note: libosmesa6 missing and not root; rendering will be unavailable"; fi; \
	fi

demo: setup
	$(VENV)/bin/phymotion score physics_jax/samples/cmu --json demo_scores.json

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .cache demo_scores.json
