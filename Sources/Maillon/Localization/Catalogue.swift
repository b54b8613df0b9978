import Foundation

/// The languages Maillon speaks. French first: it is the default.
public enum AppLocale: String, Sendable, Codable, CaseIterable {
    case fr, en

    public static let `default`: AppLocale = .fr

    /// Picks the first supported language of an `Accept-Language` header, honouring q-values.
    public static func negotiate(acceptLanguage: String?) -> AppLocale? {
        guard let header = acceptLanguage, !header.isEmpty else { return nil }
        let ranked = header.split(separator: ",").enumerated().compactMap { index, part -> (AppLocale, Double, Int)? in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased(), let primary = tag.split(separator: "-").first,
                  let locale = AppLocale(rawValue: String(primary)) else { return nil }
            let quality = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0 ? (locale, quality, index) : nil
        }
        return ranked.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 < $1.2 }.first?.0
    }
}

/// Every string shown to a person, in every language, loaded from `Resources/Locales/<code>.json`.
/// Placeholders are `{0}`, `{1}`…; a missing key shows the key itself so a gap is visible, and a test
/// checks that none is missing.
public struct Catalogue: Sendable {
    public let entries: [AppLocale: [String: String]]

    public init(entries: [AppLocale: [String: String]]) {
        self.entries = entries
    }

    public static func load(from directory: String) throws -> Catalogue {
        var entries: [AppLocale: [String: String]] = [:]
        for locale in AppLocale.allCases {
            let url = URL(fileURLWithPath: directory).appendingPathComponent("\(locale.rawValue).json")
            let data = try Data(contentsOf: url)
            entries[locale] = try JSONDecoder().decode([String: String].self, from: data)
        }
        return Catalogue(entries: entries)
    }

    public func translate(_ key: String, _ locale: AppLocale, _ arguments: [String] = []) -> String {
        var text = entries[locale]?[key] ?? entries[.default]?[key] ?? key
        for (index, argument) in arguments.enumerated() {
            text = text.replacingOccurrences(of: "{\(index)}", with: argument)
        }
        return text
    }
}

/// A catalogue bound to one reader's language: what page models and mails use.
public struct Translator: Sendable {
    public let catalogue: Catalogue
    public let locale: AppLocale

    public func callAsFunction(_ key: String, _ arguments: String...) -> String {
        catalogue.translate(key, locale, arguments)
    }

    /// A count in words: `key.one` or `key.other`, with the number as `{0}`. French treats 0 and 1
    /// as singular ("0 membre", "1 membre"), English only 1.
    /// Further arguments follow as `{1}`, `{2}`…
    public func count(_ key: String, _ number: Int, _ more: String...) -> String {
        catalogue.translate(key + (Self.isSingular(number, locale) ? ".one" : ".other"), locale, [String(number)] + more)
    }

    /// A skill's name in the reader's language: curated skills are translated, free ones shown as typed.
    public func skill(_ label: String) -> String {
        let slug = Taxonomy.skillSlug(label)
        return Taxonomy.isCurated(slug) ? catalogue.translate("skill.\(slug)", locale) : label
    }

    static func isSingular(_ number: Int, _ locale: AppLocale) -> Bool {
        locale == .fr ? abs(number) < 2 : number == 1
    }
}
