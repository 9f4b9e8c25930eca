import Foundation
import TesseraCore
import TesseraStorage

/// Builds a compact JSON document directly into bytes (responses are on the hot path; no intermediate tree).
struct JSONOut {
    private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    mutating func endObject() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    mutating func endArray() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes `"name":` (the value call that follows adds no comma).
    mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating func string(_ value: String) {
        separate()
        appendString(value)
    }

    mutating func int<T: BinaryInteger>(_ value: T) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Splices already valid JSON.
    mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
    }

    mutating func value(_ json: JSONValue) {
        raw(Array(json.serialized.utf8))
    }

    mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    mutating func field<T: BinaryInteger>(_ name: String, _ value: T) {
        key(name)
        int(value)
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    private mutating func appendString(_ s: String) {
        var out = ""
        JSONValue.writeString(s, to: &out)
        bytes.append(contentsOf: out.utf8)
    }

    /// Writes a stored value: embedded JSON for JSON values, else `valueBase64`.
    mutating func itemValue(_ value: [UInt8], contentType: String) {
        if ContentTypes.isJSON(contentType), JSONParser.isValid(value) {
            key("value")
            raw(value)
        } else {
            field("valueBase64", Data(value).base64EncodedString())
        }
    }

    /// Writes `{"key", "version", "value"|"valueBase64", ...}` for an item.
    mutating func item(key itemKey: String, _ item: StoredItem, keysOnly: Bool = false) {
        beginObject()
        field("key", itemKey)
        field("version", item.version.description)
        if !keysOnly {
            itemValue(item.value, contentType: item.contentType)
            field("contentType", item.contentType)
        }
        if item.expiresAtMs != 0 { field("expiresAtMs", item.expiresAtMs) }
        endObject()
    }
}
