import Foundation
import OpenAPIKit

/// Builds an OpenAPI 3.1 document from the route table — from each route's `RouteDocs`, its
/// rule's converters and its middleware's `MiddlewareDocs`. Nothing is declared twice.
public enum OpenAPIGenerator {
    /// The document for `routes`; `tags` describes tags by name (listed in name order).
    public static func document(
        for routes: [RouteInfo], title: String, version: String, description: String? = nil, tags: [String: String] = [:]
    ) -> OpenAPI.Document {
        var components = ComponentSet()
        var operationIDs = Set<String>()
        var paths: OrderedDictionary<OpenAPI.Path, Either<OpenAPI.Reference<OpenAPI.PathItem>, OpenAPI.PathItem>> = [:]
        for route in routes.sorted(by: { ($0.rule, $0.endpoint) < ($1.rule, $1.endpoint) }) {
            let path = OpenAPI.Path(rawValue: openAPIPath(route.rule))
            var item = paths[path]?.pathItemValue ?? OpenAPI.PathItem()
            for method in route.methods {
                var operation = operation(for: route, components: &components)
                // Operation ids are unique in a document: a second rule or method of one
                // endpoint gets a numbered id (`users`, `users_2`).
                if let id = operation.operationId {
                    var candidate = id
                    var number = 1
                    while !operationIDs.insert(candidate).inserted {
                        number += 1
                        candidate = "\(id)_\(number)"
                    }
                    operation.operationId = candidate
                }
                switch method {
                case "GET": item.get = operation
                case "POST": item.post = operation
                case "PUT": item.put = operation
                case "PATCH": item.patch = operation
                case "DELETE": item.delete = operation
                case "WS": item.get = operation  // the handshake; `x-websocket` says the rest
                default: continue
                }
            }
            paths[path] = .b(item)
        }
        var schemas = components.schemas
        schemas[OpenAPI.ComponentKey(rawValue: "Error")!] = errorSchema
        schemas[OpenAPI.ComponentKey(rawValue: "PageMeta")!] = pageMetaSchema
        return OpenAPI.Document(
            openAPIVersion: .v3_1_1,
            info: .init(title: title, description: description, version: version),
            servers: [],
            paths: paths,
            components: .init(
                schemas: schemas,
                securitySchemes: [OpenAPI.ComponentKey(rawValue: "bearerAuth")!: .b(.http(scheme: "bearer", bearerFormat: "JWT"))]),
            tags: tags.isEmpty ? nil : tags.sorted { $0.key < $1.key }.map { OpenAPI.Tag(name: $0.key, description: $0.value) })
    }

    /// The document as JSON text (keys sorted, so the bytes are stable).
    public static func json(
        for routes: [RouteInfo], title: String, version: String, description: String? = nil, tags: [String: String] = [:]
    ) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode(document(for: routes, title: title, version: version, description: description, tags: tags))
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// `/api/tasks/<int:task_id>` → `/api/tasks/{task_id}`.
    static func openAPIPath(_ rule: String) -> String {
        var out = ""
        var inPlaceholder = false
        var placeholder = ""
        for character in rule {
            switch character {
            case "<":
                inPlaceholder = true
                placeholder = ""
            case ">":
                inPlaceholder = false
                out += "{" + (placeholder.split(separator: ":").last.map(String.init) ?? placeholder) + "}"
            default:
                if inPlaceholder { placeholder.append(character) } else { out.append(character) }
            }
        }
        return out
    }

    struct ComponentSet {
        var schemas: OrderedDictionary<OpenAPI.ComponentKey, JSONSchema> = [:]

        /// A `$ref` to a named schema (registering it), or the schema inline.
        mutating func schema(for schema: Schema) -> JSONSchema {
            guard let name = schema.name, let key = OpenAPI.ComponentKey(rawValue: name) else {
                return OpenAPIGenerator.objectSchema(schema, components: &self)
            }
            if schemas[key] == nil {
                schemas[key] = .fragment  // held while it is built: a model that nests itself refers to it
                schemas[key] = OpenAPIGenerator.objectSchema(schema, components: &self)
            }
            return .reference(.component(named: name))
        }
    }

