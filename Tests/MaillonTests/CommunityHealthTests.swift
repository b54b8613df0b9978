import Fluent
import Foundation
@testable import Maillon
import SQLKit
import Testing
import Vapor
import VaporTesting

/// The radar's hourly look at every chapter, now.
func radarLooks(_ ctx: TestContext) async throws {
    try await RadarLookJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
}

/// A past event's seat, with what the organisers noted on the day.
func recordAttendance(_ ctx: TestContext, at event: Event, of user: User, _ attendance: Registration.Attendance) async throws {
    let registration = Registration()
    registration.$event.id = try event.requireID()
    registration.$user.id = try user.requireID()
    registration.status = .confirmed
    registration.note = ""
    registration.attendance = attendance
    registration.createdAt = ctx.time.now()
    registration.updatedAt = ctx.time.now()
    try await registration.create(on: ctx.db)
}

@Suite("Isolation radar")
struct RadarTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86400

    func facts(joinedDaysAgo: Double, lastSign: Double? = nil) -> RadarFacts {
        var facts = RadarFacts(userID: UUID(), joinedAt: now.addingTimeInterval(-joinedDaysAgo * day))
        facts.lastSignInAt = lastSign.map { now.addingTimeInterval(-$0 * day) }
        return facts
    }

    @Test("Nothing for eight weeks (no event, nothing written, no sign-in) is a signal; seven weeks is not; any one of them resets it")
    func quiet() {
        let thresholds = RadarThresholds()
        var member = facts(joinedDaysAgo: 400, lastSign: 57)
        member.attendedAny = true
        member.lastAttendedAt = now.addingTimeInterval(-90 * day)
        #expect(Radar.signals(member, now: now, thresholds: thresholds) == [.quiet(weeks: 8)])
        member.lastSignInAt = now.addingTimeInterval(-48 * day)
        #expect(Radar.signals(member, now: now, thresholds: thresholds).isEmpty)
        member.lastSignInAt = nil
        member.lastWrittenAt = now.addingTimeInterval(-3 * day)
        #expect(Radar.signals(member, now: now, thresholds: thresholds).isEmpty)
        var custom = thresholds
        custom.quietWeeks = 12
        member.lastWrittenAt = now.addingTimeInterval(-60 * day)
        #expect(Radar.signals(member, now: now, thresholds: custom).isEmpty, "the threshold is a setting")
    }

    @Test("A newcomer with no first event after 30 days; cancellations in a row; a low check-in in the last 45 days")
    func otherSignals() {
        let thresholds = RadarThresholds()
        #expect(Radar.signals(facts(joinedDaysAgo: 29, lastSign: 1), now: now, thresholds: thresholds).isEmpty)
        #expect(Radar.signals(facts(joinedDaysAgo: 31, lastSign: 1), now: now, thresholds: thresholds) == [.noFirstEvent(days: 31)])
        var member = facts(joinedDaysAgo: 400, lastSign: 1)
        member.attendedAny = true
        member.latestRegistrations = [.cancelled, .cancelled, .confirmed, .cancelled]
        #expect(Radar.signals(member, now: now, thresholds: thresholds).isEmpty)
        member.latestRegistrations = [.cancelled, .cancelled, .cancelled, .confirmed]
        #expect(Radar.signals(member, now: now, thresholds: thresholds) == [.cancellations(count: 3)])
        member.latestRegistrations = []
        member.checkIn = (3, nil, now.addingTimeInterval(-2 * day))
        #expect(Radar.signals(member, now: now, thresholds: thresholds).isEmpty)
        member.checkIn = (2, "Dur ce mois-ci", now.addingTimeInterval(-2 * day))
        #expect(Radar.signals(member, now: now, thresholds: thresholds) == [.lowCheckIn(score: 2)])
        member.checkIn = (1, nil, now.addingTimeInterval(-50 * day))
        #expect(Radar.signals(member, now: now, thresholds: thresholds).isEmpty, "an old check-in no longer counts")
        #expect(Radar.suggestion(for: [.lowCheckIn(score: 1)], hasNextEvent: true, pairs: false) == .call)
        #expect(Radar.suggestion(for: [.noFirstEvent(days: 40)], hasNextEvent: true, pairs: false) == .invite)
        #expect(Radar.suggestion(for: [.quiet(weeks: 9)], hasNextEvent: false, pairs: false) == .binome)
    }

    @Test("Journey 5's first half: a quiet member is on their ambassador's list with a suggested action; the action is recorded; they leave the list when they come back")
    func ambassadorsList() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon"), paris = try await makeChapter(ctx, "Paris")
            let ambassador = try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            try await makeAmbassador(ctx, of: paris, email: "amb-paris@example.org", name: "Paul Paris")
            let quentin = try await makeMember(ctx, "Quentin Discret", email: "quentin@example.org", chapter: lyon, headline: "Graphiste")
            // A member of long standing (not a newcomer), who has gone quiet.
            try await Profile.query(on: ctx.db).filter(\.$user.$id == quentin.requireID()).set(\.$joinedAt, to: ctx.time.now().addingTimeInterval(-300 * 86400)).update()
            try await makeMember(ctx, "Pia Parisienne", email: "pia@example.org", chapter: paris, headline: "Juriste")
            let active = try await member(ctx, "Alice Active", "alice@example.org", lyon)
            try await Profile.query(on: ctx.db).filter(\.$joinedAt > ctx.time.now().addingTimeInterval(-86400)).set(\.$joinedAt, to: ctx.time.now().addingTimeInterval(-300 * 86400)).update()
            ctx.time.advance(by: 60 * 86400)
            try await signIn(active, email: "alice@example.org")
            try await makeEvent(ctx, chapter: lyon, title: "Petit-déjeuner des Pentes", inDays: 5, kind: .breakfast)
            let lead = ctx.browser()
            try await signIn(lead, email: "amb@example.org")
            #expect(try await lead.get("/chapters/lyon/radar").html.contains("pas encore regardé"), "the list is the hourly look's")
            try await radarLooks(ctx)
            let chapterPage = try await lead.get("/chapters/lyon")
            #expect(chapterPage.html.contains("/chapters/lyon/radar"))
            let radar = try await lead.get("/chapters/lyon/radar")
            #expect(radar.status == .ok)
            #expect(radar.html.contains("Quentin Discret") && radar.html.contains("Aucune rencontre, aucun message écrit et aucune connexion depuis"))
            #expect(radar.html.contains("Suggestion : l&#39;inviter à « Petit-déjeuner des Pentes »"))
            #expect(!radar.html.contains("Alice Active") && !radar.html.contains("Pia Parisienne"))
            #expect(!radar.html.contains("/chapters/lyon/radar/\(try ambassador.requireID())"), "not its ambassadors")
            let path = "/chapters/lyon/radar/\(try quentin.requireID())"
            let refused = try await lead.post(path, ["kind": "teleport", "note": "Une note gardée"])
            #expect(refused.status == .unprocessableEntity && refused.html.contains("Une note gardée"))
            #expect(try await RadarAction.query(on: ctx.db).count() == 0)
            #expect(try await lead.post(path, ["kind": "call", "note": "Appelé, il revient jeudi"]).status == .seeOther)
            #expect(try await lead.get("/chapters/lyon/radar").html.contains("Appel le"))

            // Forbidden paths: another chapter's ambassador, an admin who is not Lyon's, a member, someone of another chapter.
            let parisLead = ctx.browser()
            try await signIn(parisLead, email: "amb-paris@example.org")
            #expect(try await parisLead.get("/chapters/lyon/radar").status == .forbidden)
            #expect(try await parisLead.post(path, ["kind": "call"]).status == .forbidden)
            #expect(try await active.get("/chapters/lyon/radar").status == .forbidden)
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            #expect(try await admin.get("/chapters/lyon/radar").status == .forbidden, "admins see counts, not names")
            let counts = try await admin.get("/admin/radar")
            #expect(counts.status == .ok && !counts.html.contains("Quentin") && counts.html.contains("Lyon"))
            #expect(counts.html.contains("<td>2</td>") && counts.html.contains("<td>1</td>"), "Lyon: two members watched, one listed")
            #expect(try await active.get("/admin/radar").status == .forbidden)
            let pia = try #require(try await User.query(on: ctx.db).filter(\.$email == "pia@example.org").first())
            #expect(try await lead.post("/chapters/lyon/radar/\(try pia.requireID())", ["kind": "call"]).status == .notFound, "not Lyon's member")

            // Quentin sees what the radar holds, then comes back: the signal stops and he leaves the list.
            let back = ctx.browser()
            try await signIn(back, email: "quentin@example.org")
            let own = try await back.get("/account/community")
            #expect(own.status == .ok && own.html.contains("Appelé, il revient jeudi"))
            #expect(!(try await lead.get("/chapters/lyon/radar").html.contains("Quentin Discret")), "off the list at once, before the next look")
            let kept = RadarEntry.query(on: ctx.db).filter(\.$user.$id == (try quentin.requireID()))
            #expect(try await kept.count() == 1, "the admins' counts wait for the next look")
            try await radarLooks(ctx)
            #expect(try await kept.count() == 0)
        }
    }

    @Test("A member opts out: off the list at once, the ambassadors' notes about them deleted; the check-in is no longer asked")
    func optOut() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let quiet = try await member(ctx, "Quentin Discret", "quentin@example.org", lyon)
            #expect(try await quiet.get("/").html.contains("/check-in"))
            // A newcomer who has not come to a first event in 35 days.
            ctx.time.advance(by: 35 * 86400)
            try await signIn(quiet, email: "quentin@example.org")
            try await radarLooks(ctx)
            let lead = ctx.browser()
            try await signIn(lead, email: "amb@example.org")
            let quentin = try #require(try await User.query(on: ctx.db).filter(\.$email == "quentin@example.org").first())
            try await lead.post("/chapters/lyon/radar/\(try quentin.requireID())", ["kind": "invite"])
            #expect(try await RadarAction.query(on: ctx.db).count() == 1)
            #expect(try await quiet.get("/account/community").html.contains("pas de première rencontre") == false)
            #expect(try await quiet.get("/account/community").html.contains("n&#39;est encore venu·e à aucune rencontre"), "what the radar holds about them")
            #expect(try await lead.get("/chapters/lyon/radar").html.contains("Quentin Discret"))
            #expect(try await quiet.post("/account/community", ["pairing": "yes"]).status == .seeOther)
            #expect(try await RadarAction.query(on: ctx.db).count() == 0)
            #expect(try await RadarEntry.query(on: ctx.db).count() == 0, "nothing kept of them either")
            #expect(!(try await lead.get("/chapters/lyon/radar").html.contains("Quentin Discret")))
            #expect(try await lead.post("/chapters/lyon/radar/\(try quentin.requireID())", ["kind": "invite"]).status == .notFound)
            #expect(!(try await quiet.get("/").html.contains("/check-in")))
            let profile = try #require(try await Profile.query(on: ctx.db).filter(\.$user.$id == quentin.requireID()).first())
            #expect(profile.radarOptOut && profile.pairingOptIn && !profile.buddyVolunteer)
        }
    }

    @Test("A third cancellation in a row puts a member on the list at once, without waiting for the hourly look")
    func cancellations() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let carl = try await member(ctx, "Carl Annule", "carl@example.org", lyon)
            try await radarLooks(ctx)
            let lead = ctx.browser()
            try await signIn(lead, email: "amb@example.org")
            for day in 1...3 {
                #expect(!(try await lead.get("/chapters/lyon/radar").html.contains("Carl Annule")), "\(day - 1) cancellations")
                let event = try await makeEvent(ctx, chapter: lyon, title: "Déjeuner \(day)", inDays: Double(day + 2), kind: .lunch)
                try await carl.post("/events/\(try event.requireID())/register")
                #expect(try await carl.post("/events/\(try event.requireID())/unregister").status == .seeOther)
            }
            let radar = try await lead.get("/chapters/lyon/radar").html
            #expect(radar.contains("Carl Annule") && radar.contains("Ses 3 dernières inscriptions ont toutes été annulées"))
        }
    }

    @Test("The monthly check-in: a translated error with the note kept; one answer a month; a low answer and its note reach the ambassador")
    func checkIn() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let marie = try await member(ctx, "Marie Lasse", "marie@example.org", lyon)
            #expect(try await marie.get("/check-in").status == .ok)
            let refused = try await marie.post("/check-in", ["score": "9", "note": "Mois compliqué"])
            #expect(refused.status == .unprocessableEntity && refused.html.contains("Mois compliqué") && refused.html.contains("field-error"))
            #expect(try await CheckIn.query(on: ctx.db).count() == 0)
            #expect(try await marie.post("/check-in", ["score": "4"]).status == .seeOther)
            #expect(try await marie.post("/check-in", ["score": "2", "note": "Pas de client depuis deux mois"]).status == .seeOther)
            #expect(try await CheckIn.query(on: ctx.db).count() == 1, "one answer a month, changed")
            #expect(!(try await marie.get("/").html.contains("/check-in\"")), "answered: not asked again this month")
            let lead = ctx.browser()
            try await signIn(lead, email: "amb@example.org")
            // No hourly look yet: the answer itself put her on the list.
            let radar = try await lead.get("/chapters/lyon/radar").html
            #expect(radar.contains("Marie Lasse") && radar.contains("A répondu 2 sur 5") && radar.contains("Pas de client depuis deux mois"))
            #expect(radar.contains("Suggestion : l&#39;appeler"))
            #expect(try await ctx.browser().get("/check-in").status != .ok, "visitors sign in first")
        }
    }

    @Test("Radar, check-in, binômes and community pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let lead = try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            lead.locale = language == "fr" ? .fr : .en
            try await lead.save(on: ctx.db)
            let profile = Profile.newMember(userID: try lead.requireID(), chapterID: lyon.id, headline: "x", city: "Lyon", profession: "tech", now: ctx.time.now())
            try await profile.create(on: ctx.db)
            let browser = ctx.browser()
            try await signIn(browser, email: "amb@example.org")
            for path in ["/chapters/lyon/radar", "/account/community", "/check-in", "/binomes"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(!page.html.contains("radar.") && !page.html.contains("binome.") && !page.html.contains("community."), "\(path): every key translated")
            }
            let (_, admin) = try await signedInBrowser(ctx, role: .admin, locale: language == "fr" ? .fr : .en)
            #expect(try await admin.get("/admin/radar").status == .ok)
        }
    }
}

