import Vial

/// `POST /auth/register`: a new user's name, address and password. Auth answers validation
/// problems with 400 (SPEC), not 422.
public struct Registration: Model {
    public var username: String
    public var email: EmailAddress
    public var password: String

    public static let rules: [String: FieldRules] = [
        "username": FieldRules(
            .length(3...80), .pattern("[A-Za-z0-9_.-]+", description: "Only letters, digits, '_', '.' and '-' are allowed."),
            trim: true, example: "alice"),
        "email": FieldRules(.maxLength(120), trim: true, example: "alice@example.com"),
        "password": FieldRules(.length(8...1024), example: "correct horse battery"),
    ]
    public static let validationStatus = HTTPResponseStatus.badRequest
}

/// `POST /auth/login`: the credentials exchanged for tokens.
public struct Credentials: Model {
    public var username: String
    public var password: String

    public static let rules: [String: FieldRules] = [
        "username": FieldRules(.length(1...80)), "password": FieldRules(.length(1...1024)),
    ]
    public static let validationStatus = HTTPResponseStatus.badRequest
}
