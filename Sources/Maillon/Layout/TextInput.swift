import Foundation
import Vapor

/// Text as people send it. Every value is NFC-normalised on the way in, and lengths are counted in
/// Unicode scalars: a letter followed by thousands of combining accents is thousands long, not one
/// "character", so it cannot slip past a limit and swell every page that shows it.
enum TextInput {
    static func normalise(_ text: String) -> String { text.precomposedStringWithCanonicalMapping }
}

extension StringProtocol {
    /// The length that limits count: Unicode scalars (after NFC), not grapheme clusters.
    var scalarLength: Int { unicodeScalars.count }
}

extension Request {
    /// A query parameter as search text: NFC, trimmed, nil when empty or longer than `max` scalars.
    func queryText(_ name: String, max: Int = 200) -> String? {
        guard let raw = query[String.self, at: name] else { return nil }
        let text = TextInput.normalise(raw).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.scalarLength <= max else { return nil }
        return text
    }
}

/// A person's name: one line, printable, at most 100 scalars.
enum PersonName {
    static let maximumLength = 100

    /// The catalogue key of what is wrong with `name` (already trimmed), or nil.
    static func problem(_ name: String) -> String? {
        if name.isEmpty { return "field.required" }
        if name.scalarLength > maximumLength { return "field.too_long" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .lineSeparator
            || $0.properties.generalCategory == .paragraphSeparator || $0.properties.generalCategory == .format && $0.value != 0x200D }) {
            return "name.one_line"
        }
        return nil
    }
}
