# Thin convenience wrapper around meson + ninja.  The real build lives in
# meson.build; see `make help` for the available targets.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

MESON ?= meson
NINJA ?= ninja

BUILD_DIR := build
ASAN_DIR  := build-asan
TSAN_DIR  := build-tsan

BUILD_OPTS := --buildtype=debugoptimized
ASAN_OPTS  := -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug
TSAN_OPTS  := -Db_sanitize=thread -Db_lundef=false

SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	   TSAN_OPTIONS=halt_on_error=1

# stdout of each `meson test` run is kept here for the final summary.
TEST_LOG := meson-test-stdout.log

FORMAT_DIRS := src include tests tools bench

# $(call configure,DIR,OPTIONS): run `meson setup` unless DIR is configured.
define configure
	if [ ! -f $(1)/build.ninja ]; then $(MESON) setup $(1) $(2); fi
endef

# $(call run_tests,DIR,EXTRA_ARGS): configure must already have happened.
# Builds DIR, runs its tests and tees meson's stdout into DIR/$(TEST_LOG).
define run_tests
	rm -f $(1)/$(TEST_LOG)
	$(NINJA) -C $(1)
	$(SAN_ENV) $(MESON) test -C $(1) $(2) --print-errorlogs | tee $(1)/$(TEST_LOG)
endef

.PHONY: all help setup configure build test test-build test-asan test-tsan \
	test-summary demo bench check-long docs format clean

all: build

help:
	@echo "targets: setup build test demo bench check-long docs format clean"

setup:
	@./scripts/setup.sh

configure: setup
	@$(call configure,$(BUILD_DIR),$(BUILD_OPTS))

build: configure
	$(NINJA) -C $(BUILD_DIR)

# Run all three stages even if one fails, print the summary, and fail if
# any stage failed.
test: setup
	@rm -f $(BUILD_DIR)/$(TEST_LOG) $(ASAN_DIR)/$(TEST_LOG) $(TSAN_DIR)/$(TEST_LOG)
	@rc=0; \
	$(MAKE) --no-print-directory test-build || rc=1; \
	$(MAKE) --no-print-directory test-asan || rc=1; \
	$(MAKE) --no-print-directory test-tsan || rc=1; \
	$(MAKE) --no-print-directory test-summary || rc=1; \
	exit $$rc

test-build: configure
	$(call run_tests,$(BUILD_DIR),)

test-asan: setup
	$(call configure,$(ASAN_DIR),$(ASAN_OPTS))
	$(call run_tests,$(ASAN_DIR),)

test-tsan: setup
	$(call configure,$(TSAN_DIR),$(TSAN_OPTS))
	$(call run_tests,$(TSAN_DIR),--suite real)

# Sum meson's "Ok:" and "Fail:" (plus "Timeout:" and "Unexpected Pass:")
# summary lines over the three runs (the last summary in each log counts).
# Fails if a stage produced no log at all.
test-summary:
	@pass=0; fail=0; rc=0; \
	for d in $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR); do \
		log=$$d/$(TEST_LOG); \
		if [ ! -f $$log ]; then \
			echo "$$d: no test results (build or configure failed?)"; \
			rc=1; continue; \
		fi; \
		p=$$(awk '/^Ok:/ { n = $$2 } END { print n + 0 }' $$log); \
		f=$$(awk '/^(Fail|Timeout|Unexpected Pass):/ { n[$$1] = $$NF } \
			END { for (k in n) s += n[k]; print s + 0 }' $$log); \
		pass=$$((pass + p)); fail=$$((fail + f)); \
	done; \
	echo "$$pass passed, $$fail failed"; \
	exit $$rc

demo: build
	./$(BUILD_DIR)/secmmu demo
	./$(BUILD_DIR)/secmmu zoo

# bench_engine first, then any other bench_* executables meson produced.
bench: build
	@benches=$$(find $(BUILD_DIR) -maxdepth 2 -type f -perm -u+x \
		-name 'bench_*' ! -name '*.p' | sort); \
	if [ -z "$$benches" ]; then echo "no bench_* executables in $(BUILD_DIR)" >&2; exit 1; fi; \
	for b in $$(echo "$$benches" | grep '/bench_engine$$'; \
		    echo "$$benches" | grep -v '/bench_engine$$'); do \
		echo "== $$b"; ./$$b; \
	done

check-long: build
	$(MESON) test -C $(BUILD_DIR) --suite long --print-errorlogs

# docs/policies.md, docs/zoo.md and README.md's zoo table, from the code
# (the `docs` test fails when the committed copies are out of date)
docs: build
	./scripts/gen-docs.sh $(BUILD_DIR)/secmmu .

format:
	@dirs=$$(for d in $(FORMAT_DIRS); do [ -d $$d ] && echo $$d; done); \
	[ -z "$$dirs" ] || find $$dirs -type f \( -name '*.c' -o -name '*.h' \) \
		-print0 | xargs -0 -r clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR)
