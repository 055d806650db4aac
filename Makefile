# perfdsl — 常用命令。只需要 python3 与 make。
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OUT    ?= out

.PHONY: all setup dev example test lint bench fuzz clean serve

all: example

$(VENV)/.stamp-runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-runtime
	$(PY) -m pip install -q -e '.[test,serve]'
	touch $@

# `perfdsl serve` (the review site) needs the optional extra perfdsl[serve].
$(VENV)/.stamp-serve: $(VENV)/.stamp-runtime
	$(PY) -m pip install -q -e '.[serve]'
	touch $@

setup: $(VENV)/.stamp-runtime

dev: $(VENV)/.stamp-dev

## 主任务：检查并把自带示例（宁县社会保险局 2025）生成 Word、Excel、JSON 与网页
example: $(VENV)/.stamp-serve
	$(VENV)/bin/perfdsl check examples/ningxian-2025
	$(VENV)/bin/perfdsl build examples/ningxian-2025 --to docx,xlsx,json,html -o $(OUT)
	@echo "已生成：" && ls -1 $(OUT)

## 在浏览器中审核示例：http://127.0.0.1:8000/
serve: $(VENV)/.stamp-serve
	$(VENV)/bin/perfdsl serve examples

## 全部测试（含 ruff 检查）；scripts/ci-deps.sh 先补齐测试要驱动的工具（浏览器、Neovim、esbuild）
test: dev
	bash scripts/ci-deps.sh
	$(VENV)/bin/ruff check perfdsl backends tests benchmarks
	$(PY) -m pytest

lint: dev
	$(VENV)/bin/ruff check perfdsl backends tests benchmarks

bench: dev
	$(PY) benchmarks/run.py

fuzz: dev
	$(PY) benchmarks/fuzz.py

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
