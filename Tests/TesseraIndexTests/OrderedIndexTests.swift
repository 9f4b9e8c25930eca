import TesseraCore
import TesseraIndex
import XCTest

final class OrderedIndexTests: XCTestCase {
    func testTotalOrderOfValues() {
        let ascending: [IndexValue] = [
            .null, .bool(false), .bool(true), .number(-1e300), .number(-1), .number(0), .number(0.5), .number(2),
            .number(10), .string(""), .string("A"), .string("Z"), .string("a"), .string("b"), .string("é"),
            .string("日本"),
        ]
        for (index, value) in ascending.enumerated() {
            for later in ascending[(index + 1)...] {
                XCTAssertTrue(value < later, "\(value) < \(later)")
                XCTAssertFalse(later < value, "\(later) < \(value)")
            }
        }
        XCTAssertEqual(IndexValue(.number(-0.0)), .number(0))
        // Byte order, not canonical equivalence: precomposed é (C3 A9) sorts after decomposed e + U+0301.
        XCTAssertTrue(IndexValue.string("e\u{301}") < .string("\u{E9}"))
        XCTAssertNotEqual(IndexValue.string("e\u{301}"), .string("\u{E9}"))
        XCTAssertNil(IndexValue(.array([])))
        XCTAssertNil(IndexValue(.object([:])))
    }

    func testAPIExample() throws {
        var index = OrderedIndex(fields: ["city", "age"])
        let people: [(String, String, Double)] = [
            ("ann", "Paris", 25), ("bob", "Paris", 17), ("cy", "Paris", 30), ("di", "Lyon", 20), ("ed", "Paris", 18),
        ]
        for (key, city, age) in people {
            index.upsert(key: key, document: .object(["city": .string(city), "age": .number(age)]))
        }
        index.upsert(key: "nobody", document: .object(["city": .string("Paris")]))
        index.upsert(key: "strange", document: .object(["city": .string("Paris"), "age": .string("old")]))
        let query = OrderedQuery(
            equal: [.string("Paris")], range: OrderedRange(lower: .number(18), lowerInclusive: true, upper: .number(30))
        )
        XCTAssertEqual(try index.query(query).hits.map(\.key), ["ed", "ann"])
        // A one-sided numeric range stays among numbers: "old" (a string) is not >= 18.
        let open = OrderedQuery(equal: [.string("Paris")], range: OrderedRange(lower: .number(18)))
        XCTAssertEqual(try index.query(open).hits.map(\.key), ["ed", "ann", "cy"])
        XCTAssertEqual(index.count, 6)
        index.upsert(key: "ann", document: .object(["city": .string("Lyon"), "age": .number(25)]))
        index.remove(key: "ed")
        XCTAssertEqual(try index.query(query).hits.map(\.key), [])
        XCTAssertEqual(try index.query(OrderedQuery(equal: [.string("Lyon")])).hits.map(\.key), ["di", "ann"])
    }

    func testCursorSurvivesWritesBetweenPages() throws {
        var index = OrderedIndex(fields: ["n"])
        for number in 0..<10 { index.upsert(key: "k\(number)", document: .object(["n": .number(Double(number))])) }
        let first = try index.query(OrderedQuery(limit: 4))
        XCTAssertEqual(first.hits.map(\.key), ["k0", "k1", "k2", "k3"])
        index.remove(key: "k3")  // the cursor's own entry goes away
        index.remove(key: "k4")
        index.upsert(key: "new", document: .object(["n": .number(3.5)]))
        index.upsert(key: "old", document: .object(["n": .number(-1)]))  // before the cursor: not seen again
        let second = try index.query(OrderedQuery(limit: 4, cursor: first.next))
        XCTAssertEqual(second.hits.map(\.key), ["new", "k5", "k6", "k7"])
        let third = try index.query(OrderedQuery(limit: 4, cursor: second.next))
        XCTAssertEqual(third.hits.map(\.key), ["k8", "k9"])
        XCTAssertNil(third.next)
    }

    func testBadQueries() {
        let index = OrderedIndex(fields: ["a"])
        XCTAssertThrowsError(try index.query(OrderedQuery(limit: 0)))
        XCTAssertThrowsError(try index.query(OrderedQuery(limit: 1_000_000)))
        XCTAssertThrowsError(try index.query(OrderedQuery(cursor: "not a cursor")))
        XCTAssertThrowsError(try index.query(OrderedQuery(equal: [.null, .null])))
        XCTAssertThrowsError(try index.query(OrderedQuery(equal: [.null], range: OrderedRange(lower: .null))))
    }

