# vsphere.lifecycle: every target sets itself up (creates .venv with pinned dependencies).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ANSIBLE_PYTHON := 3.11

# ansible-test needs the collection at .../ansible_collections/vsphere/lifecycle and lists files with git:
# it runs on a copy outside this git work tree's file listing (its own `git init`), refreshed on every run.
BUILD_ROOT := $(CURDIR)/.cache/ansible-test
COLL := $(BUILD_ROOT)/ansible_collections/vsphere/lifecycle
COLL_CONTENT := galaxy.yml README.md meta plugins changelogs docs playbooks roles
# offline stand-in for the get-pip script ansible-test downloads (see tests/sanity/get_pip_standin.py)
GET_PIP := $(HOME)/.ansible/test/cache/get_pip_24_2.py
STATE := .state
DEMO_STATE := $(STATE)/demo

.PHONY: venv sim demo test lint sanity units integration molecule collection-tree runtime-tree clean govmomi-deps

$(STAMP): requirements-dev.txt requirements.txt simulator/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e simulator
	touch $(STAMP)

venv: $(STAMP)

sim: $(STAMP)
	$(BIN)/vlcmsim --scenario demo

RUNTIME := $(BUILD_ROOT)/runtime

# the collection as Ansible finds it at run time (a link to this work tree)
runtime-tree:
	@mkdir -p $(RUNTIME)/ansible_collections/vsphere
	@ln -sfn $(CURDIR) $(RUNTIME)/ansible_collections/vsphere/lifecycle

# ruff (Python), ansible-lint (production profile, .ansible-lint: playbooks, roles, Molecule scenarios; offline), antsibull-docs (module docs), antsibull-changelog (fragments)
lint: $(STAMP) runtime-tree
	$(BIN)/ruff check plugins simulator tests bench
	cd $(RUNTIME)/ansible_collections/vsphere/lifecycle && PATH=$(CURDIR)/$(BIN):$$PATH \
	  ANSIBLE_COLLECTIONS_PATH=$(RUNTIME) $(CURDIR)/$(BIN)/ansible-lint --offline --nocolor -q playbooks/ roles/ extensions/
	cd $(RUNTIME)/ansible_collections/vsphere/lifecycle && PATH=$(CURDIR)/$(BIN):$$PATH \
	  ANSIBLE_COLLECTIONS_PATH=$(RUNTIME) $(CURDIR)/$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .
	$(BIN)/antsibull-changelog lint

$(GET_PIP): tests/sanity/get_pip_standin.py
	mkdir -p $(dir $(GET_PIP))
	cp $< $@

collection-tree:
	rm -rf $(COLL)
	mkdir -p $(COLL)/tests
	cp -R $(wildcard $(COLL_CONTENT)) $(COLL)/
	cp -R tests/unit tests/sanity tests/config.yml $(COLL)/tests/
	printf 'tests/output/\n__pycache__/\n' > $(COLL)/.gitignore
	cd $(COLL) && git init -q

sanity: $(STAMP) $(GET_PIP) collection-tree
	cd $(COLL) && time $(CURDIR)/$(BIN)/ansible-test sanity --venv --python $(ANSIBLE_PYTHON) \
	  --skip-test pslint --skip-test shellcheck --color no

units: $(STAMP) $(GET_PIP) collection-tree
	cd $(COLL) && time $(CURDIR)/$(BIN)/ansible-test units --venv --python $(ANSIBLE_PYTHON) \
	  --requirements --color no

# Go and govmomi from Debian for the second SOAP client (tests/govmomi, run by tests/sim/test_govmomi_client.py),
# installed only when missing; root runs apt-get itself, anyone else through sudo. Measured on a clean
# bookworm machine: see docs/simulator-soap.md ("The govmomi client").
GO_DEBS := golang-go golang-github-vmware-govmomi-dev
GOVMOMI_SRC := /usr/share/gocode/src/github.com/vmware/govmomi
APT_AS := $(shell test "$$(id -u)" = 0 || echo sudo)
govmomi-deps:
	@if command -v go >/dev/null 2>&1 && test -d $(GOVMOMI_SRC) && dpkg -s $(GO_DEBS) >/dev/null 2>&1; then \
	  echo "govmomi-deps: $(GO_DEBS) already installed"; \
	else \
	  time ( $(APT_AS) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(APT_AS) apt-get install -y -q \
	    --no-install-recommends $(GO_DEBS) ); \
	fi

# Chromium from Debian for the HTML report test (tests/integration/test_report_html.py drives it with Playwright's
# Python package, pinned in requirements-dev.txt, through executable_path: no browser download), installed only
# when missing; root runs apt-get itself, anyone else through sudo.
CHROMIUM := /usr/bin/chromium
.PHONY: report-deps
report-deps:
	@if test -x $(CHROMIUM); then \
	  echo "report-deps: chromium already installed"; \
	else \
	  time ( $(APT_AS) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(APT_AS) apt-get install -y -q \
	    --no-install-recommends chromium ); \
	fi

# simulator tests (tests/sim, tests/conformance: the official bindings and pyVmomi as clients), then the
# modules through ansible-playbook against a simulator each test module starts (tests/integration)
integration: $(STAMP) govmomi-deps report-deps
	time $(BIN)/python -m pytest -q tests/meta tests/sim tests/conformance tests/load tests/integration

