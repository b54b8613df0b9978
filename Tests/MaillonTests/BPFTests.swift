import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("BPF")
struct BPFTests {
    @Test("The year's figures come from the half-days attended: by status, funding and training, trainers' hours, income; gaps listed first; a CSV")
    func figures() async throws {
        try await withMaillon { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            let trainerUser = try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now()))
            var free = sessionForm(now: ctx.time.now().addingTimeInterval(7 * 86400))
            free["price"] = "0"
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", free)
            let sessions = try await TrainingSession.query(on: ctx.db).sort(\.$price, .descending).all()
            let paid = try sessions[0].requireID()
            var forms: [[String: String]] = [enrolmentForm, enrolmentForm, enrolmentForm]
            forms[1]["funding"] = "cpf"
            forms[1]["trainee_status"] = "employee"
            for (index, form) in forms.enumerated() {
                let browser = try await secondBrowser(ctx, email: "stagiaire\(index)@example.org", role: .member)
                try await browser.post("/trainings/sessions/\(paid)/enrol", form)
            }
            let halfDays = try await TrainingHalfDay.query(on: ctx.db).filter(\.$session.$id == paid).sort(\.$startsAt).all()
            let enrolments = try await Enrolment.query(on: ctx.db).sort(\.$createdAt).all()
            // Stagiaire 0: every half-day (14 h); stagiaire 1: the first (3.5 h); stagiaire 2: none (not counted).
            for (enrolment, count) in zip(enrolments, [4, 1, 0]) {
                for halfDay in halfDays.prefix(count) {
                    _ = try await Attending(database: ctx.db, now: halfDay.startsAt).sign(halfDay, enrolment, drawing: "", typed: "x", ip: "", device: "")
                }
            }
            let year = Recurrence.calendar.component(.year, from: halfDays[0].startsAt)
            let t = Translator(catalogue: ctx.app.maillon.catalogue, locale: .fr)
            let bpf = try await BPF.compute(year: year, now: ctx.time.now().addingTimeInterval(60 * 86400), on: ctx.db, t: t)
            #expect(bpf.total == BPF.Line(trainees: 2, hours: 17.5, income: 900))
            #expect(bpf.byFunding[.opco] == BPF.Line(trainees: 1, hours: 14, income: 450))
            #expect(bpf.byFunding[.cpf] == BPF.Line(trainees: 1, hours: 3.5, income: 450))
            #expect(bpf.byStatus[.employee]?.trainees == 1 && bpf.byStatus[.other]?.trainees == 1)
            #expect(bpf.byTraining[training.title]?.hours == 17.5)
            #expect(bpf.trainers[trainerUser.name]?.hours == 28 && bpf.trainers[trainerUser.name]?.internal == false, "two sessions of 14 hours, a member")
            #expect(bpf.gaps.map(\.key).contains("bpf.gap.price_zero"))
            #expect(bpf.gaps.map(\.key).contains("bpf.gap.not_countersigned"), "ended, not countersigned")

            let page = try await admin.get("/admin/trainings/bpf?year=\(year)")
            #expect(page.status == .ok && page.html.contains("17,5") && page.html.contains("prix de 0 €"))
            let csv = try await admin.get("/admin/trainings/bpf.csv?year=\(year)")
            #expect(csv.status == .ok && csv.headers.contentType?.subType == "csv")
            #expect(csv.body.string.contains("Par origine des fonds;Mon CPF;1;3,5;450"))
            #expect(BPF.csvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
            #expect(try await admin.get("/admin/trainings/bpf?year=abc").status == .ok)
            let member = try await secondBrowser(ctx, email: "membre@example.org", role: .member)
            #expect(try await member.get("/admin/trainings/bpf").status == .forbidden)
            #expect(try await member.get("/admin/trainings/bpf.csv").status == .forbidden)
        }
    }
}
