import Foundation
import TesseraCore
import TesseraIndex
import XCTest

final class JSONValueTests: XCTestCase {
    func testParsesEveryKind() throws {
        let json = try JSONValue.parse(Data(#"{"a":[1,2.5,true,false,null,"x"],"b":{"c":-3}}"#.utf8))
        XCTAssertEqual(json["a"], .array([.number(1), .number(2.5), .bool(true), .bool(false), .null, .string("x")]))
        XCTAssertEqual(json.value(atPath: "b.c"), .number(-3))
        XCTAssertNil(json.value(atPath: "b.d"))
        XCTAssertNil(json.value(atPath: "a.b"))
    }

    func testBooleansAreNotNumbers() throws {
        XCTAssertEqual(try JSONValue.parse(Array("true".utf8)), .bool(true))
        XCTAssertEqual(try JSONValue.parse(Array("1".utf8)), .number(1))
        XCTAssertEqual(try JSONValue.parse(Array("0".utf8)), .number(0))
    }

    func testMalformedJSONIsAnInvalidDocument() {
        XCTAssertThrowsError(try JSONValue.parse(Array("{\"a\":".utf8))) { error in
            XCTAssertEqual((error as? IndexError)?.code, .invalidDocument)
        }
    }

    func testRoundTrip() throws {
        let value = JSONValue.object(["k": .array([.string("é"), .number(1.5), .null])])
        XCTAssertEqual(try JSONValue.parse(Array(value.serialized.utf8)), value)
    }
}
