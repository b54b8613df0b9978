import Foundation
import Vapor

/// Every setting Maillon reads, with its default. Read once, from the environment,
/// in the composition root; everything else receives the values it needs.
public struct Settings: Sendable {
    public enum DatabaseKind: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String, searchPath: String?)
    }

    public var database: DatabaseKind
    public var host: String
    public var port: Int
    public var baseURL: URL
    public var communityName: String
    public var primaryColor: String
    public var accentColor: String
    public var sessionIdleTimeout: TimeInterval
    public var sessionAbsoluteLifetime: TimeInterval
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var mailTransport: String
    public var mailDirectory: String
    public var mailFrom: String
    public var maxBodySize: ByteCount
    public var trustProxyHeaders: Bool
    public var bcryptCost: Int
    public var jobWorkers: Int
    public var declinedRetentionDays: Int
    /// How long the directory keeps a filter's totals and facet counts (0: not at all).
    public var directoryCacheSeconds: Int
    /// PostgreSQL connections per event loop (one event loop per core).
    public var databasePoolSize: Int
    /// How long each instance keeps a public page as visitors see it (0: not at all).
    public var visitorPageSeconds: Int = 2
    public var smtp: SMTPSettings?
    /// The share of a mission's price suggested as a contribution, in percent.
    public var contributionPercent: Int = 5
    /// Where contributions are sent (IBAN, BIC, holder), shown to organisations; lines separated by `\n`.
    public var contributionBankDetails: String? = nil
    /// The disability referent (référent handicap) of the training organisation, shown on every programme and convocation.
    public var disabilityReferentName: String? = nil
    /// How to reach the disability referent (an address, a phone number).
    public var disabilityReferentContact: String? = nil
    /// The address of the referent's account, if they have one: it reads the adaptations trainees ask for.
    public var disabilityReferentEmail: String? = nil
    /// How many days before a training session its convocations are mailed.
    public var convocationDays: Int = 7
    /// How many days after a session its cold survey is sent.
    public var coldSurveyDays: Int = 60
    /// The training organisation's registration number (numéro de déclaration d'activité), on certificates.
    public var trainingOrganisationNumber: String? = nil
    /// A JPEG of the organisation's signature (and stamp), printed on certificates.
    public var trainingSignatureImage: String? = nil
    /// The isolation radar's thresholds (see `RadarThresholds`).
    public var radar = RadarThresholds()
    /// `JOB_LEASE_SECONDS`: how long a claimed job stays its worker's before another instance takes it
    /// back (the worker's instance died).
    public var jobLease: TimeInterval = JobQueue.lease
    /// `METRICS_TOKEN`: a bearer token that opens `/metrics` from elsewhere than the machine itself.
    public var metricsToken: String?
    /// For end-to-end tests only: a file holding a number of seconds added to the clock (see `ShiftedTime`).
    public var clockOffsetFile: String? = nil

    public struct SMTPSettings: Sendable, Equatable {
        public enum Security: String, Sendable { case starttls, tls, none }
        public var host: String
        public var port: Int
        public var security: Security
        public var username: String?
        public var password: String?
        /// Extra certificate authority to trust (a private relay, or the tests' own).
        public var caFile: String?
        public var heloName: String
    }

    public enum LogFormat: String, Sendable { case json, text }

    /// True when the public address is https: cookies become `Secure` with the `__Host-` prefix, and HSTS is sent.
    public var isHTTPS: Bool { baseURL.scheme?.lowercased() == "https" }

    /// `arguments` are the command line: `serve --port 9000` (or `--hostname`) also moves the base URL
    /// that mailed links use, unless `BASE_URL` says otherwise.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment,
                                       arguments: [String] = []) throws -> Settings {
        func value(_ key: String) -> String? {
            guard let raw = env[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func number(_ key: String, _ fallback: Int) throws -> Int {
            guard let raw = value(key) else { return fallback }
            guard let parsed = Int(raw), parsed > 0 else { throw SettingsError.invalid(key, raw) }
            return parsed
        }
        /// A whole number within `range`, `fallback` when unset.
        func bounded(_ name: String, _ range: ClosedRange<Int>, _ fallback: Int) throws -> Int {
            try value(name).map {
                guard let number = Int($0), range.contains(number) else { throw SettingsError.invalid(name, $0) }
                return number
            } ?? fallback
        }
        let serving = arguments.first.map { $0 == "serve" } ?? true
        func option(_ names: [String]) -> String? {
            guard serving, let index = arguments.firstIndex(where: { names.contains($0) }), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        let host = option(["--hostname", "-H"]) ?? value("HOST") ?? "127.0.0.1"
        let port = try option(["--port", "-p"]).map {
            guard let port = Int($0), (1...65535).contains(port) else { throw SettingsError.invalid("--port", $0) }
            return port
        } ?? number("PORT", 8080)
        let baseString = value("BASE_URL") ?? "http://\(host):\(port)"
        guard let baseURL = URL(string: baseString.hasSuffix("/") ? String(baseString.dropLast()) : baseString),
              let scheme = baseURL.scheme?.lowercased(), scheme == "http" || scheme == "https", baseURL.host != nil
        else { throw SettingsError.invalid("BASE_URL", baseString) }

        let database: DatabaseKind
        if let url = value("DATABASE_URL") {
            database = .postgres(url: url, searchPath: value("DATABASE_SCHEMA"))
        } else {
            database = .sqlite(path: value("SQLITE_PATH") ?? "var/maillon.sqlite")
        }
        let logLevel = try value("LOG_LEVEL").map {
            guard let level = Logger.Level(rawValue: $0.lowercased()) else { throw SettingsError.invalid("LOG_LEVEL", $0) }
            return level
        } ?? .info
        let logFormat = try value("LOG_FORMAT").map {
            guard let format = LogFormat(rawValue: $0.lowercased()) else { throw SettingsError.invalid("LOG_FORMAT", $0) }
            return format
        } ?? .json
        let maxBody = value("MAX_BODY_SIZE") ?? "1mb"
        let bcryptCost = try number("BCRYPT_COST", 12)
        guard (4...31).contains(bcryptCost) else { throw SettingsError.invalid("BCRYPT_COST", String(bcryptCost)) }

        let jobWorkers = try value("JOB_WORKERS").map {
            guard let count = Int($0), (0...64).contains(count) else { throw SettingsError.invalid("JOB_WORKERS", $0) }
            return count
        } ?? 2
        let directoryCacheSeconds = try value("DIRECTORY_CACHE_SECONDS").map {
            guard let seconds = Int($0), (0...3600).contains(seconds) else { throw SettingsError.invalid("DIRECTORY_CACHE_SECONDS", $0) }
            return seconds
        } ?? 60
        let poolSize = try number("DATABASE_POOL_SIZE", 2)
        guard poolSize <= 64 else { throw SettingsError.invalid("DATABASE_POOL_SIZE", String(poolSize)) }
        let transport = value("MAIL_TRANSPORT") ?? "file"
        guard ["file", "smtp"].contains(transport) else { throw SettingsError.invalid("MAIL_TRANSPORT", transport) }
        // File mail logs every reset link: fine on a laptop, never on a public https address.
        if transport == "file", baseURL.scheme?.lowercased() == "https" {
            throw SettingsError.unsafe("MAIL_TRANSPORT=file writes mail, with its sign-in and reset links, to disk and to the log: it is for development only. "
                + "With an https BASE_URL, set MAIL_TRANSPORT=smtp and SMTP_HOST (see the README's settings).")
        }
        var smtp: SMTPSettings?
        if transport == "smtp" {
            guard let host = value("SMTP_HOST") else { throw SettingsError.invalid("SMTP_HOST", "(missing)") }
            let securityRaw = value("SMTP_SECURITY") ?? "starttls"
            guard let security = SMTPSettings.Security(rawValue: securityRaw) else { throw SettingsError.invalid("SMTP_SECURITY", securityRaw) }
            smtp = SMTPSettings(
                host: host,
                port: try number("SMTP_PORT", security == .tls ? 465 : 587),
                security: security,
                username: value("SMTP_USERNAME"),
                password: env["SMTP_PASSWORD"],
                caFile: value("SMTP_CA_FILE"),
                heloName: baseURL.host ?? "localhost"
            )
        }

        let contributionPercent = try bounded("CONTRIBUTION_PERCENT", 0...50, 5)
        var settings = Settings(
            database: database,
            host: host,
            port: port,
            baseURL: baseURL,
            communityName: value("COMMUNITY_NAME") ?? "Maillon",
            primaryColor: try color("COMMUNITY_PRIMARY_COLOR", value("COMMUNITY_PRIMARY_COLOR"), fallback: "#1d5c4d"),
            accentColor: try color("COMMUNITY_ACCENT_COLOR", value("COMMUNITY_ACCENT_COLOR"), fallback: "#b3471d"),
            sessionIdleTimeout: TimeInterval(try number("SESSION_IDLE_MINUTES", 30) * 60),
            sessionAbsoluteLifetime: TimeInterval(try number("SESSION_MAX_HOURS", 12) * 3600),
            logLevel: logLevel,
            logFormat: logFormat,
            mailTransport: transport,
            mailDirectory: value("MAIL_DIR") ?? "var/mail",
            mailFrom: value("MAIL_FROM") ?? "Maillon <no-reply@localhost>",
            maxBodySize: ByteCount(stringLiteral: maxBody),
            trustProxyHeaders: value("TRUST_PROXY_HEADERS").map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false,
            bcryptCost: bcryptCost,
            jobWorkers: jobWorkers,
            declinedRetentionDays: try number("DECLINED_RETENTION_DAYS", 180),
            directoryCacheSeconds: directoryCacheSeconds,
            databasePoolSize: poolSize,
            smtp: smtp
        )
        settings.contributionPercent = contributionPercent
        settings.visitorPageSeconds = try bounded("VISITOR_PAGE_SECONDS", 0...60, 2)
        settings.contributionBankDetails = value("CONTRIBUTION_BANK_DETAILS")
        settings.disabilityReferentName = value("DISABILITY_REFERENT_NAME")
        settings.disabilityReferentContact = value("DISABILITY_REFERENT_CONTACT")
        settings.disabilityReferentEmail = value("DISABILITY_REFERENT_EMAIL").map(EmailAddress.normalise)
        settings.convocationDays = try bounded("CONVOCATION_DAYS", 1...60, 7)
        settings.coldSurveyDays = try bounded("COLD_SURVEY_DAYS", 7...365, 60)
        settings.radar = RadarThresholds(quietWeeks: try bounded("RADAR_QUIET_WEEKS", 2...52, 8),
                                         firstEventDays: try bounded("RADAR_FIRST_EVENT_DAYS", 7...180, 30),
                                         cancellations: try bounded("RADAR_CANCELLATIONS", 2...10, 3),
                                         lowCheckIn: try bounded("RADAR_LOW_CHECK_IN", 1...4, 2))
        settings.trainingOrganisationNumber = value("TRAINING_ORGANISATION_NUMBER")
        settings.trainingSignatureImage = value("TRAINING_SIGNATURE_IMAGE")
        settings.clockOffsetFile = value("CLOCK_OFFSET_FILE")
        settings.metricsToken = value("METRICS_TOKEN")
        settings.jobLease = TimeInterval(try bounded("JOB_LEASE_SECONDS", 1...86400, Int(JobQueue.lease)))
        if settings.clockOffsetFile != nil, baseURL.scheme?.lowercased() == "https" {
            throw SettingsError.unsafe("CLOCK_OFFSET_FILE moves the clock for end-to-end tests; it is refused with an https BASE_URL.")
        }
        return settings
    }

    /// Colours end up in a stylesheet, so only `#rgb` / `#rrggbb` is accepted.
    static func color(_ key: String, _ raw: String?, fallback: String) throws -> String {
        guard let raw else { return fallback }
        let hex = raw.dropFirst()
        guard raw.hasPrefix("#"), hex.count == 3 || hex.count == 6, hex.allSatisfy(\.isHexDigit) else {
            throw SettingsError.invalid(key, raw)
        }
        return raw.lowercased()
    }
}

public enum SettingsError: Error, CustomStringConvertible {
    case invalid(String, String)
    /// A combination that would be unsafe in production, with what to do instead.
    case unsafe(String)
    public var description: String {
        switch self {
        case let .invalid(key, value): "Invalid value for \(key): \(value)"
        case let .unsafe(explanation): explanation
        }
    }
}
