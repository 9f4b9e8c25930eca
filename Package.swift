// swift-tools-version:6.1
import Foundation
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

// The HNSW distance loops are SIMD code: on x86-64 the default target has only SSE2. Building with
// `TESSERA_TARGET_CPU=haswell` (AVX2 + FMA) is what the index benchmarks in docs/indexes.md used; such a
// binary needs a CPU with those instructions.
let targetCPU = ProcessInfo.processInfo.environment["TESSERA_TARGET_CPU"]
let indexSettings: [SwiftSetting] = swiftSettings + (targetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? [])

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
        .executable(name: "tessera-sim", targets: ["tessera-sim"]),
        .library(name: "TesseraCore", targets: ["TesseraCore"]),
        .library(name: "TesseraStorage", targets: ["TesseraStorage"]),
        .library(name: "TesseraServer", targets: ["TesseraServer"]),
        .library(name: "TesseraClient", targets: ["TesseraClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0", traits: ["ConfigurationSupport"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.0"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
    ],
    targets: [
        .target(name: "TesseraCore", swiftSettings: swiftSettings),
        .target(name: "TesseraIndex", dependencies: ["TesseraCore"], swiftSettings: indexSettings),
        .executableTarget(
            name: "TesseraIndexBench", dependencies: ["TesseraCore", "TesseraIndex"], path: "bench/TesseraIndexBench",
            swiftSettings: indexSettings),
        .target(name: "TesseraRaft", swiftSettings: swiftSettings),
        .executableTarget(
            name: "ring-balance", dependencies: ["TesseraCore"], path: "bench/ring-balance", swiftSettings: swiftSettings),
        .target(name: "TesseraSimulation", dependencies: ["TesseraRaft"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "tessera-sim", dependencies: ["TesseraRaft", "TesseraSimulation"], swiftSettings: swiftSettings),
        .target(
            name: "TesseraStorage",
            dependencies: [
                "TesseraCore",
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraCluster",
            dependencies: [
                "TesseraCore",
                "TesseraStorage",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Collections", package: "swift-collections"),
            ],
            exclude: ["Generated/README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraServer",
            dependencies: [
                "TesseraCore",
                "TesseraStorage",
                "TesseraIndex",
                "TesseraCluster",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraClient",
            dependencies: [
                "TesseraCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraCore",
                "TesseraServer",
                "TesseraClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TesseraCoreTests", dependencies: ["TesseraCore"], swiftSettings: swiftSettings),
        .testTarget(name: "TesseraIndexTests", dependencies: ["TesseraCore", "TesseraIndex"], swiftSettings: swiftSettings),
        .testTarget(name: "TesseraRaftTests", dependencies: ["TesseraRaft"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TesseraSimulationTests", dependencies: ["TesseraRaft", "TesseraSimulation"],
            swiftSettings: swiftSettings),
        .testTarget(name: "TesseraStorageTests", dependencies: ["TesseraStorage"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TesseraClusterTests", dependencies: ["TesseraCore", "TesseraCluster"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TesseraIntegrationTests",
            dependencies: [
                "TesseraCore",
                "TesseraClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
