import Foundation

extension Field {
    /// Checks `value` at `path` (built only when a problem is reported): the checked value
    /// (text trimmed, defaults filled in, nested objects checked), or nil with its problems added.
    func check(_ value: JSON, at path: () -> String, into problems: inout Problems) -> JSON? {
        if value.isNull {
            if nullable { return .null }
            problems.add(path(), ["Field may not be null."])
            return .none  // not `nil`: JSON is nil-literal expressible, that would be JSON.null
        }
        let before = problems.total
        var value = value
        // A list's or object's own rules judge it as sent (a bad element still counts towards
        // its length and uniqueness), and first: its own problem is listed before its elements'.
        let isContainer = kind == .array || kind == .object
        if isContainer, value.arrayValue != nil || value.objectValue != nil { judge(value, into: &problems, at: path) }
        switch kind {
        case .string, .date, .email, .dateTime, .uuid:
            guard var text = value.stringValue else { return invalid("Not a valid string.", at: path, &problems) }
            // Neither database keeps it intact (SQLite cuts the text there, PostgreSQL refuses it).
            if Field.containsNUL(text) { return invalid(Field.nulMessage, at: path, &problems) }
            if trim { text = Field.trimmed(text) }
            value = .string(text)
            if let message = formatFailure(text) { return invalid(message, at: path, &problems) }
        case .integer:
            guard case .int = value else { return invalid("Not a valid integer.", at: path, &problems) }
        case .number:
            guard value.isNumber else { return invalid("Not a valid number.", at: path, &problems) }
        case .boolean:
            guard value.boolValue != nil else { return invalid("Not a valid boolean.", at: path, &problems) }
        case .any:
            break
        case .array:
            guard case .array(let elements) = value else { return invalid("Not a valid list.", at: path, &problems) }
            if let items {
                var checked: [JSON] = []
                checked.reserveCapacity(elements.count)
                for (index, element) in elements.enumerated() {
                    if let element = items.check(element, at: { path() + "[\(index)]" }, into: &problems) {
                        checked.append(element)
                    }
                }
                value = .array(checked)
            }
        case .object:
            guard case .object(let members) = value else { return invalid("Not a valid object.", at: path, &problems) }
            if let schema {
                value = .object(schema.check(members, at: path, partial: false, into: &problems))
            } else if let items {
                var checked: [String: JSON] = [:]
                for (key, member) in members {
                    if let member = items.check(member, at: { Problems.path(path(), key: key) }, into: &problems) {
                        checked[key] = member
                    }
                }
                value = .object(checked)
            }
        }
        if !isContainer { judge(value, into: &problems, at: path) }
        return problems.total == before ? value : .none
    }

    private func judge(_ value: JSON, into problems: inout Problems, at path: () -> String) {
        let messages = rules.compactMap { rule in Field.failure(of: rule, for: value) }
        if !messages.isEmpty { problems.add(path(), messages) }
    }

    private func invalid(_ message: String, at path: () -> String, _ problems: inout Problems) -> JSON? {
        problems.add(path(), [message])
        return .none
    }

    private func formatFailure(_ text: String) -> String? {
        switch kind {
        case .date where !Field.isDate(text): return "Not a valid date (YYYY-MM-DD)."
        case .email where !Field.isEmail(text): return "Not a valid email address."
        case .dateTime where !Field.isDateTime(text): return "Not a valid date-time (ISO 8601 with a zone)."
        case .uuid where !Field.isUUID(text): return "Not a valid UUID."
        default: return nil
        }
    }

    /// Checks one value on its own (a query arg): the checked value or the messages.
    func check(_ value: JSON) -> Outcome {
        var problems = Problems()
        if let checked = check(value, at: { name }, into: &problems) { return .valid(checked) }
        return .invalid(problems.byPath.values.flatMap { $0 })
    }

    /// A checked value, or what is wrong with it.
    enum Outcome {
        case valid(JSON)
        case invalid([String])
    }
}

extension Schema {
    /// Checks an object's members at `path`: the checked members (with defaults, unless
    /// `partial`), problems added for missing, read-only, unknown and invalid fields.
    func check(
        _ members: [String: JSON], at path: () -> String, partial: Bool, into problems: inout Problems
    ) -> [String: JSON] {
        // The result starts as the members themselves (shared, not copied) and is written to
        // only where checking changed something: a default, trimmed text, an unknown field dropped.
        var values = members
        var present = 0
        for field in fields {
            guard let value = members[field.name] else {
                if let defaultValue = field.defaultValue, !partial {
                    values[field.name] = defaultValue
                } else if field.required && !partial && !field.readOnly {
                    problems.add(Problems.path(path(), key: field.name), ["Missing data for required field."])
                }
                continue
            }
            present += 1
            if field.readOnly {
                problems.add(Problems.path(path(), key: field.name), ["Field is read-only."])
                continue
            }
            if let checked = field.check(value, at: { Problems.path(path(), key: field.name) }, into: &problems),
                checked != value
            {
                values[field.name] = checked
            }
        }
        if present < members.count {  // some members are not declared fields
            let unknown = members.keys.filter { key in !fields.contains { $0.name == key } }
            if allowsUnknownFields {
                for key in unknown { values[key] = nil }
            } else {
                Self.reportUnknown(unknown, at: path, in: &problems)
            }
        }
        return values
    }
}
