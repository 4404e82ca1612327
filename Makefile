# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
WHEELHOUSE := var/wheelhouse

.PHONY: install run test pytest lint format postgresql chromium dovecot prometheus constraints clean bench \
	wheelhouse docker-test docker-engine mutation

$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(INSTALLED)

# The service on its embedded defaults (SQLite under var/) with the demo roster and a mail
# catcher: read what it sends at http://localhost:8080/mail (files in var/mail/). Ctrl-C stops it.
run: install
	$(BIN)/reminders init
	$(BIN)/reminders import all config/demo
	$(BIN)/reminders status
	$(BIN)/reminders run --demo

# Lint, type-check and the whole suite, on SQLite and on a PostgreSQL server the tests start; then
# the Docker image and the compose stack, built and run (docker-test).
test: install postgresql chromium dovecot prometheus lint pytest docker-test

pytest: install wheelhouse
	$(BIN)/pytest

# The package's runtime dependencies as wheels, at the pinned versions: the packaging test installs
# the wheel from here alone, so it proves the declared dependencies suffice without a network.
$(WHEELHOUSE)/.complete: pyproject.toml constraints.txt
	rm -rf $(WHEELHOUSE)
	$(BIN)/python -m pip wheel --quiet --constraint constraints.txt --wheel-dir $(WHEELHOUSE) .
	@touch $@

wheelhouse: install $(WHEELHOUSE)/.complete

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every benchmark of bench/ at N holders (a 1,000,000-holder roster is about 10M CEU rows: the
# run takes about an hour), each figure beside its baseline, written into docs/benchmarks.md.
# ONLY=bench.status runs one benchmark and keeps the others' figures.
N ?= 100000
RUNS ?= 3
ONLY ?=
bench: install postgresql
	$(BIN)/python -m bench.report --holders $(N) --runs $(RUNS) $(foreach m,$(ONLY),--only $(m))

# Installs a Debian package (as root, or with sudo) unless the check before it succeeds.
APT_INSTALL = SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

# The tests start their own PostgreSQL server from Debian's package; install it if it is missing.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
		echo "installing Debian's postgresql package for the tests"; \
		$(APT_INSTALL) postgresql >/dev/null; }

# The bounce-mailbox tests read over IMAP from Debian's Dovecot, started by the tests themselves.
dovecot:
	@[ -x /usr/sbin/dovecot ] || { \
		echo "installing Debian's dovecot-imapd package for the bounce tests"; \
		$(APT_INSTALL) dovecot-imapd >/dev/null; }

# The browser test drives Debian's Chromium with Playwright (no browser download).
chromium:
	@[ -x /usr/bin/chromium ] || { \
		echo "installing Debian's chromium package for the browser test"; \
		$(APT_INSTALL) chromium >/dev/null; }

# The alerting rules shipped in deploy/prometheus/ are checked with Debian's promtool.
prometheus:
	@command -v promtool >/dev/null || { \
		echo "installing Debian's prometheus package (promtool) for the monitoring test"; \
		$(APT_INSTALL) prometheus >/dev/null; }

# The image built from the Dockerfile and run, alone and in the compose stack (tests/test_docker.py):
# installs Debian's docker.io, docker-compose and debootstrap if missing, starts dockerd if none
# answers (and stops it after), builds python:3.11-slim and postgres:15 from a Debian mirror if no
# registry answers (docker/base-images.sh), and prints each check as it passes.
docker-test: install docker-engine
	$(BIN)/pytest -m docker tests/test_docker.py -v -s -p no:cacheprovider

docker-engine:
	@command -v dockerd >/dev/null && command -v docker-compose >/dev/null \
		&& command -v debootstrap >/dev/null || { \
		echo "installing Debian's docker.io, docker-compose and debootstrap for the image tests"; \
		$(APT_INSTALL) docker.io docker-compose debootstrap >/dev/null; }

# Mutation testing of the pure core (reminders/rules/, notices/planning.py) against its fast
# tests; the score and every surviving mutant go to docs/mutation.md. Not part of `make test`: it
# takes long from scratch, and minutes after a small change (mutants/ keeps the results).
mutation: install
	$(BIN)/python -m tools.mutation

constraints: install
	{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^reminders'; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) var build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache mutants