    static func operation(for route: RouteInfo, components: inout ComponentSet) -> OpenAPI.Operation {
        var parameters: OpenAPI.Parameter.Array = route.pathParameters.map { parameter in
            .b(OpenAPI.Parameter(name: parameter.name, context: .path(schema: pathSchema(parameter))))
        }
        for field in route.docs.query {
            parameters.append(
                .b(OpenAPI.Parameter(
                    name: field.name, context: .query(required: false, schema: fieldSchema(field, required: false, components: &components)),
                    description: field.description)))
        }
        var requestBody = route.docs.request.map { schema in
            OpenAPI.Request(
                content: [.json: .b(OpenAPI.Content(schema: components.schema(for: schema)))], required: true)
        }
        if !route.docs.form.isEmpty {
            requestBody = OpenAPI.Request(content: [.multipartForm: .b(OpenAPI.Content(schema: formSchema(route.docs.form)))], required: true)
        }
        var responses: OpenAPI.Response.Map = [:]
        for status in route.responses.keys.sorted() {
            let doc = route.responses[status]!
            let content: OpenAPI.Content.Map
            switch doc.body {
            case .none, .returned: content = [:]  // `.returned` left unfilled fails the build first
            case .media(let type):
                content = OpenAPI.ContentType(rawValue: type).map { [$0: .b(OpenAPI.Content(schema: nil))] } ?? [:]
            case .error: content = [.json: .b(OpenAPI.Content(schema: JSONSchema.reference(.component(named: "Error"))))]
            case .object(let schema): content = [.json: .b(OpenAPI.Content(schema: components.schema(for: schema)))]
            case .envelope(let schema):
                content = [.json: .b(OpenAPI.Content(schema: envelopeSchema(components.schema(for: schema))))]
            case .list(let schema):
                content = [.json: .b(OpenAPI.Content(schema: listSchema(components.schema(for: schema))))]
            case .items(let schema):
                content = [.json: .b(OpenAPI.Content(schema: itemsSchema(components.schema(for: schema))))]
            }
            var headers: OpenAPI.Header.Map?
            for (name, says) in doc.headers.sorted(by: { $0.key < $1.key }) {
                headers = headers ?? [:]
                headers?[name] = .b(OpenAPI.Header(schema: .string, description: says))
            }
            responses[.status(code: Int(status))] = .b(
                OpenAPI.Response(description: doc.description, headers: headers, content: content))
        }
        var security: [OpenAPI.SecurityRequirement]?
        if !route.security.isEmpty {
            let requirement = Dictionary(uniqueKeysWithValues: route.security.map { (JSONReference<OpenAPI.SecurityScheme>.component(named: $0), [String]()) })
            security = route.optionalSecurity ? [requirement, [:]] : [requirement]
        }
        var extensions: [String: AnyCodable] = [:]
        if let socket = route.docs.webSocket {
            extensions["x-websocket"] = webSocketExtension(socket, components: &components)
        }
        return OpenAPI.Operation(
            tags: route.docs.tags.isEmpty ? nil : route.docs.tags, summary: route.docs.summary,
            description: route.docs.description, operationId: route.endpoint, parameters: parameters,
            requestBody: requestBody, responses: responses, deprecated: route.docs.deprecated, security: security,
            vendorExtensions: extensions)
    }

    /// OpenAPI has no WebSocket object: a WebSocket route is its handshake (`GET`, 101) with
    /// `x-websocket: {"protocol": "websocket", "receives": schema, "sends": schema, "description": …}`
    /// (what the client sends and what the server sends, as JSON text messages).
    static func webSocketExtension(_ socket: WebSocketDoc, components: inout ComponentSet) -> AnyCodable {
        AnyCodable(WebSocketExtension(
            description: socket.description, receives: socket.receives.map { components.schema(for: $0) },
            sends: socket.sends.map { components.schema(for: $0) }))
    }

    struct WebSocketExtension: Encodable, Sendable {
        var `protocol` = "websocket"
        var description: String?
        var receives: JSONSchema?
        var sends: JSONSchema?
    }

