import Testing
import VialTesting
@testable import Vial

protocol TenantError: Error {}
struct TenantMissing: TenantError {}
struct TenantSuspended: TenantError {}
class StoreFailure: Error, @unchecked Sendable {}
class DiskFull: StoreFailure, @unchecked Sendable {}
final class QuotaDiskFull: DiskFull, @unchecked Sendable {}

/// Flask finds the closest handler along the exception's class hierarchy, whatever the order
/// handlers were registered in; a blueprint's handlers beat the app's.
@Suite struct ErrorHandlerLookupTests {
    @Test func aConcreteTypeBeatsAProtocolItConformsToWhateverTheOrder() async throws {
        let app = App()
        app.errorHandler(for: (any TenantError).self) { _, _ in .text("any tenant error") }
        app.errorHandler(for: TenantMissing.self) { _, _ in .text("tenant missing") }
        app.get("/missing") { _ -> Response in throw TenantMissing() }
        app.get("/suspended") { _ -> Response in throw TenantSuspended() }
        let client = try app.testClient()
        #expect(try await client.get("/missing").text == "tenant missing")
        #expect(try await client.get("/suspended").text == "any tenant error")
    }

    @Test func theNearestSuperclassAnswersAndAnyErrorComesLast() async throws {
        let app = App()
        app.errorHandler(for: (any Error).self) { _, _ in .text("any error") }
        app.errorHandler(for: StoreFailure.self) { _, _ in .text("store failure") }
        app.errorHandler(for: DiskFull.self) { _, _ in .text("disk full") }
        app.get("/quota") { _ -> Response in throw QuotaDiskFull() }
        app.get("/store") { _ -> Response in throw StoreFailure() }
        app.get("/other") { _ -> Response in throw OtherError() }
        let client = try app.testClient()
        #expect(try await client.get("/quota").text == "disk full")
        #expect(try await client.get("/store").text == "store failure")
        #expect(try await client.get("/other").text == "any error")
    }

    @Test func aBlueprintsHandlerBeatsTheAppsEvenWhenLessSpecific() async throws {
        let app = App()
        app.errorHandler(for: TenantMissing.self) { _, _ in .text("app: tenant missing") }
        let bp = Blueprint("bp", urlPrefix: "/bp")
        bp.errorHandler(for: (any TenantError).self) { _, _ in .text("bp: any tenant error") }
        bp.get("/missing") { _ -> Response in throw TenantMissing() }
        app.register(bp)
        #expect(try await app.testClient().get("/bp/missing").text == "bp: any tenant error")
    }

    @Test func statusHandlersApplyToHTTPErrorsOfThatStatus() async throws {
        let app = App()
        app.errorHandler(for: HTTPError.self) { _, _ in .text("any HTTP error") }
        app.errorHandler(.forbidden) { _, error in .text("403: \((error as? HTTPError)?.message ?? "")", status: .forbidden) }
        app.get("/forbidden") { _ -> Response in throw HTTPError.forbidden("not yours") }
        app.get("/gone") { _ -> Response in throw HTTPError(.gone, "gone") }
        let client = try app.testClient()
        #expect(try await client.get("/forbidden").text == "403: not yours")
        #expect(try await client.get("/gone").text == "any HTTP error")
    }

    @Test func rankingFollowsTheErrorsOwnTypeThenSuperclassesThenProtocols() {
        #expect(ErrorSpecificity.rank(QuotaDiskFull(), against: QuotaDiskFull.self) == 0)
        #expect(ErrorSpecificity.rank(QuotaDiskFull(), against: DiskFull.self) == 1)
        #expect(ErrorSpecificity.rank(QuotaDiskFull(), against: StoreFailure.self) == 2)
        #expect(ErrorSpecificity.rank(TenantMissing(), against: (any TenantError).self) == ErrorSpecificity.protocolRank)
        #expect(ErrorSpecificity.rank(TenantMissing(), against: (any Error).self) == ErrorSpecificity.anyErrorRank)
        #expect(ErrorSpecificity.rank(TenantMissing(), against: TenantSuspended.self) == nil)
    }
}

/// docs/errors.md: a handler that fails falls back to the default rendering of what it was handling.
@Suite struct FailingErrorHandlerTests {
    @Test func aFailingHandlerFallsBackToTheDefaultRendering() async throws {
        let app = App()
        app.errorHandler(.forbidden) { _, _ in throw OtherError() }
        app.errorHandler(for: TenantMissing.self) { _, _ in throw OtherError() }
        app.errorHandler(.internalServerError) { _, _ in .text("500 handler", status: .internalServerError) }
        app.get("/forbidden") { _ -> Response in throw HTTPError.forbidden("not yours") }
        app.get("/tenant") { _ -> Response in throw TenantMissing() }
        let client = try app.testClient()
        let forbidden = try await client.get("/forbidden")
        #expect(forbidden.status == .forbidden)
        #expect(try forbidden.json()["error"]?["message"] == "not yours")
        // A failed handler by type is the default 500, not the 500 handler.
        let tenant = try await client.get("/tenant")
        #expect(tenant.status == .internalServerError)
        #expect(try tenant.json()["error"]?["code"] == "internal_error")
    }
}
