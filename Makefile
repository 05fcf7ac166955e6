# Sluice — every entry point a person or CI uses. `make help` lists them.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The pinned tools (Node 24, kube-apiserver, etcd, MinIO, kind, helm, ...) are linked into ./bin.
export PATH := $(CURDIR)/bin:$(PATH)
export NODE_OPTIONS := --experimental-vm-modules --no-warnings=ExperimentalWarning
JEST := node node_modules/jest/bin/jest.js

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z0-9_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: deps
deps: ## Install the Debian packages the project needs (only what is missing)
	hack/install-deps.sh

.PHONY: tools
tools: ## Build/link the pinned tools for tests into ./bin (cached in ~/.cache/sluice)
	hack/tools.sh test

.PHONY: tools-cluster
tools-cluster: ## Build/link the pinned tools for a kind cluster into ./bin
	hack/tools.sh cluster

node_modules/.package-lock.json: package.json package-lock.json operator/package.json runtime-image/package.json test/package.json bin/node bin/npm
	npm ci --no-audit --no-fund
	@touch $@

bin/node bin/npm:
	hack/tools.sh node npm

.PHONY: install
install: node_modules/.package-lock.json ## Install npm dependencies (npm ci)

# The RocksDB checkpoint addon (docs/state.md), built with node-gyp against the headers of the
# pinned Node (bin/node -> <tools cache>/node-<version>/package/bin/node, headers in include/node).
NATIVE_DIR := runtime-image/native/rocksdb-checkpoint
NATIVE_ADDON := $(NATIVE_DIR)/build/Release/rocksdb_checkpoint.node

.PHONY: native
native: $(NATIVE_ADDON) ## Build the RocksDB checkpoint addon (node-gyp, -j2) -> runtime-image/native/rocksdb-checkpoint/build/Release

$(NATIVE_ADDON): $(NATIVE_DIR)/binding.gyp $(NATIVE_DIR)/checkpoint.cc node_modules/.package-lock.json
	node node_modules/node-gyp/bin/node-gyp.js rebuild --directory=$(NATIVE_DIR) \
	  --nodedir="$$(realpath "$$(dirname "$$(realpath bin/node)")/..")" --jobs 2
	@# Only virtual calls into RocksDB: the addon must not need any RocksDB symbol at load time.
	@! nm -D --undefined-only $@ | grep -i rocksdb || { echo "$@ needs RocksDB symbols" >&2; exit 1; }
	@touch $@

.PHONY: lint
lint: install ## eslint + prettier --check
	node node_modules/eslint/bin/eslint.js .
	node node_modules/prettier/bin/prettier.cjs --check .

.PHONY: typecheck
typecheck: install ## TypeScript type check (no emit)
	node node_modules/typescript/bin/tsc -p tsconfig.json --noEmit

.PHONY: test-unit
test-unit: install native ## Unit tests (pure logic)
	$(JEST) --selectProjects unit

.PHONY: test-integration
test-integration: install tools native ## Integration tests on a real etcd + kube-apiserver + MinIO
	$(JEST) --selectProjects integration

.PHONY: test-operator
test-operator: install tools ## Operator integration tests (real etcd + kube-apiserver)
	$(JEST) --selectProjects integration --testPathPatterns 'test/integration/(operator|crd)-'

.PHONY: test-runtime
test-runtime: install tools native ## Runtime integration tests (local worker processes, real MinIO)
	$(JEST) --selectProjects integration --testPathPatterns 'test/integration/runtime-'

.PHONY: test-kafka
test-kafka: install tools native ## Kafka connector integration tests (real Kafka broker, real worker processes)
	$(JEST) --selectProjects integration --testPathPatterns 'test/integration/kafka-'

.PHONY: run-operator
run-operator: install ## Run the operator locally against $$KUBECONFIG
	node operator/src/main.ts

.PHONY: test
test: deps tools install native lint typecheck verify-generate ## Everything CI runs before e2e: lint, typecheck, unit and integration tests
	$(JEST) --selectProjects unit integration

