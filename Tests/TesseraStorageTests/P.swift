import XCTest
final class PTesseraStorageTests: XCTestCase { func testNothing() {} }
