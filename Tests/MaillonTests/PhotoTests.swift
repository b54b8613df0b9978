import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

let pngBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 100)
let jpegBytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 1, count: 100)
let webpBytes: [UInt8] = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBP".utf8) + Array(repeating: 2, count: 100)

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

            let saved = try await browser.upload("/profile/photo", field: "photo", filename: "innocent.txt", contentType: "text/plain", bytes: webpBytes)
            #expect(saved.status == .seeOther)
            let photo = try await browser.get("/members/\(try user.requireID())/photo")
            #expect(photo.status == .ok)
            #expect(photo.headers.first(name: .contentType) == "image/webp", "the type comes from the bytes")
            #expect(photo.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(Array(photo.body.readableBytesView) == webpBytes)

            #expect(try await ctx.browser().get("/members/\(try user.requireID())/photo").status == .notFound, "members-only profile")
        }
    }

    @Test("Only members with a profile may upload")
    func uploadForbidden() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx, email: "app@example.org", role: .applicant)
            let browser = ctx.browser()
            try await signIn(browser, email: "app@example.org")
            #expect(try await browser.upload("/profile/photo", field: "photo", filename: "a.png", contentType: "image/png", bytes: pngBytes).status == .forbidden)
            #expect(try await ctx.browser().upload("/profile/photo", field: "photo", filename: "a.png", contentType: "image/png", bytes: pngBytes).status == .seeOther)
        }
    }
}
