#!/usr/bin/env bash
# Regenerates the committed Swift for Protos/*.proto (needs protoc: apt-get install -y protobuf-compiler).
# The plugins are built from this package's own dependencies, so the generated code matches the runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=.build-release
swift build -c release --scratch-path "$SCRATCH" --product protoc-gen-swift
swift build -c release --scratch-path "$SCRATCH" --product protoc-gen-grpc-swift-2
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
OUT=Sources/TesseraCluster/Generated
mkdir -p "$OUT"
protoc --proto_path=Protos \
    --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" --swift_out="$OUT" --swift_opt=Visibility=Public \
    --plugin=protoc-gen-grpc-swift-2="$BIN/protoc-gen-grpc-swift-2" --grpc-swift-2_out="$OUT" \
    --grpc-swift-2_opt=Visibility=Public \
    Protos/peer.proto
echo "generated: $(ls "$OUT")"
