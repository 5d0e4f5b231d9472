/// A submitted form, read whole: its text fields and its files (Flask's `request.form` and
/// `request.files`). Files wait in temporary files (see `UploadedFile`), never in memory.
public struct FormData: Sendable {
    /// The text fields, in the order sent.
    public var fields: MultiDict
    /// The files, in the order sent, with their field names (`UploadedFile.name`).
    public var files: [UploadedFile]

    /// The first file sent under field `name`.
    public func file(_ name: String) -> UploadedFile? {
        files.first { $0.name == name }
    }

    /// Every file sent under field `name`.
    public func files(_ name: String) -> [UploadedFile] {
        files.filter { $0.name == name }
    }
}

extension Request {
    /// The form, for `multipart/form-data` (files saved to temporary files) and
    /// `application/x-www-form-urlencoded` bodies alike; 415 for any other content type.
    /// A file part sent with an empty filename and no bytes (a file input left empty) is dropped.
    public func formData(limits: MultipartLimits = MultipartLimits()) async throws -> FormData {
        if contentType == "application/x-www-form-urlencoded" {
            let body = try await bodyStream.collect(upTo: limits.maxFieldsSize)
            return FormData(fields: MultiDict(urlEncoded: Substring(decoding: body.readableBytesView, as: UTF8.self)), files: [])
        }
        guard contentType == "multipart/form-data" else {
            throw HTTPError(
                .unsupportedMediaType, "Request must be multipart/form-data or application/x-www-form-urlencoded",
                code: "unsupported_media_type")
        }
        var form = FormData(fields: MultiDict(), files: [])
        for try await part in try multipart(limits: limits) {
            if part.isFile {
                let file = try await part.save()
                if file.filename != nil || file.size > 0 { form.files.append(file) }
            } else {
                form.fields.append(part.name, try await part.text())
            }
        }
        return form
    }
}
