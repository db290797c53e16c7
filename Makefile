# deskguard: `make run` serves the demo on SQLite, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 + 1 )))
PORT ?= 8000
# `make lock` resolves with this uv, installed into .venv on demand.
UV_VERSION := 0.13.9
# Links in mail and the printed portal addresses follow the port `make run` serves.
# localhost, not 127.0.0.1: browsers offer security keys and passkeys (WebAuthn) only on
# https or localhost, and an IP address is never a valid relying-party id.
export DESKGUARD_BASE_URL ?= http://localhost:$(PORT)

.PHONY: run test test-fast lint format bench bench-mail bench-scale bench-suite clean browser lock screenshots messages compilemessages

# Every dependency comes pinned and hash-checked from requirements-dev.lock (`make lock`
# writes it from pyproject.toml); the project itself is then added without resolving
# anything. `pip check` fails when pyproject.toml was edited without `make lock`.
# The lock files are resolved for Python 3.11 (pyproject.toml's requires-python): another
# version is refused before anything is created, and a .venv left by another version (or
# half made) is replaced rather than failing again on every run.
IS_PY311 = -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'
$(STAMP): requirements-dev.lock pyproject.toml
	@$(PYTHON) $(IS_PY311) 2>/dev/null || { \
	  echo "deskguard needs Python 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo "not found")."; \
	  echo "Install it (e.g. pyenv install 3.11) and run: make $(MAKECMDGOALS) PYTHON=/path/to/python3.11"; \
	  exit 1; }
	@if [ -d $(VENV) ] && ! $(BIN)/python $(IS_PY311) 2>/dev/null; then \
	  echo "$(VENV) was made by another Python or is broken: making it again"; rm -rf $(VENV); fi
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check || { echo "requirements-dev.lock does not match pyproject.toml: run make lock"; exit 1; }
	touch $(STAMP)

# Writes requirements-dev.lock (runtime + dev) and requirements.lock (runtime, held to the
# same pins) from pyproject.toml: PyPI only (uv reads no pip.conf; --no-config skips
# uv.toml), every platform, Python 3.11, with hashes. Pins already in the lock files stay
# unless pyproject.toml needs otherwise; `make lock LOCK_ARGS=--upgrade` moves them all.
# The ruff in .pre-commit-config.yaml follows the ruff pin.
UV_COMPILE = $(BIN)/uv pip compile --quiet --no-config --index-url https://pypi.org/simple \
	--universal --python-version 3.11 --generate-hashes --custom-compile-command 'make lock' $(LOCK_ARGS)
lock:
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	test "$$($(BIN)/uv --version 2>/dev/null | cut -d' ' -f2)" = $(UV_VERSION) || $(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(UV_COMPILE) --extra dev pyproject.toml -o requirements-dev.lock
	$(UV_COMPILE) -c requirements-dev.lock pyproject.toml -o requirements.lock
	sed -i "s/ruff==[0-9.]*\]  # ruff/ruff==$$(sed -n 's/^ruff==\([0-9.]*\).*/\1/p' requirements-dev.lock)]  # ruff/" .pre-commit-config.yaml

# L4: the catalogues' .po files are committed, their .mo files built here by Django's
# compilemessages, which runs GNU gettext's msgfmt (Debian's `gettext`; .ci/run installs
# it). `make messages` gathers new strings of code and templates into the German
# catalogue for a developer to translate (xgettext, the same package).
CATALOGUES := $(wildcard deskguard/locale/*/LC_MESSAGES/django.po)
COMPILED := $(CATALOGUES:.po=.mo)
NEEDS_GETTEXT = command -v msgfmt >/dev/null || { \
	  echo "The translations need GNU gettext (msgfmt, xgettext): apt-get install gettext, or brew install gettext"; \
	  exit 1; }
$(COMPILED): %.mo: %.po | $(STAMP)
	@$(NEEDS_GETTEXT)
	$(BIN)/python manage.py compilemessages -v 0 $(LOCALE_IGNORE)
compilemessages: $(COMPILED)

# Both commands walk the whole tree: .venv (Django's own catalogues) is not ours.
LOCALE_IGNORE := -i '.*' -i staticfiles -i var -i build
MAKEMESSAGES_IGNORE := $(LOCALE_IGNORE) -i tests -i bench -i docs
messages: $(STAMP)
	@$(NEEDS_GETTEXT)
	$(BIN)/python manage.py makemessages -l de --no-obsolete --add-location file $(MAKEMESSAGES_IGNORE)

# The mail worker runs beside gunicorn; Ctrl-C (or either one exiting) stops both.
# bash for `wait -n`. The traps signal the two children only: a `kill 0` would signal
# this shell too and run its own trap again, until the shell crashed.
run: SHELL := /bin/bash
run: $(STAMP) $(COMPILED)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py seed_demo
	@stop() { trap - INT TERM EXIT; kill $$worker $$server 2>/dev/null; wait; }; \
	trap 'stop; exit 0' INT TERM; trap stop EXIT; \
	$(BIN)/python manage.py db_worker --queue-name '*' --interval 1 --no-reload & worker=$$!; \
	$(BIN)/gunicorn deskguard.wsgi --bind 127.0.0.1:$(PORT) --workers $(WORKERS) \
	  --access-logfile - & server=$$!; \
	wait -n

# Browser tests need Debian's Chromium (/usr/bin/chromium); see .ci/run.
test: $(STAMP) $(COMPILED)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# The README's screenshots (docs/screenshots/), taken by the browser tests on their way.
screenshots: $(STAMP) $(COMPILED)
	DESKGUARD_README_SHOTS=1 $(BIN)/python -m pytest -n 2 -q -m e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy deskguard

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Baseline commit vs working tree, SQLite and PostgreSQL (~5 min on a quiet machine);
# e.g. `make bench BENCH_ARGS="--rounds 3"`, see `.venv/bin/python bench/signin_bench.py --help`.
bench: $(STAMP)
	$(BIN)/python bench/signin_bench.py $(BENCH_ARGS)

bench-mail: $(STAMP)
	$(BIN)/python bench/mail_bench.py

# Pages at S and M (SIZE=L adds the large size), their M/S ratio, and a whole-log export:
# docs/benchmarks-scale.md. Seeds schemas of one PostgreSQL database (BENCH_DATABASE_URL).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/deskguard_scale_bench
bench-scale: $(STAMP)
	SIZE=$(SIZE) $(BIN)/python bench/scale_bench.py --database-url $(BENCH_DATABASE_URL)

# The test suite at two commits, alternating, wall and CPU time: docs/benchmarks-suite.md
# (~12 min); e.g. `make bench-suite SUITE_ARGS="--after HEAD --mode '-n 2'"`.
bench-suite: $(STAMP)
	$(BIN)/python bench/suite_speed.py $(SUITE_ARGS)

clean:
	rm -rf $(VENV) staticfiles $(COMPILED) .pytest_cache .mypy_cache .ruff_cache
