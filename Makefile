# Tally build. `make` builds ./tally-server; `make test` installs missing test dependencies (Debian
# packages) and runs the unit and integration tests; `make asan` / `make tsan` run them under
# sanitizers; `make run` starts the server with defaults.
CXX ?= g++
BUILD ?= build
OPT ?= -O2
SAN ?=
CXXFLAGS := -std=c++20 -Wall -Wextra -Werror $(OPT) -g -MMD -MP -pthread $(SAN)
LDFLAGS := -pthread $(SAN)

LIB_SRCS := $(filter-out server.cpp,$(wildcard *.cpp))
LIB_OBJS := $(LIB_SRCS:%.cpp=$(BUILD)/%.o)
UNIT_SRCS := $(filter-out tests/integration_%.cpp tests/harness.cpp,$(wildcard tests/*_test.cpp))
UNIT_OBJS := $(UNIT_SRCS:%.cpp=$(BUILD)/%.o)
INTEG_SRCS := $(wildcard tests/integration_*.cpp) tests/harness.cpp
INTEG_OBJS := $(INTEG_SRCS:%.cpp=$(BUILD)/%.o)
SERVER := $(if $(filter build,$(BUILD)),tally-server,$(BUILD)/tally-server)

.PHONY: all test unit integration asan tsan run clean deps bench
all: $(SERVER)

$(SERVER): $(BUILD)/server.o $(LIB_OBJS)
	$(CXX) $(LDFLAGS) -o $@ $^

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -I. -c $< -o $@

$(BUILD)/unit_tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(CXX) $(LDFLAGS) -o $@ $^ -lgtest -lgtest_main

$(BUILD)/integration_tests: $(INTEG_OBJS)
	$(CXX) $(LDFLAGS) -o $@ $^ -lgtest -lgtest_main -lhiredis

# Installs what the tests need from Debian's archive when it is missing (as root), or says how.
deps:
	@./tests/install_deps.sh

unit: $(BUILD)/unit_tests
	./$(BUILD)/unit_tests

integration: $(SERVER) $(BUILD)/integration_tests
	TALLY_SERVER=$(abspath $(SERVER)) ./$(BUILD)/integration_tests

test: deps
	@$(MAKE) --no-print-directory unit integration

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit integration

tsan: deps
	@$(MAKE) --no-print-directory BUILD=build-tsan OPT=-O1 SAN="-fsanitize=thread" unit integration

run: $(SERVER)
	@mkdir -p data
	./$(SERVER) --port 6379 --dir ./data

bench: $(SERVER)
	python3 bench/compare.py

clean:
	rm -rf build build-asan build-tsan tally-server

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
