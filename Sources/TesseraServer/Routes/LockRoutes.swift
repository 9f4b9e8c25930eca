import Foundation
import Hummingbird
import TesseraCore
import TesseraStorage

/// `/v1/locks`: leases with fencing tokens.
struct LockRoutes {
    let services: NodeServices
    static let ttlMsRange: ClosedRange<Int64> = 1...(86_400_000)
    static let waitMsMax: Int64 = 60_000

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/locks/{name}") { request, context in try await acquire(request, context) }
        router.post("/v1/locks/{name}/renew") { request, context in try await renew(request, context) }
        router.delete("/v1/locks/{name}") { request, context in try await release(request, context) }
        router.get("/v1/locks/{name}") { request, context in try show(request, context) }
    }

    func acquire(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try request.name("name", context, kind: "lock")
        let fields = JSONFields(object: try await request.jsonObject(limit: 64 << 10))
        try fields.only(["ttlMs", "waitMs", "owner"])
        let ttlMs = try fields.int("ttlMs", in: Self.ttlMsRange) ?? 10_000
        let waitMs = try fields.int("waitMs", in: 0...Self.waitMsMax) ?? 0
        let owner = try fields.string("owner") ?? ""
        guard owner.utf8.count <= 256 else { throw TesseraError.badRequest("owner is longer than 256 bytes") }
        let leaseId = UUID().uuidString.lowercased()
        let lease = try await services.engine.acquireLock(
            name: name, owner: owner, ttlMs: ttlMs, waitMs: waitMs, leaseId: leaseId)
        return describe(name, lease)
    }

    func renew(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try request.name("name", context, kind: "lock")
        let fields = JSONFields(object: try await request.jsonObject(limit: 64 << 10))
        try fields.only(["leaseId", "ttlMs"])
        guard let leaseId = try fields.string("leaseId") else { throw TesseraError.badRequest("leaseId is required") }
        let ttlMs = try fields.int("ttlMs", in: Self.ttlMsRange) ?? 10_000
        return describe(name, try await services.engine.renewLock(name: name, leaseId: leaseId, ttlMs: ttlMs))
    }

    func release(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try request.name("name", context, kind: "lock")
        guard let leaseId = request.query("leaseId"), !leaseId.isEmpty else {
            throw TesseraError.badRequest("leaseId is required")
        }
        try await services.engine.releaseLock(name: name, leaseId: leaseId)
        return Responses.noContent
    }

    func show(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let name = try request.name("name", context, kind: "lock")
        guard let lease = services.engine.lockHolder(name: name) else {
            throw TesseraError(.notFound, "lock \(name) is free")
        }
        return describe(name, lease, showLease: false)
    }

    private func describe(_ name: String, _ lease: LockLease, showLease: Bool = true) -> Response {
        Responses.json { out in
            out.beginObject()
            out.field("name", name)
            if showLease { out.field("leaseId", lease.leaseId) }
            out.field("fencingToken", lease.fencingToken)
            out.field("owner", lease.owner)
            out.field("expiresAtMs", lease.expiresAtMs)
            out.endObject()
        }
    }
}
