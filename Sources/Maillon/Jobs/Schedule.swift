import Foundation

/// When a periodic job runs, in Europe/Paris time.
public enum Schedule: Sendable, Equatable {
    /// Every `interval` seconds, aligned on the epoch (every 15 min: :00, :15, :30, :45).
    case every(TimeInterval)
    /// Every day at this time.
    case daily(hour: Int, minute: Int)
    /// Every week on `weekday` (1 = Sunday … 2 = Monday, as Foundation counts) at this time.
    case weekly(weekday: Int, hour: Int, minute: Int)
    /// Every month on `day` (1–28) at this time.
    case monthly(day: Int, hour: Int, minute: Int)

    static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = DateFormatting.timeZone
        return calendar
    }

    /// The most recent time the job was due, at or before `now`.
    public func latestOccurrence(atOrBefore now: Date) -> Date {
        switch self {
        case let .every(interval):
            return Date(timeIntervalSince1970: (now.timeIntervalSince1970 / interval).rounded(.down) * interval)
        case let .daily(hour, minute):
            return Self.latest(now, DateComponents(hour: hour, minute: minute, second: 0))
        case let .weekly(weekday, hour, minute):
            return Self.latest(now, DateComponents(hour: hour, minute: minute, second: 0, weekday: weekday))
        case let .monthly(day, hour, minute):
            return Self.latest(now, DateComponents(day: day, hour: hour, minute: minute, second: 0), lookBack: 32)
        }
    }

    /// How late an occurrence may still be run (an instance starting after a long stop does not
    /// send last week's digest).
    public var grace: TimeInterval {
        switch self {
        case let .every(interval): interval
        case .daily, .weekly, .monthly: 6 * 3600
        }
    }

    private static func latest(_ now: Date, _ components: DateComponents, lookBack days: Double = 8) -> Date {
        let calendar = Self.calendar
        // The next occurrence after a point a period (plus a day) ago, walked forward until it passes now.
        var candidate = calendar.nextDate(after: now.addingTimeInterval(-days * 86400), matching: components, matchingPolicy: .nextTime) ?? now
        while let next = calendar.nextDate(after: candidate, matching: components, matchingPolicy: .nextTime), next <= now {
            candidate = next
        }
        return candidate
    }
}
