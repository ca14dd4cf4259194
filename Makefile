# indspace — two commands: `make demo` and `make test`. uv uses the system Python only.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system
export UV_COMPILE_BYTECODE := 1
export UV_LINK_MODE := copy

UV := $(shell ./scripts/bootstrap-uv.sh)
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=
SCALE ?= city
DB ?= indspace.gpkg
PYTEST_ARGS ?=

.PHONY: demo test setup lint bench clean

setup: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

demo: setup
	@fc-list :lang=zh family 2>/dev/null | grep -q "Noto.*CJK" || echo "提示 / note: 未找到 Noto CJK 字体，PDF 报告的中文将无法显示 / no Noto CJK font: PDF reports cannot show Chinese. 安装 / install: sudo apt-get install fonts-noto-cjk"
	$(BIN)/indspace demo --scale $(SCALE) --db $(DB) $(ARGS)

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m mypy src/indspace/core src/indspace/store src/indspace/services src/indspace/api src/indspace/cli.py

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .tools .pytest_cache indspace.gpkg
