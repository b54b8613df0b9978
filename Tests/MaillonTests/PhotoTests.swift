import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

let pngBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 100)
let jpegBytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 1, count: 100)
let webpBytes: [UInt8] = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBP".utf8) + Array(repeating: 2, count: 100)

/// Real 4×3 images as a phone or an editor writes them (made with Pillow): EXIF with a camera make
/// ("SecretCamMaker") and a GPS position, plus a JPEG comment and a PNG text chunk.
enum RealImages {
    static let jpeg = Array(Data(base64Encoded: "/9j/4AAQSkZJRgABAQAAAQABAAD/4QB0RXhpZgAATU0AKgAAAAgAAgEPAAIAAAAPAAAAJoglAAQAAAABAAAANgAAAABTZWNyZXRDYW1NYWtlcgAAAAIAAQACAAAAAk4AAAAAAgAFAAAAAwAAAFQAAAAAAAAAMAAAAAEAAAAzAAAAAQAAABgAAAAB//4AEENPTU1FTlQtU0VDUkVU/9sAQwAQCwwODAoQDg0OEhEQExgoGhgWFhgxIyUdKDozPTw5Mzg3QEhcTkBEV0U3OFBtUVdfYmdoZz5NcXlwZHhcZWdj/9sAQwEREhIYFRgvGhovY0I4QmNjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj/8AAEQgAAwAEAwEiAAIRAQMRAf/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/EAB8BAAMBAQEBAQEBAQEAAAAAAAABAgMEBQYHCAkKC//EALURAAIBAgQEAwQHBQQEAAECdwABAgMRBAUhMQYSQVEHYXETIjKBCBRCkaGxwQkjM1LwFWJy0QoWJDThJfEXGBkaJicoKSo1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpzdHV2d3h5eoKDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uLj5OXm5+jp6vLz9PX29/j5+v/aAAwDAQACEQMRAD8AyKKKK5D6g//Z")!)
    static let png = Array(Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAGHRFWHRBdXRob3IAUE5HLVNFQ1JFVC1BVVRIT1L6usIGAAAAbGVYSWZNTQAqAAAACAACAQ8AAgAAAA8AAAAmiCUABAAAAAEAAAA2AAAAAFNlY3JldENhbU1ha2VyAAAAAgABAAIAAAACTgAAAAACAAUAAAADAAAAVAAAAAAAAAAwAAAAAQAAADMAAAABAAAAGAAAAAE5IuyLAAAAFElEQVR4nGM8IafBAANMDEgAhQMAKEIBFB+VIxoAAAAASUVORK5CYII=")!)
    static let webp = Array(Data(base64Encoded: "UklGRqQAAABXRUJQVlA4WAoAAAAIAAAAAwAAAgAAVlA4TBEAAAAvA4AAAAdQjyIXpf+BiOh/AABFWElGbAAAAE1NACoAAAAIAAIBDwACAAAADwAAACaIJQAEAAAAAQAAADYAAAAAU2VjcmV0Q2FtTWFrZXIAAAACAAEAAgAAAAJOAAAAAAIABQAAAAMAAABUAAAAAAAAADAAAAABAAAAMwAAAAEAAAAYAAAAAQ==")!)
}

private func contains(_ bytes: [UInt8], _ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard bytes.count >= needle.count else { return false }
    return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
}

/// The chunk types of a PNG, in order.
private func pngChunks(_ bytes: [UInt8]) -> [String] {
    var types: [String] = []
    var index = 8
    while index + 8 <= bytes.count {
        let length = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
        types.append(String(decoding: bytes[(index + 4)..<(index + 8)], as: UTF8.self))
        index += 12 + length
    }
    return types
}

@Suite("Profile photos")
struct PhotoTests {
    @Test("Images are recognised by their bytes, not their name")
    func sniffing() {
        #expect(ImageKind.sniff(pngBytes) == .png)
        #expect(ImageKind.sniff(jpegBytes) == .jpeg)
        #expect(ImageKind.sniff(webpBytes) == .webp)
        #expect(ImageKind.sniff(Array("<svg onload=alert(1)>".utf8)) == nil)
        #expect(ImageKind.sniff(Array("RIFF0000WAVE".utf8)) == nil)
        #expect(ImageKind.sniff([]) == nil)
    }

