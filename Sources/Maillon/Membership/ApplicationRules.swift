import Foundation

/// Who may move an application where. Plain Swift: tested without HTTP.
public enum ApplicationRules {
    public enum Actor: Sendable { case applicant, reviewer }

    public static func canMove(from: MembershipApplication.Status, to: MembershipApplication.Status, by actor: Actor) -> Bool {
        switch (actor, from, to) {
        case (.applicant, .submitted, .withdrawn), (.applicant, .inReview, .withdrawn): true
        case (.reviewer, .submitted, .inReview): true
        case (.reviewer, .submitted, .accepted), (.reviewer, .inReview, .accepted): true
        case (.reviewer, .submitted, .declined), (.reviewer, .inReview, .declined): true
        default: false
        }
    }

    /// The problems with an application form, as field → catalogue key.
    public static func problems(headline: String, city: String, profession: String, motivation: String,
                                chapterKnown: Bool, charterAccepted: Bool) -> [String: String] {
        var problems: [String: String] = [:]
        if headline.isEmpty { problems["headline"] = "field.required" } else if headline.scalarLength > 120 { problems["headline"] = "field.too_long" }
        if city.isEmpty { problems["city"] = "field.required" } else if city.scalarLength > 80 { problems["city"] = "field.too_long" }
        if !Profession.all.contains(profession) { problems["profession"] = "field.invalid_choice" }
        if motivation.scalarLength < 30 { problems["motivation"] = "application.motivation_short" } else if motivation.scalarLength > 4000 { problems["motivation"] = "field.too_long" }
        if !chapterKnown { problems["chapter"] = "field.invalid_choice" }
        if !charterAccepted { problems["charter"] = "application.charter_required" }
        return problems
    }
}

/// Profession families, as in the directory's facets.
public enum Profession {
    public static let all = ["tech", "communication", "marketing", "csr", "hr", "administration", "design", "finance", "legal", "other"]
}
