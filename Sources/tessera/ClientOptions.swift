import ArgumentParser
import Foundation
import TesseraClient
import TesseraCore

/// Options shared by the client commands.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL (or TESSERA_URL).")
    var url: String = ProcessInfo.processInfo.environment["TESSERA_URL"] ?? "http://127.0.0.1:7070"

    @Option(help: "API key or JWT (or TESSERA_TOKEN).")
    var token: String? = ProcessInfo.processInfo.environment["TESSERA_TOKEN"]

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func client(connections: Int = 4) -> TesseraClient {
        TesseraClient(baseURL: url, token: token, connections: connections)
    }

    /// Sends a request, turning transport failures and error statuses into a `Refusal`.
    func call(
        _ client: TesseraClient, _ method: String, _ path: String, query: [(String, String)] = [],
        headers: [(String, String)] = [], body: [UInt8]? = nil, accept: Set<Int> = []
    ) async throws -> ClientResponse {
        let response: ClientResponse
        do {
            response = try await client.send(method, path, query: query, headers: headers, body: body)
        } catch {
            throw Refusal(message: "cannot reach \(url): \(error)")
        }
        guard (200..<300).contains(response.status) || accept.contains(response.status) else {
            if json { print(response.text) }
            throw Refusal(message: "error \(response.status): \(response.errorMessage)")
        }
        return response
    }

    /// Runs `body` with a client and always shuts it down.
    func with<T>(_ body: (TesseraClient) async throws -> T) async throws -> T {
        let client = client()
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// Reads a file argument, `-` for standard input.
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw UsageError(description: "cannot read \(path)")
    }
    return [UInt8](data)
}

/// Pretty-prints JSON bytes (or returns them as text when they are not JSON).
func pretty(_ bytes: [UInt8]) -> String {
    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
        let data = try? JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])
    else { return String(decoding: bytes, as: UTF8.self) }
    return String(decoding: data, as: UTF8.self)
}
