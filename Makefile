# ddlab in two commands:
#
#   make lab    set up, then open JupyterLab on notebooks/
#   make test   set up, then run every test: unit tests, and every notebook in the quick profile
#               (nbval runs each one once, unsolved and, after each exercise, solved:
#               tests/solved_notebooks.py)
#
# Set-up is shared and idempotent: a virtual environment in .venv (made once, with $(PYTHON)),
# `pip install -r requirements.txt` (again only when requirements.txt or pyproject.toml changed),
# and MNIST (fetched once; later runs only verify the cached files).
#
# Knobs:  make lab PYTHON=python3.12 LAB_ARGS="--no-browser --port 8890"
#         make test PYTEST_ARGS="-x -k dd"

PYTHON      ?= python3
VENV        ?= .venv
LAB_ARGS    ?=
PYTEST_ARGS ?=
# Budget profile for the tests only (not exported, so `make lab` is unaffected).
DDLAB_PROFILE ?= quick

BIN   := $(VENV)/bin
STAMP := $(VENV)/.ddlab-requirements

.PHONY: lab test setup data clean help
.DEFAULT_GOAL := help

help:
	@echo "make lab    set up (.venv, requirements, MNIST), then open JupyterLab on notebooks/"
	@echo "make test   set up, then run the unit tests and every notebook in the quick profile"
	@echo "make site   run every notebook (default profile) into a static website in site/_build/"
	@echo "make slides the seminar's slide deck (teaching/) as a reveal.js page that works offline, in build/slides/"
	@echo "make clean  remove .venv (the MNIST cache stays; see DDLAB_DATA in README.md)"

lab: setup
	$(BIN)/jupyter lab --FileContentsManager.preferred_dir=notebooks $(LAB_ARGS)

# Tests run in the quick profile (ddlab.profile reads DDLAB_PROFILE); `make test DDLAB_PROFILE=default`
# runs them at learner size. It is set per command, so `make lab` leaves learners the default.
# The notebooks run through nbval's pytest plugin, lax (pyproject.toml's addopts): a cell fails when
# it raises. The line before pytest marks where set-up ends, so a slow phase shows in CI's log.
test: setup
	@echo "make test: set-up done at $$(date +%T); the tests and every notebook follow"
	DDLAB_PROFILE=$(DDLAB_PROFILE) $(BIN)/python -m pytest tests --durations=15 $(PYTEST_ARGS)

setup: $(STAMP) data

data: $(STAMP)
	@$(BIN)/python -m ddlab data

$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
	@echo "Installing requirements into $(VENV) (the first time takes a few minutes)..."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
	    echo "ddlab needs Python >= 3.10; '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo 'not found')." >&2; \
	    echo "Point make at another one, e.g.: make $(MAKECMDGOALS) PYTHON=python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	    echo "Could not create $(VENV). On Debian/Ubuntu: sudo apt install python3-venv" >&2; exit 1; }

clean:
	rm -rf $(VENV)

# The course as a static website in site/_build/ (mkdocs-jupyter; site/mkdocs.yml): every notebook run
# top to bottom in a fresh kernel, outputs kept. A teacher's command, in the default profile unless
# DDLAB_PROFILE is given (`make site DDLAB_PROFILE=quick` for a fast look); SITE_NOTEBOOKS="00 01"
# builds only the notebooks whose names start so. DDLAB_PROFILE's quick default above is the tests'
# and does not count here: only a value from the command line or the environment does.
SITE_PROFILE   = $(if $(filter file,$(origin DDLAB_PROFILE)),default,$(DDLAB_PROFILE))
SITE_NOTEBOOKS ?=

.PHONY: site
site: setup
	DDLAB_PROFILE=$(SITE_PROFILE) DDLAB_SITE_NOTEBOOKS="$(SITE_NOTEBOOKS)" \
	    $(BIN)/python -m mkdocs build --config-file site/mkdocs.yml
	@echo "The site is in site/_build/ (open site/_build/index.html)."

# The seminar's deck, teaching/seminar_slides.ipynb, run top to bottom (seminar profile unless
# DDLAB_PROFILE is given, like `make site`) into a reveal.js page that needs no network: nbconvert's
# CDN scripts are replaced by copies beside the page (teaching/nbconvert_slides.py says which).
# reveal.js, require.js and jQuery come from the npm registry once (`npm pack`, kept in build/vendor/),
# MathJax from the jupyter-server-mathjax package already in .venv; a second run fetches nothing.
SLIDES_PROFILE = $(if $(filter file,$(origin DDLAB_PROFILE)),seminar,$(DDLAB_PROFILE))
SLIDES_DIR     := build/slides
VENDOR_DIR     := build/vendor
REVEAL         := reveal.js@4.0.2    # the version nbconvert's reveal template is written for
REQUIREJS      := requirejs@2.1.10   # the require.js nbconvert's template names
JQUERY         := jquery@2.2.4       # the template names 2.0.3, which npm lacks: the last 2.x instead
tarball = $(VENDOR_DIR)/$(subst @,-,$(strip $(1))).tgz
SLIDES_ASSETS  := $(SLIDES_DIR)/reveal.js/dist/reveal.js $(SLIDES_DIR)/require.js $(SLIDES_DIR)/jquery.min.js \
                  $(SLIDES_DIR)/mathjax/MathJax.js

.PHONY: slides
slides: $(STAMP) $(SLIDES_ASSETS)
	DDLAB_PROFILE=$(SLIDES_PROFILE) $(BIN)/jupyter nbconvert --to slides --execute \
	    --config teaching/nbconvert_slides.py --output-dir $(SLIDES_DIR) teaching/seminar_slides.ipynb
	@echo "The deck is $(SLIDES_DIR)/seminar_slides.slides.html (open it in a browser; no network needed)."

# npm pack writes <name>-<version>.tgz; the package to ask for is <name>@<version>.
$(VENDOR_DIR)/%.tgz:
	@mkdir -p $(VENDOR_DIR)
	cd $(VENDOR_DIR) && npm pack --silent "$$(echo '$*' | sed 's/-\([^-]*\)$$/@\1/')" >/dev/null

$(SLIDES_DIR)/reveal.js/dist/reveal.js: $(call tarball,$(REVEAL))
	rm -rf $(SLIDES_DIR)/reveal.js && mkdir -p $(SLIDES_DIR)/reveal.js
	tar -xzf $< -C $(SLIDES_DIR)/reveal.js --strip-components=1 package/dist package/plugin
	touch $@

$(SLIDES_DIR)/require.js: $(call tarball,$(REQUIREJS))
	tar -xzf $< -O package/require.js > $@.partial && mv $@.partial $@

$(SLIDES_DIR)/jquery.min.js: $(call tarball,$(JQUERY))
	tar -xzf $< -O package/dist/jquery.min.js > $@.partial && mv $@.partial $@

$(SLIDES_DIR)/mathjax/MathJax.js: | $(STAMP)
	rm -rf $(SLIDES_DIR)/mathjax && mkdir -p $(SLIDES_DIR)
	cp -R "$$($(BIN)/python -c 'import jupyter_server_mathjax as m, pathlib; print(pathlib.Path(m.__file__).parent / "static")')" \
	    $(SLIDES_DIR)/mathjax
