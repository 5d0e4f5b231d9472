import Foundation

/// The bounds a `multipart/form-data` body is read under. Each one passed ends the request with
/// a 413 at once, without reading the rest; the route's `streamedBody(maxSize:)` bounds the
/// whole body. The defaults are Flask's (`MAX_FORM_PARTS`, `MAX_FORM_MEMORY_SIZE`).
public struct MultipartLimits: Sendable {
    /// Parts (fields and files) in one body (Flask's `MAX_FORM_PARTS`).
    public var maxParts = 1_000
    /// Bytes of one part's headers (and of the preamble before the first part).
    public var maxPartHeaderSize = 16 * 1024
    /// Bytes of all the text fields together, which are held in memory (Flask's `MAX_FORM_MEMORY_SIZE`).
    public var maxFieldsSize = 500_000
    /// Bytes of one file part; nil leaves only the route's body limit.
    public var maxFileSize: Int?
    /// Where uploaded files wait while the request lasts: `instance/uploads-tmp` under the
    /// working directory, beside the SQLite database and the JWT secret.
    public var temporaryDirectory = MultipartLimits.defaultTemporaryDirectory

    /// `instance/uploads-tmp` under the working directory at start-up.
    public static let defaultTemporaryDirectory = FileManager.default.currentDirectoryPath + "/instance/uploads-tmp"

    /// The defaults.
    public init() {}

    /// The defaults with the given changes.
    public init(maxParts: Int? = nil, maxFileSize: Int? = nil, maxFieldsSize: Int? = nil, temporaryDirectory: String? = nil) {
        if let maxParts { self.maxParts = maxParts }
        self.maxFileSize = maxFileSize
        if let maxFieldsSize { self.maxFieldsSize = maxFieldsSize }
        if let temporaryDirectory { self.temporaryDirectory = temporaryDirectory }
    }
}