@Suite("Monthly binômes")
struct BinomeTests {
    static func firstOfMonth(after date: Date, plus months: Int) -> Date {
        let calendar = Schedule.calendar
        let start = calendar.date(from: calendar.dateComponents([.year, .month], from: date)) ?? date
        return calendar.date(byAdding: DateComponents(month: months + 1, hour: 9), to: start) ?? date
    }

    @Test("Pairs within a chapter first, a remote pair for those left, one trio for an odd number, never a recent partner")
    func pairer() {
        let lyon = UUID(), paris = UUID()
        let people: [Pairer.Candidate] = (0..<5).map { _ in Pairer.Candidate(id: UUID(), chapter: lyon) } + (0..<2).map { _ in Pairer.Candidate(id: UUID(), chapter: paris) }
        let groups = Pairer(recent: [:], met: []).pair(people, seed: 1)
        let everyone: [UUID] = groups.flatMap { $0.members }
        #expect(everyone.count == 7 && Set(everyone).count == 7)
        #expect(groups.filter { $0.members.count == 3 }.count == 1 && groups.allSatisfy { (2...3).contains($0.members.count) })
        #expect(groups.filter { $0.chapter == paris }.count == 1)
        let a = people[0].id, b = people[1].id
        let recent: [UUID: Set<UUID>] = [a: [b], b: [a]]
        let again = Pairer(recent: recent, met: []).pair([people[0], people[1], people[2], people[3]], seed: 7)
        #expect(!again.contains { $0.members.contains(a) && $0.members.contains(b) })
        let met = Set([Pairer.Pair(a, people[2].id)])
        let strangers = Pairer(recent: [:], met: met).pair([people[0], people[2], people[3]].map { $0 }, seed: 3)
        #expect(strangers.count == 1, "three people: one trio")
    }

