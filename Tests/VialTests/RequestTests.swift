import Testing
@testable import Vial
import VialTesting

@Suite struct RequestTests {
    @Test func queryArgsHaveTypedAccessAndDefaults() {
        let request = Request(method: .GET, uri: "/s?q=flask&limit=abc&n=5&tag=a&tag=b&name=Jane+Doe%21")
        #expect(request.query("q") == "flask")
        #expect(request.query("limit", as: Int.self, default: 20) == 20)
        #expect(request.query("n", as: Int.self, default: 20) == 5)
        #expect(request.query("missing", as: Int.self, default: 7) == 7)
        #expect(request.args.all("tag") == ["a", "b"])
        #expect(request.query("name") == "Jane Doe!")
    }

    @Test func strictQueryAccessRejectsBadValuesWith400() throws {
        enum Status: String, ParameterConvertible { case pending, completed }
        let good = Request(method: .GET, uri: "/t?status=pending")
        #expect(try good.query("status", as: Status?.self) == .pending)
        let absent = Request(method: .GET, uri: "/t")
        #expect(try absent.query("status", as: Status?.self) == nil)
        let bad = Request(method: .GET, uri: "/t?status=done")
        #expect(throws: HTTPError.self) { try bad.query("status", as: Status?.self) }
    }

    @Test func headersAreCaseInsensitive() {
        let request = Request(method: .GET, uri: "/", headers: ["X-Custom-Header": "MyValue"])
        #expect(request.header("x-custom-header") == "MyValue")
        #expect(request.header("X-CUSTOM-HEADER") == "MyValue")
    }

    struct Item: Codable, Equatable {
        var name: String
        var price: Double
    }

    func jsonRequest(_ body: String, contentType: String? = "application/json") -> Request {
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        return Request(method: .POST, uri: "/", headers: headers, body: ByteBuffer(string: body))
    }

    @Test func decodeReadsJSON() throws {
        let item = try jsonRequest(#"{"name":"Laptop","price":1200.5}"#).decode(Item.self)
        #expect(item == Item(name: "Laptop", price: 1200.5))
        #expect(try jsonRequest("{}", contentType: "application/merge-patch+json").json() == [:])
        #expect(try jsonRequest("{}", contentType: "application/json; charset=utf-8").json() == [:])
    }

    @Test func decodeWithoutJSONContentTypeIs415() {
        #expect(throws: HTTPError(.unsupportedMediaType, "Request must be JSON", code: "unsupported_media_type")) {
            _ = try jsonRequest("title=x", contentType: "application/x-www-form-urlencoded").json()
        }
        #expect(throws: HTTPError.self) { _ = try jsonRequest("{}", contentType: nil).json() }
    }

    @Test func malformedJSONIs400() throws {
        do {
            _ = try jsonRequest(#"{"name": "#).json()
            Issue.record("expected an error")
        } catch let error as HTTPError {
            #expect(error.status == .badRequest && error.code == "invalid_json")
            #expect(error.details?["_body"] != nil)
        }
        #expect(throws: HTTPError(.badRequest, "Request body is empty", code: "invalid_json")) {
            _ = try jsonRequest("").json()
        }
    }

