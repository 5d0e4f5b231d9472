import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The HTTP/1.1 server on SwiftNIO: one event loop per core, keep-alive and
/// pipelining, body cap, timeouts, and graceful shutdown.
///
/// As a swift-service-lifecycle `Service`, `run()` serves until graceful shutdown is
/// requested (SIGINT/SIGTERM under `App.run`), then stops accepting, lets in-flight
/// requests finish (up to `shutdownTimeout`), and returns.
public final class HTTPServer: Service, Sendable {
    private struct State {
        var channel: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var stopped = false
        /// Whether connections are being turned away at `maxConnections` (logged once per episode).
        var atLimit = false
        /// Open connections per client address, when `maxConnectionsPerAddress` is set.
        var perAddress: [String: Int] = [:]
        /// Addresses being turned away at their cap (each logged once per episode).
        var limitedAddresses: Set<String> = []
    }

    /// Whether a new connection is served; a refusal carries the warning to log, if it is the first of its episode.
    private enum Admission {
        case admitted
        case refused(logAs: String?)
    }

    private let responder: AppResponder
    private let config: AppConfig
    private let logger: Logger
    let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let idleGraceOnShutdown: TimeAmount
    private let state = NIOLockedValueBox(State())

    /// A server for `responder` on `group`. Without one it serves on NIO's shared event loops
    /// (one a core), where postgres-nio and Vial's Redis clients keep their connections too, so
    /// a request and its query can share a thread; `config.eventLoopThreads` set to a number
    /// gives it a group of its own.
    public convenience init(responder: AppResponder, config: AppConfig, logger: Logger, group: (any EventLoopGroup)? = nil) {
        self.init(responder: responder, config: config, logger: logger, group: group,
                  idleGraceOnShutdown: HTTPChannelHandler.defaultIdleGraceOnShutdown)
    }

    /// `idleGraceOnShutdown`: how long an idle keep-alive connection still reads once shutdown
    /// begins (tests lengthen it so a busy machine cannot outrun it).
    init(responder: AppResponder, config: AppConfig, logger: Logger, group: (any EventLoopGroup)?, idleGraceOnShutdown: TimeAmount) {
        self.idleGraceOnShutdown = idleGraceOnShutdown
        self.responder = responder
        self.config = config
        self.logger = logger
        if let group {
            self.group = group
            self.ownsGroup = false
        } else if let threads = config.eventLoopThreads {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            self.ownsGroup = true
        } else {
            self.group = MultiThreadedEventLoopGroup.singleton
            self.ownsGroup = false
        }
    }

    /// Binds `host:port` and starts accepting; returns the bound port (useful with port 0).
    @discardableResult
    public func start(host: String? = nil, port: Int? = nil) async throws -> Int {
        let channel = try await bootstrap(tcp: true).bind(host: host ?? config.host, port: port ?? config.port).get()
        state.withLockedValue { $0.channel = channel }
        return channel.localAddress?.port ?? port ?? config.port
    }

    /// Binds a Unix domain socket at `path` (replacing a stale socket file) and starts
    /// accepting: a proxy on the same machine (nginx's `proxy_pass http://unix:PATH`) reaches the
    /// server through the file system, whose permissions decide who may connect. Its peers are
    /// trusted as proxies (their `X-Forwarded-*` headers are believed).
    public func start(unixSocket path: String) async throws {
        let channel = try await bootstrap(tcp: false).bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        state.withLockedValue { $0.channel = channel }
    }

