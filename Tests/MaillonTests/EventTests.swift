import Fluent
import Foundation
@testable import Maillon
import NIOConcurrencyHelpers
import Testing
import Vapor
import VaporTesting

/// An event of `chapter` starting in `days` days at 12:30 Paris time, for two hours.
@discardableResult
func makeEvent(_ ctx: TestContext, chapter: Chapter?, title: String = "Repas mensuel de Lyon", capacity: Int = 40, inDays days: Double = 10,
               visibility: Event.Visibility = .members, kind: Event.Kind = .monthlyMeal) async throws -> Event {
    let event = Event()
    event.$chapter.id = chapter?.id
    event.kind = kind
    event.title = title
    event.description = "Un repas pour se rencontrer.\nChacun·e paie sa part."
    event.startsAt = ctx.time.now().addingTimeInterval(days * 86400)
    event.endsAt = event.startsAt.addingTimeInterval(2 * 3600)
    event.registrationDeadline = event.startsAt
    event.venueName = "Café des Canuts"
    event.venueAddress = "12 rue d'Austerlitz, 69004 Lyon"
    event.capacity = capacity
    event.confirmedCount = 0
    event.waitlistSequence = 0
    event.costNote = "Chacun·e paie son repas"
    event.visibility = visibility
    event.status = .scheduled
    event.revision = 0
    event.createdAt = ctx.time.now()
    event.updatedAt = ctx.time.now()
    try await event.create(on: ctx.db)
    return event
}

/// `count` members created in one go (no password work), for crowd tests.
func makeCrowd(_ ctx: TestContext, _ count: Int) async throws -> [User] {
    let users = (0..<count).map { User(email: "crowd\($0)@example.org", passwordHash: "x", name: "Membre \($0)", role: .member) }
    try await users.create(on: ctx.db)
    return users
}

