import XCTest
final class PTesseraIntegrationTests: XCTestCase { func testNothing() {} }
