import Foundation
import Logging

/// Structured logs: one JSON object per line on standard output, metadata (such as the
/// request id) as fields, keys sorted. Chosen with `LOG_FORMAT=json` (the default) or `text`.
///
/// Cheap, because there is one line for every request: the line is written by hand into one byte
/// buffer (no formatter, no `JSONSerialization`), and lines go through standard output's buffer,
/// which `LogOutput.flush()` empties every second and at exit (a line is never split; at most a
/// second of lines is lost if the process is killed with SIGKILL).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let explicit = event.metadata { fields.merge(explicit) { $1 } }
        LogOutput.write(Self.line(level: event.level, message: event.message.description, label: label, fields: fields, at: Date()))
    }

    /// `{"a":…,"level":…,"logger":…,"msg":…,"ts":…,"z":…}` and a newline.
    static func line(level: Logger.Level, message: String, label: String, fields: Logger.Metadata, at date: Date) -> [UInt8] {
        var entries: [(String, Logger.Metadata.Value)] = fields.filter { !["level", "logger", "msg", "ts"].contains($0.key) }.map { ($0.key, $0.value) }
        entries.append(("level", .string(level.rawValue)))
        entries.append(("logger", .string(label)))
        entries.append(("msg", .string(message)))
        entries.append(("ts", .string(timestamp(date))))
        entries.sort { $0.0 < $1.0 }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "{"))
        for (index, (key, value)) in entries.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendValue(value, to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "}"), UInt8(ascii: "\n")])
        return out
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to out: inout [UInt8]) {
        switch value {
        case let .string(string): appendString(string, to: &out)
        case let .stringConvertible(convertible): appendString(convertible.description, to: &out)
        case let .array(values):
            out.append(UInt8(ascii: "["))
            for (index, item) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .dictionary(dictionary):
            out.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendValue(dictionary[key] ?? .string(""), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped; the rest as UTF-8.
    static func appendString(_ string: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `2026-11-28T02:48:13Z` (UTC), without a formatter.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// Standard output for log lines: fully buffered when it is not a terminal (one `write` for many
/// lines), emptied every second by the server and at exit.
public enum LogOutput {
    /// Its own stream on standard output (C's streams lock themselves, so threads never mix lines),
    /// line-buffered on a terminal, 64 KiB at a time otherwise. C's exit empties it.
    nonisolated(unsafe) private static let stream: UnsafeMutablePointer<FILE>? = {
        let stream = fdopen(STDOUT_FILENO, "w")
        if let stream { setvbuf(stream, nil, isatty(STDOUT_FILENO) != 0 ? _IOLBF : _IOFBF, 64 * 1024) }
        return stream
    }()

    static func write(_ line: [UInt8]) {
        guard let stream else { return }
        line.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stream) }
    }

    /// Empties every output stream (log lines, and what `print` wrote).
    public static func flush() {
        fflush(nil)
    }
}