    @Test("Someone left over joins a cross-chapter pair, not another chapter's own pair, whatever order the chapters come in", arguments: 0..<20)
    func leftoverStaysOutOfLocalPairs(seed: Int) {
        // Lyon's two make a pair; three people alone in their chapters make a remote pair and one left over.
        let lyon = UUID()
        let locals = (0..<2).map { _ in Pairer.Candidate(id: UUID(), chapter: lyon) }
        let alone = (0..<3).map { _ in Pairer.Candidate(id: UUID(), chapter: UUID()) }
        let groups = Pairer(recent: [:], met: []).pair(locals + alone, seed: UInt64(seed))
        #expect(groups.count == 2)
        #expect(groups.contains { Set($0.members) == Set(locals.map(\.id)) && $0.chapter == lyon }, "Lyon's pair stays Lyon's: \(groups.map(\.members.count))")
        #expect(groups.contains { $0.members.count == 3 && $0.chapter == nil })
    }

    @Test("Twelve tight months in memory (fourteen people, six months of memory): everyone placed each month, never a recent partner, a trio only for an odd number", arguments: [14, 15])
    func tightMonths(count: Int) {
        let people = (0..<count).map { _ in Pairer.Candidate(id: UUID(), chapter: nil) }
        var rounds: [[[UUID]]] = []
        for month in 0..<12 {
            var recent: [UUID: Set<UUID>] = [:]
            for round in rounds.suffix(Pairer.memory) { for group in round { for a in group { for b in group where a != b { recent[a, default: []].insert(b) } } } }
            let groups = Pairer(recent: recent, met: []).pair(people, seed: UInt64(month * 31 + count)).map(\.members)
            #expect(Set(groups.flatMap { $0 }).count == count, "month \(month): everyone placed")
            #expect(groups.filter { $0.count == 3 }.count == count % 2, "month \(month): \(groups.map(\.count))")
            for group in groups { for a in group { for b in group where a != b { #expect(!(recent[a]?.contains(b) ?? false), "month \(month): a recent partner") } } }
            rounds.append(groups)
        }
    }

    @Test("Twelve months on the generated community: everyone who opted in is paired each month, nobody twice with the same person within six months")
    func twelveMonths() async throws {
        try await withMaillon { ctx in
            let hash = try await ctx.app.password.async(on: ctx.app.threadPool, hopTo: ctx.app.eventLoopGroup.next()).hash("demo demo demo")
            _ = try await DemoCommunity(database: ctx.db, now: ctx.time.now(), passwordHash: hash).seed(members: 300)
            // The demo's own past binômes are history the rounds must respect too; start after them.
            let optedIn = Set(try await Profile.query(on: ctx.db).filter(\.$pairingOptIn == true).join(User.self, on: \Profile.$user.$id == \User.$id)
                .filter(User.self, \.$role == .member).all(\.$user.$id))
            #expect(optedIn.count > 50)
            var history: [(month: Int, members: [UUID])] = []
            var strangers = 0, groups = 0
            for month in 0..<12 {
                let date = Self.firstOfMonth(after: ctx.time.now(), plus: month)
                let report = try await PairingRound(application: ctx.app, db: ctx.db, now: date).run()
                let key = Month.key(date)
                let rows = try await PairingMember.query(on: ctx.db).filter(\.$month == key).all()
                #expect(Set(rows.map(\.$user.id)) == optedIn, "month \(month): every opted-in member paired")
                #expect(rows.count == optedIn.count, "month \(month): once each")
                let byPairing = Dictionary(grouping: rows, by: { $0.$pairing.id }).values.map { $0.map(\.$user.id) }
                #expect(byPairing.filter { $0.count == 3 }.count == optedIn.count % 2)
                history += byPairing.map { (month, $0) }
                strangers += report.strangers
                groups += report.groups
                // A second run in the same month pairs nobody again.
                #expect(try await PairingRound(application: ctx.app, db: ctx.db, now: date.addingTimeInterval(3600)).run().groups == 0)
            }
            var last: [Pairer.Pair: Int] = [:]
            for (month, members) in history.sorted(by: { $0.month < $1.month }) {
                for a in members { for b in members where a.uuidString < b.uuidString {
                    let pair = Pairer.Pair(a, b)
                    if let before = last[pair] { #expect(month - before > Pairer.memory, "paired again after \(month - before) months") }
                    last[pair] = month
                } }
            }
            print("binômes simulation: \(optedIn.count) members opted in, \(groups) binômes over 12 months, \(strangers) (\(groups > 0 ? strangers * 100 / groups : 0) %) between people who had never attended the same event")
        }
    }

    @Test("Two instances running the month's round at the same moment pair everyone once: one round's binômes, one notification each")
    func onceAcrossInstances() async throws {
        try await withTwoInstances { first, second in
            let lyon = try await makeChapter(first, "Lyon")
            var ids: [UUID] = []
            for index in 0..<10 {
                let user = try await makeMember(first, "Membre \(index)", email: "m\(index)@example.org", chapter: lyon, headline: "x")
                ids.append(try user.requireID())
            }
            try await Profile.query(on: first.db).filter(\.$user.$id ~~ ids).set(\.$pairingOptIn, to: true).update()
            let now = first.time.now()
            async let a: PairingRound.Report? = try? PairingRound(application: first.app, db: first.db, now: now).run()
            async let b: PairingRound.Report? = try? PairingRound(application: second.app, db: second.db, now: now).run()
            let reports = await [a, b]
            #expect(reports.compactMap { $0 }.map(\.groups).reduce(0, +) == 5, "one round of five binômes, whoever ran it")
            #expect(try await PairingMember.query(on: first.db).count() == 10)
            #expect(try await Pairing.query(on: first.db).count() == 5)
            #expect(try await AppNotification.query(on: first.db).filter(\.$kind == "binome").count() == 10)
        }
    }

    @Test("The month's binôme is told by notification and mail with a profile link; the page shows it; 'we met' and 'skip' are theirs only")
    func binomePage() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            let marc = try await member(ctx, "Marc Lyon", "marc@example.org", lyon)
            let other = try await member(ctx, "Otto Autre", "otto@example.org", lyon)
            #expect(try await lea.post("/account/community", ["radar": "yes", "pairing": "yes"]).status == .seeOther)
            try await marc.post("/account/community", ["radar": "yes", "pairing": "yes"])
            let report = try await PairingRound(application: ctx.app, db: ctx.db, now: ctx.time.now()).run()
            #expect(report.groups == 1 && report.paired == 2)
            await ctx.runJobs()
            let mail = try #require(ctx.mailer.messages(to: "lea@example.org").last)
            #expect(mail.text.contains("Marc Lyon") && mail.text.contains("/members/"))
            let page = try await lea.get("/binomes")
            #expect(page.html.contains("Marc Lyon") && page.html.contains("Nous nous sommes vus"))
            #expect(try await lea.get("/").html.contains("Votre binôme du mois : Marc Lyon"))
            let pairing = try #require(try await Pairing.query(on: ctx.db).first())
            #expect(try await other.post("/binomes/\(try pairing.requireID())/met").status == .notFound)
            #expect(try await lea.post("/binomes/\(try pairing.requireID())/pending").status == .notFound)
            #expect(try await lea.post("/binomes/\(try pairing.requireID())/met").status == .seeOther)
            let mine = try #require(try await PairingMember.query(on: ctx.db).filter(\.$month == Month.key(ctx.time.now())).join(User.self, on: \PairingMember.$user.$id == \User.$id)
                .filter(User.self, \.$email == "lea@example.org").first())
            #expect(mine.outcome == .met)
            #expect(!(try await lea.get("/binomes").html.contains("Nous nous sommes vus</button>")))
        }
    }
}

@Suite("Newcomers to welcome")
struct WelcomeListTests {
    @Test("The list: people who joined or moved to the chapter in the last 60 days, not yet welcomed, not its ambassadors; a hidden member's address is not shown")
    func newcomers() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon"), paris = try await makeChapter(ctx, "Paris")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            try await makeMember(ctx, "Ancien Membre", email: "ancien@example.org", chapter: lyon, headline: "x")
            try await makeMember(ctx, "Mona Mobile", email: "mona@example.org", chapter: paris, headline: "x")
            ctx.time.advance(by: 90 * 86400)
            try await makeMember(ctx, "Nina Nouvelle", email: "nina@example.org", chapter: lyon, headline: "x")
            try await makeMember(ctx, "Hugo Caché", email: "hugo@example.org", chapter: lyon, headline: "x", visibility: .hidden)
            let mona = ctx.browser()
            try await signIn(mona, email: "mona@example.org")
            #expect(try await mona.post("/profile", ["headline": "Designer", "profession": "tech", "city": "Lyon", "chapter": try lyon.requireID().uuidString,
                                                     "availability": "now", "work_mode": "both", "visibility": "members", "language_fr": "yes"]).status == .seeOther)
            let lead = ctx.browser()
            try await signIn(lead, email: "amb@example.org")
            let page = try await lead.get("/chapters/lyon/welcome").html
            #expect(page.contains("Nina Nouvelle") && page.contains("nina@example.org"))
            #expect(page.contains("Hugo Caché") && !page.contains("hugo@example.org"))
            #expect(!page.contains("Ancien Membre"), "joined 90 days ago")
            #expect(page.contains("Mona Mobile"), "moved to Lyon today")
            #expect(!page.contains("Ambre Lyon"), "the ambassador is not a newcomer")
        }
    }
}

