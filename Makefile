# make demo: set everything up on a fresh machine and provision a VM against the lab.
# make test: the tests (they start the lab themselves).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# ansible-core 2.21 (the `ansible` 14 package) needs Python 3.12 or later.
# pyenv's shims exist even where they cannot run, so each candidate is tried, not just found.
PYTHON312 ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python python3.13 \
	$$HOME/.pyenv/versions/3.13*/bin/python; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && echo $$p && break; done)
COLLECTION_REQUIREMENTS := $(VENV)/lib/python3.12/site-packages/ansible_collections/azure/azcollection/requirements.txt
SYSTEM_PACKAGES := debootstrap systemd-container squid iproute2 iptables openssh-client \
	tmux git rsync ca-certificates gh
DEMO_VM := azlin-demo
DEMO_REPO := https://github.com/azlin-lab/hello

.PHONY: help system-deps venv lab-up lab-down demo test lint bench clean

help:
	@echo "make demo      set up this machine and provision a VM against the lab"
	@echo "make test      run the tests"
	@echo "make bench     measure provision phases, repair, connect, start-up and fleets"
	@echo "make lab-up    start the lab and print the exports that point azlin at it"
	@echo "make lab-down  stop the lab and remove every test VM"

system-deps: $(VENV)/.system-deps
$(VENV)/.system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages: $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@mkdir -p $(VENV) && touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml | $(VENV)/.system-deps
	@test -x $(PY) || { test -n "$(PYTHON312)" && $(PYTHON312) -m venv $(VENV); } || \
		{ echo "Python 3.12 or later is needed (python3.12 on PATH, or pyenv)"; exit 2; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	# azure.azcollection imports every SDK it pins; install exactly its own requirements.
	$(PY) -m pip install -q -r $(COLLECTION_REQUIREMENTS)
	@touch $@

lab-up: venv
	@$(PY) -m tests.lab up

lab-down:
	@$(PY) -m tests.lab down

demo: venv lab-up
	@source "$$($(PY) -m tests.lab env-file)" && \
		$(VENV)/bin/azlin provision --name $(DEMO_VM) --repo $(DEMO_REPO) \
			--allow-from "$${AZLIN_ALLOW_FROM:-10.231.0.1/32}"

test: lint
	$(PY) -m pytest

# yamllint and ansible-lint (production profile) over the roles and playbooks. ansible-lint
# finds azure.azcollection in the venv's `ansible` package, so the venv's bin comes first.
ansible-lint: venv
	$(VENV)/bin/yamllint -s roles playbooks galaxy.yml meta execution-environment.yml
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint roles playbooks

# Figures, not tests: where a provision's time goes, azlin beside the plain tools, fleets.
bench: venv
	$(PY) bench/run.py

lint: venv ansible-lint
	$(VENV)/bin/ruff check azlin tests bench
	$(VENV)/bin/ruff format --check azlin tests bench
	$(VENV)/bin/mypy
	# The lab's own modules too: an emulator backend that misses a method of its protocol
	# fails here, not in the middle of a provision.
	$(VENV)/bin/mypy --strict tests/lab --exclude 'tests/lab/test_'

clean: lab-down
	rm -rf $(VENV)