    @Test("A member uploads a photo; it is served with its real type and nosniff, as the profile's visibility allows")
    func uploadAndServe() async throws {
        try await withMaillon { ctx in
            let charter = try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            let user = try await makeMember(ctx, "Léa", email: "lea@example.org", chapter: lyon, headline: "Graphiste")
            try await CharterController.recordAcceptance(user, charter, on: ctx.db, now: ctx.time.now())
            let browser = ctx.browser()
            try await signIn(browser, email: "lea@example.org")
            try await browser.get("/profile")

            let disguised = try await browser.upload("/profile/photo", field: "photo", filename: "photo.png", contentType: "image/png", bytes: Array("<html><script>alert(1)</script>".utf8))
            #expect(disguised.status == .seeOther)
            #expect(try await browser.get("/profile").html.contains("pas une image JPEG, PNG ou WebP"))
            #expect(try await ProfilePhoto.query(on: ctx.db).count() == 0)

            let tooBig = try await browser.upload("/profile/photo", field: "photo", filename: "big.jpg", contentType: "image/jpeg",
                                                  bytes: jpegBytes + Array(repeating: 0, count: ImageKind.maximumBytes))
            #expect(tooBig.status == .seeOther || tooBig.status == .payloadTooLarge)
            #expect(try await ProfilePhoto.query(on: ctx.db).count() == 0)

            let forged = try await browser.upload("/profile/photo", field: "photo", filename: "a.webp", contentType: "image/webp", bytes: webpBytes, csrf: false)
            #expect(forged.status == .forbidden)

            let saved = try await browser.upload("/profile/photo", field: "photo", filename: "innocent.txt", contentType: "text/plain", bytes: RealImages.webp)
            #expect(saved.status == .seeOther)
            let photo = try await browser.get("/members/\(try user.requireID())/photo")
            #expect(photo.status == .ok)
            #expect(photo.headers.first(name: .contentType) == "image/webp", "the type comes from the bytes")
            #expect(photo.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(Array(photo.body.readableBytesView) == ImageSanitizer.clean(RealImages.webp)?.bytes)
            #expect(!contains(Array(photo.body.readableBytesView), "SecretCamMaker"), "served without its metadata")

            #expect(try await ctx.browser().get("/members/\(try user.requireID())/photo").status == .notFound, "members-only profile")
        }
    }

    @Test("The whole structure is checked: an image header followed by HTML is refused, as is a damaged chunk")
    func structureChecked() {
        let html = Array("<html><body><script>alert(document.cookie)</script></body></html>".utf8)
        #expect(ImageSanitizer.clean(jpegBytes + html) == nil)
        #expect(ImageSanitizer.clean(Array(RealImages.jpeg.prefix(20)) + html) == nil)
        #expect(ImageSanitizer.clean(pngBytes + html) == nil)
        #expect(ImageSanitizer.clean(webpBytes + html) == nil)
        var badCRC = RealImages.png
        badCRC[30] ^= 0xFF
        #expect(ImageSanitizer.clean(badCRC) == nil)
        var truncated = RealImages.webp
        truncated.removeLast(20)
        #expect(ImageSanitizer.clean(truncated) == nil)
        for image in [RealImages.jpeg, RealImages.png, RealImages.webp] { #expect(ImageSanitizer.clean(image) != nil) }
    }

    @Test("Metadata is stripped (EXIF, GPS, comments, text) while the picture and its colour information stay")
    func metadataStripped() throws {
        for (image, kind) in [(RealImages.jpeg, ImageKind.jpeg), (RealImages.png, .png), (RealImages.webp, .webp)] {
            #expect(contains(image, "SecretCamMaker"), "the fixture carries a camera make")
            let cleaned = try #require(ImageSanitizer.clean(image))
            #expect(cleaned.kind == kind)
            for secret in ["SecretCamMaker", "Exif", "COMMENT-SECRET", "PNG-SECRET-AUTHOR"] { #expect(!contains(cleaned.bytes, secret)) }
            #expect(ImageSanitizer.clean(cleaned.bytes)?.bytes == cleaned.bytes, "cleaning is stable")
        }
        let jpeg = try #require(ImageSanitizer.clean(RealImages.jpeg)).bytes
        #expect(jpeg.prefix(2) == [0xFF, 0xD8] && jpeg.suffix(2) == [0xFF, 0xD9])
        #expect(pngChunks(try #require(ImageSanitizer.clean(RealImages.png)).bytes) == ["IHDR", "IDAT", "IEND"])
        #expect(pngChunks(RealImages.png).contains("tEXt"))
        // Bytes after the image's end are not kept.
        #expect(ImageSanitizer.clean(RealImages.jpeg + Array("<html>".utf8))?.bytes == jpeg)
    }

    @Test("Only members with a profile may upload")
    func uploadForbidden() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx, email: "app@example.org", role: .applicant)
            let browser = ctx.browser()
            try await signIn(browser, email: "app@example.org")
            #expect(try await browser.upload("/profile/photo", field: "photo", filename: "a.png", contentType: "image/png", bytes: RealImages.png).status == .forbidden)
            #expect(try await ctx.browser().upload("/profile/photo", field: "photo", filename: "a.png", contentType: "image/png", bytes: pngBytes).status == .seeOther)
        }
    }
}
