# MNR Data Hub. Quick start: `make run` (install and run the demo), then `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed-stamp

.PHONY: install manifest run test test-fast bench docs lock clean catalogue

install: $(STAMP)

# One virtual environment with the pinned dependencies (requirements.lock, compiled from pyproject.toml),
# the project itself in editable mode, and the dbt manifest the Dagster code location loads.
# --compile-bytecode: the packages' .pyc files are written once here; where Python may not write them itself
# (PYTHONDONTWRITEBYTECODE, a read-only install) every `mnr run` and every dbt process would otherwise compile
# dagster, dbt and pandas from source again (measured: 10-12 s to import the code location, 3.6 s with them).
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --quiet --compile-bytecode --python $(PY) -r requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	$(MAKE) --no-print-directory manifest
	touch $(STAMP)

# dbt's parse of the project (target/manifest.json, which the code location loads, and partial_parse.msgpack,
# which dagster-dbt copies into each run's target folder). The project folder is given as an absolute path:
# dbt records the seeds' paths relative to the folder it was given, and runs start dbt from dbt_project/, so a
# relative `--project-dir dbt_project` left every seed path pointing nowhere on a fresh clone. The warehouse
# path is only read by dbt when it connects, which parse does not; its log goes beside the manifest.
manifest:
	MNR_DUCKDB_PATH=/nonexistent/parse-only.duckdb $(VENV)/bin/dbt parse --quiet \
		--project-dir $(CURDIR)/dbt_project --profiles-dir $(CURDIR)/dbt_project \
		--log-path $(CURDIR)/dbt_project/target

run: install
	$(VENV)/bin/mnr demo

test: install
	$(VENV)/bin/pytest

test-fast: install
	$(VENV)/bin/pytest tests/unit

# The reference data (seeds/*.csv, edited by hand): codes unique and known, bounds, relations, every label
# unambiguous and present in each language (seeds/README.md).
catalogue: install
	$(PY) -m pipelines.catalogue check

bench: install
	$(PY) bench/run.py

# The data dictionary: dbt docs for the harmonised schema (open dbt_project/target/index.html).
docs: install
	MNR_DUCKDB_PATH=$(CURDIR)/data/warehouse.duckdb $(VENV)/bin/dbt docs generate \
		--project-dir $(CURDIR)/dbt_project --profiles-dir $(CURDIR)/dbt_project \
		--log-path $(CURDIR)/dbt_project/target

# Re-pin the dependencies after editing pyproject.toml.
lock:
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs .pytest_cache
