# Vivier — the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
DSFR := node_modules/@gouvfr/dsfr/dist
DSFR_OUT := templates/static/dsfr
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/vivier?sslmode=disable

.PHONY: run test lint build assets chromium dovecot fuzz screenshots bench clean

## run: build, then start web + worker + scheduler + SMTP catcher on this machine
run: build
	./bin/vivier dev

## build: the vivier binary in bin/ (DSFR assets included); -v names each
## package as it compiles, so a first build (minutes) is seen to progress
build: assets
	@echo "Compilation de bin/vivier : la première fois, Go compile aussi toutes les dépendances, ce qui prend plusieurs minutes (les paquets s'affichent au fil de l'eau) ; les fois suivantes, quelques secondes."
	$(GO) build -v -o bin/vivier ./cmd/vivier

## assets: the DSFR from npm, copied where the binary embeds it
assets: $(DSFR_OUT)/.stamp

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(DSFR_OUT)/.stamp: node_modules/.package-lock.json
	rm -rf $(DSFR_OUT) && mkdir -p $(DSFR_OUT)/utility/icons
	cp -r $(DSFR)/dsfr.min.css $(DSFR)/dsfr.module.min.js $(DSFR)/dsfr.nomodule.min.js \
		$(DSFR)/fonts $(DSFR)/icons $(DSFR)/favicon $(DSFR_OUT)/
	cp $(DSFR)/utility/icons/icons.min.css $(DSFR_OUT)/utility/icons/
	touch $@

## chromium: Debian's Chromium for the browser tests, installed when missing
## (as root, or through sudo); CHROMIUM names another one instead
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@if [ -z "$$CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing Debian's Chromium for the browser tests (apt-get)"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-dejavu-core >/dev/null; \
	fi

## dovecot: Debian's Dovecot IMAP server for the inbound mail tests,
## installed when missing (as root, or through sudo); the tests start
## their own with a configuration of their own, never the system service.
## DOVECOT names another binary instead.
dovecot:
	@if [ -z "$$DOVECOT" ] && ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then \
		echo "Installing Debian's Dovecot (dovecot-imapd) for the inbound mail tests (apt-get)"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			dovecot-imapd >/dev/null; \
		$(SUDO) service dovecot stop >/dev/null 2>&1 || true; \
	fi

## test: every test, against the PostgreSQL and Redis of this machine; the
## tests mostly wait on those services, SMTP and Chromium, so eight run at
## once whatever the number of cores (each on its own database and Redis index)
test: assets chromium dovecot
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 8m -parallel 8 ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

## fuzz: every fuzz test, one after the other, each for FUZZTIME (a minute
## by default; make test gives each 5 seconds, after their seeds ran as
## tests). Not at once: each fuzzer first runs its whole corpus again, and
## three sharing two cores could not always finish that within 10 seconds.
FUZZTIME ?= 60s
.PHONY: fuzz-posting fuzz-applyform fuzz-compose
fuzz: fuzz-posting fuzz-applyform fuzz-compose
fuzz-posting:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/posting/
fuzz-applyform:
	$(GO) test -run '^$$' -fuzz '^FuzzCheck$$' -fuzztime $(FUZZTIME) ./internal/applyform/
fuzz-compose:
	$(GO) test -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(FUZZTIME) ./internal/compose/


## screenshots: the pictures of the README, taken in Chromium by the browser tests' helper
screenshots: assets chromium
	VIVIER_SCREENSHOTS_DIR=$(CURDIR)/templates/static/screenshots $(GO) test -count=1 -run '^TestREADMEScreenshots$$' ./handlers/

## bench: five scenarios against this machine's own baselines; writes BENCHMARKS.md (about 7 minutes here)
bench: assets
	$(GO) run ./cmd/bench

## lint: formatting and vet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1)
	$(GO) vet ./...

clean:
	rm -rf bin $(DSFR_OUT) node_modules
