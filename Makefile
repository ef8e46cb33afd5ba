# Linkage — the two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= out/flagship

.PHONY: run test test-fast bench clean setup sysdeps

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
	@echo "Next: compare arrangements with '$(VENV)/bin/linkage compare scenarios/library/high_rise_fire.yaml -a sectoral_lead -a integrated_grid',"
	@echo "or open the planner dashboard with '$(VENV)/bin/linkage dashboard'."

# Debian packages the browser tests need (headless Chromium, CJK fonts), WeasyPrint's Pango for the PDF
# briefing, poppler-utils (pdfinfo) to check its pages and LibreOffice Writer to lay out its Word file.
# Installed when missing and we are root with apt-get; otherwise the browser tests skip with a message saying why.
sysdeps:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && command -v pdfinfo >/dev/null \
	  && ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 \
	  && command -v soffice >/dev/null; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing chromium and fonts-noto-cjk (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fontconfig libpango-1.0-0 libpangoft2-1.0-0 poppler-utils libreoffice-writer-nogui >/dev/null) \
	    || echo "warning: apt-get could not install chromium/fonts-noto-cjk; browser tests will skip"; \
	else echo "note: not root or no apt-get: chromium/fonts-noto-cjk not installed; browser tests will skip"; fi

test: setup sysdeps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n 2 --dist loadgroup

test-fast: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -m "not slow" -n 2

bench: setup
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) out .pytest_cache
