import Foundation

/// Dates and times are shown in Europe/Paris, formatted for the reader's language.
public enum DateFormatting {
    public static let timeZone = TimeZone(identifier: "Europe/Paris") ?? .current

    public static func dateTime(_ date: Date, _ locale: AppLocale) -> String {
        var style = Date.FormatStyle(date: .long, time: .shortened, locale: Locale(identifier: locale == .fr ? "fr_FR" : "en_GB"), timeZone: timeZone)
        style.calendar = Calendar(identifier: .gregorian)
        return date.formatted(style)
    }

    public static func date(_ date: Date, _ locale: AppLocale) -> String {
        var style = Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: locale == .fr ? "fr_FR" : "en_GB"), timeZone: timeZone)
        style.calendar = Calendar(identifier: .gregorian)
        return date.formatted(style)
    }
}