@Suite("First-event buddies")
struct BuddyTests {
    @Test("A newcomer registering for a first event is introduced to a volunteer going; a volunteer registering gets the newcomers waiting; the organisers see who greets whom")
    func buddies() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, title: "Déjeuner de la Croix-Rousse", inDays: 6, kind: .lunch)
            let past = try await makeEvent(ctx, chapter: lyon, title: "Afterwork passé", inDays: -30, kind: .afterwork)
            let noe = try await member(ctx, "Noé Nouveau", "noe@example.org", lyon)
            let bruno = try await member(ctx, "Bruno Bienveillant", "bruno@example.org", lyon)
            let nadia = try await member(ctx, "Nadia Nouvelle", "nadia@example.org", lyon)
            let vera = try await member(ctx, "Véra Habituée", "vera@example.org", lyon)
            let veteran = try #require(try await User.query(on: ctx.db).filter(\.$email == "vera@example.org").first())
            try await recordAttendance(ctx, at: past, of: veteran, .attended)
            try await bruno.post("/account/community", ["radar": "yes", "buddy": "yes"])
            let path = "/events/\(try event.requireID())/register"

            #expect(try await noe.post(path).status == .seeOther)
            #expect(try await BuddyIntroduction.query(on: ctx.db).count() == 0, "no volunteer going yet")
            #expect(try await bruno.post(path).status == .seeOther)
            #expect(try await BuddyIntroduction.query(on: ctx.db).count() == 1, "the volunteer gets the newcomer waiting")
            #expect(try await nadia.post(path).status == .seeOther)
            #expect(try await vera.post(path).status == .seeOther)
            let introductions = try await BuddyIntroduction.query(on: ctx.db).with(\.$newcomer).with(\.$buddy).all()
            #expect(Set(introductions.map(\.newcomer.name)) == ["Noé Nouveau", "Nadia Nouvelle"], "not someone who has attended before")
            #expect(introductions.allSatisfy { $0.buddy.name == "Bruno Bienveillant" })
            await ctx.runJobs()
            #expect(ctx.mailer.messages(to: "bruno@example.org").contains { $0.text.contains("Nadia Nouvelle") })
            #expect(ctx.mailer.messages(to: "nadia@example.org").contains { $0.text.contains("Bruno Bienveillant") })

            let lead = ctx.browser()
            try await signIn(lead, email: "amb@example.org")
            let list = try await lead.get("/events/\(try event.requireID())/attendees").html
            #expect(list.contains("accueilli·e par Bruno Bienveillant") && list.contains("accueille Nadia Nouvelle · accueille Noé Nouveau"))
        }
    }
}

