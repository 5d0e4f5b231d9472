import Logging
import ServiceLifecycle
import Vial

/// Runs `AttachmentFiles.sweep` at start and then hourly, until shutdown.
struct AttachmentSweeper: Service {
    let attachments: TaskAttachments
    let logger: Logger
    var interval: Duration = .seconds(3_600)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let removed = try await attachments.files.sweep(attachments.store)
                if removed > 0 { logger.info("removed \(removed) attachment file(s) no attachment refers to") }
            } catch {
                logger.warning("could not sweep the attachments folder: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
