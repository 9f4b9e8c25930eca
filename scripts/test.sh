#!/usr/bin/env bash
# The whole test suite: format lint, build (including the tessera binary the integration tests start), the
# full-size vector recall check, then every XCTest. Ends with one line "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== swift format lint"
# Generated protobuf / gRPC code (Sources/*/Generated) is left as protoc wrote it.
find Sources Tests -name "*.swift" -not -path "*/Generated/*" -print0 | xargs -0 swift format lint --strict
echo "== vector recall at full size (release build of the pure index module only)"
swift build -c release --product TesseraIndexBench
"$(swift build -c release --show-bin-path)/TesseraIndexBench" recall
echo "== swift build --build-tests"
swift build --build-tests
echo "== swift test"
output=$(mktemp)
status=0
swift test 2>&1 | tee "$output" || status=$?
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with " "$output" | tail -n 1 || true)
rm -f "$output"
if [[ -z "$summary" ]]; then
  echo "tests: 0 passed, 1 failed"
  exit 1
fi
# "Executed N tests, with F failures ..." or "Executed N tests, with S tests skipped and F failures ...".
executed=$(sed -E 's/^[[:space:]]*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
failures=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$summary")
skipped=0
if grep -qE "[0-9]+ tests? skipped" <<<"$summary"; then
  skipped=$(sed -E 's/.*with ([0-9]+) tests? skipped.*/\1/' <<<"$summary")
fi
# The recall check above counts as one more passed test.
if [[ "$skipped" != 0 ]]; then echo "skipped: $skipped (each says why above)"; fi
echo "tests: $((executed - failures - skipped + 1)) passed, $failures failed"
exit "$status"