    private func bootstrap(tcp: Bool) -> ServerBootstrap {
        let responder = self.responder
        let config = self.config
        let state = self.state
        let logger = self.logger
        let idleGrace = self.idleGraceOnShutdown
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.maxMessagesPerRead, value: 16)
        if tcp {
            bootstrap = bootstrap.serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        }
        return bootstrap
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let id = ObjectIdentifier(channel)
                    // The per-address cap counts TCP peers that are not trusted proxies.
                    let address = config.maxConnectionsPerAddress == nil ? nil : channel.remoteAddress?.ipAddress
                        .flatMap { config.trustedProxies.contains($0) ? nil : $0 }
                    // At the limit a new connection is closed at once, so the ones being served keep
                    // their file descriptors (1,258 idle sockets starved /health at a 1,024 fd limit).
                    let admission = state.withLockedValue { state -> Admission in
                        guard state.connections.count < config.maxConnections else {
                            defer { state.atLimit = true }
                            return .refused(logAs: state.atLimit ? nil : "connection limit reached (\(state.connections.count) open, MAX_CONNECTIONS=\(config.maxConnections)); closing new connections until some end")
                        }
                        if let address, let cap = config.maxConnectionsPerAddress {
                            let held = state.perAddress[address, default: 0]
                            guard held < cap else {
                                let first = state.limitedAddresses.insert(address).inserted
                                return .refused(logAs: first ? "connection limit for \(address) reached (\(held) open, MAX_CONNECTIONS_PER_IP=\(cap)); closing its new connections until some end" : nil)
                            }
                            state.perAddress[address] = held + 1
                        }
                        state.connections[id] = channel
                        if state.connections.count < config.maxConnections * 9 / 10 { state.atLimit = false }
                        return .admitted
                    }
                    if case .refused(let warning) = admission {
                        if let warning { logger.warning("\(warning)") }
                        channel.close(promise: nil)
                        return
                    }
                    channel.closeFuture.whenComplete { _ in
                        state.withLockedValue { state in
                            state.connections.removeValue(forKey: id)
                            guard let address, let held = state.perAddress[address] else { return }
                            state.perAddress[address] = held > 1 ? held - 1 : nil
                            // A new episode (and warning) once the address is well under its cap.
                            if held - 1 <= (config.maxConnectionsPerAddress ?? 0) * 9 / 10 { state.limitedAddresses.remove(address) }
                        }
                    }
                    let pipeline = channel.pipeline.syncOperations
                    let timeouts = ConnectionTimeoutHandler(
                        idleTimeout: .seconds(Int64(config.idleTimeout)),
                        readTimeout: .seconds(Int64(config.requestReadTimeout)), accessLogger: config.accessLog ? logger : nil)
                    try pipeline.addHandler(timeouts)
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                    try pipeline.addHandler(
                        HTTPChannelHandler(
                            responder: responder, maxContentLength: config.maxContentLength,
                            executor: EventLoopTaskExecutor(channel.eventLoop), timeouts: timeouts,
                            accessLogger: config.accessLog ? logger : nil, idleGraceOnShutdown: idleGrace,
                            streamSendTimeout: .seconds(Int64(config.streamSendTimeout)), minBodyRate: config.bodyMinRate))
                }
            }
    }

    /// Stops accepting, asks open connections to finish their current request and close,
    /// waits up to `shutdownTimeout` seconds, then closes whatever is left.
    public func shutdown() async {
        guard await stopAccepting() else { return }
        await drain()
    }

    /// Closes the listener and tells every open connection to quiesce; returns once each has
    /// been told. Only the first call does anything (and answers true).
    @discardableResult
    func stopAccepting() async -> Bool {
        let (listener, alreadyStopped) = state.withLockedValue { state in
            defer { state.stopped = true }
            return (state.channel, state.stopped)
        }
        guard !alreadyStopped else { return false }
        try? await listener?.close()
        let told = state.withLockedValue { $0.connections.values }.map { connection in
            connection.eventLoop.submit { connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        }
        try? await EventLoopFuture.andAllComplete(told, on: group.next()).get()
        return true
    }

    /// Waits up to `shutdownTimeout` for the connections to close, closes the rest, and stops
    /// the event loops if this server made them.
    func drain() async {
        let deadline = ContinuousClock.now + .seconds(config.shutdownTimeout)
        while !state.withLockedValue({ $0.connections.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for connection in state.withLockedValue({ Array($0.connections.values) }) {
            try? await connection.close()
        }
        if ownsGroup { try? await group.shutdownGracefully() }
    }

    /// Serves until graceful shutdown or cancellation, then shuts down cleanly.
    public func run() async throws {
        if state.withLockedValue({ $0.channel == nil }) { try await start() }
        try? await gracefulShutdown()
        await shutdown()
    }
}
