import TesseraCore
import XCTest

final class JSONParserTests: XCTestCase {
    func testParsesDocuments() throws {
        let value = try JSONParser.parse(#"{"a": [1, 2.5, -3e2, true, false, null], "b": "x\n\u00e9\ud83d\ude00"}"#)
        XCTAssertEqual(value["a"], .array([.number(1), .number(2.5), .number(-300), .bool(true), .bool(false), .null]))
        XCTAssertEqual(value["b"], .string("x\n\u{e9}\u{1F600}"))
        XCTAssertEqual(try JSONParser.parse("42"), .number(42))
        XCTAssertEqual(try JSONParser.parse(" \"s\" "), .string("s"))
    }

    func testRejectsMalformedInput() {
        let bad = [
            "", "{", "}", "[1,]", "{\"a\":}", "{a:1}", "01", "1.", ".5", "-", "tru", "nul", "\"unterminated",
            "\"bad \\x escape\"", "\"\\ud800\"", "[1] 2", "{\"a\" 1}", "\"tab\there\"", "1e", "NaN", "Infinity",
        ]
        for text in bad {
            XCTAssertThrowsError(try JSONParser.parse(text), "should reject \(text)") { error in
                XCTAssertEqual((error as? TesseraError)?.code, .badRequest)
            }
        }
        XCTAssertFalse(JSONParser.isValid([0xFF, 0xFE]))
        XCTAssertFalse(JSONParser.isValid(Array("\"\u{FF}\"".utf8).map { $0 == 0xBF ? 0xFF : $0 }))
    }

    func testDeepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONParser.parse(deep))
        let ok = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        XCTAssertNoThrow(try JSONParser.parse(ok))
    }

    func testSerializationRoundTrips() throws {
        let value: JSONValue = .object(["k": .array([.number(1), .string("q\"\\\u{1}"), .null, .number(0.5)])])
        XCTAssertEqual(try JSONParser.parse(value.serialized), value)
        XCTAssertEqual(JSONValue.number(100).serialized, "100")
    }

    func testPercentDecodingIsStrict() {
        XCTAssertEqual(Names.percentDecode("a%2Fb"), "a/b")
        XCTAssertEqual(Names.percentDecode("%E2%9C%93"), "\u{2713}")
        XCTAssertNil(Names.percentDecode("%ZZ"))
        XCTAssertNil(Names.percentDecode("%4"))
        XCTAssertNil(Names.percentDecode("%FF"), "not UTF-8")
        XCTAssertEqual(Names.percentDecode(Names.percentEncode("{eu}:a/b c")), "{eu}:a/b c")
        XCTAssertTrue(Names.isValidName("a.B-c_9"))
        XCTAssertFalse(Names.isValidName(""))
        XCTAssertFalse(Names.isValidName("a/b"))
        XCTAssertFalse(Names.isValidName(String(repeating: "a", count: 129)))
    }
}
