import Foundation
import Testing
@testable import Vial
import VialTesting

@Suite struct StaticFilesTests {
    func client() throws -> (TestClient, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vial-static-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("js"), withIntermediateDirectories: true)
        try "console.log(1)".write(to: folder.appendingPathComponent("js/app.js"), atomically: true, encoding: .utf8)
        try "secret".write(to: folder.deletingLastPathComponent().appendingPathComponent("outside-\(folder.lastPathComponent).txt"), atomically: true, encoding: .utf8)
        var config = AppConfig()
        config.accessLog = false
        let app = App(config: config)
        app.serveStatic("/assets", directory: folder.path)
        return (try app.testClient(), folder.lastPathComponent)
    }

    @Test func servesFilesWithTheirMediaType() async throws {
        let (client, _) = try client()
        let response = try await client.get("/assets/js/app.js")
        #expect(response.status == .ok)
        #expect(response.text == "console.log(1)")
        #expect(response.header("Content-Type") == "text/javascript; charset=utf-8")
    }

    @Test func pathsOutsideTheFolderAndFoldersAreNotFound() async throws {
        let (client, name) = try client()
        #expect(try await client.get("/assets/../outside-\(name).txt").status == .notFound)
        #expect(try await client.get("/assets/%2e%2e/outside-\(name).txt").status == .notFound)
        #expect(try await client.get("/assets/js").status == .notFound)
        #expect(try await client.get("/assets/missing.js").status == .notFound)
    }
}
