import Fluent
import Foundation
import Vapor

/// A member's photo, kept in the database (every instance can serve it; backups include it),
/// never under the public folder.
public final class ProfilePhoto: Model, @unchecked Sendable {
    public static let schema = "profile_photos"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Field(key: "content_type") public var contentType: String
    @Field(key: "data") public var data: Data
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}
}

/// What an uploaded image really is, judged by its first bytes, never by its name or declared type.
public enum ImageKind: String, Sendable {
    case jpeg = "image/jpeg"
    case png = "image/png"
    case webp = "image/webp"

    public static let maximumBytes = 2 * 1024 * 1024

    public static func sniff(_ bytes: [UInt8]) -> ImageKind? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) { return .webp }
        return nil
    }
}

enum Migrations005 {
    struct CreateProfilePhotos: AsyncMigration {
        var name: String { "005_CreateProfilePhotos" }

        func prepare(on database: any Database) async throws {
            try await database.schema(ProfilePhoto.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("content_type", .string, .required)
                .field("data", .data, .required)
                .field("updated_at", .datetime, .required)
                .unique(on: "user_id")
                .create()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(ProfilePhoto.schema).delete()
        }
    }
}

/// Upload (members, their own) and serve (as the profile's visibility allows).
struct PhotoController: RouteCollection {
    static let uploadLimit = ImageKind.maximumBytes + 64 * 1024

    func boot(routes: any RoutesBuilder) throws {
        routes.on(.POST, SiteURL.route(SiteURL.myPhoto), body: .collect(maxSize: ByteCount(value: Self.uploadLimit)), use: upload)
        routes.get(SiteURL.route(SiteURL.members) + [":id", "photo"], use: serve)
    }

    struct Upload: Content {
        var photo: File?
    }

    @Sendable func upload(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        guard try await Profile.query(on: req.db).filter(\.$user.$id == user.requireID()).count() == 1 else { throw PageError.forbidden }
        let file = (try? req.content.decode(Upload.self))?.photo
        let bytes = file.map { Array($0.data.readableBytesView) } ?? []
        let cleaned = bytes.count <= ImageKind.maximumBytes ? ImageSanitizer.clean(bytes) : nil
        let problem: String? = if bytes.isEmpty { "photo.missing" }
            else if bytes.count > ImageKind.maximumBytes { "photo.too_big" }
            else if ImageKind.sniff(bytes) == nil { "photo.wrong_type" }
            else if cleaned == nil { "photo.damaged" }
            else { nil }
        guard problem == nil, let (kind, clean) = cleaned else {
            try await req.flash(.error, problem ?? "photo.damaged")
            return req.redirect(to: SiteURL.myProfile, redirectType: .normal)
        }
        let userID = try user.requireID()
        let now = req.now
        try await req.db.transaction { db in
            try await ProfilePhoto.query(on: db).filter(\.$user.$id == userID).delete()
            let photo = ProfilePhoto()
            photo.$user.id = userID
            photo.contentType = kind.rawValue
            photo.data = Data(clean)
            photo.updatedAt = now
            try await photo.create(on: db)
            try await Profile.query(on: db).filter(\.$user.$id == userID).set(\.$photoPath, to: String(Int(now.timeIntervalSince1970))).update()
        }
        try await req.flash(.success, "flash.photo_saved")
        return req.redirect(to: SiteURL.myProfile, redirectType: .normal)
    }

    @Sendable func serve(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self),
              let profile = try await Profile.query(on: req.db).filter(\.$user.$id == id).with(\.$user).first()
        else { throw PageError.notFound }
        guard profile.isVisible(to: req.currentUser) else { throw PageError.notFound }
        guard let photo = try await ProfilePhoto.query(on: req.db).filter(\.$user.$id == id).first() else { throw PageError.notFound }
        let response = Response(status: .ok, body: .init(data: photo.data))
        response.headers.replaceOrAdd(name: .contentType, value: photo.contentType)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=300")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "inline")
        return response
    }
}
