# mxtune: the two commands a new user needs.
#   make run   install missing Debian packages, build, probe and tune this machine
#   make test  install, build, run the tests (and the unit tests under ASan/UBSan)
BUILD_DIR ?= build
SAN_DIR   ?= build-san
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
DEBS      := build-essential cmake pkg-config libgsl-dev libcjson-dev libsqlite3-dev \
             sqlite3 gnuplot-nox chromium jq
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
MXTUNE    := $(BUILD_DIR)/mxtune

.PHONY: all deps build run test test-san clean

all: build

# Install only what is missing (dpkg-query), with sudo only when not root.
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DMXT_WERROR=ON
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(MXTUNE) probe && $(MXTUNE) search --op gemm

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -LE slow -j $(JOBS)
	$(MAKE) --no-print-directory test-san

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
test-san: deps
	cmake -S . -B $(SAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DMXT_SANITIZE=ON -DMXT_WERROR=ON
	cmake --build $(SAN_DIR) -j $(JOBS)
	cd $(SAN_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -L "unit|replay|db" -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR) $(SAN_DIR)
