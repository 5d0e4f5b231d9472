import Foundation
import Testing
@testable import Vial
import VialTesting

@Suite struct ValidationTests {
    static let task = Schema(
        .string("title", required: true, trim: true, length: 1...150),
        .string("description", nullable: true),
        .string("status", oneOf: ["pending", "completed"]),
        Field("due_date", .date, nullable: true),
        .readOnly("id"), .readOnly("created_at", .string))

    static let user = Schema(
        .string("username", required: true, length: 3...80, pattern: ("[A-Za-z0-9_.-]+", "Only letters, digits, '_', '.' and '-'.")),
        Field("email", .email, required: true, rules: [.length(min: nil, max: 120)]),
        .string("password", required: true, length: 8...1024),
        .integer("age", range: 0...150),
        status: .badRequest)

    func details(_ body: JSON, _ schema: Schema = task, partial: Bool = false) -> JSON? {
        do {
            _ = try schema.validate(body, partial: partial)
            return nil
        } catch let error as HTTPError {
            return error.details
        } catch {
            return "unexpected"
        }
    }

    @Test func validInputIsTrimmedAndReturned() throws {
        let input = try Self.task.validate(["title": "  Write tests  ", "description": nil, "due_date": "2026-12-01"])
        #expect(input.string("title") == "Write tests")
        #expect(input.contains("description") && input.string("description") == nil)
        #expect(!input.contains("status"))
    }

    @Test func everyFieldErrorIsCollected() {
        let errors = details(["title": "   ", "status": "done", "due_date": "2026-02-30", "extra": 1])
        #expect(errors == [
            "title": ["Length must be between 1 and 150."],
            "status": ["Must be one of: pending, completed."],
            "due_date": ["Not a valid date (YYYY-MM-DD)."],
            "extra": ["Unknown field."],
        ])
    }

    /// Issue 16, item 3: `"visible\u0000hidden"` was acknowledged whole and stored as `visible`.
    @Test func textWithNULIsRefused() {
        #expect(details(["title": "visible\u{0}hidden"]) == ["title": ["May not contain the NUL character (U+0000)."]])
        #expect(details(["title": "t", "description": "\u{0}"]) == ["description": ["May not contain the NUL character (U+0000)."]])
    }

    /// Issue 16, item 4: 85,000 unknown keys made a 2.4 MB answer listing each.
    @Test func unknownFieldsAreListedUpToTenAndCounted() throws {
        var members: [String: JSON] = ["title": "t"]
        for index in 0..<5_000 { members[String(format: "k%05d", index)] = 1 }
        members[String(repeating: "z", count: 10_000)] = 1
        let errors = try #require(details(.object(members)))
        guard case .object(let listed) = errors else { Issue.record("details \(errors)"); return }
        #expect(listed.count == 11)
        #expect(listed["k00000"] == ["Unknown field."] && listed["k00009"] == ["Unknown field."])
        #expect(listed["k00010"] == nil)
        #expect(listed["_schema"] == ["5001 unknown fields; the first 10 by name are listed."])
        #expect(details(["title": "t", "a": 1, "b": 2]) == ["a": ["Unknown field."], "b": ["Unknown field."]])
        let long = try #require(details(["title": "t", String(repeating: "y", count: 1_000): 1]))
        #expect(long == [String(repeating: "y", count: 64) + "…": ["Unknown field."]])
    }

    @Test func requiredFieldsAreRequiredExceptInPartialMode() {
        #expect(details([:]) == ["title": ["Missing data for required field."]])
        #expect(details([:], partial: true) == nil)
        #expect(details(["status": "done"], partial: true) == ["status": ["Must be one of: pending, completed."]])
    }

    @Test func readOnlyAndUnknownFieldsAreRefused() {
        #expect(details(["title": "x", "id": 5, "created_at": "now"]) == [
            "id": ["Field is read-only."], "created_at": ["Field is read-only."],
        ])
    }

    @Test func typesAreChecked() {
        #expect(details(["title": 5]) == ["title": ["Not a valid string."]])
        #expect(details(["title": nil]) == ["title": ["Field may not be null."]])
        #expect(details(["username": "ok_name", "email": "a@b.co", "password": "12345678", "age": "3"], Self.user)
            == ["age": ["Not a valid integer."]])
        #expect(details(["username": "ok_name", "email": "a@b.co", "password": "12345678", "age": 200], Self.user)
            == ["age": ["Must be less than or equal to 150."]])
    }

    @Test func patternsEmailsAndLengths() {
        let errors = details(["username": "no spaces!", "email": "not-an-email", "password": "short"], Self.user)
        #expect(errors == [
            "username": ["Only letters, digits, '_', '.' and '-'."],
            "email": ["Not a valid email address."],
            "password": ["Length must be between 8 and 1024."],
        ])
    }

    @Test func emailRules() {
        for good in ["user@example.com", "first.last+tag@sub.example.org"] { #expect(Field.isEmail(good), "\(good)") }
        for bad in ["", "a@b", "@example.com", "a@@b.com", "a b@c.com", "a@-b.com", "a..b@c.com"] {
            #expect(!Field.isEmail(bad), "\(bad)")
        }
    }

    @Test func dateRules() {
        #expect(Field.isDate("2024-02-29"))
        #expect(!Field.isDate("2023-02-29"))
        #expect(!Field.isDate("2026-13-01"))
        #expect(!Field.isDate("26-01-01"))
        #expect(!Field.isDate("2026-1-01"))
    }

    @Test func schemaStatusIsUsed() async throws {
        let app = App()
        app.post("/register") { req in
            _ = try req.validate(Self.user)
            return "ok"
        }
        app.post("/tasks") { req in
            _ = try req.validate(Self.task)
            return "ok"
        }
        let client = try app.testClient()
        let register = try await client.post("/register", json: [:])
        #expect(register.status == .badRequest)
        #expect(try register.json()["error"]?["details"]?["username"] == ["Missing data for required field."])
        #expect(try await client.post("/tasks", json: [:]).status == .unprocessableEntity)
        #expect(try await client.post("/tasks", json: [1, 2]).status == .unprocessableEntity)
        #expect(try await client.send(.POST, "/tasks", body: "{bad", contentType: "application/json").status == .badRequest)
        #expect(try await client.send(.POST, "/tasks", body: "title=x", contentType: "text/plain").status == .unsupportedMediaType)
    }
}

