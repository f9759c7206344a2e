# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
SCALE  ?= county

.PHONY: install demo serve test lint bench bench-scale postgres browser clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## make demo: install, generate the demo county into var/gridgov.db, serve http://127.0.0.1:8000
demo: $(STAMP)
	$(VENV)/bin/gridgov demo --scale $(SCALE)

serve: $(STAMP)
	$(VENV)/bin/gridgov serve

postgres:
	@bash scripts/ensure-postgres.sh

browser:
	@bash scripts/ensure-browser.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check gridgov tests benchmarks

## make test: install everything (Python, chromium, fonts), make sure PostgreSQL runs, run the suite
test: $(STAMP) browser postgres lint
	$(PY) -m pytest

# every benchmark but the 10M-event one (35 min, ~10 GB of PostgreSQL): `make bench-scale` runs that
bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do [ "$$b" = benchmarks/bench_events_scale.py ] && continue; \
	  echo "== $$b"; $(PY) $$b || exit 1; done

bench-scale: $(STAMP) postgres
	$(PY) benchmarks/bench_events_scale.py

clean:
	rm -rf $(VENV) var/gridgov.db* .pytest_cache
