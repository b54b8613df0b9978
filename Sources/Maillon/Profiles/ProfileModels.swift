import Fluent
import Foundation

public final class ProfileSkill: Model, @unchecked Sendable {
    public static let schema = "profile_skills"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Field(key: "slug") public var slug: String
    @Field(key: "label") public var label: String

    public init() {}
}

public final class ProfileCause: Model, @unchecked Sendable {
    public static let schema = "profile_causes"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Field(key: "cause") public var cause: String

    public init() {}
}
