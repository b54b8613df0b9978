import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Authorisation")
struct AuthorizationTests {
    @Test("The rule book denies by default and scopes ambassadors to their chapters")
    func policy() {
        let me = UUID(), other = UUID(), lyon = UUID(), paris = UUID()
        let member = Principal(userID: me, role: .member)
        let ambassador = Principal(userID: me, role: .member, ambassadorOf: [lyon])
        let admin = Principal(userID: other, role: .admin)
        let applicant = Principal(userID: me, role: .applicant)

        #expect(!AccessPolicy.allows(nil, .manageAccount(owner: me)))
        #expect(AccessPolicy.allows(member, .manageAccount(owner: me)))
        #expect(!AccessPolicy.allows(member, .manageAccount(owner: other)))
        #expect(!AccessPolicy.allows(admin, .manageAccount(owner: me)), "not even an admin changes someone's account here")
        #expect(!AccessPolicy.allows(member, .listUsers))
        #expect(AccessPolicy.allows(admin, .listUsers))
        #expect(AccessPolicy.allows(ambassador, .runChapter(lyon)))
        #expect(!AccessPolicy.allows(ambassador, .runChapter(paris)))
        #expect(!AccessPolicy.allows(member, .runChapter(lyon)))
        #expect(!AccessPolicy.allows(Principal(userID: me, role: .applicant, ambassadorOf: [lyon]), .runChapter(lyon)))
        #expect(!AccessPolicy.allows(applicant, .enableTwoStep))
        #expect(AccessPolicy.allows(admin, .enableTwoStep))
        // A guest (someone from outside invited to a training) runs the sessions they train, nothing of the community.
        let guest = Principal(userID: me, role: .guest)
        #expect(AccessPolicy.allows(guest, .runTrainingSession(trainers: [me])))
        #expect(!AccessPolicy.allows(guest, .runTrainingSession(trainers: [other])))
        for permission: Permission in [.createEvents, .reviewApplications, .runChapter(lyon), .postMissions, .manageTrainings, .readAdaptations, .viewAdminArea] {
            #expect(!AccessPolicy.allows(guest, permission), "\(permission)")
        }
        // Adaptations: admins and the disability referent's account, which an applicant's or organisation's cannot be.
        #expect(AccessPolicy.allows(Principal(userID: me, role: .member, isDisabilityReferent: true), .readAdaptations))
        #expect(AccessPolicy.allows(Principal(userID: me, role: .guest, isDisabilityReferent: true), .readAdaptations))
        #expect(!AccessPolicy.allows(Principal(userID: me, role: .applicant, isDisabilityReferent: true), .readAdaptations))
        #expect(!AccessPolicy.allows(member, .readAdaptations) && !AccessPolicy.allows(member, .runTrainingSession(trainers: [other])))
    }

    @Test("Anonymous visitors are sent to sign in from every private page")
    func anonymousRedirected() async throws {
        try await withMaillon { ctx in
            for path in ["/account", "/account/two-step", "/admin/users"] {
                let response = try await ctx.browser().get(path)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.location?.hasPrefix("/sign-in") == true)
            }
            let browser = ctx.browser()
            try await browser.get("/")
            for path in ["/account/profile", "/account/password", "/account/sessions/sign-out-others", "/account/two-step/enable"] {
                #expect(try await browser.post(path, ["name": "x"]).status == .seeOther, "\(path)")
            }
        }
    }

    @Test("A member cannot reach admin pages nor turn on two-step sign-in")
    func memberForbidden() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let browser = ctx.browser()
            try await signIn(browser)
            #expect(try await browser.get("/admin/users").status == .forbidden)
            #expect(try await browser.get("/account/two-step").status == .forbidden)
            #expect(try await browser.post("/account/two-step/enable", ["code": "123456"]).status == .forbidden)
            #expect(!(try await browser.get("/account").html.contains("/account/two-step")))
        }
    }

    @Test("Admins see the accounts, newest first, paginated")
    func adminListsUsers() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx, role: .admin)
            let browser = ctx.browser()
            try await signIn(browser)
            let page = try await browser.get("/admin/users")
            #expect(page.status == .ok)
            #expect(page.html.contains("camille@example.org"))
            let (users, total) = try await AdminUsersController.query(ctx.db, page: 1)
            #expect(total == 1 && users.count == 1)
        }
    }
}
