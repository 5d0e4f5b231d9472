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
    private let label: String
    private let writer: LogWriter

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

/// The queue and the thread behind `BackgroundLogHandler`.
final class LogWriter: Sendable {
    static let shared = LogWriter(capacity: 10_000, output: writeToStandardOutput)

    /// Writes all of `line` to file descriptor 1 (on the writer thread, where blocking is fine).
    static func writeToStandardOutput(_ line: String) {
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return  // stdout is gone; nothing useful to do
            }
            bytes = bytes.dropFirst(written)
        }
    }

    private struct State {
        var lines: [String] = []
        var dropped = 0
        var writing = false
    }

    private static let hasWork = 1
    private static let idle = 0

    private let capacity: Int
    private let output: @Sendable (String) -> Void
    private let condition = ConditionLock(value: idle)
    private let state = NIOLockedValueBox(State())

    init(capacity: Int, output: @escaping @Sendable (String) -> Void) {
        self.capacity = capacity
        self.output = output
        let thread = Thread { [self] in self.run() }
        thread.name = "vial-log-writer"
        thread.start()
    }

    /// Queues a line; drops it (and counts the drop) when the queue is full. Only the line that
    /// finds the queue empty wakes the writer: it takes everything queued when it wakes, so
    /// under load one wake-up (a futex call) serves many lines instead of one each.
    func enqueue(_ line: String) {
        let wake = state.withLockedValue { state -> Bool in
            guard state.lines.count < capacity else {
                state.dropped += 1
                return false
            }
            state.lines.append(line)
            return state.lines.count == 1
        }
        if wake {
            condition.lock()
            condition.unlock(withValue: Self.hasWork)
        }
    }

    /// Blocks until the queue is empty and the writer is idle.
    func flush() {
        while state.withLockedValue({ !$0.lines.isEmpty || $0.writing }) {
            usleep(1_000)
        }
    }

    private func run() {
        while true {
            condition.lock(whenValue: Self.hasWork)
            condition.unlock(withValue: Self.idle)
            let (lines, dropped) = state.withLockedValue { state -> ([String], Int) in
                defer {
                    state.lines.removeAll(keepingCapacity: true)
                    state.dropped = 0
                    state.writing = true
                }
                return (state.lines, state.dropped)
            }
            // One write for the whole batch: a system call per line cost the access log half the
            // server's throughput.
            var batch = dropped > 0 ? "[vial] \(dropped) log lines dropped: the log writer fell behind\n" : ""
            batch.reserveCapacity(batch.utf8.count + lines.reduce(0) { $0 + $1.utf8.count })
            for line in lines { batch += line }
            if !batch.isEmpty { output(batch) }
            state.withLockedValue { $0.writing = false }
        }
    }
}