    func testManyChunksStayOrdered() throws {
        var index = OrderedIndex(fields: ["n"])
        var random = TestRandom(seed: 9)
        var live: [Int: Int] = [:]
        for step in 0..<20_000 {
            let key = random.int(0...5_000)
            if step % 3 == 2 {
                index.remove(key: "\(key)")
                live[key] = nil
            } else {
                let value = random.int(-1_000...1_000)
                index.upsert(key: "\(key)", document: .object(["n": .number(Double(value))]))
                live[key] = value
            }
        }
        let expected = live.sorted { a, b in
            a.value != b.value ? a.value < b.value : keyPrecedes("\(a.key)", "\(b.key)")
        }
        let all = try index.query(OrderedQuery(limit: 10_000)).hits
        XCTAssertEqual(all.map(\.key), expected.map { "\($0.key)" })
        let some = try index.query(
            OrderedQuery(
                range: OrderedRange(
                    lower: .number(-10), lowerInclusive: false, upper: .number(10), upperInclusive: true)))
        XCTAssertEqual(
            some.hits.map(\.key), expected.filter { $0.value > -10 && $0.value <= 10 }.prefix(100).map { "\($0.key)" })
    }

    // MARK: - Property test against a brute-force reference

    private static func randomValue(_ random: inout TestRandom) -> JSONValue? {
        switch random.int(0...11) {
        case 0: return nil
        case 1: return .null
        case 2: return .bool(random.int(0...1) == 1)
        case 3: return .array([.number(1)])
        case 4, 5, 6: return .number(Double(random.int(-5...5)))
        case 7: return .number(Double(random.int(-20...20)) / 4)
        default:
            let strings = ["", "a", "ab", "b", "B", "é", "e\u{301}", "zz", "日本", "a b"]
            return .string(strings[random.int(0...(strings.count - 1))])
        }
    }

    private static func randomBound(_ random: inout TestRandom) -> IndexValue? {
        while true {
            guard let json = randomValue(&random) else { return nil }
            if let value = IndexValue(json) { return value }
        }
    }

    func testMatchesBruteForceWithUpdatesDeletesAndCursors() throws {
        for seed: UInt64 in 1...3 {
            var random = TestRandom(seed: seed)
            let fields = ["a", "b.c", "d"]
            var index = OrderedIndex(fields: fields)
            var documents: [String: JSONValue] = [:]
            for _ in 0..<8_000 {
                let key = "k\(random.int(0...4_000))"
                if random.int(0...5) == 0 {
                    index.remove(key: key)
                    documents[key] = nil
                    continue
                }
                var members: [String: JSONValue] = [:]
                if let a = Self.randomValue(&random) { members["a"] = a }
                if let c = Self.randomValue(&random) { members["b"] = .object(["c": c]) }
                if let d = Self.randomValue(&random) { members["d"] = d }
                let document = JSONValue.object(members)
                index.upsert(key: key, document: document)
                documents[key] = document
            }
            let entries: [(key: String, values: [IndexValue])] = documents.compactMap { key, document in
                var values: [IndexValue] = []
                for field in fields {
                    guard let json = document.value(atPath: field), let value = IndexValue(json) else { return nil }
                    values.append(value)
                }
                return (key, values)
            }
            XCTAssertEqual(index.count, entries.count, "seed \(seed)")
            for _ in 0..<150 {
                var equal: [IndexValue] = []
                let prefixLength = random.int(0...3)
                for _ in 0..<prefixLength { equal.append(Self.randomBound(&random) ?? .number(0)) }
                var range: OrderedRange?
                if prefixLength < 3 && random.int(0...2) > 0 {
                    range = OrderedRange(
                        lower: Self.randomBound(&random), lowerInclusive: random.int(0...1) == 0,
                        upper: Self.randomBound(&random), upperInclusive: random.int(0...1) == 0)
                }
                let expected = entries.filter { entry in
                    guard Array(entry.values.prefix(prefixLength)) == equal else { return false }
                    guard let range else { return true }
                    return range.contains(entry.values[prefixLength])
                }.sorted { a, b in
                    if a.values != b.values { return a.values.lexicographicallyPrecedes(b.values) }
                    return keyPrecedes(a.key, b.key)
                }.map(\.key)
                let limit = random.int(1...40)
                var got: [String] = []
                var cursor: String?
                repeat {
                    let page = try index.query(OrderedQuery(equal: equal, range: range, limit: limit, cursor: cursor))
                    XCTAssertLessThanOrEqual(page.hits.count, limit)
                    got += page.hits.map(\.key)
                    cursor = page.next
                } while cursor != nil && got.count <= expected.count
                XCTAssertEqual(got, expected, "seed \(seed) equal \(equal) range \(String(describing: range))")
            }
        }
    }
}
