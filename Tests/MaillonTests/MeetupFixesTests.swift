import Fluent
import Foundation
@testable import Maillon
import NIOConcurrencyHelpers
import Testing
import Vapor
import VaporTesting

/// An ambassador of Lyon, signed in, and the event form's values for an event starting at `start`.
private func organiser(_ ctx: TestContext) async throws -> (Chapter, TestBrowser) {
    let lyon = try await makeChapter(ctx, "Lyon")
    try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
    let browser = ctx.browser()
    try await signIn(browser, email: "amb@example.org")
    try await browser.get("/events/new")
    return (lyon, browser)
}

private func eventForm(_ chapter: Chapter, start: Date, repeat rule: String = "none", title: String = "Déjeuner du mardi") throws -> [String: String] {
    ["title": title, "kind": "lunch", "chapter": try chapter.requireID().uuidString, "description": "On déjeune ensemble.",
     "starts_at": FormReader.localDateTimeValue(start), "ends_at": FormReader.localDateTimeValue(start.addingTimeInterval(5400)),
     "venue_name": "Café des Canuts", "venue_address": "12 rue d'Austerlitz", "capacity": "10", "visibility": "members", "repeat": rule]
}

private func register(_ ctx: TestContext, _ user: User, _ event: Event) async throws {
    _ = try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).register(event.requireID(), userID: user.requireID(), note: "") }
}

private func paris(_ date: Date) -> DateComponents {
    Recurrence.calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: date)
}

/// A job whose work is cut short at shutdown the way a mail send is: with its own error, not a cancellation.
struct InterruptedSendJob: Job {
    static let kind = "test-interrupted-send"
    let tag: String

    struct GreetingRefused: Error {}

    func run(_ context: JobContext) async throws {
        _ = JobLedger.record(tag)
        do { try await Task.sleep(for: .seconds(30)) } catch { throw GreetingRefused() }
    }
}

