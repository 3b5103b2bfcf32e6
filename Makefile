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

.PHONY: help venv data book test audit lint unit-tests notebook-tests book-tests student assignments grade bench bench-margins portability matrix lock clean

help:
	@echo "make book     set up, execute every chapter and build the HTML book (_build/html)"
	@echo "make test     set up and run every test: unit, notebooks, book build, browser checks"
	@echo "make student  write the student editions (no solutions) into student/"
	@echo "make assignments   build the autograded assignments with otter-grader into _build/assignments/"
	@echo "make grade CHAPTER=03 SUBMISSIONS=DIR   grade every notebook in DIR, each in a bubblewrap sandbox, into DIR/grades.csv"
	@echo "make bench    time the data loaders, train_ch3, every chapter (3 runs each; records the chapters' medians) and d2l against coursekit.d2l"
	@echo "make bench-margins  every trained-model threshold over 5 seeds, generic kernels, 1 thread (about 30 min)"
	@echo "make portability    execute every chapter under 3 CPU kernel sets x 1 and 2 threads"
	@echo "make matrix   unit tests and chapters on the oldest admitted versions, the newest, and Colab's kind (ENVS=oldest for one)"
	@echo "make audit    Lighthouse (mobile) on every page of the built book, against its targets (quiet machine)"
	@echo "make lint     ruff over the code (make test runs it first)"
	@echo "make lock     regenerate requirements.txt from requirements.in (keeps the versions pinned there)"
	@echo "make clean    remove _build/ and student/ (keeps .venv and data/)"

venv:
	@PYTHON=$(PYTHON) tools/ensure_venv.sh $(VENV)

data: venv
	$(BIN)/python -m coursekit.data

book: data
	$(BIN)/python tools/build_book.py

# The book build executes every chapter once, and fails on an error or any stderr output
# (a check cell's assert included), which is what nbval checks and more: running nbval
# as well would execute every chapter twice. `make notebook-tests` runs nbval alone.
test:
	@PYTHON=$(PYTHON) tools/ensure_venv.sh $(VENV) --with-d2l
	$(MAKE) --no-print-directory lint data unit-tests
	$(BIN)/python tools/build_book.py
	$(MAKE) --no-print-directory book-tests

# The rules and their reasons are in pyproject.toml ([tool.ruff]), the chapters' own in notebooks/ruff.toml.
# `ruff format` (no --check) applies the formatting that the second line checks.
lint:
	$(BIN)/ruff check coursekit tests tools bench book/_ext notebooks assignments
	$(BIN)/ruff format --check coursekit tests tools bench book/_ext notebooks assignments

unit-tests:
	$(BIN)/python -m pytest tests --ignore=tests/book

notebook-tests:
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 -p no:cacheprovider notebooks/

book-tests:
	$(BIN)/python -m pytest tests/book

# Lighthouse comes from npm (tools/lighthouse/package-lock.json, installed on first use by tools/audit.py);
# Chromium from CHROME_PATH or /usr/bin/chromium.
# The performance score is a timing: run `make audit` on a quiet machine.
audit:
	$(BIN)/python -m tools.audit

student: venv
	$(BIN)/python -m coursekit.student notebooks/[0-9][0-9]_*.ipynb -o student

# The autograded assignments (book/instructors.md): sources in assignments/, one per chapter.
assignments: data
	$(BIN)/python tools/assignments.py

# Options: OUT=path/grades.csv, TIMEOUT=seconds per submission (default 300), JOBS=submissions at once, UNSAFE=1 (no sandbox).
grade: data
	@test -n "$(CHAPTER)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade CHAPTER=03 SUBMISSIONS=folder-of-notebooks"; exit 2; }
	$(BIN)/python tools/grade.py --chapter $(CHAPTER) $(SUBMISSIONS) $(if $(OUT),-o $(OUT)) $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(JOBS),--jobs $(JOBS)) $(if $(UNSAFE),--unsafe)

# Benchmarks time things: run them on a quiet machine (no other PyTorch process).
bench: data
	$(BIN)/python -m bench.loaders
	$(BIN)/python -m bench.train_ch3
	$(BIN)/python -m bench.evaluate
	$(BIN)/python -m bench.chapters
	@PYTHON=$(PYTHON) tools/ensure_venv.sh $(VENV) --with-d2l
	$(BIN)/python -m bench.d2l_compat

bench-margins: data
	$(BIN)/python -m bench.seed_margins

portability: data
	$(BIN)/python tools/run_notebook.py --capability native avx2 default --threads 1 2 --json _build/portability.json notebooks/[0-9][0-9]_*.ipynb

# Environments other than the lock's, each cached under ~/.cache/coursekit-matrix (tools/matrix.py).
matrix: data
	$(BIN)/python tools/matrix.py $(ENVS)

# requirements.txt is generated: edit requirements.in, then run this. uv keeps every version
# already pinned in requirements.txt unless requirements.in asks for another (to move one
# package: add --upgrade-package NAME). --universal writes one file for Linux, macOS and
# Windows (platform-only packages get markers); the hashes make pip check every download.
lock:
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" requirements.in -o requirements.txt

clean:
	rm -rf _build student
