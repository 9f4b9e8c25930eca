#!/usr/bin/env bash
# Tessera's HNSW vs hnswlib (PyPI) on the same clustered data, one core each, one run.
# usage: [TESSERA_TARGET_CPU=haswell] bench/vector_vs_hnswlib.sh [count=100000] [dimensions=128] [queries=1000]
# Times are CPU seconds of the benchmarking thread, each pinned to core 0 (the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
dimensions=${2:-128}
queries=${3:-1000}
data=$(mktemp -d)
venv=${HNSWLIB_VENV:-/tmp/hnswvenv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q numpy hnswlib==0.8.0
fi
build=.build/bench-${TESSERA_TARGET_CPU:-default}
swift build -c release -j 1 --product TesseraIndexBench --build-path "$build"
echo "TESSERA_TARGET_CPU=${TESSERA_TARGET_CPU:-(default)}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c 0 "$build/release/TesseraIndexBench" vector "$count" "$dimensions" "$queries" "$data"
taskset -c 0 "$venv/bin/python" bench/hnswlib_bench.py "$data" "$dimensions"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$data"
