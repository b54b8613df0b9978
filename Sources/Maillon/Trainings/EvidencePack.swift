import Fluent
import Foundation
import Vapor
import ZIPFoundation

/// A session's evidence for an auditor, in one ZIP: the programme version it ran with, the internal
/// rules, the convocations with their sending times, the attendance sheet, each certificate, the
/// assessments and the surveys' answers.
struct EvidencePack {
    let documents: TrainingDocuments
    let now: Date

    func zip(_ session: TrainingSession) async throws -> Data {
        let t = documents.t
        let database = documents.database
        let facts = try await documents.facts(session)
        var files: [(String, Data)] = []
        // The programme as this session's version said it.
        let content = try await TrainingVersion.query(on: database).filter(\.$training.$id == session.$training.id)
            .filter(\.$number == session.trainingVersion).first()?.decoded() ?? facts.training.content
        files.append(("programme-v\(session.trainingVersion).pdf", programme(content)))
        if let version = session.rulesVersion,
           let rules = try await TrainingRulesText.query(on: database).filter(\.$version == version).first() {
            files.append(("reglement-interieur-v\(version).txt", Data(rules.body.utf8)))
        }
        let all = try await Enrolment.query(on: database).filter(\.$session.$id == session.requireID()).sort(\.$createdAt).all()
        func name(_ enrolment: Enrolment) -> String { enrolment.$user.id.flatMap { facts.names[$0] } ?? enrolment.retainedName ?? t("person.former_member") }
        files.append(("convocations.csv", csv([[t("evidence.trainee"), t("evidence.convocation_sent_at")]]
            + all.map { [name($0), $0.convocationSentAt.map { ISO8601DateFormatter().string(from: $0) } ?? ""] })))
        files.append(("emargement.pdf", documents.attendanceSheet(facts)))
        for (index, enrolment) in facts.enrolments.enumerated() {
            files.append(("certificats/\(String(format: "%02d", index + 1))-\(Slug.make(name(enrolment))).pdf", documents.certificate(facts, for: enrolment, now: now)))
        }
        files.append(("evaluations.csv", csv([[t("evidence.trainee"), t("evidence.objective"), t("evidence.entry"), t("evidence.result")]]
            + facts.assessments.sorted { ($0.$enrolment.id.uuidString, $0.objectiveIndex) < ($1.$enrolment.id.uuidString, $1.objectiveIndex) }.map { assessment in
                let enrolment = facts.enrolments.first { $0.id == assessment.$enrolment.id }
                return [enrolment.map(name) ?? "", assessment.objective, assessment.entry.map { t("assessment.result.\($0.rawValue)") } ?? "",
                        assessment.result.map { t("assessment.result.\($0.rawValue)") } ?? ""]
            })))
        let responses = try await SurveyResponse.query(on: database).filter(\.$session.$id == session.requireID()).sort(\.$createdAt).all()
        files.append(("questionnaires.csv", csv([[t("evidence.kind"), t("evidence.satisfaction"), t("evidence.objectives_met"), t("evidence.recommends"),
                                                  t("evidence.applied"), t("evidence.comment")]]
            + responses.map { [$0.kind.rawValue, String($0.satisfaction), $0.objectivesMet.map(String.init) ?? "", $0.recommends.map { $0 ? "1" : "0" } ?? "",
                               $0.applied.map(String.init) ?? "", $0.comment] })))
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, data) in files {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), modificationDate: now, compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return archive.data ?? Data()
    }

    private func programme(_ content: TrainingContent) -> Data {
        let t = documents.t
        var pdf = PDFWriter()
        pdf.paragraph(content.title, size: 18, bold: true, after: 10)
        for (label, text) in [(t("training.field.objectives"), content.objectives), (t("training.field.prerequisites"), content.prerequisites),
                              (t("training.field.audience"), content.audience), (t("training.duration"), ProgrammePage.duration(content, t)),
                              (t("training.field.modality"), content.modality.map { t("training.modality.\($0.rawValue)") } ?? ""),
                              (t("training.field.price_inter"), ProgrammePage.price(content.priceInter, t)), (t("training.field.access_delay"), content.accessDelay),
                              (t("training.field.methods"), content.methods), (t("training.field.evaluation"), content.evaluation),
                              (t("training.field.programme"), content.programme), (t("training.field.accessibility"), content.accessibility),
                              (t("training.field.contacts"), content.contacts)] {
            pdf.paragraph(label, bold: true)
            pdf.paragraph(text, after: 8)
        }
        return pdf.render()
    }

    private func csv(_ rows: [[String]]) -> Data {
        Data(("\u{FEFF}" + rows.map { $0.map(BPF.csvField).joined(separator: ";") }.joined(separator: "\r\n") + "\r\n").utf8)
    }
}