# the execution environment (tests/ee/execution-environment.yml + meta/execution-environment.yml) through
# ansible-builder offline: create the build context, run its galaxy and introspection stages (tests/ee/check_ee.py)
.PHONY: ee-check
ee-check: $(STAMP)
	$(BIN)/python tests/ee/check_ee.py

# Molecule scenarios of the roles (extensions/molecule/, one per role; delegated driver: each scenario starts and
# stops its own vlcmsim): destroy, create, converge, idempotence, verify, destroy
molecule: $(STAMP) runtime-tree
	PATH=$(CURDIR)/$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(RUNTIME) ANSIBLE_PYTHON_INTERPRETER=$(CURDIR)/$(BIN)/python \
	  ANSIBLE_HOME=$(CURDIR)/.cache/molecule-ansible MOLECULE_NO_LOG=false \
	  bash -c 'time $(BIN)/molecule test --all'

test: lint ee-check sanity units integration molecule

# Starts vlcmsim on the demo scenario in the background, runs the compliance report and the main job
# (playbooks/remediate_cluster.yml on Cluster-A: compliance, stage, pre-check, remediate) against it with the
# connection taken only from VMWARE_* environment variables (and the simulator's CA), then the rolling
# remediation playbook over the inventory plugin's clusters (Cluster-A is compliant by then and skipped;
# Cluster-B goes in capacity-aware waves) and the simulator's peak of hosts in maintenance mode and capacity
# violations, then the compliance report again (role compliance_report: JSON + HTML) and the paths of the HTML
# reports before and after; then stops the simulator, also when a playbook fails.
demo: $(STAMP) runtime-tree
	@rm -rf $(DEMO_STATE) && mkdir -p $(DEMO_STATE)
	@$(BIN)/vlcmsim --scenario demo --port 0 --time-scale 0.01 --state-dir $(DEMO_STATE) \
	  > $(DEMO_STATE)/vlcmsim.log 2>&1 & echo $$! > $(DEMO_STATE)/pid; \
	trap 'kill $$(cat $(DEMO_STATE)/pid) 2>/dev/null; wait $$(cat $(DEMO_STATE)/pid) 2>/dev/null' EXIT; \
	for i in $$(seq 1 150); do test -s $(DEMO_STATE)/server.json && break; \
	  kill -0 $$(cat $(DEMO_STATE)/pid) 2>/dev/null || { cat $(DEMO_STATE)/vlcmsim.log; exit 1; }; sleep 0.2; done; \
	test -s $(DEMO_STATE)/server.json || { echo "vlcmsim did not start"; cat $(DEMO_STATE)/vlcmsim.log; exit 1; }; \
	eval "$$($(BIN)/python -m vlcmsim.testing env $(DEMO_STATE))"; \
	echo "vlcmsim (demo scenario) at https://$$VMWARE_HOST:$$VMWARE_PORT"; \
	export ANSIBLE_COLLECTIONS_PATH=$(RUNTIME) ANSIBLE_PYTHON_INTERPRETER=$(CURDIR)/$(BIN)/python \
	  ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false; \
	$(BIN)/ansible-playbook playbooks/compliance_report.yml -e vlcm_report_dir=$(CURDIR)/$(DEMO_STATE)/report-before && \
	$(BIN)/ansible-playbook playbooks/remediate_cluster.yml -e vlcm_cluster=Cluster-A -e vlcm_accept_eula=true && \
	echo "== the clusters of the inventory plugin (playbooks/inventory/demo.vcenter.yml)" && \
	$(BIN)/ansible-inventory -i playbooks/inventory/demo.vcenter.yml --graph vlcm_clusters && \
	echo "== rolling remediation (playbooks/rolling_remediation.yml): capacity-aware waves, cluster by cluster" && \
	$(BIN)/ansible-playbook -i playbooks/inventory/demo.vcenter.yml playbooks/rolling_remediation.yml \
	  -e vlcm_accept_eula=true && \
	$(BIN)/python -c 'import sys; from vlcmsim.testing import SimulatorHandle as S; s = S.attach(sys.argv[1]); \
	  c = s.counters(); n = {x["id"]: x["name"] for x in s.state()["clusters"]}; \
	  print("vlcmsim counters: peak hosts in maintenance mode per cluster", \
	        {n[k]: v for k, v in sorted(c["max_hosts_in_maintenance_per_cluster"].items())}, \
	        "| capacity violations", c["capacity_violations"])' $(DEMO_STATE) && \
	echo "== the compliance report after remediation (role compliance_report: JSON and one HTML page)" && \
	$(BIN)/ansible-playbook playbooks/compliance_report.yml -e vlcm_report_dir=$(CURDIR)/$(DEMO_STATE)/report \
	  | grep -E '^ +"(cluster|JSON|HTML)' && \
	echo "compliance report before remediation: $(CURDIR)/$(DEMO_STATE)/report-before/compliance-report.html" && \
	echo "compliance report (open it in a browser): $(CURDIR)/$(DEMO_STATE)/report/compliance-report.html"

clean:
	rm -rf $(VENV) tests/output .pytest_cache .cache $(STATE)
