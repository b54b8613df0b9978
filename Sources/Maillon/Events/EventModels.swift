import Fluent
import Foundation

/// A meetup: a chapter's, or national, or online. Seats are counted on the event row itself
/// (`confirmedCount`), changed only by `Seats`, so the capacity holds under parallel requests.
public final class Event: Model, @unchecked Sendable {
    public static let schema = "events"

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case lunch, breakfast, coworking, afterwork, monthlyMeal = "monthly_meal", workshop, online
        /// The seats of a training session (`TrainingSession`): never listed or organised as a meetup.
        case training

        /// What organisers choose from.
        static let meetups: [Kind] = allCases.filter { $0 != .training }
    }

    public enum Visibility: String, Codable, Sendable, CaseIterable {
        /// Only members see it.
        case members
        /// Listed to visitors too (and in the chapter's public feed); registering stays for members.
        case `public`
    }

    public enum Status: String, Codable, Sendable { case scheduled, cancelled }

    @ID(key: .id) public var id: UUID?
    /// Nil for a national or online event.
    @OptionalParent(key: "chapter_id") public var chapter: Chapter?
    @OptionalParent(key: "series_id") public var series: EventSeries?
    @Field(key: "kind") public var kind: Kind
    @Field(key: "title") public var title: String
    @Field(key: "description") public var description: String
    @Field(key: "starts_at") public var startsAt: Date
    @Field(key: "ends_at") public var endsAt: Date
    @Field(key: "venue_name") public var venueName: String
    @Field(key: "venue_address") public var venueAddress: String
    @OptionalField(key: "map_url") public var mapURL: String?
    /// Shown only to confirmed participants (and organisers).
    @OptionalField(key: "online_url") public var onlineURL: String?
    @Field(key: "capacity") public var capacity: Int
    @Field(key: "confirmed_count") public var confirmedCount: Int
    /// The last waitlist number handed out: first come, first served.
    @Field(key: "waitlist_sequence") public var waitlistSequence: Int
    @Field(key: "registration_deadline") public var registrationDeadline: Date
    @Field(key: "cost_note") public var costNote: String
    @Field(key: "visibility") public var visibility: Visibility
    @Field(key: "status") public var status: Status
    /// Bumped on every change of time or place, so calendars see a new version (iCalendar SEQUENCE).
    @Field(key: "revision") public var revision: Int
    @OptionalParent(key: "created_by_id") public var createdBy: User?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date
    /// No longer used: reminders are per registration (`Registration.remindedAt`) since migration 009.
    @OptionalField(key: "reminded_at") public var remindedAt: Date?

    public init() {}

    /// A new scheduled event: no seat given, no one waiting, first revision.
    init(createdBy: UUID?, capacity: Int, now: Date) {
        self.$createdBy.id = createdBy
        self.capacity = capacity
        self.confirmedCount = 0
        self.waitlistSequence = 0
        self.status = .scheduled
        self.revision = 0
        self.createdAt = now
        self.updatedAt = now
    }

    /// Another date of this event (a series' occurrence): the same details, times moved to `start`.
    func occurrence(at start: Date, series: UUID, now: Date) -> Event {
        let event = Event(createdBy: $createdBy.id, capacity: capacity, now: now)
        event.$chapter.id = $chapter.id
        event.$series.id = series
        event.kind = kind
        event.title = title
        event.description = description
        event.startsAt = start
        event.endsAt = start.addingTimeInterval(endsAt.timeIntervalSince(startsAt))
        event.registrationDeadline = start.addingTimeInterval(registrationDeadline.timeIntervalSince(startsAt))
        event.venueName = venueName
        event.venueAddress = venueAddress
        event.mapURL = mapURL
        event.onlineURL = onlineURL
        event.costNote = costNote
        event.visibility = visibility
        return event
    }

    var placesLeft: Int { max(0, capacity - confirmedCount) }
    /// Registrations close at the start unless the organiser chose an earlier time.
    var hasDefaultDeadline: Bool { registrationDeadline == startsAt }
    var isCancelled: Bool { status == .cancelled }
}

/// A member's registration (inscription) to an event.
public final class Registration: Model, @unchecked Sendable {
    public static let schema = "event_registrations"

    public enum Status: String, Codable, Sendable, CaseIterable { case confirmed, waitlisted, cancelled }
    public enum Attendance: String, Codable, Sendable, CaseIterable { case attended, noShow = "no_show" }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "event_id") public var event: Event
    @Parent(key: "user_id") public var user: User
    @Field(key: "status") public var status: Status
    /// The place in the queue while waitlisted (lower goes first).
    @OptionalField(key: "waitlist_number") public var waitlistNumber: Int?
    /// A diet, an accessibility need: for the organisers only.
    @Field(key: "note") public var note: String
    @OptionalField(key: "attendance") public var attendance: Attendance?
    /// When this person's day-before reminder went out (once each, across instances).
    @OptionalField(key: "reminded_at") public var remindedAt: Date?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}
}

/// A rule that generates dated occurrences ahead of time: "every Tuesday", "the first Thursday of
/// every month". Each occurrence is an ordinary event, editable on its own.
public final class EventSeries: Model, @unchecked Sendable {
    public static let schema = "event_series"

    @ID(key: .id) public var id: UUID?
    @OptionalParent(key: "chapter_id") public var chapter: Chapter?
    /// `weekly` or `monthly`.
    @Field(key: "frequency") public var frequency: String
    /// 1 = Sunday … 7 = Saturday (Gregorian calendar weekday).
    @Field(key: "weekday") public var weekday: Int
    /// For monthly series: 1…4 for the nth weekday of the month, -1 for the last.
    @OptionalField(key: "week_of_month") public var weekOfMonth: Int?
    /// The event every occurrence copies (title, times of day, place, capacity…).
    @Parent(key: "template_event_id") public var template: Event
    /// Occurrences exist up to this day; the generation job moves it forward.
    @Field(key: "generated_until") public var generatedUntil: Date
    @Field(key: "active") public var active: Bool
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// The version of a member's personal calendar feed: the feed's secret is derived from it, so
/// rotating (version + 1) turns the old address off at once. No row means version 0.
public final class CalendarFeed: Model, @unchecked Sendable {
    public static let schema = "calendar_feeds"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Field(key: "version") public var version: Int

    public init() {}
}
