import Foundation

/// Dates and times are shown in Europe/Paris, formatted for the reader's language.
public enum DateFormatting {
    public static let timeZone = TimeZone(identifier: "Europe/Paris") ?? .current

    static func locale(_ locale: AppLocale) -> Locale {
        Locale(identifier: locale == .fr ? "fr_FR" : "en_GB")
    }

    static func style(_ locale: AppLocale) -> Date.FormatStyle {
        var style = Date.FormatStyle(locale: Self.locale(locale), calendar: Calendar(identifier: .gregorian), timeZone: timeZone)
        style = style.day().month(.wide).year()
        return style
    }

    /// "1 janvier 2027 à 01:00" / "1 January 2027 at 01:00".
    public static func dateTime(_ date: Date, _ locale: AppLocale) -> String {
        date.formatted(style(locale).hour(.twoDigits(amPM: .omitted)).minute(.twoDigits))
    }

    /// "1 janvier 2027" / "1 January 2027".
    public static func date(_ date: Date, _ locale: AppLocale) -> String {
        date.formatted(style(locale))
    }

    /// "19:30" in both languages.
    public static func time(_ date: Date, _ locale: AppLocale) -> String {
        date.formatted(Date.FormatStyle(locale: Self.locale(locale), calendar: Calendar(identifier: .gregorian), timeZone: timeZone)
            .hour(.twoDigits(amPM: .omitted)).minute(.twoDigits))
    }
}

/// Where a moment falls from the reader's day in Europe/Paris: today, tomorrow, or later.
public enum RelativeDay: String, Sendable {
    case today, tomorrow, later

    public static func of(_ date: Date, from now: Date) -> RelativeDay {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = DateFormatting.timeZone
        let days = calendar.dateComponents([.day], from: calendar.startOfDay(for: now), to: calendar.startOfDay(for: date)).day ?? 2
        switch days {
        case ...0: return .today
        case 1: return .tomorrow
        default: return .later
        }
    }
}
