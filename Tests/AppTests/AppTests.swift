import Foundation
import Testing
import Vial
import VialBlueprints
import VialApp

@Suite struct AppFactoryTests {
    @Test(arguments: ClientKind.allCases) func healthAnswersOK(kind: ClientKind) async throws {
        var config = AppConfig(environment: .testing)
        config.accessLog = false
        let services = try BundledServices(config)
        try await kind.run(services.app) { client in
            let response = try await client.get("/health")
            #expect(response.status == .ok)
            #expect(try response.json() == ["status": "ok", "database": "ok"])
        }
    }

    /// docs/routes.md is the output of `App routes`; regenerate it with
    /// `swift run App routes > /tmp/r && …` (see the page's header) when routes change.
    @Test func routesDocMatchesTheAppRoutesCommand() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/routes.md"), encoding: .utf8)
        let config = AppConfig(environment: .testing)
        let services = try BundledServices(config)
        let table = RouteListing.render(try services.app.routes())
        #expect(doc == RoutesDoc.render(table))
    }

    @Test func configErrorsNameTheVariable() {
        #expect(throws: ConfigError(variable: "PORT", reason: "must be an integer from 0 to 65535 (got 'abc')")) {
            _ = try AppConfig.load(from: ["PORT": "abc"])
        }
        #expect(throws: ConfigError.self) { _ = try AppConfig.load(from: ["APP_ENV": "staging"]) }
        #expect(throws: ConfigError.self) { _ = try AppConfig.load(from: ["MAX_CONTENT_LENGTH": "-1"]) }
        for (name, value) in [("STREAM_SEND_TIMEOUT", "0"), ("STREAM_SEND_TIMEOUT", "soon"), ("BODY_MIN_RATE", "-1")] {
            #expect(throws: ConfigError.self, "\(name)=\(value)") { _ = try AppConfig.load(from: [name: value]) }
        }
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["BROKER_URL": "amqp://elsewhere"]) }
    }

    @Test func streamingSettingsAreRead() throws {
        let config = try AppConfig.load(from: ["STREAM_SEND_TIMEOUT": "5", "BODY_MIN_RATE": "0"])
        #expect(config.streamSendTimeout == 5)
        #expect(config.bodyMinRate == 0)
        // Unset, the broker follows the Redis the cache already uses.
        let core = try CoreSettings.load(try AppConfig.load(from: ["CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": "redis://cache:6379/1"]))
        #expect(core.brokerURL == "redis://cache:6379/1")
        #expect(try CoreSettings.load(AppConfig()).brokerURL == "memory://")
    }

    /// Issue 17: COMPRESS_* and ATTACHMENT_* are read, and bad values name their variable.
    @Test func compressionAndAttachmentSettingsAreRead() throws {
        let compression = try #require(try CoreSettings.load(try AppConfig.load(from: [
            "COMPRESS_LEVEL": "9", "COMPRESS_MIN_SIZE": "10", "COMPRESS_STREAMS": "false", "COMPRESS_MIMETYPES": "Text/CSV, application/json",
        ])).compression)
        #expect(compression.level == 9 && compression.minSize == 10 && !compression.streams)
        #expect(compression.mimeTypes == ["text/csv", "application/json"])
        #expect(try CoreSettings.load(try AppConfig.load(from: ["COMPRESS_REGISTER": "false"])).compression == nil)
        for (name, value) in [("COMPRESS_LEVEL", "0"), ("COMPRESS_MIN_SIZE", "-1"), ("COMPRESS_REGISTER", "maybe")] {
            #expect(throws: ConfigError.self, "\(name)=\(value)") { _ = try CoreSettings.load(try AppConfig.load(from: [name: value])) }
        }
        let attachments = try BundledServices(variables: ["ATTACHMENT_MAX_BYTES": "1000", "ATTACHMENT_MAX_FILES": "2", "ATTACHMENT_QUOTA_BYTES": "5000"])
            .assembly[TasksPlugin.Attachments.self]!.settings
        #expect(attachments.maxBytes == 1000 && attachments.maxFiles == 2 && attachments.quotaBytes == 5000)
        for (name, value) in [("ATTACHMENT_MAX_BYTES", "0"), ("ATTACHMENT_MAX_FILES", "many"), ("JWT_QUERY_STRING_NAME", "a b")] {
            let variables = [name: value, "JWT_TOKEN_LOCATION": "headers,query_string"]
            #expect(throws: ConfigError.self, "\(name)=\(value)") { _ = try BundledServices(variables: variables) }
        }
    }

    /// Issue 18: the WebSocket settings, and the ticket's life, come from the environment; bad values are named.
    @Test func webSocketSettingsAndTheTicketLifeAreRead() throws {
        let sockets = try AppConfig.load(from: [
            "WEBSOCKET_MAX_MESSAGE_SIZE": "4096", "WEBSOCKET_PING_INTERVAL": "0", "WEBSOCKET_PING_TIMEOUT": "7",
            "WEBSOCKET_CLOSE_TIMEOUT": "2", "STREAM_SEND_TIMEOUT": "9", "CORS_ORIGINS": "https://a.example, https://*.b.example",
        ]).webSocket
        #expect(sockets.maxMessageSize == 4096 && sockets.pingInterval == .zero && sockets.pingTimeout == .seconds(7))
        #expect(sockets.closeTimeout == .seconds(2) && sockets.sendTimeout == .seconds(9))
        #expect(sockets.allowedOrigins == [.exact("https://a.example"), .pattern("https://*.b.example")])
        let own = try AppConfig.load(from: ["CORS_ORIGINS": "https://a.example", "WEBSOCKET_ORIGINS": "*"]).webSocket
        #expect(own.allowedOrigins == [.any])
        for (name, value) in [("WEBSOCKET_MAX_MESSAGE_SIZE", "10"), ("WEBSOCKET_PING_TIMEOUT", "0"), ("WEBSOCKET_PING_INTERVAL", "soon")] {
            #expect(throws: ConfigError.self, "\(name)=\(value)") { _ = try AppConfig.load(from: [name: value]) }
        }
        let bundled = try BundledServices(variables: ["JWT_TICKET_EXPIRES": "5"])
        #expect(bundled.jwt.issuer.ticketLifetime == 5)
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["JWT_TICKET_EXPIRES": "3600"]) }
    }

    @Test func configReadsTheEnvironment() throws {
        let config = try AppConfig.load(from: [
            "APP_ENV": "production", "PORT": "8080", "HOST": "0.0.0.0", "TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
        ])
        #expect(config.environment == .production)
        #expect(config.port == 8080)
        #expect(config.host == "0.0.0.0")
        #expect(config.trustedProxies == ["10.0.0.1", "10.0.0.2"])
    }

    @Test func settingsNameBadVariables() throws {
        #expect(throws: ConfigError(variable: "JWT_SECRET_KEY", reason: "must be set in production")) {
            _ = try BundledServices(variables: ["APP_ENV": "production"])
        }
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["DATABASE_URL": "postgres://x"]) }
        #expect(throws: ConfigError.self) {
            _ = try BundledServices(variables: ["JWT_ACCESS_TOKEN_EXPIRES": "soon"])
        }
        let testing = try AppConfig.load(from: ["APP_ENV": "testing"])
        #expect(try CoreSettings.load(testing).database == .memory)
        #expect(try AuthSettings.load(testing, database: .memory).generatedSecret == "memory")
        #expect(try CoreSettings.load(try AppConfig.load(from: [:])).database == .file("instance/tasks_dev.db"))
        #expect(try DatabaseLocation(url: "sqlite:////var/data/app.db") == .file("/var/data/app.db"))
        #expect(try CoreSettings.load(testing).databasePoolSize == 10)
        #expect(try CoreSettings.load(try AppConfig.load(from: ["DATABASE_POOL_SIZE": "40"])).databasePoolSize == 40)
        #expect(throws: ConfigError.self) { _ = try CoreSettings.load(try AppConfig.load(from: ["DATABASE_POOL_SIZE": "0"])) }
    }

    /// Anyone could sign admin tokens with the secret that used to be the development default
    /// (it was in the source): production refuses it and any secret under 32 bytes (issue 10, item 1).
    @Test func productionRefusesThePublishedSecretAndShortOnes() throws {
        #expect(throws: ConfigError(variable: "JWT_SECRET_KEY", reason: "is the published development secret; generate your own")) {
            _ = try BundledServices(variables: ["APP_ENV": "production", "JWT_SECRET_KEY": "dev-secret-change-me-0123456789abcdef"])
        }
        #expect(throws: ConfigError(variable: "JWT_SECRET_KEY", reason: "must be at least 32 bytes in production")) {
            _ = try BundledServices(variables: ["APP_ENV": "production", "JWT_SECRET_KEY": "sixteen-chars-ok-elsewhere"])
        }
        #expect(throws: Never.self) {
            _ = try BundledServices(variables: ["APP_ENV": "production", "JWT_SECRET_KEY": String(repeating: "k", count: 32)])
        }
    }

    /// Without JWT_SECRET_KEY each instance folder gets its own random secret, kept beside the
    /// database (owner-only) so tokens survive restarts; no two installations share one.
    @Test func anUnsetSecretIsRandomPerInstanceFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vial-secret-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        func settings(_ folder: String) throws -> AuthSettings {
            try AuthSettings.load(AppConfig(), database: .file("\(root.path)/\(folder)/app.db"))
        }
        let first = try settings("one")
        #expect(first.generatedSecret == root.path + "/one/jwt_secret")
        #expect(first.secret.utf8.count == 64)
        #expect(try settings("one").secret == first.secret)  // kept: the same after a restart
        #expect(try settings("two").secret != first.secret)  // another instance, another key
        let permissions = try FileManager.default.attributesOfItem(atPath: root.path + "/one/jwt_secret")[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(first.secret != "dev-secret-change-me-0123456789abcdef")
    }

    /// `routes` and `openapi` assemble the app in memory: they must write no secret file into the
    /// configured instance folder.
    @Test func assemblingInMemoryKeepsNoSecretFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vial-nosecret-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = try AppConfig.load(from: ["DATABASE_URL": "sqlite:///\(root.path)/app.db"])
        _ = try Bundled.application.assembleInMemory(config: config)
        #expect(!FileManager.default.fileExists(atPath: root.path + "/jwt_secret"))
    }

    @Test func dotEnvParses() throws {
        let values = try DotEnv.parse("""
            # comment
            export PORT=8080
            JWT_SECRET_KEY="quoted value"
            NAME=plain # trailing comment

            """)
        #expect(values == ["PORT": "8080", "JWT_SECRET_KEY": "quoted value", "NAME": "plain"])
        #expect(throws: ConfigError.self) { _ = try DotEnv.parse("not a pair") }
    }
}