@Suite("Community health and personal data")
struct CommunityPrivacyTests {
    @Test("Check-ins, radar notes, binômes and buddies are in the export; erased, nothing of the person remains in any table")
    func exportAndErase() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let erased = try await member(ctx, "Élise Effacée", "elise@example.org", lyon)
            let marc = try await member(ctx, "Marc Lyon", "marc@example.org", lyon)
            try await erased.post("/account/community", ["radar": "yes", "pairing": "yes", "buddy": "yes"])
            try await marc.post("/account/community", ["radar": "yes", "pairing": "yes"])
            try await erased.post("/check-in", ["score": "1", "note": "Élise Effacée ne va pas bien"])
            let elise = try #require(try await User.query(on: ctx.db).filter(\.$email == "elise@example.org").first())
            let lead = ctx.browser()
            try await signIn(lead, email: "amb@example.org")
            #expect(try await lead.post("/chapters/lyon/radar/\(try elise.requireID())", ["kind": "call", "note": "Appeler Élise Effacée jeudi"]).status == .seeOther)
            _ = try await PairingRound(application: ctx.app, db: ctx.db, now: ctx.time.now()).run()
            let event = try await makeEvent(ctx, chapter: lyon, title: "Déjeuner", inDays: 6, kind: .lunch)
            try await erased.post("/events/\(try event.requireID())/register")
            try await marc.post("/events/\(try event.requireID())/register")
            await ctx.runJobs()

