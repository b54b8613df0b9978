import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Where "now" comes from, so tests can move time (session expiry, link expiry, throttling windows).
public protocol TimeSource: Sendable {
    func now() -> Date
}

public struct SystemTime: TimeSource {
    public init() {}
    public func now() -> Date { Date() }
}

/// The system clock moved by the number of seconds written in a file, read at each call: end-to-end
/// tests move a running server (and `worker --drain`) through the days of a training. Only with
/// `CLOCK_OFFSET_FILE`, which is refused on an https address.
public struct ShiftedTime: TimeSource {
    let path: String

    public init(path: String) { self.path = path }

    public func now() -> Date {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return Date().addingTimeInterval(TimeInterval(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
    }
}

/// Everything the handlers need from outside, built once in the composition root (`configure`)
/// and passed in, never looked up from globals. Tests build their own with fakes.
public struct MaillonServices: Sendable {
    public var settings: Settings
    public var catalogue: Catalogue
    public var mailer: any Mailer
    public var time: any TimeSource
    public var passwords: PasswordPolicy
    public var throttling: ThrottlePolicy

    public init(settings: Settings, catalogue: Catalogue, mailer: any Mailer, time: any TimeSource,
                passwords: PasswordPolicy, throttling: ThrottlePolicy = .standard) {
        self.settings = settings
        self.catalogue = catalogue
        self.mailer = mailer
        self.time = time
        self.passwords = passwords
        self.throttling = throttling
    }
}

extension Application {
    private struct ServicesKey: StorageKey { typealias Value = MaillonServices }

    public var maillon: MaillonServices {
        get {
            guard let services = storage[ServicesKey.self] else { fatalError("Maillon services used before configure(_:)") }
            return services
        }
        set { storage[ServicesKey.self] = newValue }
    }
}

extension Request {
    public var maillon: MaillonServices { application.maillon }
    var now: Date { maillon.time.now() }
}