    /// An object with a property per part: files as `string`/`binary` (an array of them when several).
    static func formSchema(_ parts: [FormPartDoc]) -> JSONSchema {
        var properties: OrderedDictionary<String, JSONSchema> = [:]
        for part in parts {
            var schema: JSONSchema = part.isFile
                ? .string(format: .other("binary"), description: part.description) : .string(description: part.description)
            if part.multiple {
                schema = .array(
                    description: part.description, minItems: part.required ? 1 : nil, maxItems: part.maxCount, items: schema)
            }
            properties[part.name] = schema
        }
        let optional = Set(parts.filter { !$0.required }.map(\.name))
        for name in optional { properties[name] = properties[name]?.optionalSchemaObject() }
        return .object(properties: properties)
    }

    static func pathSchema(_ parameter: PathParameterDoc) -> JSONSchema {
        switch parameter.type {
        case "integer": return .integer(minimum: (0, exclusive: false))
        case "number": return .number
        default: return parameter.format == "uuid" ? .string(format: .uuid) : .string(pattern: parameter.pattern)
        }
    }

    /// An object schema for `schema`'s fields. One component serves requests and responses alike:
    /// read-only fields are marked `readOnly` (clients must not send them, and Vial refuses them),
    /// and unknown properties are refused unless the schema allows them.
    static func objectSchema(_ schema: Schema, components: inout ComponentSet) -> JSONSchema {
        var properties: OrderedDictionary<String, JSONSchema> = [:]
        for field in schema.fields {
            properties[field.name] = fieldSchema(field, required: field.required && field.defaultValue == nil, components: &components)
        }
        return .object(
            minProperties: schema.requiresAField ? 1 : nil, properties: properties,
            additionalProperties: schema.allowsUnknownFields ? nil : .a(false))
    }

    /// Any text without U+0000.
    static let noNUL = "^[^\\u0000]*$"
    /// Any text without U+0000 holding something besides whitespace.
    static let noNULNotBlank = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"

    /// `field`'s schema on its own (nested named schemas inlined).
    static func fieldSchema(_ field: Field, required: Bool) -> JSONSchema {
        var components = ComponentSet()
        return fieldSchema(field, required: required, components: &components)
    }