            let export = try await erased.get("/account/export")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(export.body.readableBytesView)) as? [String: Any])
            let community = try #require(json["community"] as? [String: Any])
            #expect((community["check_ins"] as? [[String: Any]])?.first?["score"] as? Int == 1)
            #expect((community["radar_list"] as? [String: Any])?["signals"] as? [String] == ["low_check_in"], "what the radar's list holds about her")
            #expect((community["radar_actions_about_you"] as? [[String: Any]])?.first?["note"] as? String == "Appeler Élise Effacée jeudi")
            #expect((community["binomes"] as? [[String: Any]])?.first?["with"] as? [String] == ["Marc Lyon"])
            #expect((community["first_event_buddies"] as? [Any])?.count == 1)
            #expect(try await RadarEntry.query(on: ctx.db).filter(\.$user.$id == elise.requireID()).count() == 1, "on the list, to be erased with her")

            try await erased.get("/account/delete")
            #expect(try await erased.post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"]).status == .seeOther)
            await ctx.runJobs()
            let stored = try await everyStoredValue(ctx.db)
            for trace in ["Élise Effacée", "elise@example.org", try elise.requireID().uuidString] {
                #expect(!stored.contains { $0.localizedCaseInsensitiveContains(trace) }, "\(trace) remains")
            }
            #expect(try await lead.get("/chapters/lyon/radar").status == .ok)
            #expect(try await marc.get("/binomes").status == .ok, "the partner's page still reads")
        }
    }
}

