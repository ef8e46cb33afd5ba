# Linkage — the two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= out/flagship

.PHONY: run test test-fast bench clean setup

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Reinstall when the project's metadata changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/linkage run scenarios/library/high_rise_fire.yaml -n 200 --seed 7 --out $(OUT)

test: setup
	$(PY) -m pytest -q -n 2 --dist loadgroup

test-fast: setup
	$(PY) -m pytest -q -m "not slow" -n 2

bench: setup
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) out .pytest_cache