@Suite struct BundledRouteDocsTests {
    @Test func everyBundledRouteIsDocumentedNextToItsCode() throws {
        let config = AppConfig(environment: .testing)
        let services = try BundledServices(config)
        let routes = try services.app.routes()
        for route in routes {
            #expect(route.summary != nil, "\(route.endpoint)")
            #expect(!route.docs.tags.isEmpty, "\(route.endpoint)")
            // Success: a 2xx, or for a WebSocket the 101 that opens it.
            #expect(
                route.responses.keys.contains { (200..<300).contains($0) } || (route.isWebSocket && route.responses[101] != nil),
                "\(route.endpoint)")
            if route.endpoint.hasPrefix("tasks.") {
                #expect(route.security == ["bearerAuth"], "\(route.endpoint)")
                #expect(route.responses[401] != nil && route.responses[429] != nil, "\(route.endpoint)")
                if route.rule.contains("<int:task_id>") { #expect(route.responses[404] != nil, "\(route.endpoint)") }
            }
            if route.endpoint.hasPrefix("jobs.") {
                #expect(route.security == ["bearerAuth"], "\(route.endpoint)")
                #expect(route.responses[401] != nil && route.responses[404] != nil, "\(route.endpoint)")
            }
            // Bodiless POSTs: the token is the input, or the path names the task to process.
            if ["POST", "PUT", "PATCH"].contains(route.methods.first ?? ""),
                !["auth.refresh", "auth.logout", "auth.ws_ticket", "tasks.process_task"].contains(route.endpoint)
            {
                #expect(route.docs.request != nil || !route.docs.form.isEmpty, "\(route.endpoint)")
            }
        }
        let list = try #require(routes.first { $0.endpoint == "tasks.get_tasks" })
        #expect(list.docs.query.map(\.name) == ["status", "page", "per_page"])
        #expect(list.responses[304] != nil)  // from cached(…)
        #expect(try #require(routes.first { $0.endpoint == "auth.login" }).responses[429] != nil)  // from limit(…)
    }
}

/// The bundled document checked by a validator nobody here wrote (openapi-spec-validator, from
/// PyPI). Runs where it is installed, and always in CI, where `.ci/run` installs it.
@Suite(.enabled(if: PythonTools.hasSpecValidator || ProcessInfo.processInfo.environment["CI"] != nil))
struct BundledOpenAPITests {
    static func python(_ script: String, _ arguments: [String]) throws -> String { try PythonTools.run(script, arguments) }
}

enum PythonTools {
    static var hasSpecValidator: Bool {
        (try? run("import openapi_spec_validator; print('ok')", [])) == "ok"
    }

    static func run(_ script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension BundledOpenAPITests {
    @Test func theBundledDocumentValidates() throws {
        let config = AppConfig(environment: .testing)
        let services = try BundledServices(config)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vial-openapi-\(UUID().uuidString).json").path
        try Bundled.application.apiDocument(services.assembly).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Self.python(
            """
            import sys
            from openapi_spec_validator import validate
            from openapi_spec_validator.readers import read_from_filename
            document, _ = read_from_filename(sys.argv[1])
            validate(document)
            print("valid", document["openapi"], len(document["paths"]))
            """, [path])
        #expect(result == "valid 3.1.1 22")
    }
}
