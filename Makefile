# arflow — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SRC_DIRS := libs/common/src services/invoicing/src services/reconciliation/src services/dunning/src services/credit-scoring/src services/people/src services/console/src
STAMP := $(VENV)/.installed
# One mypy run per suite: each has its own conftest module.
TEST_DIRS := libs/common/tests services/invoicing/tests services/reconciliation/tests services/dunning/tests services/credit-scoring/tests services/people/tests services/console/tests tests

.PHONY: run status test lint asyncapi bench bench-full clean venv

venv: $(STAMP)

# The venv is rebuilt when the pinned requirements change. The packages are put
# on the path with a .pth file (what an editable install does, without a build step).
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -c "import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], 'arflow-src.pth').write_text(''.join(str(pathlib.Path(p).resolve()) + '\n' for p in '$(SRC_DIRS)'.split()))"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m arflow.devstack run

# Which process of a running `make run` is up, restarting or not ready, and why (exit 1 unless all are ready).
status: $(STAMP)
	$(PY) -m arflow.devstack status

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy $(patsubst %/__init__.py,%,$(foreach dir,$(SRC_DIRS),$(wildcard $(dir)/*/__init__.py)))
	for dir in $(TEST_DIRS); do $(PY) -m mypy $$dir || exit 1; done

# One pytest session per suite (each with its own broker and databases), then a total.
test: $(STAMP) lint
	$(PY) -m arflow.testing.suites -- $(PYTEST_ARGS)

asyncapi: $(STAMP)
	$(PY) -m arflow.events.asyncapi docs/asyncapi.json

# Every bench at its --quick size (minutes in all; docs/performance.md holds one run's figures); bench-full at the
# issue's sizes (an hour or more on two cores).
bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b --quick"; $(PY) $$b --quick || exit 1; done

bench-full: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf var/test-postgres
