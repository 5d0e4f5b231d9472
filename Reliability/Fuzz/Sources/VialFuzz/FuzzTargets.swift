import Foundation
import Vial
import VialBlueprints
import VialMiddleware

/// One libFuzzer entry point for six targets, chosen by `VIAL_FUZZ_TARGET` (libFuzzer owns the
/// command line). Each target feeds the bytes to one parser and checks a property of what it
/// accepts; a violated property traps, which libFuzzer reports as a crash with the input saved.
enum FuzzTarget: String {
    case json, rule, jwt, validator, multipart, model

    static let current = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["VIAL_FUZZ_TARGET"] ?? "") ?? {
        fatalError("set VIAL_FUZZ_TARGET to json, rule, jwt, validator, multipart or model")
    }()

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .json: Self.json(bytes)
        case .rule: Self.rule(bytes)
        case .jwt: Self.jwt(bytes)
        case .validator: Self.validator(bytes)
        case .multipart: Self.multipart(bytes)
        case .model: Self.model(bytes)
        }
    }

    /// The typed-model glue (learned schema, checks, `JSONValueDecoder`): any body is a value or
    /// an `HTTPError` — never a trap in a cast or an integer conversion — and what is accepted
    /// keeps the declared rules.
    static func model(_ bytes: UnsafeRawBufferPointer) {
        guard let body = try? JSON(parsing: bytes) else { return }
        do {
            let value = try FuzzModel.validate(body)
            let title = value.title.unicodeScalars.count
            precondition((1...50).contains(title), "accepted a title of \(title)")
            precondition(value.tags.count <= 5 && Set(value.tags).count == value.tags.count, "accepted tags \(value.tags)")
            precondition(value.tags.allSatisfy { (1...10).contains($0.unicodeScalars.count) }, "accepted a tag out of bounds")
            precondition((value.addresses ?? []).allSatisfy { $0.zip.map { $0.count == 5 } ?? true }, "accepted a bad zip")
        } catch is HTTPError {
        } catch {
            preconditionFailure("a model answered \(error) instead of an HTTPError")
        }
    }

    /// Anything the request-body parser accepts serializes to text it parses back to the same value.
    static func json(_ bytes: UnsafeRawBufferPointer) {
        guard let value = try? JSON(parsing: bytes) else { return }
        let again = try? JSON(parsing: Array(value.serialized.utf8))
        precondition(again == value, "JSON round trip changed the value")
    }

    /// A table like an app's, built once; each input is inserted into a copy of it.
    private static let baseTable: RouteTable<Int> = {
        var table = RouteTable<Int>()
        let rules = ["/a/<int:id>", "/files/<path:rest>", "/u/<name>/x", "/f/<float:v>", "/id/<uuid:u>"]
        for (index, rule) in rules.enumerated() {
            try! table.insert(RulePattern(rule, converters: BuiltinConverters.all), methods: [.GET], value: index)
        }
        return table
    }()

    /// A rule either is refused with a `RoutingError` or builds a pattern that a route table can
    /// hold and match any path against (the path is at most 4 KB here).
    static func rule(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
        let (rule, path) = text.firstIndex(of: "\n").map { (String(text[..<$0]), text[text.index(after: $0)...]) } ?? (text, "/")
        guard let pattern = try? RulePattern(rule, converters: BuiltinConverters.all) else { return }
        var table = baseTable
        try? table.insert(pattern, methods: [.GET, .POST], value: 99)
        _ = table.match(method: .GET, path: path)
        _ = table.match(method: .POST, path: Substring(rule))
    }

    private static let secret = "fuzzing-secret-0123456789abcdef0123"
    private static let codec = JWTCodec(secret: secret, clock: FixedClock(1_800_000_000))

    /// No token the fuzzer makes verifies unless it carries a valid signature over its own bytes:
    /// the one claim set the corpus was signed with is the only one that can come back.
    static func jwt(_ bytes: UnsafeRawBufferPointer) {
        let token = String(decoding: bytes, as: UTF8.self)
        guard let claims = try? codec.verify(token) else { return }
        precondition(claims.subject == "2" && claims.id == "fuzz-seed", "a token verified with claims nobody signed: \(token)")
    }

    /// The task and registration schemas: whatever they accept is within the documented limits.
    static func validator(_ bytes: UnsafeRawBufferPointer) {
        guard let body = try? JSON(parsing: bytes) else { return }
        if let task = try? TasksBlueprint.creation.validate(body) {
            let title = task.string("title") ?? ""
            precondition(!title.isEmpty && title.unicodeScalars.count <= 150, "accepted title of \(title.unicodeScalars.count)")
            precondition((task.string("description")?.unicodeScalars.count ?? 0) <= 10_000, "accepted a long description")
        }
        _ = try? TasksBlueprint.patch.validate(body, partial: true)
        if let user = try? AuthBlueprint.registration.validate(body) {
            precondition(user.string("username").map { !$0.isEmpty } ?? false, "accepted an empty username")
        }
    }

    /// The multipart glue (MultipartKit's parser under Vial's limits and part reader): whatever
    /// it accepts has a safe filename, at most `maxParts` parts, and no more bytes than came in.
    static func multipart(_ bytes: UnsafeRawBufferPointer) {
        let request = Request(
            method: .POST, uri: "/", headers: ["Content-Type": "multipart/form-data; boundary=XyZ"],
            body: ByteBuffer(bytes: bytes))
        let limits = MultipartLimits(maxParts: 8, maxFileSize: 2_048, maxFieldsSize: 2_048, temporaryDirectory: "/nonexistent")
        let done = DispatchSemaphore(value: 0)
        let input = bytes.count
        Task {
            defer { done.signal() }
            var parts = 0
            var total = 0
            do {
                for try await part in try request.multipart(limits: limits) {
                    parts += 1
                    if let name = part.filename {
                        precondition(!name.isEmpty && name.utf8.count <= 255, "filename length \(name.utf8.count)")
                        precondition(!name.contains("/") && !name.contains("\\") && !name.hasPrefix("."), "unsafe filename \(name)")
                        precondition(!name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "control character in \(name)")
                    }
                    for try await chunk in part.body { total += chunk.readableBytes }
                }
            } catch {
                // Refusals (400, 413) are answers, not findings.
            }
            precondition(parts <= 8, "\(parts) parts read past the limit of 8")
            precondition(total <= input, "\(total) body bytes out of \(input) bytes in")
        }
        done.wait()
    }
}

enum FuzzKind: String, Codable, CaseIterable, Sendable { case note, task }
enum FuzzLevel: Int, Codable, CaseIterable, Sendable { case one = 1, two = 2 }

struct FuzzAddress: Model {
    var street: String
    var zip: String?
    static let rules: [String: FieldRules] = ["zip": FieldRules(.pattern("[0-9]{5}", description: "Not a ZIP code."))]
}

/// Every kind a model can hold, for the `model` target.
struct FuzzModel: Model {
    var title: String
    var small: Int8?
    var count: UInt16?
    var tags: [String]
    var kind: FuzzKind?
    var level: FuzzLevel?
    var address: FuzzAddress?
    var addresses: [FuzzAddress]?
    var due: CalendarDate?
    var at: Date?
    var id: UUID?
    var price: Decimal?
    var ratio: Double?
    var meta: [String: [Int]]?
    var clear: Patch<String>
    var extra: JSON?

    static let rules: [String: FieldRules] = [
        "title": FieldRules(.length(1...50), trim: true),
        "tags": FieldRules(.count(0...5), .unique, items: [.length(1...10)], default: []),
        "addresses": FieldRules(.count(0...3)),
    ]
}