    @Test func wrongShapeIs422WithFieldDetails() throws {
        do {
            _ = try jsonRequest(#"{"name": 5}"#).decode(Item.self)
            Issue.record("expected an error")
        } catch let error as HTTPError {
            #expect(error.status == .unprocessableEntity)
            #expect(error.details?["name"] != nil)
        }
        do {
            _ = try jsonRequest(#"{"name": "x"}"#).decode(Item.self)
            Issue.record("expected an error")
        } catch let error as HTTPError {
            #expect(error.details == ["price": ["Missing data for required field."]])
        }
    }

    @Test func formDecodes() throws {
        let request = jsonRequest("title=Learn+More&tag=a%26b", contentType: "application/x-www-form-urlencoded")
        let form = try request.form()
        #expect(form["title"] == "Learn More")
        #expect(form["tag"] == "a&b")
        #expect(throws: HTTPError.self) { _ = try jsonRequest("{}").form() }
    }

    @Test func typedPathParams() async throws {
        let app = App()
        app.get("/u/<int:id>/<name>") { req in
            let id: Int = try req.param("id")
            let name = try req.param("name", as: String.self)
            return "\(id + 1) \(name)"
        }
        #expect(try await app.testClient().get("/u/41/bob").text == "42 bob")
    }

    @Test func remoteAddressAndRequestID() async throws {
        let app = App()
        app.get("/who") { req in "\(req.remoteAddress ?? "-") \(req.id)" }
        let client = try app.testClient()
        let echoed = try await client.get("/who", headers: ["X-Request-ID": "abc-123"])
        #expect(echoed.text == "127.0.0.1 abc-123")
        #expect(echoed.header("X-Request-ID") == "abc-123")
        let generated = try await client.get("/who", headers: ["X-Request-ID": "bad id with spaces"])
        #expect(generated.header("X-Request-ID")?.count == 32)
    }
}

@Suite struct URLForTests {
    func app(trusting proxies: Set<String> = [], configure: (inout AppConfig) -> Void = { _ in }) -> App {
        var config = AppConfig()
        config.trustedProxies = proxies
        configure(&config)
        let app = App(config: config)
        let tasks = Blueprint("tasks", urlPrefix: "/api/tasks")
        tasks.get("/<int:task_id>", name: "get_task") { _ in "t" }
        tasks.get("/", name: "list") { _ in "l" }
        app.register(tasks)
        app.get("/files/<path:p>", name: "file") { _ in "f" }
        app.get("/build") { req in
            let endpoint = req.query("endpoint") ?? ""
            var params: [String: any CustomStringConvertible & Sendable] = [:]
            for key in req.args.keys where key != "endpoint" && key != "external" { params[key] = req.args[key] }
            return try req.urlFor(endpoint, params, external: req.query("external") != nil)
        }
        return app
    }

    func build(
        _ query: String, headers: HTTPHeaders = [:], from address: String = "127.0.0.1", trusting: Set<String> = [],
        configure: (inout AppConfig) -> Void = { _ in }
    ) async throws -> TestResponse {
        var client = try app(trusting: trusting, configure: configure).testClient()
        client.remoteAddress = address
        return try await client.get("/build?" + query, headers: headers)
    }

    @Test func buildsPathsWithParameters() async throws {
        #expect(try await build("endpoint=tasks.get_task&task_id=4").text == "/api/tasks/4")
        #expect(try await build("endpoint=tasks.list").text == "/api/tasks/")
        #expect(try await build("endpoint=file&p=a/b%20c").text == "/files/a/b%20c")
    }

    @Test func extraParametersBecomeTheQueryString() async throws {
        #expect(try await build("endpoint=tasks.list&page=2").text == "/api/tasks/?page=2")
    }

    @Test func unknownEndpointFailsLoudly() async throws {
        #expect(try await build("endpoint=tasks.nope").status == .internalServerError)
        let app = app()
        let responder = try app.build()
        var request = Request(method: .GET, uri: "/")
        request.context = responder.context
        #expect(throws: RoutingError.unknownEndpoint("nope")) { try request.urlFor("nope") }
        #expect(throws: RoutingError.self) { try request.urlFor("tasks.get_task") }
        #expect(throws: RoutingError.self) { try request.urlFor("tasks.get_task", ["task_id": "abc"]) }
    }

    @Test func externalURLUsesATrustedHostHeader() async throws {
        let response = try await build(
            "endpoint=tasks.get_task&task_id=4&external=1", headers: ["Host": "api.test:5000"],
            configure: { $0.trustedHosts = ["api.test"] })
        #expect(response.text == "http://api.test:5000/api/tasks/4")
    }

    /// `Host: evil.example` became `Location: http://evil.example/…` (issue 10, item 9).
    @Test func anUntrustedHostHeaderNeverBecomesAnExternalURL() async throws {
        let unconfigured = try await build("endpoint=tasks.get_task&task_id=4&external=1", headers: ["Host": "evil.example"])
        #expect(unconfigured.text == "http://localhost/api/tasks/4")
        let named = try await build(
            "endpoint=tasks.get_task&task_id=4&external=1", headers: ["Host": "evil.example"],
            configure: { $0.serverName = "api.example.com" })
        #expect(named.text == "http://api.example.com/api/tasks/4")
        let refused = try await build(
            "endpoint=tasks.get_task&task_id=4&external=1", headers: ["Host": "evil.example"],
            configure: { $0.trustedHosts = [".example.com"] })
        #expect(refused.status == .badRequest)
        #expect(try refused.json()["error"]?["code"] == "untrusted_host")
        let subdomain = try await build(
            "endpoint=tasks.get_task&task_id=4&external=1", headers: ["Host": "API.example.com"],
            configure: { $0.trustedHosts = [".example.com"] })
        #expect(subdomain.text == "http://API.example.com/api/tasks/4")
    }

    /// Over a socket the fallback is the address the client reached, and a `Host` naming it is kept.
    @Test func overASocketTheHostIsTheAddressReached() async throws {
        try await app().withLiveServer { client in
            let evil = try await client.sendRaw(
                "GET /build?endpoint=tasks.list&external=1 HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
            #expect(evil.hasSuffix("http://127.0.0.1:\(client.port)/api/tasks/"))
            let own = try await client.sendRaw(
                "GET /build?endpoint=tasks.list&external=1 HTTP/1.1\r\nHost: localhost:\(client.port)\r\nConnection: close\r\n\r\n")
            #expect(own.hasSuffix("http://localhost:\(client.port)/api/tasks/"))
        }
    }

    @Test func forwardedHeadersAreIgnoredFromUntrustedPeers() async throws {
        let headers: HTTPHeaders = ["Host": "inner:5000", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"]
        let response = try await build(
            "endpoint=tasks.list&external=1", headers: headers, from: "10.9.9.9", configure: { $0.trustedHosts = ["inner"] })
        #expect(response.text == "http://inner:5000/api/tasks/")
    }

    /// Behind the shipped nginx site (`X-Forwarded-Host $host`), `Host: evil.example` became
    /// `Location: https://evil.example/…` although `SERVER_NAME` was set (issue 16, item 1).
    @Test func serverNameWinsOverAForwardedHost() async throws {
        let headers: HTTPHeaders = ["Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"]
        let response = try await build(
            "endpoint=tasks.list&external=1", headers: headers, from: "10.0.0.1", trusting: ["10.0.0.1"],
            configure: { $0.serverName = "api.example.com" })
        #expect(response.text == "https://api.example.com/api/tasks/")
    }

    /// A trusted proxy's `X-Forwarded-Host` is the host the client asked for: `TRUSTED_HOSTS`
    /// checks it as it checks `Host` (issue 16, item 1).
    @Test func trustedHostsCheckTheForwardedHostToo() async throws {
        let headers: HTTPHeaders = ["Host": "api.example.com", "X-Forwarded-Host": "evil.example"]
        let refused = try await build(
            "endpoint=tasks.list&external=1", headers: headers, from: "10.0.0.1", trusting: ["10.0.0.1"],
            configure: { $0.trustedHosts = ["api.example.com"] })
        #expect(refused.status == .badRequest)
        #expect(try refused.json()["error"]?["code"] == "untrusted_host")
        let admitted = try await build(
            "endpoint=tasks.list&external=1", headers: ["Host": "inner", "X-Forwarded-Host": "api.example.com"],
            from: "10.0.0.1", trusting: ["10.0.0.1"], configure: { $0.trustedHosts = ["api.example.com", "inner"] })
        #expect(admitted.text == "http://api.example.com/api/tasks/")
    }

    /// `Host: localhost:@evil.example` was checked as `localhost` and then used whole
    /// (`Location: http://localhost:@evil.example/…`), and passed `TRUSTED_HOSTS` (issue 16, item 2).
    @Test func aHostThatIsNotStrictlyAHostIsNeverUsedOrTrusted() async throws {
        let unconfigured = try await build(
            "endpoint=tasks.list&external=1", headers: ["Host": "localhost:@evil.example"])
        #expect(unconfigured.text == "http://localhost/api/tasks/")
        let refused = try await build(
            "endpoint=tasks.list&external=1", headers: ["Host": "api.example.com:@evil.example"],
            configure: { $0.trustedHosts = ["api.example.com"] })
        #expect(refused.status == .badRequest)
        let forwarded = try await build(
            "endpoint=tasks.list&external=1", headers: ["Host": "localhost", "X-Forwarded-Host": "localhost:@evil.example"],
            from: "10.0.0.1", trusting: ["10.0.0.1"])
        #expect(forwarded.text == "http://localhost/api/tasks/")
    }

    @Test func forwardedHeadersAreHonouredFromTrustedProxies() async throws {
        let headers: HTTPHeaders = ["Host": "inner:5000", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example"]
        let response = try await build(
            "endpoint=tasks.list&external=1", headers: headers, from: "10.0.0.1", trusting: ["10.0.0.1"])
        #expect(response.text == "https://api.example/api/tasks/")
    }
}

/// Behind a trusted proxy the limit key is the rightmost hop the proxies did not add: whatever a
/// client writes to the left of it is ignored (a spoofed leftmost hop bypassed the login limit).
@Suite struct ForwardedForKeyTests {
    func request(_ forwardedFor: [String], peer: String = "10.0.0.1", trusted: Set<String> = ["10.0.0.1", "10.0.0.2"]) throws -> Request {
        var headers = HTTPHeaders()
        for value in forwardedFor { headers.add(name: "X-Forwarded-For", value: value) }
        var request = Request(method: .GET, uri: "/", headers: headers, remoteAddress: peer)
        request.context = RequestContext(urlMap: [:], trustedProxies: trusted, serverName: nil)
        return request
    }

    @Test func theRightmostUntrustedHopIsTheClient() throws {
        #expect(try request(["198.51.100.7"]).clientAddress == "198.51.100.7")
        // The client wrote 1.2.3.4 itself; the proxy appended the address it saw.
        #expect(try request(["1.2.3.4, 198.51.100.7"]).clientAddress == "198.51.100.7")
        // Two trusted proxies in a row: skip both.
        #expect(try request(["1.2.3.4, 198.51.100.7, 10.0.0.2"]).clientAddress == "198.51.100.7")
        // Several header lines are one list.
        #expect(try request(["1.2.3.4", "198.51.100.7"]).clientAddress == "198.51.100.7")
        // Only proxies: the leftmost.
        #expect(try request(["10.0.0.2"]).clientAddress == "10.0.0.2")
        #expect(try request([]).clientAddress == "10.0.0.1")
        // An untrusted peer's header is ignored.
        #expect(try request(["1.2.3.4"], peer: "192.0.2.9").clientAddress == "192.0.2.9")
    }
}

/// Issue 20, point 7: `url_for` as Flask builds URLs.
extension URLForTests {
    func request(_ configure: (App) -> Void = { _ in }) throws -> Request {
        let app = app()
        app.get("/price/<float:amount>", name: "price") { _ in "p" }
        app.get("/signed/<float(signed=True):amount>", name: "signed") { _ in "s" }
        app.route("/form", methods: [.POST], name: "form") { _ in "f" }
        configure(app)
        var request = Request(method: .GET, uri: "/", headers: ["Host": "localhost:5000"])
        request.context = try app.build().context
        return request
    }

    /// A float is written so that `<float:…>` reads it back: `0.00001`, not `1e-05`; `3.0`, not `3`.
    @Test func floatsAreWrittenSoTheFloatConverterTakesThemBack() throws {
        let request = try request()
        #expect(try request.urlFor("price", ["amount": 1e-05]) == "/price/0.00001")
        #expect(try request.urlFor("price", ["amount": 1e20]) == "/price/100000000000000000000.0")
        #expect(try request.urlFor("price", ["amount": 3.0]) == "/price/3.0")
        #expect(try request.urlFor("price", ["amount": Float(2.5)]) == "/price/2.5")
        #expect(try request.urlFor("signed", ["amount": -2.5e-10]) == "/signed/-0.00000000025")
        #expect(throws: RoutingError.self) { try request.urlFor("price", ["amount": Double.infinity]) }
        #expect(throws: RoutingError.self) { try request.urlFor("price", ["amount": -1.5]) }  // unsigned converter
    }

    /// A list becomes the query argument repeated, in order; a path parameter takes one value.
    @Test func listsBecomeRepeatedQueryArguments() throws {
        let request = try request()
        #expect(try request.urlFor("tasks.list", ["tag": ["a", "b c"], "page": 2]) == "/api/tasks/?page=2&tag=a&tag=b%20c")
        #expect(try request.urlFor("tasks.list", ["n": [1, 2]]) == "/api/tasks/?n=1&n=2")
        #expect(throws: RoutingError.self) { try request.urlFor("tasks.get_task", ["task_id": [1, 2]]) }
    }

    /// `_anchor`, `_scheme` (only with `_external`) and `_method` as Flask takes them.
    @Test func anchorSchemeAndMethodAsFlask() throws {
        let request = try request()
        #expect(try request.urlFor("tasks.get_task", ["task_id": 4], anchor: "part 2/b?") == "/api/tasks/4#part%202/b?")
        #expect(try request.urlFor("tasks.get_task", ["task_id": 4], external: true, scheme: "https") == "https://localhost:5000/api/tasks/4")
        #expect(throws: RoutingError.self) { try request.urlFor("tasks.get_task", ["task_id": 4], scheme: "https") }
        #expect(throws: RoutingError.self) { try request.urlFor("tasks.get_task", ["task_id": 4], external: true, scheme: "ht tp") }
        #expect(try request.urlFor("form", method: .POST) == "/form")
        #expect(try request.urlFor("tasks.list", method: .HEAD) == "/api/tasks/")
        do {
            _ = try request.urlFor("form", method: .GET)
            Issue.record("GET /form is not answered")
        } catch {
            #expect("\(error)".contains("does not answer GET (it answers OPTIONS, POST)"))
        }
    }
}

/// Issue 20, point 7: building URLs outside a request, as Flask's `url_for` in an app context.
extension URLForTests {
    @Test func urlsAreBuiltOutsideARequestFromServerNameAndTheSchemeSetting() throws {
        let app = try App(config: AppConfig.load(from: ["SERVER_NAME": "api.example.com", "PREFERRED_URL_SCHEME": "https"]))
        let tasks = Blueprint("tasks", urlPrefix: "/api/tasks")
        tasks.get("/<int:task_id>", name: "get_task") { _ in "t" }
        app.register(tasks)
        #expect(try app.urlFor("tasks.get_task", ["task_id": 4]) == "/api/tasks/4")
        #expect(try app.urlFor("tasks.get_task", ["task_id": 4], external: true) == "https://api.example.com/api/tasks/4")
        #expect(try app.urlFor("tasks.get_task", ["task_id": 4], external: true, scheme: "http") == "http://api.example.com/api/tasks/4")
        #expect(throws: RoutingError.unknownEndpoint("nope")) { try app.urlFor("nope") }

        let nameless = App()
        nameless.get("/x", name: "x") { _ in "x" }
        #expect(try nameless.urlFor("x") == "/x")
        #expect(throws: RoutingError.self) { try nameless.urlFor("x", external: true) }
        #expect(throws: ConfigError.self) { try AppConfig.load(from: ["PREFERRED_URL_SCHEME": "ftp"]) }
    }
}

/// Issue 20, point 7: a failed build says what was probably meant, and can be handled.
extension URLForTests {
    @Test func anUnknownEndpointNamesTheClosestOne() throws {
        let request = try request()
        #expect(throws: RoutingError.unknownEndpoint("get_task", didYouMean: "tasks.get_task")) { try request.urlFor("get_task") }
        #expect(throws: RoutingError.unknownEndpoint("tasks.get_tsk", didYouMean: "tasks.get_task")) { try request.urlFor("tasks.get_tsk") }
        #expect(throws: RoutingError.unknownEndpoint("nothing_like_it")) { try request.urlFor("nothing_like_it") }
        #expect(
            RoutingError.unknownEndpoint("get_task", didYouMean: "tasks.get_task").description
                == "Could not build URL for unknown endpoint 'get_task'. Did you mean 'tasks.get_task'?")
        #expect(EndpointNames.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(EndpointNames.editDistance([], Array("ab")) == 2 && EndpointNames.editDistance(Array("ab"), []) == 2)
    }

    /// Flask's `url_build_error_handlers`: a handler may make the URL, or leave the error.
    @Test func urlBuildErrorHandlersMayMakeTheURL() throws {
        let request = try request { app in
            app.urlBuildErrorHandler { _, endpoint, _ in endpoint == "other.home" ? "https://other.example/" : nil }
            app.urlBuildErrorHandler { error, endpoint, parameters in
                guard endpoint == "legacy", case .unknownEndpoint = error else { return nil }
                return "/old/\(parameters["id"]?.description ?? "")"
            }
        }
        #expect(try request.urlFor("other.home") == "https://other.example/")
        #expect(try request.urlFor("legacy", ["id": 7]) == "/old/7")
        #expect(throws: RoutingError.self) { try request.urlFor("still.unknown") }
        #expect(throws: RoutingError.self) { try request.urlFor("tasks.get_task") }  // a missing value, left as it is
    }
}
