import Foundation
import Synchronization
import Logging
import NIOConcurrencyHelpers

/// A swift-log handler that never blocks its caller: lines go into a bounded in-memory
/// queue that one background thread writes to standard output. An event loop that logs
/// a request therefore never waits on a slow terminal or a full pipe; when the queue is
/// full, lines are dropped and the drop is reported.
///
/// ```swift
/// BackgroundLogHandler.bootstrap()        // once, at process start (App and Examples do)
/// ```
public struct BackgroundLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let label: String
    let writer: LogWriter

    init(label: String, writer: LogWriter, level: Logger.Level) {
        self.label = label
        self.writer = writer
        self.logLevel = level
    }

    /// Makes every `Logger` use this handler; `LOG_LEVEL` (trace … critical) sets the level.
    public static func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let level = environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { label in BackgroundLogHandler(label: label, writer: LogWriter.shared, level: level) }
    }

    /// Waits until every queued line is written (call before exiting).
    public static func flush() { LogWriter.shared.flush() }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        writer.enqueue(Self.format(event, label: label, metadata: merged))
    }

    /// The longest message written, in bytes: an 80 KB URL or a huge field would otherwise make
    /// one log line of it (and a log that an attacker sizes).
    static let maxMessageBytes = 4096

    /// `2026-11-25T15:03:34Z info vial.app: [request_id=…] message`, the message cut at `maxMessageBytes`.
    static func format(_ event: LogEvent, label: String, metadata: Logger.Metadata) -> String {
        let meta: String
        switch metadata.count {
        case 0: meta = ""
        case 1: meta = "\(metadata.first!.key)=\(metadata.first!.value) "
        default: meta = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + " "
        }
        return "\(stamp()) \(event.level) \(label): \(meta)\(truncated(event.message.description))\n"
    }

    /// The current second as `Timestamp` writes it, formatted once per second (formatting it for
    /// every access-log line was a large part of the log's cost).
    static func stamp() -> String {
        let second = Int(Date().timeIntervalSince1970)
        if let cached = lastStamp.withLock({ $0.second == second ? $0.text : nil }) { return cached }
        let text = Timestamp.string(Date(timeIntervalSince1970: Double(second)))
        lastStamp.withLock { $0 = (second, text) }
        return text
    }

    private static let lastStamp = Mutex<(second: Int, text: String)>((0, ""))

    /// `text`, or its first `maxMessageBytes` bytes and how many were cut (a character split at
    /// the cut shows as U+FFFD).
    static func truncated(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.count > maxMessageBytes else { return text }
        return String(decoding: utf8.prefix(maxMessageBytes), as: UTF8.self) + "… [\(utf8.count - maxMessageBytes) bytes cut]"
    }
}

/// The queue and the thread behind `BackgroundLogHandler`: one growing byte buffer that lines
/// are appended to under a lock, and a thread that swaps it out and writes it in one call.
final class LogWriter: Sendable {
    static let shared = LogWriter(capacity: 8 << 20, output: writeToStandardOutput)

    /// Writes all of `bytes` to file descriptor 1 (on the writer thread, where blocking is fine).
    static func writeToStandardOutput(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return  // stdout is gone; nothing useful to do
            }
            offset += written
        }
    }

    private struct State {
        var bytes: [UInt8] = []
        var dropped = 0
        var writing = false
        /// The writer waits for a signal (rather than for its next turn): the next line wakes it.
        var sleeping = false
    }

    private static let hasWork = 1
    private static let idle = 0
    /// Under load the writer takes what gathered every `batchInterval` instead of being woken
    /// per line: a wake-up (a futex call and a context switch) per line cost a third of the
    /// server's throughput. A line written to an idle writer still goes out at once.
    static let batchInterval: UInt32 = 10_000  // microseconds

    private let capacity: Int
    private let output: @Sendable ([UInt8]) -> Void
    private let condition = ConditionLock(value: idle)
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - capacity: the most bytes queued; lines past it are dropped and counted.
    ///   - output: writes one batch (called on the writer thread).
    init(capacity: Int, output: @escaping @Sendable ([UInt8]) -> Void) {
        self.capacity = capacity
        self.output = output
        let thread = Thread { [self] in self.run() }
        thread.name = "vial-log-writer"
        thread.start()
    }

    /// Queues a line; drops it (and counts the drop) when the queue is full.
    func enqueue(_ line: String) {
        append(reserving: line.utf8.count) { $0.append(contentsOf: line.utf8) }
    }

    /// Queues the bytes `write` appends (at most `count` of them, for the capacity check) with
    /// the queue locked: a caller can format a line straight into it, with no string of its own.
    func append(reserving count: Int, _ write: (inout [UInt8]) -> Void) {
        let wake = state.withLockedValue { state -> Bool in
            guard state.bytes.count + count <= capacity else {
                state.dropped += 1
                return false
            }
            write(&state.bytes)
            guard state.sleeping else { return false }
            state.sleeping = false
            return true
        }
        if wake {
            condition.lock()
            condition.unlock(withValue: Self.hasWork)
        }
    }

    /// Blocks until the queue is empty and the writer is idle.
    func flush() {
        while state.withLockedValue({ !$0.bytes.isEmpty || $0.writing }) {
            usleep(1_000)
        }
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            let dropped = state.withLockedValue { state -> Int in
                swap(&state.bytes, &batch)
                defer { state.dropped = 0 }
                state.writing = !batch.isEmpty || state.dropped > 0
                state.sleeping = !state.writing
                return state.dropped
            }
            guard dropped > 0 || !batch.isEmpty else {
                condition.lock(whenValue: Self.hasWork)
                condition.unlock(withValue: Self.idle)
                continue
            }
            if dropped > 0 {
                batch.insert(contentsOf: "[vial] \(dropped) log lines dropped: the log writer fell behind\n".utf8, at: 0)
            }
            output(batch)
            batch.removeAll(keepingCapacity: true)
            state.withLockedValue { $0.writing = false }
            usleep(Self.batchInterval)
        }
    }
}
