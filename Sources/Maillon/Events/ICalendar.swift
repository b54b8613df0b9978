import Foundation

/// iCalendar files (RFC 5545) for events: one event's `.ics`, a member's feed, a chapter's feed.
/// Written here because no package on this machine writes iCalendar, and the part we need is
/// small: events in Europe/Paris with their time zone, escaped text, folded lines, stable UIDs.
/// No attendee is ever written into a file.
enum ICalendar {
    struct Entry: Sendable {
        let uid: String
        /// Goes up with each change of time or place, so calendars replace the old version.
        let sequence: Int
        let stamp: Date
        let start: Date
        let end: Date
        var summary: String
        let description: String
        let location: String
        let url: String
        var status: Status
    }

    /// STATUS of a VEVENT: a seat (or a public listing), a waitlist place, or a cancelled event.
    enum Status: String, Sendable { case confirmed = "CONFIRMED", tentative = "TENTATIVE", cancelled = "CANCELLED" }

    static let timeZoneID = "Europe/Paris"

    /// A whole calendar: the time zone, then each entry. Lines end with CRLF and are folded at 75 octets.
    static func document(name: String, entries: [Entry]) -> String {
        var lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Maillon//Meetups//FR",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:\(escape(name))",
            "X-WR-TIMEZONE:\(timeZoneID)",
        ]
        lines += parisTimeZone
        for entry in entries {
            lines += [
                "BEGIN:VEVENT",
                "UID:\(entry.uid)",
                "SEQUENCE:\(entry.sequence)",
                "DTSTAMP:\(utc(entry.stamp))",
                "DTSTART;TZID=\(timeZoneID):\(local(entry.start))",
                "DTEND;TZID=\(timeZoneID):\(local(entry.end))",
                "SUMMARY:\(escape(entry.summary))",
                "DESCRIPTION:\(escape(entry.description))",
                "LOCATION:\(escape(entry.location))",
                "URL:\(entry.url)",
                "STATUS:\(entry.status.rawValue)",
                "TRANSP:OPAQUE",
                "END:VEVENT",
            ]
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// TEXT values: backslash, semicolon, comma and newlines escaped (RFC 5545 §3.3.11).
    static func escape(_ text: String) -> String {
        var output = ""
        for character in text.replacingOccurrences(of: "\r\n", with: "\n") {
            switch character {
            case "\\": output += "\\\\"
            case ";": output += "\\;"
            case ",": output += "\\,"
            case "\n", "\r": output += "\\n"
            default:
                // Other control characters are not allowed in a TEXT value.
                if character.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) { output.append(character) }
            }
        }
        return output
    }

    /// Lines longer than 75 octets go on continuation lines starting with a space (§3.1),
    /// never splitting a UTF-8 sequence.
    static func fold(_ line: String) -> String {
        guard line.utf8.count > 75 else { return line }
        var result = "", current = 0, limit = 75
        for character in line {
            let size = String(character).utf8.count
            if current + size > limit {
                result += "\r\n "
                current = 0
                limit = 74
            }
            result.append(character)
            current += size
        }
        return result
    }

    static func utc(_ date: Date) -> String { format(date, TimeZone(identifier: "UTC")!) + "Z" }
    static func local(_ date: Date) -> String { format(date, DateFormatting.timeZone) }

    private static func format(_ date: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// Europe/Paris since 1996: CET, and CEST from the last Sunday of March to the last Sunday of October.
    static let parisTimeZone = [
        "BEGIN:VTIMEZONE",
        "TZID:\(timeZoneID)",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
}
