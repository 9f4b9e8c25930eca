import XCTest
final class PTesseraCoreTests: XCTestCase { func testNothing() {} }
