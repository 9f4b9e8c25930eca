import TesseraCore
import XCTest

/// The partition hash is fixed forever: these vectors (from the reference xxh64 with seed 0) pin it.
final class XXHash64Tests: XCTestCase {
    func testReferenceVectors() {
        let vectors: [(String, UInt64)] = [
            ("", 0xEF46_DB37_51D8_E999),
            ("a", 0xD24E_C4F1_A98C_6E5B),
            ("abc", 0x44BC_2CF5_AD77_0999),
            ("user:1", 0xD9C7_C460_9E60_80F3),
            ("eu", 0x308E_D208_128A_49D7),
            ("hello world", 0x45AB_6734_B21E_6968),
            ("Tessera", 0x88D6_1C05_C0DA_9178),
            ("0123456789abcdef0123456789abcdef0123", 0xC425_5BA3_D1AF_5461),
        ]
        for (input, expected) in vectors {
            XCTAssertEqual(XXHash64.hash(input), expected, "xxh64(\(input))")
            XCTAssertEqual(XXHash64.hash(Array(input.utf8)), expected)
        }
    }

    func testPartitionVectors() {
        let partitioner = Partitioner(count: 64)
        XCTAssertEqual(partitioner.partition(of: ""), 25)
        XCTAssertEqual(partitioner.partition(of: "a"), 27)
        XCTAssertEqual(partitioner.partition(of: "user:1"), 51)
        XCTAssertEqual(partitioner.partition(of: "Tessera"), 56)
        // A hash tag hashes only its content: {eu} hashes "eu".
        XCTAssertEqual(partitioner.partition(of: "{eu}:user:1"), 23)
        XCTAssertEqual(partitioner.partition(of: "{eu}:user:2"), 23)
    }

    func testHashTagRules() {
        XCTAssertEqual(HashTag.partitionKey(of: "{eu}:user:1"), "eu")
        XCTAssertEqual(HashTag.partitionKey(of: "user:{eu}:1"), "eu")
        XCTAssertEqual(HashTag.partitionKey(of: "{}:user"), "{}:user", "empty tag hashes the whole key")
        XCTAssertEqual(HashTag.partitionKey(of: "{a}{b}"), "a", "first pair wins")
        XCTAssertEqual(HashTag.partitionKey(of: "no-tag"), "no-tag")
        XCTAssertEqual(HashTag.partitionKey(of: "{open"), "{open")
        XCTAssertEqual(HashTag.leadingTag(of: "{eu}:"), "eu")
        XCTAssertNil(HashTag.leadingTag(of: "{eu"))
        XCTAssertNil(HashTag.leadingTag(of: "x{eu}"))
        XCTAssertEqual(
            Partitioner(count: 64).partition(ofPrefix: "{shop}:"), Partitioner(count: 64).partition(of: "{shop}:x"))
    }

    func testPartitionsSpreadEvenly() {
        let partitioner = Partitioner(count: 64)
        var counts = [Int](repeating: 0, count: 64)
        for i in 0..<64_000 { counts[partitioner.partition(of: "key:\(i)")] += 1 }
        XCTAssertLessThan(counts.max()!, 1300)
        XCTAssertGreaterThan(counts.min()!, 700)
    }
}