@Suite("The ambassador's console and analytics")
struct ConsoleAnalyticsTests {
    @Test("The console: members with their last activity and who welcomed them, events with fill, attendance and no-shows, the trend; its chapter's ambassadors and admins only")
    func console() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon"), paris = try await makeChapter(ctx, "Paris")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "co@example.org", name: "Côme Lyon")
            try await makeAmbassador(ctx, of: paris, email: "amb-paris@example.org", name: "Paul Paris")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            try await makeMember(ctx, "Marc Lyon", email: "marc@example.org", chapter: lyon, headline: "x")
            let lead = ctx.browser()
            try await signIn(lead, email: "amb@example.org")
            let leaUser = try #require(try await User.query(on: ctx.db).filter(\.$email == "lea@example.org").first())
            try await lead.post("/chapters/lyon/welcome/\(try leaUser.requireID())", ["note": "Café ensemble"])
            try await lea.post("/discussions/lyon/new", ["title": "Bonjour", "body": "Ravie d'être là"])
            let coming = try await makeEvent(ctx, chapter: lyon, title: "Repas de décembre", capacity: 40, inDays: 8)
            try await lea.post("/events/\(try coming.requireID())/register")
            let past = try await makeEvent(ctx, chapter: lyon, title: "Afterwork d'octobre", capacity: 20, inDays: -20, kind: .afterwork)
            try await recordAttendance(ctx, at: past, of: leaUser, .attended)
            try await recordAttendance(ctx, at: past, of: try #require(try await User.query(on: ctx.db).filter(\.$email == "marc@example.org").first()), .noShow)
            let page = try await lead.get("/chapters/lyon/console")
            #expect(page.status == .ok)
            let html = page.html
            #expect(html.contains("Léa Lyon") && html.contains("Ambre Lyon") && html.contains("Marc Lyon"))
            #expect(html.contains("message le") || html.contains("connexion le"), "the last activity, in words")
            #expect(html.contains("Repas de décembre") && html.contains("inscrits : 1 · places : 40 · en attente : 0") && html.contains("2 %"))
            #expect(html.contains("Afterwork d&#39;octobre") && html.contains("présents : 1 · places : 20 · absents : 1") && html.contains("5 %"))
            #expect(html.contains("<svg") && html.contains("Présence par rapport à la capacité"))
            #expect(html.contains("depuis le"), "mandates with their start")

            let parisLead = ctx.browser()
            try await signIn(parisLead, email: "amb-paris@example.org")
            #expect(try await parisLead.get("/chapters/lyon/console").status == .forbidden)
            #expect(try await lea.get("/chapters/lyon/console").status == .forbidden)
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            #expect(try await admin.get("/chapters/lyon/console").status == .ok)

            // Stepping down: the notes are required; then the mandate ends and the co-ambassador reads them.
            let refused = try await lead.post("/chapters/lyon/step-down", ["note": "  "])
            #expect(refused.status == .unprocessableEntity && refused.html.contains("field-error"))
            #expect(try await parisLead.post("/chapters/lyon/step-down", ["note": "Pas mon antenne"]).status == .forbidden)
            #expect(try await admin.post("/chapters/lyon/step-down", ["note": "Je ne suis pas ambassadrice"]).status == .forbidden)
            #expect(try await lead.post("/chapters/lyon/step-down", ["note": "Le Café des Canuts nous réserve la salle du fond."]).status == .seeOther)
            #expect(try await Ambassadorship.query(on: ctx.db).filter(\.$chapter.$id == lyon.requireID()).count() == 1)
            #expect(try await lead.get("/chapters/lyon/console").status == .forbidden)
            let co = ctx.browser()
            try await signIn(co, email: "co@example.org")
            #expect(try await co.get("/chapters/lyon/console").html.contains("Le Café des Canuts nous réserve la salle du fond."))
        }
    }

    @Test("Analytics: admins see every chapter, ambassadors theirs only; each chart is SVG with its table and a CSV; a bad month is a translated error with the input kept")
    func analytics() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon"), paris = try await makeChapter(ctx, "Paris")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            try await makeMember(ctx, "Pia Paris", email: "pia@example.org", chapter: paris, headline: "x")
            try await makeEvent(ctx, chapter: lyon, title: "Repas mensuel", inDays: -10)
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            let all = try await admin.get("/analytics")
            #expect(all.status == .ok)
            #expect(all.html.components(separatedBy: "<svg").count - 1 == 8 && all.html.contains("<th scope=\"row\">"))
            #expect(all.html.contains("Rencontres par antenne"))
            #expect(all.html.contains("Antennes sans rencontre depuis 60 jours") && all.html.contains("<li>Paris</li>"))
            let csv = try await admin.get("/analytics/csv?chart=members")
            #expect(csv.status == .ok && csv.headers.contentType?.subType == "csv")
            let lines = csv.body.string.split(separator: "\r\n")
            #expect(lines.count == 13 && lines.last?.hasPrefix(Month.key(ctx.time.now()) + ",2,2") == true, "\(lines.last ?? "")")

            let lead = ctx.browser()
            try await signIn(lead, email: "amb@example.org")
            let mine = try await lead.get("/analytics")
            #expect(mine.status == .ok && !mine.html.contains("<li>Paris</li>") && !mine.html.contains("Toutes les antennes"))
            let lyonCSV = try await lead.get("/analytics/csv?chart=members&chapter=lyon").body.string
            #expect(lyonCSV.split(separator: "\r\n").last?.hasPrefix(Month.key(ctx.time.now()) + ",1,1") == true, "Lyon's member only")
            #expect(try await lead.get("/analytics?chapter=paris").status == .forbidden)
            #expect(try await lead.get("/analytics/csv?chart=members&chapter=paris").status == .forbidden)
            #expect(try await lea.get("/analytics").status == .forbidden)
            #expect(try await ctx.browser().get("/analytics").status != .ok)
            let bad = try await admin.get("/analytics?from=2026-13&to=2025-01")
            #expect(bad.status == .unprocessableEntity && bad.html.contains("2026-13") && bad.html.contains("n&#39;est pas au format 2026-03"))
            #expect(try await admin.get("/analytics/csv?chart=nothing").status == .notFound)
            #expect(try await admin.get("/analytics/csv?chart=members&from=x").status == .unprocessableEntity)
        }
    }

    @Test("A CSV field is quoted when it must be and never read as a formula")
    func csvFields() {
        #expect(ChartModel.csvField("Lyon") == "Lyon")
        #expect(ChartModel.csvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(ChartModel.csvField("-12") == "-12")
        #expect(ChartModel.csvField("a,b") == "\"a,b\"")
    }
}

