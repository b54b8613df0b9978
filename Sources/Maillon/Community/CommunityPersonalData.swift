import Fluent
import Foundation
import Vapor

/// A member's part of community health: their choices, their check-ins, what ambassadors recorded
/// about them on the radar, their binômes and first-event buddies. Erasure takes all of it with the
/// account (the rows cascade); actions they recorded as an ambassador stay, unsigned.
struct CommunitySection: PersonalDataSection {
    let name = "community"

    func export(userID: UUID, on db: any Database) async throws -> Any {
        let profile = try await Profile.query(on: db).filter(\.$user.$id == userID).first()
        let checkIns = try await CheckIn.query(on: db).filter(\.$user.$id == userID).sort(\.$createdAt).all().map {
            ["month": $0.month, "score": $0.score, "note": $0.note ?? NSNull(), "at": PersonalData.stamp($0.createdAt)] as [String: Any]
        }
        let actions = try await RadarAction.query(on: db).filter(\.$member.$id == userID).sort(\.$createdAt).with(\.$by).all().map {
            ["kind": $0.kind.rawValue, "note": $0.note ?? NSNull(), "by": $0.by?.name ?? NSNull(), "at": PersonalData.stamp($0.createdAt)] as [String: Any]
        }
        var binomes: [[String: Any]] = []
        for row in try await PairingMember.query(on: db).filter(\.$user.$id == userID).sort(\.$month).all() {
            let partners = try await PairingMember.query(on: db).filter(\.$pairing.$id == row.$pairing.id).filter(\.$user.$id != userID).with(\.$user).all()
            binomes.append(["month": row.month, "with": partners.map(\.user.name), "outcome": row.outcome.rawValue])
        }
        let buddies = try await BuddyIntroduction.query(on: db).group(.or) { $0.filter(\.$newcomer.$id == userID).filter(\.$buddy.$id == userID) }
            .with(\.$event).with(\.$newcomer).with(\.$buddy).all().map {
                ["event": $0.event.title, "newcomer": $0.newcomer.name, "buddy": $0.buddy.name, "at": PersonalData.stamp($0.createdAt)] as [String: Any]
            }
        // What the radar's last look kept about them, if anything (the signals by name).
        let names = ["low_check_in", "cancellations", "no_first_event", "quiet"]
        let listed = try await RadarEntry.query(on: db).filter(\.$user.$id == userID).first().map { entry -> [String: Any] in
            ["signals": entry.signals.split(separator: ",").compactMap { Int($0) }.filter { names.indices.contains($0) }.map { names[$0] },
             "as_of": PersonalData.stamp(entry.computedAt)]
        }
        return [
            "radar_list": listed ?? NSNull(),
            "radar_opt_out": profile?.radarOptOut ?? false, "binomes_opt_in": profile?.pairingOptIn ?? false, "buddy_volunteer": profile?.buddyVolunteer ?? false,
            "check_ins": checkIns, "radar_actions_about_you": actions, "binomes": binomes, "first_event_buddies": buddies,
        ] as [String: Any]
    }

    func beforeErase(userID: UUID, application: Application, on db: any Database, now: Date) async throws {
        try await RadarAction.query(on: db).filter(\.$by.$id == userID).set(\.$by.$id, to: nil).update()
        try await Handover.query(on: db).filter(\.$user.$id == userID).set(\.$user.$id, to: nil).update()
    }
}
