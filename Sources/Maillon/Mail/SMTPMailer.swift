import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Vapor

/// Sends through an SMTP relay: implicit TLS or STARTTLS, AUTH PLAIN, one connection per message.
/// Written here because no SMTP client is among the packages this project may use; it speaks only
/// the small part of RFC 5321 a relay submission needs.
public struct SMTPMailer: Mailer {
    public let settings: Settings.SMTPSettings
    public let from: String
    let eventLoopGroup: any EventLoopGroup

    public init(settings: Settings.SMTPSettings, from: String, eventLoopGroup: any EventLoopGroup) {
        self.settings = settings
        self.from = from
        self.eventLoopGroup = eventLoopGroup
    }

    /// A relay that stops answering fails the attempt after this long (the job is retried later).
    static let timeout: Duration = .seconds(60)

    public func send(_ message: MailMessage, logger: Logger) async throws {
        let session = try await SMTPSession.connect(settings: settings, group: eventLoopGroup)
        let channel = session.channel
        let watchdog = Task {
            try await Task.sleep(for: Self.timeout)
            try? await channel.close().get()
        }
        defer { watchdog.cancel() }
        do {
            try await session.deliver(message, from: from, settings: settings)
            await session.close()
        } catch {
            await session.close()
            throw error
        }
        logger.info("Mail sent", metadata: ["message-id": .string(message.messageID)])
    }
}

public struct SMTPError: Error, CustomStringConvertible {
    public let step: String
    public let reply: String
    public var description: String { "SMTP \(step) refused: \(reply)" }
}

/// One conversation with the relay. Replies arrive line by line through an AsyncStream.
final class SMTPSession {
    let channel: any Channel
    private var lines: AsyncThrowingStream<String, any Error>.AsyncIterator

    private init(channel: any Channel, stream: AsyncThrowingStream<String, any Error>) {
        self.channel = channel
        self.lines = stream.makeAsyncIterator()
    }

    static func tlsContext(_ settings: Settings.SMTPSettings) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile {
            configuration.additionalTrustRoots = [.file(caFile)]
        }
        return try NIOSSLContext(configuration: configuration)
    }

    static func connect(settings: Settings.SMTPSettings, group: any EventLoopGroup) async throws -> SMTPSession {
        let (stream, continuation) = AsyncThrowingStream<String, any Error>.makeStream()
        let implicitTLS = settings.security == .tls ? try tlsContext(settings) : nil
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(15))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: implicitTLS, serverHostname: settings.host))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(ReplyCollector(continuation: continuation))
                }
            }
            .connect(host: settings.host, port: settings.port)
            .get()
        return SMTPSession(channel: channel, stream: stream)
    }

    func deliver(_ message: MailMessage, from: String, settings: Settings.SMTPSettings) async throws {
        try await expect("greeting", 220)
        try await command("EHLO \(settings.heloName)", step: "EHLO", 250)
        if settings.security == .starttls {
            try await command("STARTTLS", step: "STARTTLS", 220)
            let context = try Self.tlsContext(settings)
            let channel = self.channel
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: settings.host), position: .first)
            }.get()
            try await command("EHLO \(settings.heloName)", step: "EHLO after STARTTLS", 250)
        }
        if let username = settings.username {
            let credentials = Data("\0\(username)\0\(settings.password ?? "")".utf8).base64EncodedString()
            try await command("AUTH PLAIN \(credentials)", step: "AUTH", 235)
        }
        try await command("MAIL FROM:<\(MailFormat.address(from))>", step: "MAIL FROM", 250)
        try await command("RCPT TO:<\(MailFormat.address(message.to))>", step: "RCPT TO", 250, 251)
        try await command("DATA", step: "DATA", 354)
        // Dot-stuffing: a line starting with "." gets a second one.
        let body = MailFormat.render(message, from: from)
            .split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
        try await write(body + (body.hasSuffix("\r\n") ? "" : "\r\n") + ".\r\n")
        try await expect("message", 250)
    }

    /// Says goodbye (the server then closes its side too) and closes.
    func close() async {
        if channel.isActive { try? await write("QUIT\r\n") }
        try? await channel.close().get()
    }

    private func command(_ line: String, step: String, _ codes: Int...) async throws {
        try await write(line + "\r\n")
        try await expect(step, codes)
    }

    private func write(_ text: String) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(string: text)).get()
    }

    private func expect(_ step: String, _ codes: Int...) async throws {
        try await expect(step, codes)
    }

    /// Reads a reply (continuation lines are `250-…`, the last `250 …`) and checks its code.
    private func expect(_ step: String, _ codes: [Int]) async throws {
        var reply: [String] = []
        while true {
            guard let line = try await lines.next() else { throw SMTPError(step: step, reply: "connection closed") }
            reply.append(line)
            let characters = Array(line)
            if characters.count < 4 || characters[3] != "-" { break }
        }
        guard let last = reply.last, let code = Int(last.prefix(3)), codes.contains(code) else {
            throw SMTPError(step: step, reply: reply.joined(separator: " | "))
        }
    }
}

/// Hands each decoded line to the session; ends the stream when the connection does.
private final class ReplyCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncThrowingStream<String, any Error>.Continuation

    init(continuation: AsyncThrowingStream<String, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let line = buffer.readString(length: buffer.readableBytes) ?? ""
        continuation.yield(line.hasSuffix("\r") ? String(line.dropLast()) : line)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }
}