@Suite("The demo community's health")
struct DemoHealthTests {
    @Test("seed --demo: every reason to be on the radar in Lyon, a year of monthly meals, three months of binômes, a buddy at a coming event")
    func demo() async throws {
        try await withMaillon { ctx in
            let hash = try await ctx.app.password.async(on: ctx.app.threadPool, hopTo: ctx.app.eventLoopGroup.next()).hash("demo demo demo")
            _ = try await DemoCommunity(database: ctx.db, now: ctx.time.now(), passwordHash: hash).seed(members: 200)
            let lyon = try #require(try await Chapter.query(on: ctx.db).filter(\.$slug == "lyon").first())
            let facts = try await RadarFactsLoader(db: ctx.db as! any SQLDatabase, now: ctx.time.now()).facts(chapter: lyon.requireID())
            let signals = facts.flatMap { Radar.signals($0, now: ctx.time.now(), thresholds: RadarThresholds()) }
            #expect(signals.contains { if case .quiet = $0 { true } else { false } })
            #expect(signals.contains { if case .noFirstEvent = $0 { true } else { false } })
            #expect(signals.contains { if case .cancellations = $0 { true } else { false } })
            #expect(signals.contains { if case .lowCheckIn = $0 { true } else { false } })
            let kept = Set(try await RadarEntry.query(on: ctx.db).filter(\.$chapter.$id == lyon.requireID()).all(\.$signals).flatMap { $0.split(separator: ",") })
            #expect(kept.isSuperset(of: ["0", "1", "2", "3"]), "the seed's first look kept every reason")
            let meals = try await Event.query(on: ctx.db).filter(\.$chapter.$id == lyon.requireID()).filter(\.$kind == .monthlyMeal)
                .filter(\.$startsAt < ctx.time.now()).count()
            #expect(meals >= 12)
            #expect(Set(try await PairingMember.query(on: ctx.db).all(\.$month)).count == 3)
            #expect(try await BuddyIntroduction.query(on: ctx.db).count() >= 5)
            // Seats still add up after the demo's changes.
            for event in try await Event.query(on: ctx.db).all() {
                let confirmed = try await Registration.query(on: ctx.db).filter(\.$event.$id == event.requireID()).filter(\.$status == .confirmed).count()
                #expect(confirmed == event.confirmedCount && confirmed <= event.capacity, "\(event.title)")
            }
            let lead = ctx.browser()
            try await signIn(lead, email: "membre1@maillon.example", password: "demo demo demo")
            for path in ["/chapters/lyon/radar", "/chapters/lyon/console", "/analytics"] { #expect(try await lead.get(path).status == .ok, "\(path)") }
        }
    }
}