@Suite("Meetups: what an organiser tripped on")
struct MeetupFixesTests {
    @Test("Reminders go per registration: someone given a seat after the others were reminded gets one; someone who cancelled does not")
    func remindersPerRegistration() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, capacity: 2, inDays: 0.5)
            let crowd = try await makeCrowd(ctx, 3)
            for user in crowd { try await register(ctx, user, event) }
            let context = JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID())
            try await EventRemindersJob().run(context)
            await ctx.runJobs()
            #expect(ctx.mailer.messages(to: "crowd0@example.org").filter { $0.subject.contains("rappel") }.count == 1)
            // crowd0 cancels after being reminded; crowd2 gets the seat and must be reminded too.
            _ = try await ctx.db.transaction { db in try await Seats(database: db, now: ctx.time.now()).cancel(event.requireID(), userID: crowd[0].requireID()) }
            try await EventRemindersJob().run(context)
            try await EventRemindersJob().run(context)
            await ctx.runJobs()
            #expect(ctx.mailer.messages(to: "crowd2@example.org").filter { $0.subject.contains("rappel") }.count == 1, "promoted after the first round")
            #expect(ctx.mailer.messages(to: "crowd0@example.org").filter { $0.subject.contains("rappel") }.count == 1, "no second one")
            #expect(ctx.mailer.messages(to: "crowd1@example.org").filter { $0.subject.contains("rappel") }.count == 1, "once each")
        }
    }

    @Test("Two instances running the reminders at once remind each seat once")
    func remindersAcrossInstances() async throws {
        try await withTwoInstances { first, second in
            let lyon = try await makeChapter(first, "Lyon")
            let event = try await makeEvent(first, chapter: lyon, capacity: 5, inDays: 0.5)
            for user in try await makeCrowd(first, 5) { try await register(first, user, event) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for instance in [first, second, first, second] {
                    group.addTask { try await EventRemindersJob().run(JobContext(application: instance.app, logger: instance.app.logger, jobID: UUID())) }
                }
                try await group.waitForAll()
            }
            let reminders = try await AppNotification.query(on: first.db).filter(\.$kind == NotificationKind.eventReminder.id).all()
            #expect(reminders.count == 5, "one per seat")
            #expect(Set(reminders.map { $0.$user.id }).count == 5)
        }
    }

    @Test("Reminders say today or tomorrow from the real date")
    func reminderWording() throws {
        let formatter = ISO8601DateFormatter()
        let evening = try #require(formatter.date(from: "2026-12-03T17:00:00Z")) // 18:00 in Paris, Thursday
        #expect(RelativeDay.of(try #require(formatter.date(from: "2026-12-03T19:30:00Z")), from: evening) == .today)
        #expect(RelativeDay.of(try #require(formatter.date(from: "2026-12-04T11:30:00Z")), from: evening) == .tomorrow)
        // 23:30 UTC on the 3rd is already the 4th in Paris.
        #expect(RelativeDay.of(try #require(formatter.date(from: "2026-12-03T23:30:00Z")), from: evening) == .tomorrow)
        #expect(RelativeDay.of(try #require(formatter.date(from: "2026-12-05T09:00:00Z")), from: evening) == .later)
    }

    @Test("An event made a few hours ahead is reminded as \"today\", in the member's language")
    func reminderToday() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let event = try await makeEvent(ctx, chapter: lyon, inDays: 0)
            // Starts an hour from now, or at 23:59 if that would be tomorrow in Paris.
            let midnight = Recurrence.calendar.date(bySettingHour: 23, minute: 59, second: 0, of: ctx.time.now())!
            event.startsAt = min(ctx.time.now().addingTimeInterval(3600), midnight)
            if event.startsAt <= ctx.time.now() { event.startsAt = ctx.time.now().addingTimeInterval(30) }
            event.endsAt = event.startsAt.addingTimeInterval(3600)
            event.registrationDeadline = event.startsAt
            try await event.save(on: ctx.db)
            let english = try await makeUser(ctx, email: "en@example.org", name: "Emma", locale: .en)
            try await register(ctx, english, event)
            try await EventRemindersJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            await ctx.runJobs()
            let mail = try #require(ctx.mailer.messages(to: "en@example.org").last)
            #expect(mail.subject.contains("your event today"))
            #expect(mail.text.contains("is today at"))
            #expect(!mail.text.contains("tomorrow"))
        }
    }

    @Test("A deadline left at its default follows the start; one set by hand after the new start is refused; an earlier one is told")
    func deadlines() async throws {
        try await withMaillon { ctx in
            let (lyon, browser) = try await organiser(ctx)
            let start = ctx.time.now().addingTimeInterval(10 * 86400)
            var form = try eventForm(lyon, start: start)
            #expect(try await browser.post("/events/new", form).status == .seeOther)
            let event = try #require(try await Event.query(on: ctx.db).first())
            let id = try event.requireID()
            let member = try await makeUser(ctx, email: "membre@example.org", name: "Membre")
            try await register(ctx, member, event)
            // The edit form leaves a default deadline empty, so it keeps following the start.
            let edit = try await browser.get("/events/\(id)/edit")
            #expect(edit.html.contains("name=\"registration_deadline\" type=\"datetime-local\" value=\"\""))

            let moved = start.addingTimeInterval(9 * 86400)
            form["starts_at"] = FormReader.localDateTimeValue(moved)
            form["ends_at"] = FormReader.localDateTimeValue(moved.addingTimeInterval(5400))
            form["registration_deadline"] = ""
            #expect(try await browser.post("/events/\(id)/edit", form).status == .seeOther)
            #expect(try await Event.find(id, on: ctx.db)?.registrationDeadline == FormReader.localDateTime(form["starts_at"]!))

            // A deadline chosen by hand that falls after the (new) start.
            form["registration_deadline"] = FormReader.localDateTimeValue(moved.addingTimeInterval(3600))
            let refused = try await browser.post("/events/\(id)/edit", form)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("La date limite d&#39;inscription doit précéder le début."))

            // Registrations now close two days before: those registered are told.
            let earlier = moved.addingTimeInterval(-2 * 86400)
            form["registration_deadline"] = FormReader.localDateTimeValue(earlier)
            #expect(try await browser.post("/events/\(id)/edit", form).status == .seeOther)
            let told = try #require(ctx.mailer.messages(to: "membre@example.org").last)
            #expect(told.subject.contains("date limite"))
            #expect(told.text.contains("fermeront plus tôt"))
        }
    }

    @Test("\"Last Friday\" is offered when the first date is the last such weekday: 25 December 2026, then 29 January")
    func lastWeekdayOfMonth() throws {
        let formatter = ISO8601DateFormatter()
        let christmas = try #require(formatter.date(from: "2026-12-25T18:00:00Z")) // 19:00 in Paris
        #expect(Recurrence.isLastOfMonth(christmas))
        #expect(Recurrence.monthly(like: christmas) == .monthly(week: 4, weekday: 6), "same rank: the fourth Friday")
        #expect(!Recurrence.isLastOfMonth(try #require(formatter.date(from: "2026-12-18T18:00:00Z"))))
        let now = try #require(formatter.date(from: "2026-11-27T10:00:00Z"))
        let values = ["title": "Afterwork", "description": "Fin d'année", "kind": "afterwork", "chapter": "",
                      "starts_at": "2026-12-25T19:00", "ends_at": "2026-12-25T22:00", "venue_name": "Bar", "venue_address": "Rue", "visibility": "members", "repeat": "monthly_last"]
        let input = EventInput(values: values, allowedChapters: [], allowsNational: true, now: now, isNew: true)
        #expect(input.errors.isEmpty)
        #expect(input.recurrence == .monthly(week: -1, weekday: 6))
        let next = try #require(input.recurrence?.occurrences(after: christmas, until: christmas.addingTimeInterval(40 * 86400)).first)
        #expect(paris(next).month == 1 && paris(next).day == 29 && paris(next).hour == 19)
        // Not the last Friday: refused with its own message.
        let fourth = EventInput(values: values.merging(["starts_at": "2026-12-18T19:00", "ends_at": "2026-12-18T22:00"]) { $1 },
                                allowedChapters: [], allowsNational: true, now: now, isNew: true)
        #expect(fourth.errors["repeat"] == "event.repeat.not_last")
    }

    @Test("Ending a series from a date on cancels those dates with the usual mail and makes no more")
    func endSeries() async throws {
        try await withMaillon { ctx in
            let (lyon, browser) = try await organiser(ctx)
            let start = ctx.time.now().addingTimeInterval(2 * 86400)
            #expect(try await browser.post("/events/new", try eventForm(lyon, start: start, repeat: "weekly")).status == .seeOther)
            let series = try #require(try await EventSeries.query(on: ctx.db).first())
            let dates = try await Event.query(on: ctx.db).sort(\.$startsAt).all()
            #expect(dates.count >= 12)
            let member = try await makeUser(ctx, email: "membre@example.org", name: "Membre")
            try await register(ctx, member, dates[2])
            let page = try await browser.get("/events/series/\(try series.requireID())")
            #expect(page.status == .ok)
            #expect(page.html.contains("Arrêter la série"))
            let english = ctx.browser(language: "en")
            try await signIn(english, email: "amb@example.org")
            let inEnglish = try await english.get("/events/series/\(try series.requireID())")
            #expect(inEnglish.html.contains("End the series") && inEnglish.html.contains("Change the rule or the time"))
            #expect(try await english.get("/events/\(try dates[0].requireID())").html.contains("Manage the series"))

            let from = String(FormReader.localDateTimeValue(dates[1].startsAt).prefix(10))
            #expect(try await browser.post("/events/series/\(try series.requireID())/end", ["from": from, "form": "end"]).status == .seeOther)
            let after = try await Event.query(on: ctx.db).sort(\.$startsAt).all()
            #expect(after[0].status == .scheduled, "the date before stays")
            #expect(after.dropFirst().allSatisfy { $0.status == .cancelled })
            #expect(try await EventSeries.find(series.id, on: ctx.db)?.active == false)
            let mail = try #require(ctx.mailer.messages(to: "membre@example.org").last)
            #expect(mail.subject.contains("annulé"))
            #expect(mail.attachments.first?.content.contains("STATUS:CANCELLED") == true)
            ctx.time.advance(by: 30 * 86400)
            try await ExtendSeriesJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            #expect(try await Event.query(on: ctx.db).count() == after.count, "no new date")
            // Someone else's series is not theirs to end.
            let (_, member2) = try await signedInBrowser(ctx)
            #expect(try await member2.get("/events/series/\(try series.requireID())").status == .forbidden)
        }
    }

    @Test("Changing a series' rule and time regenerates the coming dates, keeping (and listing) those edited alone or with registrations")
    func changeSeries() async throws {
        try await withMaillon { ctx in
            let (lyon, browser) = try await organiser(ctx)
            let start = ctx.time.now().addingTimeInterval(2 * 86400)
            #expect(try await browser.post("/events/new", try eventForm(lyon, start: start, repeat: "weekly")).status == .seeOther)
            let series = try #require(try await EventSeries.query(on: ctx.db).first())
            let seriesID = try series.requireID()
            let dates = try await Event.query(on: ctx.db).sort(\.$startsAt).all()
            // Date 2 is edited on its own (a minute later); date 3 has someone registered.
            ctx.time.advance(by: 60)
            try await signIn(browser, email: "amb@example.org")
            var alone = EventInput.values(of: dates[1])
            alone["title"] = "Déjeuner spécial"
            #expect(try await browser.post("/events/\(try dates[1].requireID())/edit", alone).status == .seeOther)
            let member = try await makeUser(ctx, email: "membre@example.org", name: "Membre")
            try await register(ctx, member, dates[2])

            let oldWeekday = paris(dates[0].startsAt).weekday!
            let newWeekday = oldWeekday % 7 + 1
            let today = String(FormReader.localDateTimeValue(ctx.time.now()).prefix(10))
            let changed = try await browser.post("/events/series/\(seriesID)/change", ["form": "change", "frequency": "weekly", "weekday": String(newWeekday),
                                                                                      "week": "1", "time": "18:15", "from": today])
            #expect(changed.status == .ok)
            #expect(changed.html.contains("2 dates gardées telles quelles"))
            #expect(changed.html.contains(DateFormatting.dateTime(dates[1].startsAt, .fr)))
            #expect(changed.html.contains(DateFormatting.dateTime(dates[2].startsAt, .fr)))

            let after = try await Event.query(on: ctx.db).filter(\.$series.$id == seriesID).filter(\.$status == .scheduled).sort(\.$startsAt).all()
            let kept = Set([try dates[1].requireID(), try dates[2].requireID()])
            for event in after where !kept.contains(try event.requireID()) {
                #expect(paris(event.startsAt).weekday == newWeekday && paris(event.startsAt).hour == 18 && paris(event.startsAt).minute == 15)
            }
            #expect(try await Event.find(dates[1].id, on: ctx.db)?.title == "Déjeuner spécial")
            #expect(try await Event.find(dates[2].id, on: ctx.db)?.startsAt == dates[2].startsAt)
            #expect(try await Registration.query(on: ctx.db).filter(\.$status == .confirmed).count() == 1, "no seat taken from anyone")
            #expect(try await EventSeries.find(seriesID, on: ctx.db)?.weekday == newWeekday)
            #expect(after.count >= 12)
            // The daily job goes on with the new rule.
            ctx.time.advance(by: 20 * 86400)
            try await ExtendSeriesJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            let extended = try await Event.query(on: ctx.db).filter(\.$series.$id == seriesID).sort(\.$startsAt, .descending).first()
            #expect(extended.map { paris($0.startsAt).weekday == newWeekday && paris($0.startsAt).hour == 18 } == true)
        }
    }

    @Test("The personal feed shows a waitlist place as TENTATIVE with its position, never as confirmed")
    func feedWaitlistTentative() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let (user, _) = try await signedInBrowser(ctx)
            let full = try await makeEvent(ctx, chapter: lyon, title: "Repas complet", capacity: 1)
            let other = try await makeUser(ctx, email: "first@example.org", name: "Première")
            try await register(ctx, other, full)
            try await register(ctx, user, full)
            let token = try await CalendarController.token(userID: user.requireID(), on: ctx.db)
            let feed = try await ctx.browser().get(SiteURL.personalCalendar(try user.requireID(), token))
            #expect(feed.html.contains("STATUS:TENTATIVE"))
            #expect(!feed.html.contains("STATUS:CONFIRMED"))
            #expect(feed.html.contains("SUMMARY:Repas complet (liste d'attente\\, position 1)"))
        }
    }

    @Test("A cancelled event shows \"cancelled\" and nothing to do: no \"you are registered\", no button, no places left")
    func cancelledEventPage() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let (user, browser) = try await signedInBrowser(ctx)
            let event = try await makeEvent(ctx, chapter: lyon, title: "Repas annulé")
            try await register(ctx, user, event)
            event.status = .cancelled
            try await event.save(on: ctx.db)
            let page = try await browser.get("/events/\(try event.requireID())")
            #expect(page.html.contains("Annulé") || page.html.contains("annulé"))
            #expect(!page.html.contains("id=\"unregister\""))
            #expect(!page.html.contains("Vous êtes inscrit"))
            #expect(!page.html.contains("places restantes"))
            let list = try await browser.get("/events?tab=mine")
            #expect(list.html.contains("Repas annulé"))
            #expect(!list.html.contains("39 places restantes"))
            #expect(!list.html.contains("badge-ok\">Inscrit"))
        }
    }

    @Test("Organisers' messages carry their reply address only if they choose to share it; the confirmation says how many were written to")
    func messageReplyTo() async throws {
        try await withMaillon { ctx in
            let (lyon, browser) = try await organiser(ctx)
            let event = try await makeEvent(ctx, chapter: lyon)
            let id = try event.requireID()
            for user in try await makeCrowd(ctx, 2) { try await register(ctx, user, event) }
            let form = try await browser.get("/events/\(id)/message")
            #expect(form.html.contains("amb@example.org"), "the checkbox says which address")
            try await browser.post("/events/\(id)/message", ["text": "Sans adresse."])
            let plain = try #require(ctx.mailer.messages(to: "crowd0@example.org").last)
            #expect(plain.replyTo == nil)
            #expect(plain.text.contains("ne sont pas lues"))
            #expect(MailFormat.render(plain, from: "Maillon <no-reply@localhost>").contains("Reply-To") == false)

            try await browser.get("/events/\(id)/message")
            let sent = try await browser.post("/events/\(id)/message", ["text": "Avec adresse.", "share_address": "yes"])
            #expect(sent.status == .seeOther)
            let shared = try #require(ctx.mailer.messages(to: "crowd1@example.org").last)
            #expect(shared.replyTo == "amb@example.org")
            #expect(MailFormat.render(shared, from: "Maillon <no-reply@localhost>").contains("Reply-To: amb@example.org"))
            #expect(shared.text.contains("Ambre Lyon"))
            #expect(try await browser.get("/events/\(id)").html.contains("Message envoyé à 2 personnes."))
        }
    }

    @Test("The event form marks the venue and address as required; a time skipped by the clocks gets its own message")
    func formRequiredAndDaylightSaving() async throws {
        try await withMaillon { ctx in
            let (lyon, browser) = try await organiser(ctx)
            let form = try await browser.get("/events/new")
            for name in ["venue_name", "venue_address"] {
                #expect(form.html.contains("name=\"\(name)\" type=\"text\" value=\"\" required"))
            }
            var values = try eventForm(lyon, start: ctx.time.now().addingTimeInterval(86400))
            values["starts_at"] = "2027-03-28T02:30"
            values["ends_at"] = "2027-03-28T04:00"
            let refused = try await browser.post("/events/new", values)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("Cette heure n&#39;existe pas à Paris"))
            #expect(!refused.html.contains("Date et heure invalides"))
            #expect(FormReader.readLocalDateTime("2027-02-31T10:00") == .invalid)
            #expect(FormReader.readLocalDateTime("2027-03-28T02:30") == .skipped)
            if case .valid = FormReader.readLocalDateTime("2027-10-31T02:30") {} else { Issue.record("the repeated hour in October exists") }
        }
    }

    @Test("Stopping the workers hands back a job cut short without spending an attempt, and an idle worker stops at once")
    func shutdown() async throws {
        try await withMaillon { ctx in
            ctx.app.jobRegistry.register(InterruptedSendJob.self)
            let tag = UUID().uuidString
            try await JobQueue(database: ctx.db, now: ctx.time.now()).enqueue(InterruptedSendJob(tag: tag))
            let workers = JobWorkers(application: ctx.app, count: 1, pollInterval: .milliseconds(20), grace: .milliseconds(200))
            workers.start()
            for _ in 0..<200 where JobLedger.count(tag) == 0 { try await Task.sleep(for: .milliseconds(20)) }
            await workers.stop()
            let job = try #require(try await JobRecord.query(on: ctx.db).filter(\.$kind == InterruptedSendJob.kind).first())
            #expect(job.status == .queued, "handed back, not failed")
            #expect(job.attempts == 0)
            #expect(job.lastError == nil)

            try await JobRecord.query(on: ctx.db).delete()
            let idle = JobWorkers(application: ctx.app, count: 2)
            idle.start()
            try await Task.sleep(for: .milliseconds(100))
            let clock = ContinuousClock()
            let took = await clock.measure { await idle.stop() }
            #expect(took < .seconds(5), "stopped in \(took), not after the 20 s grace")
        }
    }

    @Test("Every count in words agrees with its number, in both languages")
    func plurals() throws {
        let catalogue = try Catalogue.load(from: "Resources/Locales")
        for locale in AppLocale.allCases {
            let entries = try #require(catalogue.entries[locale])
            let countKeys = entries.keys.filter { $0.hasSuffix(".one") }.map { String($0.dropLast(4)) }
            #expect(countKeys.count >= 10)
            let t = Translator(catalogue: catalogue, locale: locale)
            for key in countKeys {
                #expect(entries[key + ".other"] != nil, "\(key).other in \(locale)")
                for number in [0, 1, 2] {
                    let text = t.count(key, number, "40", "x")
                    #expect(text.contains(String(number)), "\(key) with \(number)")
                    let singular = locale == .fr ? number < 2 : number == 1
                    #expect(text == catalogue.translate(key + (singular ? ".one" : ".other"), locale, [String(number), "40", "x"]))
                }
            }
            // No other text puts a number before a countable noun: those go through the keys above.
            let nouns = locale == .fr ? "personnes?|places?|membres?|inscrit|présent|lignes?|dates?" : "people|person|places?|members?|registered|rows?|dates?"
            let pattern = try NSRegularExpression(pattern: "\\{\\d\\}( / \\{\\d\\})? (\(nouns))")
            for (key, text) in entries where !key.hasSuffix(".one") && !key.hasSuffix(".other") {
                #expect(pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil, "\(key): \(text)")
            }
        }
        let fr = Translator(catalogue: catalogue, locale: .fr)
        #expect(fr.count("event.attended_count", 1) == "1 présent·e")
        #expect(fr.count("event.places_left", 1, "40") == "1 place restante sur 40")
        #expect(Translator(catalogue: catalogue, locale: .en).count("event.cancel_confirm", 1, "Repas") .contains("1 person registered"))
    }
}
