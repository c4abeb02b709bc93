# The build runs through CMake (Ninja); this file is the front door. Every target first installs
# the Debian packages it needs (scripts/install-deps.sh skips what is already there).
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
# Warnings are errors under CI.
WERROR     := $(if $(CI),ON,OFF)
CTEST_ARGS ?= --output-on-failure -j2 --timeout 600

configure = cmake -S . -B $(1) -G Ninja -DCMAKE_BUILD_TYPE=$(2) -DWERROR=$(WERROR) $(3) >/dev/null
compile   = cmake --build $(1) -j$$(nproc)

.PHONY: all test demo bench asan tsan fuzz deps install clean

# The executables only; the tests, which need GoogleTest, are built by the targets that run them.
all:
	@scripts/install-deps.sh build
	@$(call configure,$(BUILD),$(BUILD_TYPE),-DBUILD_TESTS=OFF)
	@$(call compile,$(BUILD))

test:
	@scripts/install-deps.sh build test
	@$(call configure,$(BUILD),$(BUILD_TYPE),-DBUILD_TESTS=ON)
	@$(call compile,$(BUILD))
	cd $(BUILD) && ctest $(CTEST_ARGS)

demo: all
	@scripts/cluster.sh demo

asan:
	@scripts/install-deps.sh build test
	@$(call configure,build-asan,Debug,-DSANITIZE=address$(,)undefined -DBUILD_TESTS=ON)
	@$(call compile,build-asan)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest $(CTEST_ARGS)

# Every test under ThreadSanitizer: the executor, the accept loop, the relay and the pools in the
# unit tests, and the servers themselves (built with it) in the integration tests.
tsan:
	@scripts/install-deps.sh build test
	@$(call configure,build-tsan,Debug,-DSANITIZE=thread -DBUILD_TESTS=ON)
	@$(call compile,build-tsan)
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  ctest $(CTEST_ARGS)

bench:
	@scripts/install-deps.sh build bench
	@$(call configure,$(BUILD),$(BUILD_TYPE),-DBUILD_BENCH=ON)
	@$(call compile,$(BUILD))
	$(BUILD)/bench_micro --benchmark_min_time=0.2
	BUILD_DIR=$(BUILD) python3 -m bench.compare

# libFuzzer targets for the wire code, each run for FUZZ_SECONDS on top of the committed seed
# corpus (new inputs go to build-fuzz/, the committed corpus is only read).
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -std=c++20 -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
fuzz:
	@scripts/install-deps.sh fuzz
	@mkdir -p build-fuzz/corpus/request_parser build-fuzz/corpus/chunked build-fuzz/corpus/frame \
	  build-fuzz/corpus/websocket
	clang++ $(FUZZ_FLAGS) tests/fuzz/request_parser_fuzz.cpp common/http_parser.cpp -o build-fuzz/request_parser_fuzz
	clang++ $(FUZZ_FLAGS) tests/fuzz/chunked_fuzz.cpp common/chunked.cpp common/http_parser.cpp -o build-fuzz/chunked_fuzz
	clang++ $(FUZZ_FLAGS) tests/fuzz/frame_fuzz.cpp web_server/replication/frame.cpp \
	  web_server/replication/message.cpp web_server/replication/link_cipher.cpp -lcrypto \
	  -o build-fuzz/frame_fuzz
	clang++ $(FUZZ_FLAGS) tests/fuzz/websocket_fuzz.cpp common/websocket.cpp common/utf8.cpp \
	  common/base64.cpp common/http_parser.cpp -lcrypto -o build-fuzz/websocket_fuzz
	build-fuzz/request_parser_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  build-fuzz/corpus/request_parser tests/fuzz/corpus/request_parser
	build-fuzz/chunked_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  build-fuzz/corpus/chunked tests/fuzz/corpus/chunked
	build-fuzz/frame_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  build-fuzz/corpus/frame tests/fuzz/corpus/frame
	build-fuzz/websocket_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  build-fuzz/corpus/websocket tests/fuzz/corpus/websocket

deps:
	@scripts/install-deps.sh all

# The executables, the web app, the systemd units and example configuration (scripts/install.sh);
# packagers stage with DESTDIR: make install PREFIX=/usr DESTDIR=pkgroot
PREFIX ?= /usr/local
install: all
	DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) scripts/install.sh $(BUILD)

clean:
	rm -rf build build-asan build-tsan build-fuzz

, := ,
