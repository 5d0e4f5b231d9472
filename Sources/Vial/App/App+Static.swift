import Foundation

extension App {
    /// Serves the files under `directory` at `urlPrefix/<path>` (GET and HEAD): for documentation
    /// assets and other static files, streamed from disk with `Response.file` (ETag, Range, 304); paths that would
    /// leave the directory (`..`, absolute paths, symlinks pointing out) are 404s.
    public func serveStatic(_ urlPrefix: String, directory: String, name: String = "static") {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
        let responses: [UInt: ResponseDoc] = [200: .media("application/octet-stream", "The file"), 404: .error("No such file")]
        get("\(urlPrefix.trimmingSuffix("/"))/<path:file>", name: name, docs: RouteDocs(summary: "Static files", tags: ["static"], responses: responses)) {
            req -> Response in
            let relative: String = try req.param("file")
            guard !relative.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                throw HTTPError.notFound()
            }
            // Resolving symlinks runs off the event loop; the file is then streamed from disk.
            let found = try await FileIO.run { () -> String? in
                let path = URL(fileURLWithPath: root).appendingPathComponent(relative).standardizedFileURL
                    .resolvingSymlinksInPath().path
                var isDirectory: ObjCBool = false
                guard path.hasPrefix(root + "/"),
                    FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue
                else { return nil }
                return path
            }
            guard let found else { throw HTTPError.notFound() }
            return try await Response.file(at: found, for: req, headers: ["Cache-Control": "public, max-age=3600"])
        }
    }
}
