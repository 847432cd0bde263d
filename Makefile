# ScoreKit — the two commands a fresh machine needs: `make demo` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo)
RELEASE_BIN := .build/release/scorekit
OUT ?= out

.PHONY: deps build demo test test-quick examples install-check docs fuzz clean tutorial

# libopenblas-dev provides cblas.h and libopenblas for the matrix products (Linux only;
# Apple platforms use Accelerate).
deps:
	@if [ "$$(uname)" = Linux ] && ! dpkg -s libopenblas-dev >/dev/null 2>&1; then \
		echo "Installing libopenblas-dev…"; \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q libopenblas-dev; \
	fi

build: deps
	$(SWIFT) build -c release --product scorekit

# The main job on the built-in defaults: every sampler family on gmm2d at 10–100 NFE (tables,
# plot, scatter plots; rerunning resumes), and a grid of digits from the shipped digits model.
demo: build
	@mkdir -p $(OUT)
	$(RELEASE_BIN) compare --model gmm2d --out $(OUT)/compare-gmm2d
	$(RELEASE_BIN) sample --model digits --sampler heun --nfe 39 --count 100 --out $(OUT)/digits.png
	@echo "Demo output: $(OUT)/compare-gmm2d/report.md (tables), nfe-quality.svg (plot), cells/ (scatter plots)"
	@echo "             and trajectories-nfe*.png (every sampler from the same noise, side by side);"
	@echo "             $(OUT)/digits.png (100 generated digits)"

# docs/tutorial.md, every picture regenerated: train an S-curve model, draw its forward
# process, sample it with the tutorials' DDPM (T = 100, sigmoid β) and three other samplers,
# and compare them side by side. About 5 minutes on two cores, training included.
TUTORIAL_DIR := docs/tutorial
TUTORIAL_MODEL := $(OUT)/tutorial/scurve.safetensors
TUTORIAL_DDPM := ddpm:T=100,betas=sigmoid,beta_start=1e-5,beta_end=0.005
tutorial: build
	@mkdir -p $(OUT)/tutorial $(TUTORIAL_DIR)
	rm -f $(TUTORIAL_MODEL)
	$(RELEASE_BIN) train --data scurve --out $(TUTORIAL_MODEL)
	$(RELEASE_BIN) forward --model $(TUTORIAL_MODEL) --schedule discrete:T=100,betas=sigmoid,beta_start=1e-5,beta_end=0.005 \
		--frames 10 --out $(TUTORIAL_DIR)/forward.png
	$(RELEASE_BIN) forward --model $(TUTORIAL_MODEL) --schedule discrete:T=100,betas=sigmoid,beta_start=1e-5,beta_end=0.005 \
		--frames 40 --out $(TUTORIAL_DIR)/forward.apng
	$(RELEASE_BIN) sample --model $(TUTORIAL_MODEL) --sampler $(TUTORIAL_DDPM) --count 2000 --out $(OUT)/tutorial/ddpm.npy \
		--trajectory $(TUTORIAL_DIR)/ddpm.png --frames 10 --trajectory-denoised
	$(RELEASE_BIN) sample --model $(TUTORIAL_MODEL) --sampler $(TUTORIAL_DDPM) --count 2000 --out $(OUT)/tutorial/ddpm.npy \
		--trajectory $(TUTORIAL_DIR)/ddpm.apng
	@set -e; for s in heun dpm-solver++ euler-ancestral; do \
		$(RELEASE_BIN) sample --model $(TUTORIAL_MODEL) --sampler $$s --nfe 20 --count 2000 --out $(OUT)/tutorial/$$s.npy \
			--trajectory $(TUTORIAL_DIR)/$$s.png --frames 10; \
	done
	$(RELEASE_BIN) compare --model $(TUTORIAL_MODEL) --samplers "$(TUTORIAL_DDPM);heun;dpm-solver++;euler-ancestral" \
		--nfe 10,100 --count 2000 --trajectory-frames 8 --out $(OUT)/tutorial/compare
	cp $(OUT)/tutorial/compare/trajectories-nfe10.png $(OUT)/tutorial/compare/trajectories-nfe100.png $(TUTORIAL_DIR)/
	@echo "Tutorial pictures: $(TUTORIAL_DIR)/ (docs/tutorial.md); tables: $(OUT)/tutorial/compare/report.md"

# Release build with testing enabled: the numerical tests are far too slow in debug. Then the
# examples.
test: deps
	$(SWIFT) test -c release -Xswiftc -enable-testing
	@$(MAKE) --no-print-directory examples

# The quick tier: every suite except those marked `.statistical` (distributions drawn from
# thousands of samples, trained-model quality, training, fuzzing). Same release build.
test-quick: deps
	SCOREKIT_TEST_QUICK=1 $(SWIFT) test -c release -Xswiftc -enable-testing

# The packages in Examples/ (each depends on ScoreKit through the link Examples/ScoreKit → ..):
# builds each in debug and runs it; each checks what it prints and exits non-zero on a failed
# check. They share one build folder, Examples/.build, so ScoreKit is compiled once; switching
# root packages there needs --disable-build-manifest-caching.
EXAMPLES := CustomDenoiser OwnLoop AsyncProgress
examples: deps
	@mkdir -p Examples/.build
	@set -e; for example in $(EXAMPLES); do \
		echo "== Examples/$$example"; \
		log=Examples/.build/$$example.log; \
		$(SWIFT) build --package-path Examples/$$example --scratch-path Examples/.build \
			--disable-build-manifest-caching > $$log 2>&1 || { cat $$log; exit 1; }; \
		tail -n 1 $$log; \
		Examples/.build/debug/$$example; \
	done
	@echo "examples: all passed"

# docs/library.md's dependency snippet, verbatim (URL replaced by this checkout's path), in a
# fresh package: resolves, builds (debug) and runs.
install-check: deps
	SWIFT=$(SWIFT) scripts/install-check.sh

# The DocC catalog (Sources/ScoreKit/ScoreKit.docc) and the API reference of the umbrella
# module, as a static site in $(OUT)/docs (open index.html through a web server, or host it).
docs: deps
	@mkdir -p $(OUT)/docs
	$(SWIFT) package --allow-writing-to-directory $(OUT)/docs generate-documentation --target ScoreKit \
		--disable-indexing --transform-for-static-hosting --output-path $(OUT)/docs

# The full input fuzzing: 5,000 config-field mutants of the shipped checkpoints and 1,000
# mixture-spec mutants, each sampled with euler and dlg as separate processes (docs/reliability.md).
fuzz: deps
	SCOREKIT_TEST_FULL=1 $(SWIFT) test -c release -Xswiftc -enable-testing --filter InputFuzzTests

clean:
	rm -rf .build Examples/.build $(OUT)
