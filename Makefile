# Tally build. `make` builds ./tally-server; `make test` installs missing test dependencies (Debian
# packages) and runs the unit and integration tests; `make asan` / `make tsan` run them under
# sanitizers; `make run` starts the server with defaults.
CXX ?= g++
BUILD ?= build
OPT ?= -O2
SAN ?=
CXXFLAGS := -std=c++20 -Wall -Wextra -Werror $(OPT) -g -MMD -MP -pthread $(SAN)
LDFLAGS := -pthread $(SAN)
LDLIBS := -lssl -lcrypto  # TLS (tls.cpp); Debian package libssl-dev

LIB_SRCS := $(filter-out server.cpp,$(wildcard *.cpp))
LIB_OBJS := $(LIB_SRCS:%.cpp=$(BUILD)/%.o)
UNIT_SRCS := $(filter-out tests/integration_%.cpp tests/harness.cpp,$(wildcard tests/*_test.cpp))
UNIT_OBJS := $(UNIT_SRCS:%.cpp=$(BUILD)/%.o)
INTEG_SRCS := $(wildcard tests/integration_*.cpp) tests/harness.cpp
INTEG_OBJS := $(INTEG_SRCS:%.cpp=$(BUILD)/%.o)
SERVER := $(if $(filter build,$(BUILD)),tally-server,$(BUILD)/tally-server)

.PHONY: all test unit integration asan tsan run clean deps bench bench-wal bench-memory
all: $(SERVER)

$(SERVER): $(BUILD)/server.o $(LIB_OBJS)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -I. -c $< -o $@

$(BUILD)/unit_tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(CXX) $(LDFLAGS) -o $@ $^ -lgtest -lgtest_main $(LDLIBS)

$(BUILD)/integration_tests: $(INTEG_OBJS)
	$(CXX) $(LDFLAGS) -o $@ $^ -lgtest -lgtest_main -lhiredis $(LDLIBS)

# Installs what the tests need from Debian's archive when it is missing (as root), or says how.
deps:
	@./tests/install_deps.sh

unit: $(BUILD)/unit_tests
	./$(BUILD)/unit_tests

integration: $(SERVER) $(BUILD)/integration_tests
	TALLY_SERVER=$(abspath $(SERVER)) ./$(BUILD)/integration_tests

# Builds in parallel (with -j), then runs the two suites one after the other: the integration tests
# measure timeouts and must not share the CPU with the unit tests.
TEST_BUILD = $(SERVER) $(BUILD)/unit_tests $(BUILD)/integration_tests
test: deps
	@$(MAKE) --no-print-directory $(TEST_BUILD)
	@$(MAKE) --no-print-directory -j1 unit
	@$(MAKE) --no-print-directory -j1 integration
	@$(MAKE) --no-print-directory -j1 compat-diff
	@$(MAKE) --no-print-directory -j1 redis-py

# Differential test (fuzz/redis_diff.py): the same random commands, right and wrong, to ./tally-server
# and to redis-server, every reply compared byte for byte. A fixed seed here; any other seed explores more
# (python3 fuzz/redis_diff.py --episodes 5000 --seed N).
COMPAT_EPISODES ?= 2000
COMPAT_SEED ?= 1
.PHONY: compat-diff
compat-diff: $(SERVER)
	python3 fuzz/redis_diff.py --episodes $(COMPAT_EPISODES) --seed $(COMPAT_SEED)

# redis-py (Debian's python3-redis 4.3.4) against the real binary: the calls shared/COMPAT.md lists and
# its transaction() check-and-set helper (tests/redis_py_test.py; it passes against redis-server too).
.PHONY: redis-py
redis-py: $(SERVER)
	TALLY_SERVER=$(abspath $(SERVER)) /usr/bin/python3 tests/redis_py_test.py

# The sanitizer targets instrument the server and the unit tests; the integration tests drive the
# instrumented server from the ordinary build of their client (build/integration_tests), which needs
# no sanitizer of its own. ASan builds with clang when it is there (several times faster to compile).
SAN_DRIVER = TALLY_SERVER=$(abspath $(1))/tally-server ./build/integration_tests
ASAN_CXX := $(if $(shell command -v clang++ 2>/dev/null),clang++,$(CXX))
ASAN_VARS = BUILD=build-asan CXX=$(ASAN_CXX) OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
# ASan's quarantine keeps up to 256 MB of freed memory unreused, which the tests that bound the
# server's memory (a client that does not read) would count as growth.
asan: export ASAN_OPTIONS = quarantine_size_mb=16
asan: deps
	@$(MAKE) --no-print-directory $(ASAN_VARS) build-asan/tally-server build-asan/unit_tests
	@$(MAKE) --no-print-directory build/integration_tests
	@$(MAKE) --no-print-directory -j1 $(ASAN_VARS) unit
	$(call SAN_DRIVER,build-asan)
	python3 fuzz/redis_diff.py --tally build-asan/tally-server --episodes 500 --seed 2
	TALLY_SERVER=$(abspath build-asan)/tally-server /usr/bin/python3 tests/redis_py_test.py

TSAN_VARS = BUILD=build-tsan OPT=-O1 SAN="-fsanitize=thread"
# FLUSHALL and SWAPDB hold every shard's lock (1024 by default), past the 64 that TSan's deadlock
# detector can track; data races are still reported.
tsan: export TSAN_OPTIONS = detect_deadlocks=0
# Its shadow memory makes the server's resident size grow ~4.5x what it allocates (342 MiB for 75).
tsan: export TALLY_TEST_RSS_SCALE = 5
# The instrumented server's reports go to build-tsan/tsan-report.* (its stderr is the test's server
# log, which no test reads); any report fails the target.
tsan: deps
	@$(MAKE) --no-print-directory $(TSAN_VARS) build-tsan/tally-server build-tsan/unit_tests
	@$(MAKE) --no-print-directory build/integration_tests
	@rm -f build-tsan/tsan-report.*
	@$(MAKE) --no-print-directory -j1 $(TSAN_VARS) unit
	TSAN_OPTIONS="$$TSAN_OPTIONS log_path=$(abspath build-tsan)/tsan-report" $(call SAN_DRIVER,build-tsan)
	@if ls build-tsan/tsan-report.* >/dev/null 2>&1; then cat build-tsan/tsan-report.*; echo "ThreadSanitizer reports above"; exit 1; fi

# libFuzzer targets (fuzz/, docs/fuzzing.md): clang with ASan and UBSan; the library objects are
# instrumented for coverage (fuzzer-no-link) and kept apart in build-fuzz/.
FUZZ_CXX ?= clang++
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_FLAGS := -std=c++20 -Wall -Wextra -Werror -O1 -g -MMD -MP -pthread -I.
FUZZ_OBJS := $(LIB_SRCS:%.cpp=build-fuzz/%.o)
FUZZERS := build-fuzz/parser_fuzz build-fuzz/commands_fuzz
FUZZ_SECONDS ?= 60
.PHONY: fuzz fuzz-run soak
.PRECIOUS: build-fuzz/%.o  # built through a pattern chain: keep them, not intermediates
fuzz: $(FUZZERS)

build-fuzz/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

build-fuzz/%_fuzz: fuzz/%_fuzz.cpp $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $(filter %.cpp %.o,$^) $(LDLIBS)

# Runs each fuzzer for FUZZ_SECONDS on a scratch copy of its seed corpus (the committed corpus does
# not grow); a finding (a crash, leak, UB, or one input over 25 s) stops the run, leaves its input
# in build-fuzz/ (crash-*, leak-*, timeout-*), and fails.
fuzz-run: $(FUZZERS)
	@for f in parser commands; do \
	  rm -rf build-fuzz/corpus-$$f && mkdir -p build-fuzz/corpus-$$f && cp fuzz/corpus/$$f/* build-fuzz/corpus-$$f/ && \
	  echo "fuzz: $$f for $(FUZZ_SECONDS)s" && \
	  ./build-fuzz/$${f}_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=25 -dict=fuzz/$$f.dict -artifact_prefix=build-fuzz/ \
	    -print_final_stats=1 build-fuzz/corpus-$$f 2>build-fuzz/$$f.log || { tail -n 60 build-fuzz/$$f.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec' build-fuzz/$$f.log; \
	done

# 10,000 concurrent connections, then a mixed workload with the server's RSS sampled (bench/soak.py).
SOAK_SECONDS ?= 180
soak: $(SERVER)
	python3 bench/soak.py --server ./$(SERVER) --seconds $(SOAK_SECONDS)

run: $(SERVER)
	@mkdir -p data
	./$(SERVER) --port 6379 --dir ./data

# The issue-5 suite: log off, then everysec, then always, then the memory run (each a JSON file in
# bench/results/; the log-off and memory runs are compared with the committed baselines).
BENCH_TESTS = ping_inline,ping_mbulk,set,get,incr,mset,hset,zadd,zpopmin,hget_big,zscore_big,zrange_100,zrevrank_big
bench: $(SERVER)
	python3 bench/compare.py -t $(BENCH_TESTS) --json bench/results/latest-off.json --baseline bench/results/baseline.json
	python3 bench/compare.py -t $(BENCH_TESTS) --appendonly yes --appendfsync everysec --json bench/results/latest-everysec.json
	python3 bench/compare.py -t $(BENCH_TESTS) --appendonly yes --appendfsync always --json bench/results/latest-always.json
	python3 bench/memory.py --json bench/results/latest-memory.json --baseline bench/results/memory-baseline.json

# The memory run alone: bytes per item after loading the same data into both servers.
bench-memory: $(SERVER)
	python3 bench/memory.py --json bench/results/latest-memory.json --baseline bench/results/memory-baseline.json

# The write-ahead log's cost (log off / everysec / always) and recovery time, next to redis-server.
bench-wal: $(SERVER)
	python3 bench/wal.py

clean:
	rm -rf build build-asan build-tsan build-fuzz tally-server

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
-include $(wildcard build-fuzz/*.d)
