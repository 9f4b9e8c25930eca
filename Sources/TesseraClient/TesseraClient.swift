import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TesseraCore

/// A response from a Tessera node or gateway.
public struct ClientResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers (names lowercased).
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON.
    public func json() throws -> JSONValue { try JSONParser.parse(body) }

    /// The `error.message` of an error body, or the body text.
    public var errorMessage: String {
        if let json = try? json(), let message = json["error"]?["message"]?.stringValue { return message }
        return text
    }

    /// The `error.code` of an error body.
    public var errorCode: String? { (try? json())?["error"]?["code"]?.stringValue }
}

/// A client of API.md over HTTP (AsyncHTTPClient), used by the CLI, the benchmark and the tests.
public final class TesseraClient: Sendable {
    /// The base URL, for example `http://127.0.0.1:7070`.
    public let baseURL: String
    /// The bearer token, if any.
    public let token: String?
    private let http: HTTPClient
    private let timeout: TimeAmount

    /// Creates a client with up to `connections` pooled connections.
    public init(baseURL: String, token: String? = nil, connections: Int = 8, timeoutSeconds: Int64 = 75) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        timeout = .seconds(timeoutSeconds)
    }

    /// Closes the connection pool.
    public func shutdown() async throws { try await http.shutdown() }

    /// Sends one request; `path` must already be percent-encoded where needed.
    public func send(
        _ method: String, _ path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> ClientResponse {
        var url = baseURL + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.queryEncode($0.0))=\(Self.queryEncode($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return ClientResponse(status: Int(response.status.code), headers: fields, body: Array(bytes.readableBytesView))
    }

    /// Streams a response body chunk by chunk (Server-Sent Events); `onChunk` returns false to stop.
    public func stream(
        _ path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        onChunk: @Sendable ([UInt8]) async throws -> Bool
    ) async throws -> Int {
        var url = baseURL + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.queryEncode($0.0))=\(Self.queryEncode($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await http.execute(request, timeout: .hours(24))
        guard response.status == .ok else {
            _ = try await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        }
        for try await chunk in response.body {
            if try await !onChunk(Array(chunk.readableBytesView)) { break }
        }
        return 200
    }

    /// The path of an item, with the key percent-encoded as one segment.
    public static func itemPath(_ keyspace: String, _ key: String) -> String {
        "/v1/kv/\(Names.percentEncode(keyspace))/\(Names.percentEncode(key))"
    }

    static func queryEncode(_ text: String) -> String {
        Names.percentEncode(text)
    }
}
