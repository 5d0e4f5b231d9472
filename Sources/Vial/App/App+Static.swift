import Foundation

extension App {
    /// Serves the files under `directory` at `urlPrefix/<path>` (GET and HEAD): for documentation
    /// assets and other small static files. Files are read off the event loops; paths that would
    /// leave the directory (`..`, absolute paths, symlinks pointing out) are 404s.
    public func serveStatic(_ urlPrefix: String, directory: String, name: String = "static") {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
        get("\(urlPrefix.trimmingSuffix("/"))/<path:file>", name: name, docs: RouteDocs(summary: "Static files", tags: ["static"], responses: [200: .media("application/octet-stream", "The file"), 404: .error("No such file")])) {
            req -> Response in
            let relative: String = try req.param("file")
            guard !relative.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                throw HTTPError.notFound()
            }
            // Every file-system call (resolving symlinks included) runs off the event loop.
            let found = try await runBlocking { () -> (path: String, data: Data)? in
                let path = URL(fileURLWithPath: root).appendingPathComponent(relative).standardizedFileURL
                    .resolvingSymlinksInPath().path
                var isDirectory: ObjCBool = false
                guard path.hasPrefix(root + "/"),
                    FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    let data = try? Data(contentsOf: URL(fileURLWithPath: path))
                else { return nil }
                return (path, data)
            }
            guard let (path, data) = found else { throw HTTPError.notFound() }
            return Response(
                status: .ok, headers: ["Content-Type": Self.mediaType(for: path), "Cache-Control": "public, max-age=3600"],
                body: ByteBuffer(bytes: data))
        }
    }

    static func mediaType(for path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "html": return "text/html; charset=utf-8"
        case "json", "map": return "application/json"
        case "png": return "image/png"
        case "svg": return "image/svg+xml"
        case "txt": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }
}
