#!/usr/bin/env bash
# The whole test suite: format lint, build (including the tessera binary the integration tests start), tests.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== swift format lint"
swift format lint --recursive --strict Sources Tests
echo "== swift build --build-tests"
swift build --build-tests
echo "== swift test"
swift test 2>&1 | tee /tmp/tessera-test-output.txt
echo "== vector recall at full size (release build of the pure index module only)"
swift build -c release --product TesseraIndexBench
"$(swift build -c release --show-bin-path)/TesseraIndexBench" recall