@Suite("Meetups")
struct EventTests {
    @Test("200 registrations at once for 40 seats: exactly 40 confirmed, 160 waitlisted in order, no error, no duplicate; a cancellation promotes the next")
    func parallelRegistrations() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, capacity: 40)
            let eventID = try event.requireID()
            let crowd = try await makeCrowd(ctx, 200)
            let failures = NIOLockedValueBox([String]())
            try await withThrowingTaskGroup(of: Void.self) { group in
                for user in crowd {
                    group.addTask {
                        do {
                            _ = try await ctx.db.transaction { db in
                                try await Seats(database: db, now: ctx.time.now()).register(eventID, userID: user.requireID(), note: "")
                            }
                        } catch { failures.withLockedValue { $0.append(String(reflecting: error)) } }
                    }
                }
                try await group.waitForAll()
            }
            #expect(failures.withLockedValue { $0 }.isEmpty, "\(failures.withLockedValue { $0 }.prefix(2))")
            let registrations = try await Registration.query(on: ctx.db).filter(\.$event.$id == eventID).all()
            #expect(registrations.count == 200)
            #expect(Set(registrations.map { $0.$user.id }).count == 200, "one registration per person")
            #expect(registrations.filter { $0.status == .confirmed }.count == 40)
            let waiting = registrations.filter { $0.status == .waitlisted }.sorted { ($0.waitlistNumber ?? 0) < ($1.waitlistNumber ?? 0) }
            #expect(waiting.count == 160)
            #expect(waiting.compactMap(\.waitlistNumber) == Array(1...160), "first come, first served, no gaps")
            let stored = try #require(try await Event.find(eventID, on: ctx.db))
            #expect(stored.confirmedCount == 40)

            // A confirmed person cancels: exactly the first in line gets the seat.
            let leaving = try #require(registrations.first { $0.status == .confirmed })
            let promoted = try await ctx.db.transaction { db in
                try await Seats(database: db, now: ctx.time.now()).cancel(eventID, userID: leaving.$user.id)
            }
            #expect(promoted.map { $0.$user.id } == [waiting[0].$user.id])
            #expect(try await Registration.query(on: ctx.db).filter(\.$event.$id == eventID).filter(\.$status == .confirmed).count() == 40)
            #expect(try await Event.find(eventID, on: ctx.db)?.confirmedCount == 40)
        }
    }

    @Test("Through the web: 200 signed-in members press Register at once for 40 seats; every one gets an answer, 40 seats, 160 waiting")
    func parallelRegistrationsOverHTTP() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, capacity: 40, visibility: .public)
            let eventID = try event.requireID()
            let hash = try await ctx.app.password.async(on: ctx.app.threadPool, hopTo: ctx.app.eventLoopGroup.next()).hash(goodPassword)
            let users = (0..<200).map { User(email: "web\($0)@example.org", passwordHash: hash, name: "Membre \($0)", role: .member) }
            for user in users { user.emailVerifiedAt = ctx.time.now() }
            try await users.create(on: ctx.db)
            // Each from its own address, as 200 people would be (the sign-in throttle counts per address).
            let browsers = try await withThrowingTaskGroup(of: TestBrowser.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let browser = ctx.browser(ip: "198.51.\(index / 200).\(index % 200 + 1)", runsJobs: false)
                        try await signIn(browser, email: "web\(index)@example.org")
                        try await browser.get("/events/\(eventID)")
                        return browser
                    }
                }
                return try await group.reduce(into: [TestBrowser]()) { $0.append($1) }
            }
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for browser in browsers {
                    group.addTask { try await browser.post("/events/\(eventID)/register", ["note": ""]).status.code }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 303 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            let registrations = try await Registration.query(on: ctx.db).filter(\.$event.$id == eventID).all()
            #expect(Set(registrations.map { $0.$user.id }).count == 200)
            #expect(registrations.filter { $0.status == .confirmed }.count == 40)
            #expect(registrations.filter { $0.status == .waitlisted }.count == 160)
            #expect(try await Event.find(eventID, on: ctx.db)?.confirmedCount == 40)
        }
    }

    @Test("The same person registering twice at once gets one registration, and one seat when registering again after cancelling")
    func duplicateRegistration() async throws {
        try await withMaillon { ctx in
            let event = try await makeEvent(ctx, chapter: try await makeChapter(ctx, "Lyon"), capacity: 5)
            let user = try #require(try await makeCrowd(ctx, 1).first)
            // Ten registrations of this person at once: whether each took the place.
            func tenAtOnce() async throws -> [Bool] {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<10 {
                        group.addTask {
                            do {
                                _ = try await ctx.db.transaction { db in
                                    try await Seats(database: db, now: ctx.time.now()).register(event.requireID(), userID: user.requireID(), note: "")
                                }
                                return true
                            } catch Seats.Refusal.alreadyRegistered { return false }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
            }
            #expect(try await tenAtOnce().filter { $0 }.count == 1)
            #expect(try await Registration.query(on: ctx.db).count() == 1)
            #expect(try await Event.find(event.id, on: ctx.db)?.confirmedCount == 1)

            // Cancelled, then registering again twice at once: the cancelled row is taken back once.
            try await ctx.db.transaction { db in _ = try await Seats(database: db, now: ctx.time.now()).cancel(event.requireID(), userID: user.requireID()) }
            let again = try await tenAtOnce()
            #expect(again.filter { $0 }.count == 1)
            #expect(try await Registration.query(on: ctx.db).all().map(\.status) == [.confirmed])
            #expect(try await Event.find(event.id, on: ctx.db)?.confirmedCount == 1)
        }
    }

    @Test("A registration's transaction only queues its news: the mail and calendar file are composed by a job once the seat is committed")
    func registrationNewsAfterTheSeat() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, capacity: 1)
            let id = try event.requireID()
            try await makeMember(ctx, "Léa Dupont", email: "lea@example.org", chapter: lyon, headline: "Développeuse")
            try await makeMember(ctx, "Hugo Martin", email: "hugo@example.org", chapter: lyon, headline: "Graphiste")
            let lea = ctx.browser(runsJobs: false), hugo = ctx.browser(ip: "203.0.113.11", runsJobs: false)
            try await signIn(lea, email: "lea@example.org")
            try await signIn(hugo, email: "hugo@example.org")
            #expect(try await lea.post("/events/\(id)/register").status == .seeOther)
            #expect(try await hugo.post("/events/\(id)/register").status == .seeOther)
            #expect(try await JobRecord.query(on: ctx.db).filter(\.$kind == RegistrationNewsJob.kind).count() == 2)
            #expect(try await AppNotification.query(on: ctx.db).filter(\.$kind == "event_registration").count() == 0, "nothing composed in the seat's transaction")
            #expect(ctx.mailer.messages(to: "lea@example.org").isEmpty)
            await ctx.runJobs()
            #expect(try await AppNotification.query(on: ctx.db).filter(\.$kind == "event_registration").count() == 2)
            #expect(ctx.mailer.messages(to: "lea@example.org").last?.attachments.isEmpty == false, "the seat's mail carries its calendar file")
            #expect(ctx.mailer.messages(to: "hugo@example.org").last?.text.contains("liste d") == true, "the waiting list's mail")
        }
    }

    @Test("Journey: register with a note, the full event waitlists, cancelling promotes who is told by mail with the calendar file")
    func registrationJourney() async throws {
        try await withMaillon { ctx in
            let charter = try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, capacity: 1)
            let id = try event.requireID()
            let first = try await makeMember(ctx, "Léa Dupont", email: "lea@example.org", chapter: lyon, headline: "Développeuse")
            let second = try await makeMember(ctx, "Hugo Martin", email: "hugo@example.org", chapter: lyon, headline: "Graphiste")
            for user in [first, second] { try await CharterController.recordAcceptance(user, charter, on: ctx.db, now: ctx.time.now()) }
            let lea = ctx.browser(), hugo = ctx.browser(ip: "203.0.113.11")
            try await signIn(lea, email: "lea@example.org")
            try await signIn(hugo, email: "hugo@example.org")

            let page = try await lea.get("/events/\(id)")
            #expect(page.status == .ok)
            #expect(page.html.contains("1 place restante sur 1"))
            #expect(try await lea.post("/events/\(id)/register", ["note": "Végétarienne"]).status == .seeOther)
            let confirmation = try #require(ctx.mailer.messages(to: "lea@example.org").last)
            #expect(confirmation.subject.contains("inscription confirmée"))
            #expect(confirmation.unsubscribeURL == nil, "essential: no unsubscribe link")
            let invitation = try #require(confirmation.attachments.first)
            #expect(invitation.contentType.hasPrefix("text/calendar"))
            #expect(invitation.content.contains("SUMMARY:Repas mensuel de Lyon"))
            #expect(MailFormat.render(confirmation, from: "Maillon <no-reply@maillon.example>").contains("Content-Type: multipart/mixed"))

            let again = try await lea.post("/events/\(id)/register", ["note": ""])
            #expect(again.status == .conflict)
            #expect(again.html.contains("Vous êtes déjà inscrit·e à cet événement."))

            #expect(try await hugo.post("/events/\(id)/register").status == .seeOther)
            let waiting = try await hugo.get("/events/\(id)")
            #expect(waiting.html.contains("Vous êtes en position 1 sur la liste d&#39;attente.") || waiting.html.contains("Vous êtes en position 1 sur la liste d'attente."))
            #expect(waiting.html.contains("0 place restante sur 1"))

            #expect(try await lea.post("/events/\(id)/unregister").status == .seeOther)
            let hugoMail = try #require(ctx.mailer.messages(to: "hugo@example.org").last)
            #expect(hugoMail.subject.contains("une place s'est libérée"))
            #expect(hugoMail.attachments.count == 1)
            #expect(try await hugo.get("/events/\(id)").html.contains("Vous êtes inscrit·e."))
            #expect(try await Registration.query(on: ctx.db).filter(\.$status == .confirmed).count() == 1)
        }
    }

    @Test("Refusals: after the deadline, once started, a cancelled event, members only; each with its message and nothing written")
    func refusals() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let (member, browser) = try await signedInBrowser(ctx)
            let charter = try await publishCharter(ctx)
            try await CharterController.recordAcceptance(member, charter, on: ctx.db, now: ctx.time.now())
            let event = try await makeEvent(ctx, chapter: lyon, inDays: 2)
            event.registrationDeadline = ctx.time.now().addingTimeInterval(-60)
            try await event.save(on: ctx.db)
            let late = try await browser.post("/events/\(event.id!)/register")
            #expect(late.status == .conflict)
            #expect(late.html.contains("Les inscriptions sont closes : la date limite est passée."))

            let cancelled = try await makeEvent(ctx, chapter: lyon, title: "Afterwork annulé")
            cancelled.status = .cancelled
            try await cancelled.save(on: ctx.db)
            let refused = try await browser.post("/events/\(cancelled.id!)/register")
            #expect(refused.status == .conflict)
            #expect(refused.html.contains("Cet événement est annulé."))

            let started = try await makeEvent(ctx, chapter: lyon, title: "Déjà commencé", inDays: -0.01)
            let tooLate = try await browser.post("/events/\(started.id!)/register")
            #expect(tooLate.status == .conflict)
            #expect(tooLate.html.contains("commencé"))

            // Cancelling works after the deadline, full or not, until the start; then it is refused.
            let soon = try await makeEvent(ctx, chapter: lyon, title: "Bientôt", capacity: 1, inDays: 0.5)
            try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).register(soon.requireID(), userID: member.requireID(), note: "") }
            soon.registrationDeadline = ctx.time.now().addingTimeInterval(-60)
            try await soon.save(on: ctx.db)
            #expect(try await browser.post("/events/\(soon.id!)/unregister").status == .seeOther)
            #expect(try await Registration.query(on: ctx.db).filter(\.$event.$id == soon.requireID()).first()?.status == .cancelled)
            let seat = Registration()
            seat.$event.id = try started.requireID()
            seat.$user.id = try member.requireID()
            seat.status = .confirmed
            seat.note = ""
            seat.createdAt = ctx.time.now()
            seat.updatedAt = ctx.time.now()
            try await seat.create(on: ctx.db)
            let refusedCancel = try await browser.post("/events/\(started.id!)/unregister")
            #expect(refusedCancel.status == .conflict)
            #expect(try await Registration.find(seat.id, on: ctx.db)?.status == .confirmed)
            await #expect(throws: Seats.Refusal.started) {
                try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).cancel(started.requireID(), userID: member.requireID()) }
            }
            #expect(try await Registration.query(on: ctx.db).filter(\.$event.$id ~~ [event.requireID(), cancelled.requireID()]).count() == 0, "refusals write nothing")

            let tooLong = try await browser.post("/events/\(try await makeEvent(ctx, chapter: lyon, title: "Note").requireID())/register", ["note": String(repeating: "x", count: 501)])
            #expect(tooLong.status == .unprocessableEntity)
            #expect(tooLong.html.contains("xxxxx"), "the note is kept")

            // An applicant may read a public event but not register.
            let (_, applicant) = try await makeApplicant(ctx, to: lyon, email: "nina@example.org", name: "Nina")
            let open = try await makeEvent(ctx, chapter: lyon, title: "Portes ouvertes", visibility: .public)
            #expect(try await applicant.get("/events/\(open.id!)").status == .ok)
            #expect(try await applicant.post("/events/\(open.id!)/register").status == .forbidden)
            #expect(try await Registration.query(on: ctx.db).filter(\.$event.$id == open.requireID()).count() == 0)
        }
    }

    @Test("Visitors see public events only; members-only events ask them to sign in")
    func visibility() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let open = try await makeEvent(ctx, chapter: lyon, title: "Afterwork ouvert", visibility: .public)
            let closed = try await makeEvent(ctx, chapter: lyon, title: "Déjeuner entre membres", visibility: .members)
            let visitor = ctx.browser()
            let list = try await visitor.get("/events")
            #expect(list.html.contains("Afterwork ouvert"))
            #expect(!list.html.contains("Déjeuner entre membres"))
            #expect(try await visitor.get("/events/\(open.id!)").status == .ok)
            #expect(try await visitor.get("/events/\(closed.id!)").status == .seeOther, "sign in first")
            #expect(try await visitor.get("/events/\(closed.id!)/calendar.ics").status == .seeOther)
            #expect(try await visitor.get("/chapters/lyon").html.contains("Afterwork ouvert"))
            #expect(!(try await visitor.get("/chapters/lyon").html.contains("Déjeuner entre membres")))
            let feed = try await visitor.get("/chapters/lyon/calendar.ics")
            #expect(feed.headers.first(name: .contentType)?.hasPrefix("text/calendar") == true)
            #expect(feed.html.contains("Afterwork ouvert"))
            #expect(!feed.html.contains("Déjeuner entre membres"))
        }
    }

    @Test("A visitor's event page and home page are drawn once per instance for a few seconds: each visitor gets their own working token, each language its own page, members always the live page")
    func visitorPages() async throws {
        var options = TestOptions()
        options.visitorPageSeconds = 2
        try await withMaillon(options) { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, title: "Afterwork ouvert", capacity: 3, visibility: .public)
            let path = "/events/\(event.id!)"
            let first = ctx.browser()
            let drawn = try await first.get(path).html
            #expect(drawn.contains("3 places restantes sur 3"))

            // Another visitor: the kept copy, no query at all, with their own token, which their form may use.
            // The home page (coming events, impact figures) is kept the same way.
            let second = ctx.browser(ip: "203.0.113.11")
            let home = try await first.get("/").html
            ctx.app.logger.logLevel = .trace
            let answer = try await second.get(path)
            let secondHome = try await second.get("/")
            ctx.app.logger.logLevel = .info
            for response in [answer, secondHome] {
                let id = try #require(response.headers.first(name: .xRequestId))
                #expect(TestLogs.statements(of: id).isEmpty, "\(TestLogs.statements(of: id))")
            }
            #expect(home.contains("Afterwork ouvert"))
            let (firstToken, secondToken) = (try #require(first.csrfToken), try #require(second.csrfToken))
            #expect(firstToken != secondToken)
            #expect(answer.html == drawn.replacingOccurrences(of: firstToken, with: secondToken))
            #expect(secondHome.html == home.replacingOccurrences(of: firstToken, with: secondToken))
            #expect(answer.headers.first(name: .contentType)?.hasPrefix("text/html") == true)
            #expect(answer.headers.first(name: .cacheControl) == "no-store", "a visitor's token is never stored by a shared cache")
            #expect(try await second.post("/language", ["locale": "en", "back": path]).status == .seeOther)
            #expect(try await ctx.browser(ip: "203.0.113.12", language: "en").get(path).html.contains("3 places left of 3"))

            // A member's registration: the member reads the live page; visitors the copy, until it is two seconds old.
            let fanny = try await member(ctx, "Fanny Première", "fanny@example.org", lyon)
            #expect(try await fanny.post("\(path)/register").status == .seeOther)
            let live = try await fanny.get(path).html
            #expect(live.contains("2 places restantes sur 3") && !live.contains(SiteURL.signIn + "?next"))
            #expect(try await ctx.browser(ip: "203.0.113.13").get(path).html.contains("3 places restantes sur 3"))
            ctx.time.advance(by: 2)
            #expect(try await ctx.browser(ip: "203.0.113.14").get(path).html.contains("2 places restantes sur 3"))

            // Only pages answered 200 are kept: a members-only event still asks each visitor to sign in.
            let closed = try await makeEvent(ctx, chapter: lyon, title: "Déjeuner entre membres", visibility: .members)
            for ip in ["203.0.113.15", "203.0.113.16"] {
                #expect(try await ctx.browser(ip: ip).get("/events/\(closed.id!)").status == .seeOther)
            }
        }
    }

    @Test("A training's seats are not taken through the meetup pages, nor a missing event's; nothing is written")
    func registerOnlyForMeetups() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let training = try await makeEvent(ctx, chapter: lyon, title: "Session de formation", visibility: .public, kind: .training)
            let member = try await member(ctx, "Marie Membre", "marie@example.org", lyon)
            #expect(try await member.post("/events/\(training.id!)/register").status == .notFound)
            #expect(try await member.post("/events/\(UUID())/register").status == .notFound)
            #expect(try await member.post("/events/not-an-id/register").status == .notFound)
            #expect(try await Registration.query(on: ctx.db).count() == 0)
            #expect(try await Event.find(training.id, on: ctx.db)?.confirmedCount == 0)
        }
    }

    @Test("Ambassadors run their own chapter's events only; members run none")
    func authorization() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let paris = try await makeChapter(ctx, "Paris")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let parisEvent = try await makeEvent(ctx, chapter: paris, title: "Déjeuner parisien")
            let national = try await makeEvent(ctx, chapter: nil, title: "Webinaire national", kind: .online)
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            for target in [parisEvent, national] {
                let id = try target.requireID()
                #expect(try await ambassador.get("/events/\(id)/edit").status == .forbidden)
                #expect(try await ambassador.post("/events/\(id)/edit", ["title": "Piraté"]).status == .forbidden)
                #expect(try await ambassador.post("/events/\(id)/cancel").status == .forbidden)
                #expect(try await ambassador.get("/events/\(id)/cancel").status == .forbidden)
                #expect(try await ambassador.get("/events/\(id)/attendees").status == .forbidden)
                #expect(try await ambassador.post("/events/\(id)/message", ["text": "Bonjour"]).status == .forbidden)
                #expect(try await ambassador.get("/events/new?from=\(id)").status == .forbidden)
            }
            #expect(try await Event.find(parisEvent.id, on: ctx.db)?.title == "Déjeuner parisien")
            #expect(try await Event.find(parisEvent.id, on: ctx.db)?.status == .scheduled)

            // Creating for another chapter, or a national event, is refused on the form.
            let start = FormReader.localDateTimeValue(ctx.time.now().addingTimeInterval(5 * 86400))
            let end = FormReader.localDateTimeValue(ctx.time.now().addingTimeInterval(5 * 86400 + 7200))
            for chapter in [try paris.requireID().uuidString, ""] {
                let refused = try await ambassador.post("/events/new", ["title": "Intrus", "kind": "lunch", "chapter": chapter, "description": "x",
                                                                        "starts_at": start, "ends_at": end, "venue_name": "Café", "venue_address": "Rue",
                                                                        "capacity": "10", "visibility": "members"])
                #expect(refused.status == .unprocessableEntity)
            }
            #expect(try await Event.query(on: ctx.db).filter(\.$title == "Intrus").count() == 0)

            let (_, member) = try await signedInBrowser(ctx)
            #expect(try await member.get("/events/new").status == .forbidden)
            #expect(try await member.get("/events/\(parisEvent.id!)/attendees").status == .forbidden)
            let registration = try #require(try await makeCrowd(ctx, 1).first)
            let seat = try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).register(parisEvent.requireID(), userID: registration.requireID(), note: "") }
            #expect(try await member.post("/events/\(parisEvent.id!)/attendees/\(seat.id!)", ["attendance": "attended"]).status == .forbidden)
            #expect(try await ambassador.post("/events/\(parisEvent.id!)/attendees/\(seat.id!)", ["attendance": "attended"]).status == .forbidden)
            #expect(try await Registration.find(seat.id, on: ctx.db)?.attendance == nil)
        }
    }

    @Test("An ambassador publishes, edits (registrants told of the new time), raises the capacity (the waitlist moves up), checks in and cancels")
    func organising() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            #expect(try await ambassador.get("/events/new").status == .ok)
            let start = ctx.time.now().addingTimeInterval(3 * 86400)
            var form = ["title": "Repas mensuel", "kind": "monthly_meal", "chapter": try lyon.requireID().uuidString,
                        "description": "Le grand repas du mois.", "starts_at": FormReader.localDateTimeValue(start),
                        "ends_at": FormReader.localDateTimeValue(start.addingTimeInterval(7200)), "venue_name": "Café des Canuts",
                        "venue_address": "12 rue d'Austerlitz", "map_url": "javascript:alert(1)", "capacity": "2", "cost_note": "Chacun paie son repas",
                        "visibility": "public", "repeat": "none"]
            let bad = try await ambassador.post("/events/new", form)
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.html.contains("Repas mensuel"), "input kept")
            #expect(try await Event.query(on: ctx.db).count() == 0)
            form["map_url"] = "https://www.openstreetmap.org/?mlat=45.77&mlon=4.83"
            #expect(try await ambassador.post("/events/new", form).status == .seeOther)
            let event = try #require(try await Event.query(on: ctx.db).first())
            let id = try event.requireID()
            #expect(event.capacity == 2)

            let crowd = try await makeCrowd(ctx, 4)
            for user in crowd {
                _ = try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).register(id, userID: user.requireID(), note: "Sans gluten") }
            }
            #expect(try await ambassador.get("/events/\(id)/attendees").html.contains("Sans gluten"))

            let tooSmall = try await ambassador.post("/events/\(id)/edit", form.merging(["capacity": "1"]) { $1 })
            #expect(tooSmall.status == .unprocessableEntity)
            #expect(tooSmall.html.contains("La capacité ne peut pas être inférieure"))

            let later = start.addingTimeInterval(3600)
            var edited = form
            edited["capacity"] = "3"
            edited["starts_at"] = FormReader.localDateTimeValue(later)
            edited["ends_at"] = FormReader.localDateTimeValue(later.addingTimeInterval(7200))
            #expect(try await ambassador.post("/events/\(id)/edit", edited).status == .seeOther)
            let stored = try #require(try await Event.find(id, on: ctx.db))
            #expect(stored.confirmedCount == 3)
            #expect(stored.revision == 1)
            let promoted = try #require(try await Registration.query(on: ctx.db).filter(\.$user.$id == crowd[2].requireID()).first())
            #expect(promoted.status == .confirmed, "the first in line got the new seat")
            #expect(try await Registration.query(on: ctx.db).filter(\.$user.$id == crowd[3].requireID()).first()?.status == .waitlisted)
            #expect(ctx.mailer.messages(to: "crowd0@example.org").contains { $0.subject.contains("a changé") })

            // Check-in opens on the day.
            let seat = try #require(try await Registration.query(on: ctx.db).filter(\.$user.$id == crowd[0].requireID()).first())
            #expect(try await ambassador.post("/events/\(id)/attendees/\(seat.id!)", ["attendance": "attended"]).status == .seeOther)
            #expect(try await Registration.find(seat.id, on: ctx.db)?.attendance == nil, "not yet the day")
            ctx.time.advance(by: 3 * 86400 + 2 * 3600)
            try await signIn(ambassador, email: "amb@example.org")
            #expect(try await ambassador.post("/events/\(id)/attendees/\(seat.id!)", ["attendance": "attended"]).status == .seeOther)
            #expect(try await Registration.find(seat.id, on: ctx.db)?.attendance == .attended)
            #expect(try await ambassador.get("/events/\(id)/attendees").html.contains("1 présent·e"))

            #expect(try await ambassador.get("/events/\(id)/message").status == .ok)
            #expect(try await ambassador.post("/events/\(id)/message", ["text": ""]).status == .unprocessableEntity)
            #expect(try await ambassador.post("/events/\(id)/message", ["text": "Rendez-vous à l'étage."]).status == .seeOther)
            let note = try #require(ctx.mailer.messages(to: "crowd1@example.org").last)
            #expect(note.text.contains("Rendez-vous à l'étage."))

            let confirm = try await ambassador.get("/events/\(id)/cancel")
            #expect(confirm.html.contains("4 personnes inscrites ou en attente seront prévenues"))
            #expect(try await Event.find(id, on: ctx.db)?.status == .scheduled, "asking is not cancelling")
            #expect(try await ambassador.post("/events/\(id)/cancel").status == .seeOther)
            #expect(try await Event.find(id, on: ctx.db)?.status == .cancelled)
            let cancelledMail = try #require(ctx.mailer.messages(to: "crowd3@example.org").last)
            #expect(cancelledMail.subject.contains("annulé"))
            #expect(cancelledMail.attachments.first?.content.contains("STATUS:CANCELLED") == true)
        }
    }

    @Test("Duplicating starts a copy a week later; a monthly series creates its dates three months ahead")
    func duplicateAndSeries() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            let original = try await makeEvent(ctx, chapter: lyon, title: "Petit-déjeuner du mardi")
            let copy = try await ambassador.get("/events/new?from=\(original.id!)")
            #expect(copy.status == .ok)
            #expect(copy.html.contains("Petit-déjeuner du mardi"))
            #expect(copy.html.contains(FormReader.localDateTimeValue(original.startsAt.addingTimeInterval(7 * 86400))))

            let start = ctx.time.now().addingTimeInterval(2 * 86400)
            #expect(try await ambassador.post("/events/new", [
                "title": "Repas mensuel", "kind": "monthly_meal", "chapter": try lyon.requireID().uuidString, "description": "Chaque mois.",
                "starts_at": FormReader.localDateTimeValue(start), "ends_at": FormReader.localDateTimeValue(start.addingTimeInterval(7200)),
                "venue_name": "Café", "venue_address": "Rue", "capacity": "40", "visibility": "members", "repeat": "monthly",
            ]).status == .seeOther)
            let series = try await Event.query(on: ctx.db).filter(\.$title == "Repas mensuel").sort(\.$startsAt).all()
            #expect(series.count >= 3 && series.count <= 4, "about three months ahead")
            #expect(Set(series.compactMap { $0.$series.id }).count == 1)
            let calendar = Recurrence.calendar
            for (previous, event) in zip(series, series.dropFirst()) {
                #expect(calendar.component(.weekday, from: event.startsAt) == calendar.component(.weekday, from: start))
                #expect((calendar.component(.month, from: event.startsAt) - calendar.component(.month, from: previous.startsAt) + 12) % 12 == 1, "one a month")
                #expect(calendar.component(.hour, from: event.startsAt) == calendar.component(.hour, from: start), "same local time across DST")
            }
            #expect(try await ambassador.get("/events/\(series[1].id!)").html.contains("Série"))

            // The daily job moves the horizon on, once.
            ctx.time.advance(by: 40 * 86400)
            try await ExtendSeriesJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            let extended = try await Event.query(on: ctx.db).filter(\.$title == "Repas mensuel").count()
            #expect(extended > series.count)
            try await ExtendSeriesJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            #expect(try await Event.query(on: ctx.db).filter(\.$title == "Repas mensuel").count() == extended)
        }
    }

    @Test("Recurrence rules: every Tuesday, the first Thursday, the last Friday of each month")
    func recurrence() throws {
        let calendar = Recurrence.calendar
        let first = try #require(calendar.date(from: DateComponents(year: 2027, month: 1, day: 7, hour: 12, minute: 30)))  // a Thursday
        #expect(Recurrence.monthly(like: first) == .monthly(week: 1, weekday: 5))
        let until = try #require(calendar.date(from: DateComponents(year: 2027, month: 5, day: 1)))
        let dates = Recurrence.monthly(week: 1, weekday: 5).occurrences(after: first, until: until)
        #expect(dates.map { calendar.component(.day, from: $0) } == [4, 4, 1])
        #expect(dates.allSatisfy { calendar.component(.hour, from: $0) == 12 && calendar.component(.minute, from: $0) == 30 })
        let lastFriday = try #require(calendar.date(from: DateComponents(year: 2027, month: 1, day: 29, hour: 19)))
        #expect(Recurrence.monthly(like: lastFriday) == .monthly(week: -1, weekday: 6))
        #expect(Recurrence.monthly(week: -1, weekday: 6).occurrences(after: lastFriday, until: until).map { calendar.component(.day, from: $0) } == [26, 26, 30])
        let tuesday = try #require(calendar.date(from: DateComponents(year: 2027, month: 3, day: 23, hour: 9)))
        let weekly = Recurrence.weekly(like: tuesday).occurrences(after: tuesday, until: until)
        #expect(weekly.count == 5)
        #expect(weekly.allSatisfy { calendar.component(.weekday, from: $0) == 3 && calendar.component(.hour, from: $0) == 9 }, "09:00 before and after the clocks change")
    }

    @Test("iCalendar text is escaped and folded at 75 octets without splitting characters")
    func icalendarFormat() {
        #expect(ICalendar.escape("Déjeuner; café, thé\\\nÀ bientôt") == "Déjeuner\\; café\\, thé\\\\\\nÀ bientôt")
        let line = "DESCRIPTION:" + String(repeating: "é", count: 100)
        let folded = ICalendar.fold(line)
        for physical in folded.components(separatedBy: "\r\n") { #expect(physical.utf8.count <= 75) }
        #expect(folded.replacingOccurrences(of: "\r\n ", with: "") == line)
    }

    @Test("The day-before reminder goes once, to those with a seat, as each chose")
    func reminders() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, capacity: 2, inDays: 1.5)
            let crowd = try await makeCrowd(ctx, 3)
            for user in crowd {
                _ = try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).register(event.requireID(), userID: user.requireID(), note: "") }
            }
            let quiet = NotificationPreference()
            quiet.$user.id = try crowd[1].requireID()
            quiet.kind = NotificationKind.eventReminder.id
            quiet.channel = .off
            try await quiet.create(on: ctx.db)
            let context = JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID())
            try await EventRemindersJob().run(context)
            #expect(try await AppNotification.query(on: ctx.db).filter(\.$kind == "event_reminder").count() == 0, "not yet within a day")
            ctx.time.advance(by: 12 * 3600)
            try await EventRemindersJob().run(context)
            try await EventRemindersJob().run(context)
            await ctx.runJobs()
            #expect(ctx.mailer.messages(to: "crowd0@example.org").filter { $0.subject.contains("rappel") }.count == 1)
            #expect(ctx.mailer.messages(to: "crowd0@example.org").first { $0.subject.contains("rappel") }?.unsubscribeURL != nil, "reminders can be turned off")
            #expect(ctx.mailer.messages(to: "crowd1@example.org").filter { $0.subject.contains("rappel") }.isEmpty, "turned off")
            #expect(ctx.mailer.messages(to: "crowd2@example.org").filter { $0.subject.contains("rappel") }.isEmpty, "waitlisted")
        }
    }

    @Test("The personal feed lists my events without anyone's name, works without signing in, and stops when rotated")
    func personalFeed() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let (user, browser) = try await signedInBrowser(ctx)
            let event = try await makeEvent(ctx, chapter: lyon, title: "Afterwork des canuts")
            try await makeEvent(ctx, chapter: lyon, title: "Autre événement")
            _ = try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).register(event.requireID(), userID: user.requireID(), note: "Allergie") }
            let account = try await browser.get("/account")
            let feedURL = try #require(account.html.components(separatedBy: "href=\"").compactMap { $0.split(separator: "\"").first.map(String.init) }
                .first { $0.contains("/calendar/") })
            let path = try #require(URL(string: feedURL)?.path)
            let feed = try await ctx.browser().get(path)
            #expect(feed.status == .ok)
            #expect(feed.html.contains("SUMMARY:Afterwork des canuts"))
            #expect(!feed.html.contains("Autre événement"))
            #expect(!feed.html.contains("Camille") && !feed.html.contains("camille@") && !feed.html.contains("Allergie") && !feed.html.contains("ATTENDEE"))
            #expect(try await ctx.browser().get(path.replacingOccurrences(of: ".ics", with: "x.ics")).status == .notFound)
            #expect(try await browser.post("/account/calendar/rotate").status == .seeOther)
            #expect(try await ctx.browser().get(path).status == .notFound, "the old address is off")
        }
    }

    @Test("The attendee list and the event page make the same number of queries for 3 people as for 40")
    func queriesDoNotGrowWithAttendees() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            let small = try await makeEvent(ctx, chapter: lyon, title: "Petit", capacity: 3)
            let large = try await makeEvent(ctx, chapter: lyon, title: "Grand", capacity: 40)
            let crowd = try await makeCrowd(ctx, 45)
            for (index, user) in crowd.enumerated() {
                let event = index < 3 ? small : large
                _ = try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).register(event.requireID(), userID: user.requireID(), note: "n") }
            }
            ctx.app.logger.logLevel = .trace
            func queries(_ path: String) async throws -> Int {
                let response = try await ambassador.get(path)
                let id = try #require(response.headers.first(name: .xRequestId))
                // Whole log entries: a statement may span lines, and its request id may sit on any of them.
                return TestLogs.selects(of: id)
            }
            let fewAttendees = try await queries("/events/\(small.id!)/attendees")
            let manyAttendees = try await queries("/events/\(large.id!)/attendees")
            #expect(fewAttendees > 0)
            #expect(fewAttendees == manyAttendees)
            #expect(try await queries("/events/\(small.id!)") == (try await queries("/events/\(large.id!)")))
        }
    }

    @Test("Registering asks the database for little before answering: no session write, the news and the buddy wait for the job; the answer shows on the next page")
    func registeringIsShort() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, title: "Déjeuner", capacity: 1)
            let first = try await member(ctx, "Fanny Première", "fanny@example.org", lyon)
            let late = try await member(ctx, "Louis Tardif", "louis@example.org", lyon)
            #expect(try await first.post("/events/\(event.id!)/register").status == .seeOther)
            ctx.app.logger.logLevel = .trace
            let answer = try await late.post("/events/\(event.id!)/register")
            #expect(answer.status == .seeOther)
            let id = try #require(answer.headers.first(name: .xRequestId))
            // Outside the seat's transaction (whose statements SQLite's driver logs without the request's
            // id), the request reads who is asking (session and account, with mandates, charter and
            // suspension, in one query): nothing else (the lock reads the event), and it writes nothing.
            var statements = TestLogs.statements(of: id)
            if let begin = statements.firstIndex(where: { $0.contains("BEGIN") }), let commit = statements.lastIndex(where: { $0.contains("COMMIT") }) {
                // PostgreSQL's driver logs them: the seat's transaction is the event locked and read, the
                // person's earlier registration, the seat, the registration, the job.
                #expect(commit - begin + 1 <= 7, "\(statements[begin...commit].joined(separator: "\n"))")
                statements.removeSubrange(begin...commit)
            }
            #expect(statements.count == 1, "\(statements.count) statements: \(statements.joined(separator: "\n"))")
            #expect(statements.allSatisfy { $0.contains("SELECT") }, "the flash is not written to the session")
            #expect(!statements.contains { $0.contains("\"suspensions\".\"id\"") || $0.contains("buddy_introductions") || $0.contains("profiles") })
            ctx.app.logger.logLevel = .info
            // The flash travelled in a cookie, and shows once.
            let page = try await late.get("/events/\(event.id!)").html
            #expect(page.contains("vous êtes sur la liste d"))
            #expect(!(try await late.get("/events/\(event.id!)").html.contains("vous êtes sur la liste d")), "shown once")
            #expect(late.cookies.keys.contains { $0.contains("flash") } == false)
        }
    }

    @Test("My registrations are in my data export; erasing my account gives my seat to the next in line")
    func privacy() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let (user, browser) = try await signedInBrowser(ctx)
            let event = try await makeEvent(ctx, chapter: lyon, title: "Atelier TJM", capacity: 1)
            let next = try #require(try await makeCrowd(ctx, 1).first)
            for person in [user, next] {
                _ = try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).register(event.requireID(), userID: person.requireID(), note: "Fauteuil roulant") }
            }
            let export = try await browser.get("/account/export")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(export.body.readableBytesView)) as? [String: Any])
            let registrations = try #require(json["event_registrations"] as? [[String: Any]])
            #expect(registrations.first?["event"] as? String == "Atelier TJM")
            #expect(registrations.first?["note"] as? String == "Fauteuil roulant")

            try await browser.get("/account/delete")
            #expect(try await browser.post("/account/delete", ["current_password": goodPassword, "confirm": "supprimer"]).status == .seeOther)
            #expect(try await Registration.query(on: ctx.db).filter(\.$user.$id == next.requireID()).first()?.status == .confirmed)
            #expect(try await Event.find(event.id, on: ctx.db)?.confirmedCount == 1)
            #expect(try await Registration.query(on: ctx.db).count() == 1)
        }
    }

    @Test("The weekly digest lists the coming two weeks of my chapter's events")
    func digestSection() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let paris = try await makeChapter(ctx, "Paris")
            let reader = try await makeMember(ctx, "Léa Dupont", email: "lea@example.org", chapter: lyon, headline: "Développeuse")
            try await makeEvent(ctx, chapter: lyon, title: "Afterwork lyonnais", inDays: 5)
            try await makeEvent(ctx, chapter: lyon, title: "Trop loin", inDays: 30)
            try await makeEvent(ctx, chapter: paris, title: "Déjeuner parisien", inDays: 5)
            let context = JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID())
            let lines = try await UpcomingEventsSection().lines(for: reader, since: ctx.time.now().addingTimeInterval(-7 * 86400), context: context,
                                                              t: Translator(catalogue: ctx.app.maillon.catalogue, locale: .fr))
            #expect(lines.count == 1)
            #expect(lines.first?.contains("Afterwork lyonnais") == true)
            #expect(lines.first?.contains("40 places restantes sur 40") == true)
            #expect(ctx.app.digestSections.contains { $0 is UpcomingEventsSection })
        }
    }

    @Test("In English: the list, the page, registering and its mail; the online link only for those with a seat; the home page shows my chapter's events")
    func englishAndOnlineLink() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, title: "Remote coffee", capacity: 1, kind: .online)
            event.onlineURL = "https://visio.example.org/secret-room"
            try await event.save(on: ctx.db)
            let id = try event.requireID()
            let reader = try await makeUser(ctx, email: "ana@example.org", name: "Ana", role: .member, locale: .en)
            let profile = Profile.newMember(userID: try reader.requireID(), chapterID: try lyon.requireID(), headline: "Designer", city: "Lyon",
                                            profession: "design", now: ctx.time.now())
            try await profile.create(on: ctx.db)
            let browser = ctx.browser()
            try await signIn(browser, email: "ana@example.org")
            let list = try await browser.get("/events")
            #expect(list.html.contains("Upcoming") && list.html.contains("Remote coffee") && list.html.contains("1 place left of 1"))
            let before = try await browser.get("/events/\(id)")
            #expect(before.html.contains("Register") && before.html.contains("The link is given to confirmed participants."))
            #expect(!before.html.contains("secret-room"), "not before a seat")
            #expect(try await browser.get("/").html.contains("Coming up in your chapter"))
            #expect(try await browser.get("/").html.contains("Remote coffee"))

            #expect(try await browser.post("/events/\(id)/register").status == .seeOther)
            #expect(try #require(ctx.mailer.messages(to: "ana@example.org").last).subject.contains("registration confirmed"))
            let after = try await browser.get("/events/\(id)")
            #expect(after.html.contains("You are registered.") && after.html.contains("secret-room"))

            let (_, waiting) = try await signedInBrowser(ctx)
            #expect(try await waiting.post("/events/\(id)/register").status == .seeOther)
            let waitingPage = try await waiting.get("/events/\(id)")
            #expect(waitingPage.html.contains("position 1"))
            #expect(!waitingPage.html.contains("secret-room"), "a waitlisted person has no seat yet")
            #expect(!(try await ctx.browser().get("/events/\(id)/calendar.ics").html.contains("secret-room")))
        }
    }

    @Test("One date of a series is edited on its own; a blank capacity means 40")
    func seriesOccurrenceEditedAlone() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            let start = ctx.time.now().addingTimeInterval(2 * 86400)
            let form = ["title": "Petit-déjeuner du mardi", "kind": "breakfast", "chapter": try lyon.requireID().uuidString, "description": "Chaque semaine.",
                        "starts_at": FormReader.localDateTimeValue(start), "ends_at": FormReader.localDateTimeValue(start.addingTimeInterval(5400)),
                        "venue_name": "Café", "venue_address": "Rue", "capacity": "", "visibility": "members", "repeat": "weekly"]
            #expect(try await ambassador.post("/events/new", form).status == .seeOther)
            let dates = try await Event.query(on: ctx.db).sort(\.$startsAt).all()
            #expect(dates.count >= 12, "three months of Tuesdays")
            #expect(dates.allSatisfy { $0.capacity == 40 })
            let third = dates[2]
            var edited = EventInput.values(of: third)
            edited["title"] = "Petit-déjeuner spécial rentrée"
            #expect(try await ambassador.post("/events/\(third.id!)/edit", edited).status == .seeOther)
            let titles = try await Event.query(on: ctx.db).sort(\.$startsAt).all(\.$title)
            #expect(titles.filter { $0 == "Petit-déjeuner spécial rentrée" }.count == 1)
            #expect(titles[2] == "Petit-déjeuner spécial rentrée")
            #expect(titles.filter { $0 == "Petit-déjeuner du mardi" }.count == dates.count - 1)
        }
    }

    @Test("Events pages render: lists with filters, my events, past events with attendance, forms, the printable list")
    func pagesRender() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            let event = try await makeEvent(ctx, chapter: lyon)
            let past = try await makeEvent(ctx, chapter: lyon, title: "Déjeuner passé", inDays: -3)
            for path in ["/events", "/events?tab=mine", "/events?tab=past", "/events?chapter=\(lyon.id!)&kind=lunch&from=2026-01-01&to=2030-01-01",
                         "/events?kind=nonsense&from=garbage&page=-4", "/events/\(event.id!)", "/events/\(past.id!)", "/events/new",
                         "/events/\(event.id!)/edit", "/events/\(event.id!)/attendees", "/events/\(event.id!)/message", "/events/\(event.id!)/cancel", "/chapters/lyon", "/",
                         "/events/\(event.id!)/calendar.ics"] {
                let response = try await ambassador.get(path)
                #expect(response.status == .ok, "\(path)")
            }
            #expect(try await ambassador.get("/events?tab=past").html.contains("0 présent·e"))
            #expect(try await ambassador.get("/events/not-an-id").status == .notFound)
            #expect(try await ctx.browser().get("/events?tab=mine").status == .seeOther)
        }
    }
}
