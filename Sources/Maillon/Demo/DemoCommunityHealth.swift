import Fluent
import Foundation
import SQLKit

extension DemoCommunity {
    /// What community health needs to show something real: mandates that began a while ago, a year of
    /// monthly meals for the charts, members drifting away for each of the radar's reasons in every
    /// chapter, check-ins, three months of past binômes, and first-event buddies at coming events.
    func seedCommunityHealth(chapters: [UUID], random: inout SplitMix) async throws {
        let sql = database as! any SQLDatabase
        let day: TimeInterval = 86400
        for mandate in try await Ambassadorship.query(on: database).all() {
            mandate.startedAt = now.addingTimeInterval(-Double(300 + random.next() % 400) * day)
            try await mandate.save(on: database)
        }
        let ambassadors = Set(try await Ambassadorship.query(on: database).all(\.$user.$id))
        let calendar = Schedule.calendar
        let month = calendar.date(from: calendar.dateComponents([.year, .month], from: now)) ?? now

        for (index, chapterID) in chapters.enumerated() {
            let name = Self.chapters[index].name
            let pool = try await Profile.query(on: database).filter(\.$homeChapter.$id == chapterID).sort(\.$user.$id).limit(60).all(\.$user.$id)
                .filter { !ambassadors.contains($0) }
            guard pool.count >= 8 else { continue }
            // A year of monthly meals (the one of last month exists already), each a little different.
            for back in 2...12 {
                guard let start = calendar.date(byAdding: DateComponents(month: -back, day: 9, hour: 20), to: month) else { continue }
                let present = min(pool.count, 22 + Int(random.next() % 19))
                try await makeEvent(chapter: chapterID, kind: .monthlyMeal, title: "Repas mensuel — \(name)", start: start, hours: 3, capacity: 40,
                                    venue: "Café des Tiers-Lieux", address: "Centre-ville, \(name)", people: Array(pool.shuffled(using: &random).prefix(present)))
            }
            // Four people drifting away, each for one of the radar's reasons.
            let quiet = pool[pool.count - 1], newcomer = pool[pool.count - 2], canceller = pool[pool.count - 3], low = pool[pool.count - 4]
            try await Profile.query(on: database).filter(\.$user.$id ~~ [quiet, newcomer, canceller, low]).set(\.$radarOptOut, to: false).update()
            try await sql.raw("""
                DELETE FROM event_registrations WHERE user_id = \(bind: quiet)
                AND event_id IN (SELECT id FROM events WHERE starts_at > \(bind: now.addingTimeInterval(-80 * day)) AND starts_at < \(bind: now))
                """).run()
            try await Post.query(on: database).filter(\.$author.$id == quiet).delete()
            try await DirectMessage.query(on: database).filter(\.$author.$id == quiet).delete()
            try await Profile.query(on: database).filter(\.$user.$id == quiet).set(\.$lastActiveAt, to: now.addingTimeInterval(-75 * day))
                .set(\.$joinedAt, to: now.addingTimeInterval(-500 * day)).update()
            try await sql.raw("""
                DELETE FROM event_registrations WHERE user_id = \(bind: newcomer) AND event_id IN (SELECT id FROM events WHERE starts_at < \(bind: now))
                """).run()
            try await Profile.query(on: database).filter(\.$user.$id == newcomer).set(\.$joinedAt, to: now.addingTimeInterval(-40 * day))
                .set(\.$chapterSince, to: now.addingTimeInterval(-40 * day)).set(\.$lastActiveAt, to: now.addingTimeInterval(-3 * day)).update()
            let past = try await Registration.query(on: database).filter(\.$user.$id == canceller).join(Event.self, on: \Registration.$event.$id == \Event.$id)
                .filter(Event.self, \.$startsAt < now).sort(Event.self, \.$startsAt, .descending).limit(3).with(\.$event).all()
            for registration in past {
                registration.status = .cancelled
                registration.attendance = nil
                registration.createdAt = registration.event.startsAt.addingTimeInterval(-3 * day)
                try await registration.save(on: database)
            }
            try await sql.raw("""
                UPDATE event_registrations SET created_at = \(bind: now.addingTimeInterval(-90 * day)) WHERE user_id = \(bind: canceller) AND status <> \(bind: Registration.Status.cancelled.rawValue)
                """).run()
            let checkIn = CheckIn()
            checkIn.$user.id = low
            checkIn.month = Month.key(now)
            checkIn.score = 2
            checkIn.note = "Pas de nouvelle mission depuis la rentrée, je doute un peu."
            checkIn.createdAt = now.addingTimeInterval(-2 * day)
            try await checkIn.create(on: database)
            // Others answered the month's check-in well enough.
            for user in pool.dropLast(4) where random.chance(30) {
                let answer = CheckIn()
                answer.$user.id = user
                answer.month = Month.key(now)
                answer.score = 3 + Int(random.next() % 3)
                answer.createdAt = now.addingTimeInterval(-Double(random.next() % 5) * day)
                try await answer.create(on: database)
            }
            // A buddy greets the newcomer at the chapter's coming coworking day.
            if let coworking = try await Event.query(on: database).filter(\.$chapter.$id == chapterID).filter(\.$kind == .coworking)
                .filter(\.$startsAt > now).first(), coworking.confirmedCount < coworking.capacity,
               let buddy = try await Registration.query(on: database).filter(\.$event.$id == coworking.requireID()).filter(\.$status == .confirmed)
                .filter(\.$user.$id != newcomer).first()?.$user.id {
                if try await Registration.query(on: database).filter(\.$event.$id == coworking.requireID()).filter(\.$user.$id == newcomer).count() == 0 {
                    let registration = Registration()
                    registration.$event.id = try coworking.requireID()
                    registration.$user.id = newcomer
                    registration.status = .confirmed
                    registration.note = ""
                    registration.createdAt = now
                    registration.updatedAt = now
                    try await registration.create(on: database)
                    coworking.confirmedCount += 1
                    try await coworking.save(on: database)
                }
                try await Profile.query(on: database).filter(\.$user.$id == buddy).set(\.$buddyVolunteer, to: true).update()
                let introduction = BuddyIntroduction()
                introduction.$event.id = try coworking.requireID()
                introduction.$newcomer.id = newcomer
                introduction.$buddy.id = buddy
                introduction.createdAt = now
                try await introduction.create(on: database)
            }
        }
        // Past events' seats, as the registrations now say.
        try await sql.raw("""
            UPDATE events SET confirmed_count = (SELECT COUNT(*) FROM event_registrations r WHERE r.event_id = events.id AND r.status = \(bind: Registration.Status.confirmed.rawValue))
            WHERE starts_at < \(bind: now)
            """).run()
        // Three months of binômes, as the monthly job would have made them, most of which met.
        for back in (1...3).reversed() {
            guard let first = calendar.date(byAdding: DateComponents(month: -back, hour: 9), to: month) else { continue }
            _ = try await PairingRound(application: nil, db: database, now: first).run()
            for row in try await PairingMember.query(on: database).filter(\.$month == Month.key(first)).all() {
                row.outcome = random.chance(65) ? .met : (random.chance(40) ? .skipped : .pending)
                row.answeredAt = row.outcome == .pending ? nil : first.addingTimeInterval(Double(3 + random.next() % 20) * day)
                try await row.save(on: database)
            }
        }
    }
}
