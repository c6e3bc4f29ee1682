# Pageshop: `make run` for the demo, `make test` for the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
LOCK   := requirements.lock
export FLASK_APP := wsgi:app
# PUBLIC_URL (links in messages and e-mails) follows the port unless set.
export PORT
# The demo's targets (run, seed, worker) start without a SECRET_KEY; production processes refuse to
# (pageshop/security.py).
DEMO := PAGESHOP_DEMO=1

.PHONY: run test test-fast lint install lock browser seed worker bench messages clean

# The exact versions of requirements.lock, then the project itself on top of them.
$(BIN)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
	  echo "$(LOCK) lacks what pyproject.toml asks for: run make lock"; exit 1; }
	touch $@

# The translation catalogs, compiled (the .mo files are not committed; a fresh clone makes them).
CATALOGS := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(BIN)/.installed
	$(BIN)/pybabel compile -i $< -o $@ -l $*

install: $(BIN)/.installed $(COMPILED)

## lock: pin pyproject.toml's dependencies, and theirs, in requirements.lock (UPGRADE=1: newest allowed)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c $(LOCK) pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --allow-unsafe --all-build-deps \
	  --extra test --extra lock --strip-extras --no-emit-index-url --no-emit-find-links \
	  $(if $(UPGRADE),--upgrade) --output-file $(LOCK) pyproject.toml

## run: install, migrate, load the demo data, serve on http://127.0.0.1:$(PORT) with the delivery worker
run: install
	$(DEMO) $(BIN)/flask db upgrade
	$(DEMO) $(BIN)/flask seed
	@echo ""
	@echo "  Pageshop demo:  http://127.0.0.1:$(PORT)/        admin: http://127.0.0.1:$(PORT)/admin"
	@echo "  Admin:          merchant@example.com / pageshop-demo"
	@echo "  Facebook:       alex@example.com / pageshop-demo,  sam@example.com / pageshop-demo"
	@echo ""
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(DEMO) $(BIN)/flask worker & worker=$$!; \
	  $(DEMO) $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## browser: Chromium for the end-to-end tests (Debian's package where apt works, else Playwright's)
browser: install
	@if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "$$CHROMIUM_PATH" ]; then \
	  echo "Chromium found."; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	else \
	  $(BIN)/python -m playwright install chromium; \
	fi

# pytest keeps its rewritten test modules in __pycache__ only when Python may write bytecode.
test test-fast: export PYTHONDONTWRITEBYTECODE :=

# Test processes: twice the cores. A browser journey spends most of its time waiting for a page,
# and `--dist load` hands the journeys (collected first) out to every process at the start.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 )))

# A Playwright trace of each failed journey in test-results/ (E2E_TRACING=retain-on-failure): off by
# default, as recording every journey's trace was a quarter of the browser tests' CPU.
E2E_TRACING ?= off

## test: ruff, then every test, end-to-end included (PostgreSQL too when TEST_DATABASE_URL is set)
test: browser lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist load --tracing $(E2E_TRACING) --output test-results $(PYTEST_ARGS)

## test-fast: ruff, then every test but the end-to-end ones, on all cores
test-fast: install lint
	$(BIN)/pytest -n auto --dist worksteal -m "not e2e" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

seed: install
	$(DEMO) $(BIN)/flask db upgrade
	$(DEMO) $(BIN)/flask seed

worker: install
	$(DEMO) $(BIN)/flask worker

## bench: issue 12's table of figures (bench/report.py; not tests; see bench/README.md), e.g. BENCH_ARGS="--sizes 1000"
bench: browser
	$(BIN)/python bench/report.py $(BENCH_ARGS)

## messages: refresh the translation catalogs in translations/ from the code and templates
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --project=Pageshop -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d translations
	rm -f messages.pot

clean:
	rm -rf $(VENV) instance test-results .pytest_cache $(COMPILED)
