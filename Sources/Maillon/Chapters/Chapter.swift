import Fluent
import Foundation
import SQLKit
import Vapor

/// A local group (antenne): a city or a region, run by its ambassadors.
public final class Chapter: Model, @unchecked Sendable {
    public static let schema = "chapters"

    public enum Status: String, Codable, Sendable, CaseIterable { case active, archived }

    @ID(key: .id) public var id: UUID?
    @Field(key: "slug") public var slug: String
    @Field(key: "name") public var name: String
    @Field(key: "region") public var region: String
    @Field(key: "description") public var description: String
    @OptionalField(key: "contact_email") public var contactEmail: String?
    @Field(key: "status") public var status: Status
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// A member appointed to run a chapter. A chapter may have several; a member may run several.
public final class Ambassadorship: Model, @unchecked Sendable {
    public static let schema = "chapter_ambassadors"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "chapter_id") public var chapter: Chapter
    @Parent(key: "user_id") public var user: User
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    /// When the mandate began (the appointment, unless an admin says otherwise).
    @OptionalField(key: "started_at") public var startedAt: Date?

    public init() {}
}

/// A member following a chapter other than their home one.
public final class ChapterFollow: Model, @unchecked Sendable {
    public static let schema = "chapter_follows"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "chapter_id") public var chapter: Chapter
    @Parent(key: "user_id") public var user: User
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// An ambassador greeting a newcomer of their chapter.
public final class Welcome: Model, @unchecked Sendable {
    public static let schema = "welcomes"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "chapter_id") public var chapter: Chapter
    @Parent(key: "newcomer_id") public var newcomer: User
    @OptionalParent(key: "welcomed_by_id") public var welcomedBy: User?
    @OptionalField(key: "note") public var note: String?
    @Field(key: "welcomed_at") public var welcomedAt: Date

    public init() {}
}

public enum Slug {
    /// "Auvergne-Rhône-Alpes" → "auvergne-rhone-alpes".
    public static func make(_ text: String) -> String {
        // ASCII has no accents to fold: lowercasing is the whole folding, without Foundation's (a skill
        // slug is slugged again each time a directory card shows it).
        let folded = text.utf8.allSatisfy { $0 < 0x80 } ? text.lowercased()
            : text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "fr_FR")).lowercased()
        var slug = ""
        for scalar in folded.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII { slug.unicodeScalars.append(scalar) } else if !slug.hasSuffix("-") { slug.append("-") }
        }
        return String(slug.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(60))
    }

    /// Whether a path's `:slug` could be one (ASCII letters, digits, dashes): anything else is a 404
    /// before any query (PostgreSQL refuses a NUL byte in text, for one).
    public static func isWellFormed(_ candidate: String) -> Bool {
        !candidate.isEmpty && candidate.utf8.count <= 80
            && candidate.unicodeScalars.allSatisfy { ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || $0 == "-" }
    }
}

extension Request {
    /// The `:slug` of the path, well formed, or a 404.
    func slugParameter() throws -> String {
        guard let slug = parameters.get("slug"), Slug.isWellFormed(slug) else { throw PageError.notFound }
        return slug
    }
}

extension Chapter {
    /// Every chapter's name by id, in one two-column query (pages that label members with their chapter).
    static func names(on db: any Database) async throws -> [UUID: String] {
        var names: [UUID: String] = [:]
        for row in try await (db as! any SQLDatabase).select().column("id").column("name").from(schema).all() {
            names[try row.decode(column: "id", as: UUID.self)] = try row.decode(column: "name", as: String.self)
        }
        return names
    }
}