    static func fieldSchema(_ field: Field, required: Bool, components: inout ComponentSet) -> JSONSchema {
        var minLength: Int?
        var minItems: Int?
        var maxItems: Int?
        var unique: Bool?
        var maxLength: Int?
        var allowed: [AnyCodable]?
        var pattern: String?
        var minimum: Double?
        var maximum: Double?
        for rule in field.rules {
            switch rule {
            case .length(let min, let max):
                minLength = min
                maxLength = max
            case .oneOf(let choices): allowed = choices.map { AnyCodable($0) }
            case .pattern(let regex, _): pattern = "^(?:\(regex))$"
            case .range(let min, let max):
                minimum = min
                maximum = max
            case .count(let min, let max):
                minItems = min
                maxItems = max
            case .unique: unique = true
            }
        }
        let permissions: JSONSchema.Permissions? = field.readOnly ? .readOnly : nil
        let examples = field.example.map { [AnyCodable(anyValue($0))] } ?? []
        let defaultValue = field.defaultValue.map { AnyCodable(anyValue($0)) }
        switch field.kind {
        case .string, .date, .email, .dateTime, .uuid:
            let formats: [Field.Kind: JSONTypeFormat.StringFormat] = [
                .date: .date, .email: .email, .dateTime: .dateTime, .uuid: .uuid,
            ]
            let format = formats[field.kind] ?? .generic
            // Validation refuses U+0000 in any text (no database keeps it): say so where no
            // other pattern, choice or format already rules it out.
            // A trimmed field with a minimum length needs a character that is not whitespace.
            if field.kind == .string, pattern == nil, allowed == nil {
                pattern = field.trim && (minLength ?? 0) > 0 ? noNULNotBlank : noNUL
            }
            return .string(
                format: format, required: required, nullable: field.nullable, permissions: permissions,
                description: field.description, minLength: minLength, maxLength: maxLength, pattern: pattern,
                allowedValues: allowed, defaultValue: defaultValue, examples: examples)
        case .integer:
            return .integer(
                required: required, nullable: field.nullable, permissions: permissions, description: field.description,
                maximum: maximum.map { (Int($0), exclusive: false) }, minimum: minimum.map { (Int($0), exclusive: false) },
                allowedValues: allowed?.isEmpty == false ? integerChoices(field) : nil, defaultValue: defaultValue,
                examples: examples)
        case .number:
            return .number(
                required: required, nullable: field.nullable, permissions: permissions, description: field.description,
                maximum: maximum.map { ($0, exclusive: false) }, minimum: minimum.map { ($0, exclusive: false) },
                defaultValue: defaultValue, examples: examples)
        case .boolean:
            return .boolean(
                required: required, nullable: field.nullable, permissions: permissions, description: field.description,
                defaultValue: defaultValue, examples: examples)
        case .array:
            return .array(
                required: required, nullable: field.nullable, permissions: permissions, description: field.description,
                minItems: minItems, maxItems: maxItems, uniqueItems: unique,
                items: field.items.map { fieldSchema($0, required: true, components: &components) },
                defaultValue: defaultValue, examples: examples)
        case .object:
            if let schema = field.schema {
                let object = components.schema(for: schema)
                guard let name = schema.name else {
                    var inline = required ? object : object.optionalSchemaObject()
                    if field.nullable { inline = inline.nullableSchemaObject() }
                    return field.description.map { inline.with(description: $0) } ?? inline
                }
                // A `$ref` carries no `required`/`nullable` of its own: nullable is `anyOf` the
                // reference and null, as OpenAPI 3.1 (JSON Schema) says it.
                let core = JSONSchema.CoreContext<JSONTypeFormat.AnyFormat>(
                    required: required, permissions: permissions, description: field.description)
                return field.nullable
                    ? .any(of: [object, .null()], core: core) : .reference(.component(named: name), core)
            }
            return .object(
                required: required, nullable: field.nullable, permissions: permissions, description: field.description,
                minProperties: minItems, maxProperties: maxItems,
                additionalProperties: field.items.map { .b(fieldSchema($0, required: true, components: &components)) },
                defaultValue: defaultValue, examples: examples)
        case .any:
            // Nullable: no `type` at all, any JSON value (OpenAPIKit's `nullable` would make it
            // `type: null`). Otherwise any value but null, as the validator decides.
            guard field.nullable else {
                return .not(
                    .null(),
                    core: .init(required: required, permissions: permissions, description: field.description, examples: examples))
            }
            return .fragment(required: required, permissions: permissions, description: field.description, examples: examples)
        }
    }

    /// The choices of an integer field (an `Int` enum's raw values), as numbers.
    static func integerChoices(_ field: Field) -> [AnyCodable]? {
        for case .oneOf(let choices) in field.rules { return choices.compactMap { Int($0) }.map { AnyCodable($0) } }
        return nil
    }

    /// A `JSON` value as the plain Swift value `AnyCodable` wraps.
    static func anyValue(_ json: JSON) -> any Sendable {
        switch json {
        case .null: return Optional<Int>.none
        case .bool(let value): return value
        case .int(let value): return value
        case .double(let value): return value
        case .string(let value): return value
        case .array(let values): return values.map(anyValue)
        case .object(let members): return members.mapValues(anyValue)
        }
    }

    static func envelopeSchema(_ data: JSONSchema) -> JSONSchema {
        .object(properties: [
            "status": .string(allowedValues: ["success"]), "data": data, "message": .string(required: false),
        ])
    }

    static func itemsSchema(_ item: JSONSchema) -> JSONSchema {
        .object(properties: ["status": .string(allowedValues: ["success"]), "data": .array(items: item), "count": .integer])
    }

    static func listSchema(_ item: JSONSchema) -> JSONSchema {
        .object(properties: [
            "status": .string(allowedValues: ["success"]), "data": .array(items: item), "count": .integer,
            "meta": .reference(.component(named: "PageMeta")),
        ])
    }

    /// The error envelope every error answer uses.
    static let errorSchema = JSONSchema.object(properties: [
        "status": .string(allowedValues: ["error"]),
        "error": .object(properties: [
            "message": .string, "code": .string,
            "details": .object(required: false, additionalProperties: .b(.array(items: .string))),
        ]),
    ])

    static let pageMetaSchema = JSONSchema.object(properties: [
        "page": .integer, "per_page": .integer, "total": .integer, "pages": .integer,
    ])
}
