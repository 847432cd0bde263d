# ScoreKit — the two commands a fresh machine needs: `make demo` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo)
RELEASE_BIN := .build/release/scorekit
OUT ?= out

.PHONY: deps build demo test clean

# libopenblas-dev provides cblas.h and libopenblas for the matrix products (Linux only;
# Apple platforms use Accelerate).
deps:
	@if [ "$$(uname)" = Linux ] && ! dpkg -s libopenblas-dev >/dev/null 2>&1; then \
		echo "Installing libopenblas-dev…"; \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q libopenblas-dev; \
	fi

build: deps
	$(SWIFT) build -c release --product scorekit

# The main job on the built-in defaults.
demo: build
	@mkdir -p $(OUT)
	$(RELEASE_BIN) sample --model gmm2d --sampler ddim --nfe 50 --count 10000 --out $(OUT)/demo-gmm2d.npy
	$(RELEASE_BIN) sample --model gmm2d --sampler ddim --nfe 50 --count 10000 --out $(OUT)/demo-gmm2d.png
	@echo "Demo output: $(OUT)/demo-gmm2d.npy (samples) and $(OUT)/demo-gmm2d.png (scatter plot)"

# Release build with testing enabled: the numerical tests are far too slow in debug.
test: deps
	$(SWIFT) test -c release -Xswiftc -enable-testing

clean:
	rm -rf .build $(OUT)
