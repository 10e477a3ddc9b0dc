# CRM KPI warehouse. `make help` lists the targets.
# Every target installs what it needs into .venv first (Python 3.11).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PARTIAL_PARSE := true
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help install run test test-unit lint lint-python lint-sql pytest generate load build import metrics bench test-portability clean

help: ## List the targets with one line each
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11+ is needed, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

# The demo data injects bad rows on purpose (and public exports hold some), so
# `make run`/`make load`/`make import` accept quarantined rows and rejected
# files; REJECTS= makes them exit 3 on any (docs/loading.md).
REJECTS ?= --allow-rejects

run: $(STAMP) ## The whole job: generate demo data if landing/ is empty, load, validate, build, publish, summary, dashboard (REJECTS= : exit 3 on rejects)
	$(BIN)/crm-warehouse refresh $(REJECTS)

test: $(STAMP) ## Every test: ruff, sqlfluff, pytest (generator, loader, dbt build with unit tests, publish, public-dataset tie-outs)
	$(MAKE) --no-print-directory lint-python
	@# sqlfluff runs beside pytest rather than before it: pytest alone leaves a
	@# core idle about a fifth of its time (732 CPU s in 409 s on 2 cores,
	@# 2026-12-06), and sqlfluff's two processes fill those gaps.
	$(MAKE) --no-print-directory -j 2 lint-sql pytest

lint: lint-python lint-sql ## Both linters

lint-python: $(STAMP) ## ruff check and ruff format --check on the Python package and tests
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests

lint-sql: $(STAMP) ## sqlfluff lint of every model, macro-free SQL and analysis (dbt templater, Rust parser); fails if sqlfluff skipped a file
	CRM_DUCKDB_PATH=:memory: $(BIN)/python -m crm_dev.lint_sql models analyses tests

# Two pytest workers keep both cores busy, so each dbt build runs one thread
# (measured: about 5 % less CPU per build than two threads contending);
# CRM_DBT_THREADS=2 make pytest tests with two.
PYTEST_DBT_THREADS ?= $(or $(CRM_DBT_THREADS),1)

pytest: $(STAMP) ## pytest suite (a dbt build on a small generated data set; imports of the public datasets and samples, tied out with pandas)
	CRM_DBT_THREADS=$(PYTEST_DBT_THREADS) $(BIN)/pytest -n 2 --dist loadgroup

test-unit: $(STAMP) ## Only the unit tests (tests/python/unit: the loader, mapping, generator, settings and house rules; no dbt build)
	$(BIN)/pytest -n 2 --dist loadgroup tests/python/unit

generate: $(STAMP) ## Generate demo data into landing/ (SCALE=1 SEED=42)
	$(BIN)/crm-warehouse generate --scale $(or $(SCALE),1) --seed $(or $(SEED),42)

load: $(STAMP) ## Validate and load landing/ into the warehouse's raw schema
	$(BIN)/crm-warehouse load $(REJECTS)

build: $(STAMP) ## dbt build (seeds, models, unit and data tests)
	$(BIN)/crm-warehouse build

import: $(STAMP) ## Import a real CRM export: make import MAPPING=mappings/x.yml SOURCE=../shared/datasets/x
	$(BIN)/crm-warehouse import --mapping $(MAPPING) --source $(SOURCE) --fresh $(REJECTS)

metrics: $(STAMP) ## MetricFlow (mf) offline on the warehouse: make metrics ARGS="query --metrics won_revenue --group-by metric_time__month"
	$(BIN)/crm-warehouse metrics $(or $(ARGS),validate-configs)

bench: $(STAMP) ## Benchmark at scales 1 and 10 (SCALES="1 10"): floor, refresh steps, dbt overhead, incremental, pandas and polars peers, the issue table -> bench/results.json
	$(BIN)/python -m crm_dev.bench $(foreach s,$(or $(SCALES),1 10),--scale $(s))

PORTABILITY_STAMP := $(VENV)/.portability-stamp

$(PORTABILITY_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,postgres]'
	@touch $(PORTABILITY_STAMP)

test-portability: $(PORTABILITY_STAMP) ## Build on DuckDB, PostgreSQL and Spark from the same data and compare every mart (installs PostgreSQL/Java when missing)
	$(BIN)/python -m crm_dev.portability $(if $(ENGINES),--engines $(ENGINES)) $(if $(SPARK_DATA_TESTS),--spark-data-tests $(SPARK_DATA_TESTS))

clean: ## Remove generated data, warehouse files and dbt output (keeps .venv)
	rm -rf landing quarantine warehouse publish imports target logs
