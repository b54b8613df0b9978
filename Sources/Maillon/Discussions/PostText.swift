import Foundation
import Ink

/// Members' messages in a safe Markdown subset — paragraphs, bold, italic, links, lists, code — as
/// HTML. Ink passes raw HTML through, so the text is escaped first: whatever a member types as HTML
/// shows as text. Then Ink's output is narrowed by modifiers: links only to http(s) addresses, with
/// `rel="nofollow ugc"`; images become their description (no remote pictures that track readers);
/// headings become bold paragraphs; tables and rules are not part of the subset.
enum PostText {
    /// The most a message may hold, in Unicode scalars (NFC).
    static let maximumLength = 10_000

    /// `mentions` maps handles to profile paths: `@handle` in the text (outside code and links) links there.
    static func html(_ text: String, mentions: [String: String] = [:]) -> String {
        var source = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        source = escape(source)
        // Ink reads a leading `---` block as metadata and drops it: keep it as text.
        if source.hasPrefix("---") { source = "\u{200B}" + source }
        let html = parser().html(from: source)
        return mentions.isEmpty ? html : link(mentions, in: html)
    }

    /// Links each known `@handle` in the text between tags, leaving code and existing links alone.
    private static func link(_ mentions: [String: String], in html: String) -> String {
        var output = ""
        var inside = 0
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            output += inside > 0 ? String(rest[..<open]) : linkText(rest[..<open], mentions)
            guard let close = rest[open...].firstIndex(of: ">") else { rest = rest[open...]; break }
            let tag = rest[open...close]
            if tag.hasPrefix("<code") || tag.hasPrefix("<a ") { inside += 1 }
            if tag.hasPrefix("</code") || tag.hasPrefix("</a") { inside = max(0, inside - 1) }
            output += tag
            rest = rest[rest.index(after: close)...]
        }
        return output + (inside > 0 ? String(rest) : linkText(rest, mentions))
    }

    private static func linkText(_ text: Substring, _ mentions: [String: String]) -> String {
        var output = ""
        var rest = text.startIndex
        for (range, handle) in Mentions.occurrences(in: text) {
            guard let path = mentions[handle] else { continue }
            output += text[rest..<range.lowerBound] + "<a href=\"\(path)\" class=\"mention\">@\(handle)</a>"
            rest = range.upperBound
        }
        return output + text[rest...]
    }

    /// What a notification or a digest shows of a message: its first words, as plain text.
    static func excerpt(_ text: String, length: Int = 140) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        let scalars = flat.unicodeScalars
        guard scalars.count > length else { return flat }
        return String(String.UnicodeScalarView(scalars.prefix(length))) + "…"
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static func parser() -> MarkdownParser {
        MarkdownParser(modifiers: [
            Modifier(target: .links) { html, _ in link(html) },
            Modifier(target: .images) { _, markdown in
                // `![description](address)`: the description, already escaped.
                guard let open = markdown.range(of: "!["), let close = markdown.range(of: "](", range: open.upperBound..<markdown.endIndex) else { return "" }
                return String(markdown[open.upperBound..<close.lowerBound])
            },
            Modifier(target: .headings) { html, _ in
                guard let start = html.firstIndex(of: ">"), let end = html.range(of: "</h", options: .backwards) else { return "" }
                return "<p><strong>" + html[html.index(after: start)..<end.lowerBound] + "</strong></p>"
            },
            Modifier(target: .tables) { _, markdown in "<p>" + markdown.split(separator: "\n").joined(separator: "<br>") + "</p>" },
            Modifier(target: .horizontalLines) { _, _ in "" },
            // Neither can be produced once `<` and `>` are escaped; were it to happen, it stays text.
            Modifier(target: .html) { _, markdown in escape(String(markdown)) },
            Modifier(target: .blockquotes) { _, markdown in "<p>" + escape(String(markdown)) + "</p>" },
            // Ink escapes code again: undo the second escaping so `<b>` shows as `<b>`, not `&lt;b&gt;`.
            Modifier(target: .codeBlocks) { html, _ in html.replacingOccurrences(of: "&amp;", with: "&") },
            Modifier(target: .inlineCode) { html, _ in html.replacingOccurrences(of: "&amp;", with: "&") },
        ])
    }

    /// `<a href="…">text</a>` from Ink: kept, with `rel="nofollow ugc"`, when the address is http(s);
    /// otherwise only its text.
    private static func link(_ html: String) -> String {
        let prefix = "<a href=\""
        guard html.hasPrefix(prefix), let quote = html.range(of: "\">", range: html.index(html.startIndex, offsetBy: prefix.count)..<html.endIndex),
              let close = html.range(of: "</a>", options: .backwards) else { return "" }
        let href = String(html[html.index(html.startIndex, offsetBy: prefix.count)..<quote.lowerBound])
        let text = String(html[quote.upperBound..<close.lowerBound])
        let address = href.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        guard WebLink.isValid(address), !address.contains("\"") else { return text }
        return "<a href=\"\(href)\" rel=\"nofollow ugc\">\(text)</a>"
    }
}
