# The make-style habits of Richie's own Makefile, over richie-dev's CLI.
RICHIE_DEV ?= node $(CURDIR)/dist/bin/richie-dev.js
PROJECT_DIR ?= $(CURDIR)

.PHONY: build run run-ssl setup-ssl stop down status doctor

build:
	npm run build

run: build          ## the stack over HTTP, fake LMS backend
	$(RICHIE_DEV) --project-dir $(PROJECT_DIR) run

run-ssl: build      ## setup-ssl + hosts + the stack over HTTPS, real LMS backend
	$(RICHIE_DEV) --project-dir $(PROJECT_DIR) run-ssl

setup-ssl: build    ## the local CA and the certificate
	$(RICHIE_DEV) --project-dir $(PROJECT_DIR) setup-ssl

stop: build
	$(RICHIE_DEV) --project-dir $(PROJECT_DIR) stop

down: build
	$(RICHIE_DEV) --project-dir $(PROJECT_DIR) down

status: build
	$(RICHIE_DEV) --project-dir $(PROJECT_DIR) status

doctor: build
	$(RICHIE_DEV) --project-dir $(PROJECT_DIR) doctor