.PHONY: format
format: install ## Rewrite sources with prettier
	node node_modules/prettier/bin/prettier.cjs --write .

.PHONY: chart-sync
chart-sync: ## Copy crds/ and the operator's RBAC rules into the Helm chart (the tests fail when they drift)
	rm -f charts/sluice/files/crds/*.yaml && cp crds/*.yaml charts/sluice/files/crds/
	cp operator/config/rbac/role.yaml charts/sluice/files/rbac/role.yaml

.PHONY: generate
generate: install ## Regenerate api/src/streamjob.ts from the CRD and refresh the chart's copies
	node operator/src/codegen/generate-api-types.ts
	$(MAKE) chart-sync

.PHONY: verify-generate
verify-generate: install ## Fail when generated files drift from their sources, or a lockfile entry is incomplete
	node hack/lockfile/lockfile-check.ts
	node operator/src/codegen/generate-api-types.ts --check
	node bench/generate-doc-tables.ts --check
	diff -r crds charts/sluice/files/crds
	diff operator/config/rbac/role.yaml charts/sluice/files/rbac/role.yaml

.PHONY: helm-lint
helm-lint: tools ## helm lint the chart
	helm lint charts/sluice

# --- kind cluster (no registry needed; see docs/cluster.md) ---
KIND_CLUSTER ?= sluice
KAFKA ?= 0

.PHONY: docker-engine
docker-engine: ## Install and start a Docker engine when none answers (runc wrapper when CAP_SYS_RESOURCE is missing)
	hack/docker-engine.sh

.PHONY: kind-image
kind-image: tools-cluster ## Build the kind node image locally (cached by its inputs)
	hack/kind/node-image.sh

.PHONY: kind-up
kind-up: tools-cluster ## Create (or reuse) the kind cluster $(KIND_CLUSTER)
	hack/kind-up.sh $(KIND_CLUSTER)

.PHONY: kind-down
kind-down: ## Delete the kind cluster $(KIND_CLUSTER)
	hack/kind-down.sh $(KIND_CLUSTER)

.PHONY: kind-smoke
kind-smoke: kind-up ## Prove the cluster runs real pods: DNS, service traffic, container restart
	hack/kind/smoke.sh $(KIND_CLUSTER)

.PHONY: images
images: ## Build the operator, runtime, dev MinIO and dev Kafka images without a registry (cached) and load them into the kind cluster if it runs
	SLUICE_KIND_CLUSTER=$(KIND_CLUSTER) hack/images/app-images.sh

.PHONY: deploy
deploy: images ## Helm-install Sluice (operator + dev MinIO; KAFKA=1: + dev Kafka) into sluice-system of the kind cluster with the local images; wait until ready
	SLUICE_KAFKA=$(KAFKA) hack/deploy.sh $(KIND_CLUSTER)

.PHONY: demo
demo: docker-engine kind-up images ## The main job: kind cluster, images, chart with the dev Kafka, the example StreamJobs Ready (prints status, pods, checkpoint, Kafka output)
	SLUICE_KAFKA=1 hack/deploy.sh $(KIND_CLUSTER)
	hack/demo.sh $(KIND_CLUSTER)

# E2E: a path pattern selecting test files, e.g. make e2e E2E='test/e2e/(kafka-pipeline|install)'
E2E ?= test/e2e/
.PHONY: e2e
e2e: install docker-engine kind-up images ## End-to-end tests on the kind cluster: helm install, real worker pods, suspend/resume, GC, lost worker, Kafka pipeline (E2E=<path pattern> selects)
	SLUICE_KIND_CLUSTER=$(KIND_CLUSTER) $(JEST) --selectProjects e2e --runInBand --testPathPatterns '$(E2E)' --testPathIgnorePatterns 'test/e2e/nodes/'

# A second cluster with two worker nodes, for what needs more than one node (test/e2e/nodes/).
NODES_CLUSTER ?= sluice-nodes

.PHONY: e2e-nodes
e2e-nodes: install docker-engine tools-cluster ## End-to-end tests on a 3-node kind cluster $(NODES_CLUSTER): a lost node mid-stream
	SLUICE_KIND_WORKERS=2 hack/kind-up.sh $(NODES_CLUSTER)
	SLUICE_KIND_CLUSTER=$(NODES_CLUSTER) hack/images/app-images.sh
	SLUICE_KIND_CLUSTER=$(NODES_CLUSTER) $(JEST) --selectProjects e2e --runInBand --testPathPatterns 'test/e2e/nodes/'

# --- benchmarks: print figures, assert nothing (docs/benchmarks.md) ---
# One run id for every benchmark of one make invocation: bench/compare.ts pairs only results of one run.
ifndef BENCH_RUN_ID
BENCH_RUN_ID := $(shell date -u +%Y%m%dT%H%M%SZ)-$(shell git rev-parse --short HEAD 2>/dev/null || echo nogit)
endif
export BENCH_RUN_ID

.PHONY: bench-runtime
bench-runtime: install tools ## Runtime benchmark (Sluice side of the Flink comparison) -> bench/results/sluice-runtime.json
	node bench/runtime/run.ts

.PHONY: bench-flink
bench-flink: install tools ## Flink 2.3.0 MiniCluster side: same jobs and generators, checkpoints to a private MinIO -> bench/results/flink-runtime.json
	bench/flink/run.sh

.PHONY: bench-flink-check
bench-flink-check: install tools ## Compile bench/flink, check its generators and its Nexmark queries against the references; measures nothing
	bench/flink/check.sh

.PHONY: bench-compare
bench-compare: install ## Sluice/Flink table with ratios and the targets, from bench/results (refuses results of different runs or inputs)
	node bench/compare.ts

.PHONY: bench-kafka
bench-kafka: install tools ## Kafka in and out, exactly once: Sluice and Flink 2.3.0 in one run, same broker/topic/records -> bench/results/kafka.json
	node bench/kafka/run.ts $(BENCH_KAFKA_ARGS)

.PHONY: bench-state
bench-state: install tools native ## State backends: RocksDB incremental checkpoints, state larger than memory, throughput rocksdb vs heap -> bench/results/state.json
	node bench/state/run.ts $(BENCH_STATE_ARGS)

.PHONY: bench-doc-tables
bench-doc-tables: install ## Regenerate the generated tables of docs/benchmarks.md (Sluice/Flink, Kafka, recovery, node lost) from the committed results they name
	node bench/generate-doc-tables.ts

.PHONY: bench-operator-scale
bench-operator-scale: install tools ## 200 StreamJobs on a real kube-apiserver + etcd, operator as a process -> bench/results/operator-scale.json
	node bench/operator-scale/run.ts

.PHONY: bench-recovery
bench-recovery: install docker-engine kind-up images ## On kind, default restart policy, one job per run: worker pod deleted, container killed, savepoint upgrade -> bench/results/recovery.json
	SLUICE_KIND_CLUSTER=$(KIND_CLUSTER) node bench/recovery/run.ts $(RECOVERY_ARGS)

.PHONY: bench-node-lost
bench-node-lost: install docker-engine tools-cluster ## On the 3-node kind cluster of e2e-nodes: a worker node paused -> bench/results/recovery-node-lost.json
	SLUICE_KIND_WORKERS=2 hack/kind-up.sh $(NODES_CLUSTER)
	SLUICE_KIND_CLUSTER=$(NODES_CLUSTER) hack/images/app-images.sh
	SLUICE_KIND_CLUSTER=$(NODES_CLUSTER) node bench/recovery/node-lost.ts $(NODE_LOST_ARGS)

.PHONY: bench
bench: bench-runtime bench-flink bench-compare bench-kafka bench-state bench-operator-scale bench-recovery bench-node-lost ## Every benchmark, one after the other
