import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Throttling")
struct ThrottleTests {
    @Test("Five wrong passwords from one address stop that address for the account; the owner elsewhere still signs in")
    func perAccountAndAddress() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            for attempt in 1...5 {
                #expect(try await signIn(ctx.browser(ip: "192.0.2.66"), password: "wrong password \(attempt)").status == 401)
            }
            // The guesser is stopped, even with the right password…
            #expect(try await signIn(ctx.browser(ip: "192.0.2.66")).status == 429)
            // …but the owner, from their own connection, is not locked out.
            #expect(try await signIn(ctx.browser(ip: "198.51.100.7")).status == 303)

            ctx.time.advance(by: 15 * 60 + 1)
            #expect(try await signIn(ctx.browser(ip: "192.0.2.66")).status == 303)
        }
    }

    @Test("The account's own limit is higher and slower: twenty failures from anywhere lock it for the hour")
    func perAccount() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            for attempt in 1...20 {
                #expect(try await signIn(ctx.browser(ip: "192.0.2.\(attempt)"), password: "wrong password \(attempt)").status == 401)
            }
            #expect(try await signIn(ctx.browser(ip: "198.51.100.7")).status == 429)
            ctx.time.advance(by: 3600 + 1)
            #expect(try await signIn(ctx.browser(ip: "198.51.100.7")).status == 303)
        }
    }

    @Test("Successful sign-ins do not count: forty members behind one connection at a meetup all get in")
    func successesDoNotCount() async throws {
        try await withMaillon { ctx in
            for index in 1...40 {
                try await makeUser(ctx, email: "membre\(index)@example.org", name: "Membre \(index)")
            }
            for index in 1...40 {
                #expect(try await signIn(ctx.browser(ip: "203.0.113.200"), email: "membre\(index)@example.org").status == 303)
            }
            // Signing in again and again with the right password never locks the owner either.
            for _ in 1...8 { #expect(try await signIn(ctx.browser(ip: "203.0.113.201"), email: "membre1@example.org").status == 303) }
        }
    }

    @Test("An address without an account is throttled the same way: no enumeration")
    func unknownAccountThrottledAlike() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            var known: [UInt] = []
            var unknown: [UInt] = []
            for _ in 1...6 {
                known.append(try await signIn(ctx.browser(ip: "192.0.2.1"), password: "nope nope nope").status)
                unknown.append(try await signIn(ctx.browser(ip: "192.0.2.2"), email: "ghost@example.org", password: "nope nope nope").status)
            }
            #expect(known == unknown)
            #expect(known.last == 429)
        }
    }

    @Test("One address trying many accounts is throttled per IP")
    func perIP() async throws {
        var policy = ThrottlePolicy.standard
        policy.signInPerIP = .init(attempts: 3, window: 600)
        try await withMaillon(.init(throttling: policy)) { ctx in
            try await makeUser(ctx)
            for index in 1...3 {
                #expect(try await signIn(ctx.browser(ip: "192.0.2.1"), email: "user\(index)@example.org").status == 401)
            }
            #expect(try await signIn(ctx.browser(ip: "192.0.2.1")).status == 429)
            #expect(try await signIn(ctx.browser(ip: "192.0.2.2")).status == 303)
        }
    }

    @Test("Failures spread over two instances sharing the database add up")
    func acrossInstances() async throws {
        try await withTwoInstances { first, second in
            _ = try await makeUser(first)
            for attempt in 1...5 {
                let instance = attempt.isMultiple(of: 2) ? second : first
                #expect(try await signIn(instance.browser(ip: "192.0.2.1"), password: "wrong \(attempt) wrong").status == 401)
            }
            #expect(try await signIn(second.browser(ip: "192.0.2.1")).status == 429)
            #expect(try await signIn(first.browser(ip: "192.0.2.1")).status == 429)
        }
    }

    @Test("Parallel attempts cannot slip past the limit")
    func parallelAttempts() async throws {
        try await withMaillon { ctx in
            let throttle = Throttle(database: ctx.db, now: ctx.time.now())
            let limit = ThrottlePolicy.Limit(attempts: 5, window: 60)
            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 { group.addTask { try await throttle.attempt("test:key", limit) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(allowed == 5)
        }
    }

    @Test("Sign-up and reset requests are throttled per IP")
    func signUpAndReset() async throws {
        var policy = ThrottlePolicy.standard
        policy.signUpPerIP = .init(attempts: 2, window: 3600)
        policy.resetPerIP = .init(attempts: 2, window: 3600)
        try await withMaillon(.init(throttling: policy)) { ctx in
            let browser = ctx.browser()
            try await browser.get("/sign-up")
            for index in 1...2 {
                let ok = try await browser.post("/sign-up", ["name": "N", "email": "n\(index)@example.org", "password": goodPassword])
                #expect(ok.status == .seeOther)
            }
            let refused = try await browser.post("/sign-up", ["name": "N", "email": "n3@example.org", "password": goodPassword])
            #expect(refused.status == .tooManyRequests)
            #expect(refused.html.contains("Trop de tentatives"))
            #expect(refused.html.contains("n3@example.org"), "the input is kept")

            for index in 1...2 { #expect(try await browser.post("/password/forgot", ["email": "x\(index)@example.org"]).status == .ok) }
            #expect(try await browser.post("/password/forgot", ["email": "x3@example.org"]).status == .tooManyRequests)
        }
    }
}