extension ValidationTests {
    @Test func queryArgsAreCheckedWithTheDeclaredFields() throws {
        let fields: [Field] = [.string("status", oneOf: ["pending", "completed"]), .integer("page", range: 1...10)]
        let good = try Request(method: .GET, uri: "/t?status=pending&page=3").validateQuery(fields)
        #expect(good.string("status") == "pending" && good.int("page") == 3)
        #expect(try Request(method: .GET, uri: "/t").validateQuery(fields).values.isEmpty)
        do {
            _ = try Request(method: .GET, uri: "/t?status=done&page=11").validateQuery(fields)
            Issue.record("expected an error")
        } catch let error as HTTPError {
            #expect(error.status == .badRequest)
            #expect(error.details == ["status": ["Must be one of: pending, completed."], "page": ["Must be less than or equal to 10."]])
        }
        #expect(throws: HTTPError.self) { try Request(method: .GET, uri: "/t?page=x").validateQuery(fields) }
    }

    @Test func aSchemaCanRequireAtLeastOneField() throws {
        let patch = Schema(.string("title"), .readOnly("id"), requiresAField: true)
        #expect(throws: HTTPError.self) { try patch.validate([:], partial: true) }
        #expect(throws: HTTPError.self) { try patch.validate(["id": 1], partial: true) }
        #expect(try patch.validate(["title": "x"], partial: true).string("title") == "x")
        do {
            _ = try patch.validate(["colour": "red"], partial: true)
        } catch let error as HTTPError {
            #expect(error.code == "no_fields" && error.status == .badRequest)
        }
    }
}

extension ValidationTests {
    /// The fast trim removes what Foundation's `.whitespacesAndNewlines` removes, and only that
    /// (every scalar is tried, on either side of a letter).
    @Test func trimmingMatchesFoundation() {
        let foundation = CharacterSet.whitespacesAndNewlines
        let differing = (0..<0x11_0000).compactMap(Unicode.Scalar.init).filter { Field.isWhitespace($0) != foundation.contains($0) }
        #expect(differing.isEmpty, "\(differing.map { String($0.value, radix: 16) })")
        for text in ["", " ", "a", " a ", "\t\n a b \r\n", "\u{A0}x\u{3000}", "\u{2028}y\u{85}", "\u{200B}z", "é \u{301}", "  \u{1F600}  "] {
            #expect(Field.trimmed(text) == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
        }
    }
}
