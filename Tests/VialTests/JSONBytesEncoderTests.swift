import Foundation
import Testing
@testable import Vial

/// Issue 21: response bodies are written by `JSONBytesEncoder`, straight to bytes. They must be
/// the very bytes the tree (`JSONValueEncoder` then `JSON.write`) makes, for every shape a type
/// can encode itself in — ETags and cached bodies depend on it.
@Suite struct JSONBytesEncoderTests {
    func both(_ value: some Encodable) throws -> (direct: String, tree: String) {
        var bytes: [UInt8] = []
        try JSONBytesEncoder.encode(value, into: &bytes)
        return (String(decoding: bytes, as: UTF8.self), try JSONValueEncoder().encode(value).serialized)
    }

    func expectSame(_ value: some Encodable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (direct, tree) = try both(value)
        #expect(direct == tree, sourceLocation: sourceLocation)
    }

    struct Task: Codable {
        var id: Int64
        var title: String
        var description: String?
        var status: Status
        var dueDate: String?
        var ownerId: Int64
        enum Status: String, Codable { case pending, completed }
        enum CodingKeys: String, CodingKey {
            case id, title, description, status
            case dueDate = "due_date"
            case ownerId = "owner_id"
        }
        // Nulls written explicitly, as the bundled TaskItem does.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(title, forKey: .title)
            try container.encode(description, forKey: .description)
            try container.encode(status, forKey: .status)
            try container.encode(dueDate, forKey: .dueDate)
            try container.encode(ownerId, forKey: .ownerId)
        }
    }

    struct Page<Item: Encodable>: Encodable {
        var status = "success"
        var data: [Item]
        var count: Int
        var meta: [String: Int]
    }

    @Test func aPageOfModelsIsTheSameBytes() throws {
        let tasks = (1...20).map { (index: Int) -> Task in
            let description: String? = index % 2 == 0 ? nil : "é 🚀"
            let status: Task.Status = index % 3 == 0 ? .completed : .pending
            let dueDate: String? = index % 4 == 0 ? "2027-01-15" : nil
            let title = "Task \(index) \"quoted\" \\ and\nnewline \u{1}"
            return Task(id: Int64(index), title: title, description: description, status: status, dueDate: dueDate, ownerId: 7)
        }
        try expectSame(Page(data: tasks, count: 20, meta: ["page": 1, "per_page": 20, "total": 20, "pages": 1]))
        let (direct, _) = try both(Page<Task>(data: Array(tasks.prefix(1)), count: 1, meta: [:]))
        #expect(direct.hasPrefix(#"{"count":1,"data":[{"description":"é 🚀","due_date":null,"id":1,"owner_id":7,"status":"pending","#))
    }

    @Test func scalarsOfEveryWidthAndTheFoundationForms() throws {
        try expectSame([Int8.min, Int8.max].map(Int64.init))
        try expectSame([Int16.min] as [Int16])
        try expectSame([Int32.max] as [Int32])
        try expectSame([Int64.min, Int64.max])
        try expectSame([UInt8.max] as [UInt8])
        try expectSame([UInt64.max, 0])
        try expectSame([UInt.max])
        try expectSame([0.1, -2.5e300, .infinity, .nan, 1] as [Double])
        try expectSame([Float(0.1), 3] as [Float])
        try expectSame(["a": true, "b": false])
        try expectSame(UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!)
        try expectSame([Date(timeIntervalSince1970: 1_800_000_000)])
        try expectSame(["data": Data([0, 1, 2, 250])])
        try expectSame([URL(string: "https://example.com/a?b=c")!])
        try expectSame([Decimal(string: "19.99")!, Decimal(42), Decimal(string: "-0.5")!])
        try expectSame(["json": ["nested": [1, "two", nil, ["k": 1.5]]] as JSON])
        try expectSame("top-level string")
        try expectSame(42)
        try expectSame(Optional<Int>.none)
    }

    @Test func dictionariesKeysSortedAndNonStringKeysAsArrays() throws {
        try expectSame(["zeta": 1, "alpha": 2, "Beta": 3, "é": 4, "e": 5, "": 6])
        try expectSame([3: "c", 1: "a", 2: "b"])  // Int keys: an array of key, value, …
        try expectSame([String: [String: [Int]]]())
        try expectSame([[String: Int]]())
    }

    @Test func everyContainerShape() throws {
        class Base: Encodable {
            var base = 1
        }
        final class Derived: Base {
            var own = "x"
            enum Keys: String, CodingKey { case own, parent }
            override func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(own, forKey: .own)
                try super.encode(to: container.superEncoder(forKey: .parent))
            }
        }
        struct SameEncoderTwice: Encodable {  // a subclass writing into its parent's container
            enum A: String, CodingKey { case a }
            enum B: String, CodingKey { case b }
            func encode(to encoder: any Encoder) throws {
                var first = encoder.container(keyedBy: A.self)
                try first.encode(1, forKey: .a)
                var second = encoder.container(keyedBy: B.self)
                try second.encode(2, forKey: .b)
            }
        }
        struct Interleaved: Encodable {  // a nested container written to after its parent moved on
            enum Keys: String, CodingKey { case list, inner, after, again, unused }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                var list = container.nestedUnkeyedContainer(forKey: .list)
                var inner = container.nestedContainer(keyedBy: Keys.self, forKey: .inner)
                try container.encode("later", forKey: .after)
                try list.encode(1)
                var deeper = list.nestedContainer(keyedBy: Keys.self)
                try list.encode(3)
                try deeper.encode(true, forKey: .again)
                try inner.encodeNil(forKey: .after)
                _ = container.superEncoder(forKey: .unused)  // handed out, never written: null
            }
        }
        struct Duplicate: Encodable {  // one key written twice: the last one kept
            enum Keys: String, CodingKey { case b, a }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(1, forKey: .b)
                try container.encode([1, 2], forKey: .a)
                try container.encode("second", forKey: .b)
            }
        }
        struct Single: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(["x": [1]])
            }
        }
        struct Empty: Encodable {}
        try expectSame(Derived())
        try expectSame(SameEncoderTwice())
        try expectSame(Interleaved())
        try expectSame(Duplicate())
        try expectSame([Single(), Single()])
        try expectSame(["empty": Empty()])
        try expectSame(Empty())
        try expectSame([[Int?]]([[1, nil], []]))
        #expect(try both(Duplicate()).direct == #"{"a":[1,2],"b":"second"}"#)
        #expect(try both(Interleaved()).direct == #"{"after":"later","inner":{"after":null},"list":[1,{"again":true},3],"unused":null}"#)
    }

    @Test func anErrorThrownInsideCarriesItsCodingPath() throws {
        struct Refuses: Encodable {
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue(0, .init(codingPath: encoder.codingPath, debugDescription: "no"))
            }
        }
        struct Holder: Encodable { var items: [[String: Refuses]] }
        do {
            var bytes: [UInt8] = []
            try JSONBytesEncoder.encode(Holder(items: [["k": Refuses()]]), into: &bytes)
            Issue.record("no error")
        } catch let EncodingError.invalidValue(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["items", "0", "k"])
        }
    }

    @Test func aLargeBodyGrowsTheArena() throws {
        let big = (0..<5_000).map { ["index": AnyEncodable($0), "text": AnyEncodable(String(repeating: "x", count: $0 % 50))] }
        try expectSame(big)
    }

    struct AnyEncodable: Encodable {
        let encodeTo: (any Encoder) throws -> Void
        init(_ value: some Encodable) {
            encodeTo = { encoder in
                var container = encoder.singleValueContainer()
                try container.encode(value)
            }
        }
        func encode(to encoder: any Encoder) throws { try encodeTo(encoder) }
    }
}
