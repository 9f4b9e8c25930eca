import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCore

/// Response helpers shared by the routes.
enum Responses {
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    /// A JSON response from bytes.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = jsonHeaders
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A JSON response built by `build`.
    static func json(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], _ build: (inout JSONOut) -> Void)
        -> Response
    {
        var out = JSONOut()
        build(&out)
        return json(out.bytes, status: status, headers: headers)
    }

    /// The JSON error body of API.md: `{"error": {"code", "message", ...details}}`.
    static func error(_ error: TesseraError, headers: HTTPFields = [:]) -> Response {
        json(status: HTTPResponse.Status(code: error.code.httpStatus), headers: headers) { out in
            out.beginObject()
            out.key("error")
            out.beginObject()
            out.field("code", error.code.rawValue)
            out.field("message", error.message)
            for (name, value) in error.details.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .string(let s): out.field(name, s)
                case .int(let i): out.field(name, i)
                }
            }
            out.endObject()
            out.endObject()
        }
    }

    /// 204.
    static var noContent: Response { Response(status: .noContent) }
}

/// Maps every error to API.md's JSON error shape, so no route ever answers a bare 500 page.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as TesseraError {
            var headers: HTTPFields = [:]
            if error.code == .preconditionFailed, case .string(let version)? = error.details["version"] {
                headers[.eTag] = "\"\(version)\""
            }
            return Responses.error(error, headers: headers)
        } catch let error as HTTPError {
            return Responses.error(Self.map(error))
        } catch is NIOTooManyBytesError {
            return Responses.error(TesseraError(.payloadTooLarge, "the body is too large"))
        } catch {
            context.logger.error("unexpected error: \(error)")
            return Responses.error(TesseraError(.internal, "internal error"))
        }
    }

    static func map(_ error: HTTPError) -> TesseraError {
        switch error.status.code {
        case 404: TesseraError(.notFound, "no such route")
        case 405: TesseraError(.methodNotAllowed, "method not allowed")
        case 413: TesseraError(.payloadTooLarge, error.body ?? "request body too large")
        case 400..<500: TesseraError(.badRequest, error.body ?? "bad request")
        default: TesseraError(.internal, error.body ?? "internal error")
        }
    }
}
