# The two commands of the README: `make book` and `make test`. Both set up what is
# missing first (the virtual environment, the data), so a fresh clone needs nothing else.
# Without make (Windows): see "Without make" in README.md for the same steps.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The build machines keep a local mirror of the data sets beside the repository;
# elsewhere set COURSEKIT_MIRRORS yourself, or let coursekit download the data.
COURSEKIT_MIRRORS ?= $(if $(wildcard ../shared/datasets),$(abspath ../shared/datasets))
export COURSEKIT_MIRRORS

.PHONY: help venv data book test unit-tests notebook-tests book-tests student bench bench-margins portability clean

help:
	@echo "make book     set up, execute every chapter and build the HTML book (_build/html)"
	@echo "make test     set up and run every test: unit, notebooks, book build, browser checks"
	@echo "make student  write the student editions (no solutions) into student/"
	@echo "make bench    time the data loaders, train_ch3 and every chapter (3 runs each; records the chapters' medians)"
	@echo "make bench-margins  every trained-model threshold over 5 seeds, generic kernels, 1 thread (about 30 min)"
	@echo "make portability    execute every chapter under 3 CPU kernel sets x 1 and 2 threads"
	@echo "make clean    remove _build/ and student/ (keeps .venv and data/)"

venv:
	@PYTHON=$(PYTHON) tools/ensure_venv.sh $(VENV)

data: venv
	$(BIN)/python -m coursekit.data

book: data
	$(BIN)/python tools/build_book.py

test:
	@PYTHON=$(PYTHON) tools/ensure_venv.sh $(VENV) --with-d2l
	$(MAKE) --no-print-directory data unit-tests notebook-tests
	$(BIN)/python tools/build_book.py
	$(MAKE) --no-print-directory book-tests

unit-tests:
	$(BIN)/python -m pytest tests --ignore=tests/book

notebook-tests:
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 -p no:cacheprovider notebooks/

book-tests:
	$(BIN)/python -m pytest tests/book

student: venv
	$(BIN)/python -m coursekit.student notebooks/[0-9][0-9]_*.ipynb -o student

# Benchmarks time things: run them on a quiet machine (no other PyTorch process).
bench: data
	$(BIN)/python -m bench.loaders
	$(BIN)/python -m bench.train_ch3
	$(BIN)/python -m bench.evaluate
	$(BIN)/python -m bench.chapters

bench-margins: data
	$(BIN)/python -m bench.seed_margins

portability: data
	$(BIN)/python tools/portability.py

clean:
	rm -rf _build student
