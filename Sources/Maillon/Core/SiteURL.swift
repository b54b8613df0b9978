import Foundation
import RoutingKit

/// The one source of truth for paths: routes are registered from these and links are built from them.
public enum SiteURL {
    public static let home = "/"
    public static let signUp = "/sign-up"
    public static let signUpSent = "/sign-up/sent"
    public static let signIn = "/sign-in"
    public static let signInTwoStep = "/sign-in/two-step"
    public static let signOut = "/sign-out"
    public static let verifyEmail = "/verify-email"
    public static let forgotPassword = "/password/forgot"
    public static let resetPassword = "/password/reset"
    public static let account = "/account"
    public static let accountProfile = "/account/profile"
    public static let accountEmail = "/account/email"
    public static let accountPassword = "/account/password"
    public static let accountResendVerification = "/account/verification"
    public static let accountSignOutOthers = "/account/sessions/sign-out-others"
    public static let accountTwoStep = "/account/two-step"
    public static let accountTwoStepEnable = "/account/two-step/enable"
    public static let accountTwoStepDisable = "/account/two-step/disable"
    public static let language = "/language"
    public static let adminUsers = "/admin/users"
    public static let adminJobs = "/admin/jobs"
    public static let adminImport = "/admin/import"
    public static let adminMail = "/admin/mail"
    public static let adminContributions = "/admin/contributions"
    public static let notifications = "/notifications"
    public static let notificationsReadAll = "/notifications/read-all"
    public static let notificationPreferences = "/account/notifications"
    public static let unsubscribe = "/unsubscribe"
    public static let chapters = "/chapters"
    public static let adminChapters = "/admin/chapters"
    public static let charter = "/charter"
    public static let adminCharter = "/admin/charter"
    public static let apply = "/apply"
    public static let myApplication = "/application"
    public static let review = "/review"
    public static let directory = "/directory"
    public static let privacy = "/privacy"
    public static let accountExport = "/account/export"
    public static let accountDelete = "/account/delete"
    public static let myProfile = "/profile"
    public static let myPhoto = "/profile/photo"
    public static let members = "/members"

    public static func member(_ id: UUID) -> String { "\(members)/\(id.uuidString)" }

    public static func chapter(_ slug: String) -> String { "\(chapters)/\(slug)" }
    public static func chapterWelcome(_ slug: String) -> String { "\(chapters)/\(slug)/welcome" }
    public static func chapterRadar(_ slug: String) -> String { "\(chapters)/\(slug)/radar" }
    public static func chapterRadarAction(_ slug: String, _ member: UUID) -> String { "\(chapters)/\(slug)/radar/\(member.uuidString)" }
    /// One's radar, binôme and buddy choices, and what the radar holds about one.
    public static let communitySettings = "/account/community"
    public static let checkIn = "/check-in"
    public static let binomes = "/binomes"
    public static func binome(_ id: UUID, _ answer: String) -> String { "\(binomes)/\(id.uuidString)/\(answer)" }
    public static let adminRadar = "/admin/radar"
    public static func chapterConsole(_ slug: String) -> String { "\(chapters)/\(slug)/console" }
    public static func chapterStepDown(_ slug: String) -> String { "\(chapters)/\(slug)/step-down" }
    public static let analytics = "/analytics"
    public static let analyticsCSV = "/analytics/csv"
    public static func adminChapter(_ id: UUID) -> String { "\(adminChapters)/\(id.uuidString)" }
    public static func reviewApplication(_ id: UUID) -> String { "\(review)/\(id.uuidString)" }
    public static let events = "/events"
    public static let newEvent = "/events/new"
    public static let calendars = "/calendar"
    public static let accountCalendarRotate = "/account/calendar/rotate"

    public static func event(_ id: UUID) -> String { "\(events)/\(id.uuidString)" }
    public static func eventCalendar(_ id: UUID) -> String { "\(event(id))/calendar.ics" }
    public static func eventEdit(_ id: UUID) -> String { "\(event(id))/edit" }
    public static func eventDuplicate(_ id: UUID) -> String { "\(newEvent)?from=\(id.uuidString)" }
    public static func eventRegister(_ id: UUID) -> String { "\(event(id))/register" }
    public static func eventUnregister(_ id: UUID) -> String { "\(event(id))/unregister" }
    public static func eventCancel(_ id: UUID) -> String { "\(event(id))/cancel" }
    public static func eventAttendees(_ id: UUID) -> String { "\(event(id))/attendees" }
    public static func eventAttendance(_ id: UUID, _ registration: UUID) -> String { "\(eventAttendees(id))/\(registration.uuidString)" }
    public static func eventMessage(_ id: UUID) -> String { "\(event(id))/message" }
    public static let eventSeriesRoot = "/events/series"
    public static func eventSeries(_ id: UUID) -> String { "\(eventSeriesRoot)/\(id.uuidString)" }
    public static func eventSeriesChange(_ id: UUID) -> String { "\(eventSeries(id))/change" }
    public static func eventSeriesEnd(_ id: UUID) -> String { "\(eventSeries(id))/end" }
    public static func chapterCalendar(_ slug: String) -> String { "\(chapters)/\(slug)/calendar.ics" }
    public static func personalCalendar(_ user: UUID, _ token: String) -> String { "\(calendars)/\(user.uuidString)/\(token).ics" }
    public static let missions = "/missions"
    public static let newMission = "/missions/new"
    public static func mission(_ id: UUID) -> String { "\(missions)/\(id.uuidString)" }
    public static func missionEdit(_ id: UUID) -> String { "\(mission(id))/edit" }
    public static func missionMove(_ id: UUID) -> String { "\(mission(id))/move" }
    public static let proposals = "/proposals"
    public static func proposal(_ id: UUID) -> String { "\(proposals)/\(id.uuidString)" }
    public static func missionAnswer(_ id: UUID) -> String { "\(mission(id))/answer" }
    public static func missionTeam(_ id: UUID) -> String { "\(mission(id))/team" }
    public static let organisations = "/organisations"
    public static let newOrganisation = "/organisations/new"
    public static func organisation(_ slug: String) -> String { "\(organisations)/\(slug)" }
    public static func organisationContacts(_ slug: String) -> String { "\(organisation(slug))/contacts" }
    public static let trainings = "/trainings"
    public static func training(_ slug: String) -> String { "\(trainings)/\(slug)" }
    public static let adminTrainings = "/admin/trainings"
    public static let newTraining = "/admin/trainings/new"
    public static func trainingEdit(_ id: UUID) -> String { "\(adminTrainings)/\(id.uuidString)/edit" }
    public static func trainingVersion(_ id: UUID, _ number: Int) -> String { "\(adminTrainings)/\(id.uuidString)/versions/\(number)" }
    public static let trainingRules = "/trainings/rules"
    public static let myTrainings = "/trainings/mine"
    public static let trainingAdaptations = "/trainings/adaptations"
    public static let adminTrainingRules = "/admin/trainings/rules"
    public static func trainingSession(_ id: UUID) -> String { "\(trainings)/sessions/\(id.uuidString)" }
    public static func trainingSessionEnrol(_ id: UUID) -> String { "\(trainingSession(id))/enrol" }
    public static func trainingSessionWithdraw(_ id: UUID) -> String { "\(trainingSession(id))/withdraw" }
    public static func trainingSessionTrainees(_ id: UUID) -> String { "\(trainingSession(id))/trainees" }
    public static func trainingSessionInvitations(_ id: UUID) -> String { "\(trainingSession(id))/invitations" }
    public static func newTrainingSession(_ training: UUID) -> String { "\(adminTrainings)/\(training.uuidString)/sessions/new" }
    public static let newComplaint = "/complaints/new"
    public static let adminComplaints = "/admin/complaints"
    public static func adminComplaint(_ id: UUID) -> String { "\(adminComplaints)/\(id.uuidString)" }
    public static let adminImprovements = "/admin/improvements"
    public static func trainingSurvey(_ session: UUID, _ kind: SurveyRequest.Kind) -> String { "\(trainingSession(session))/survey/\(kind.rawValue)" }
    public static let adminBPF = "/admin/trainings/bpf"
    public static func trainingCertificate(_ session: UUID, _ enrolment: UUID) -> String { "\(trainingSession(session))/certificates/\(enrolment.uuidString)" }
    public static func trainingAssessment(_ session: UUID) -> String { "\(trainingSession(session))/assessment" }
    public static func trainingAssessment(_ session: UUID, _ enrolment: UUID) -> String { "\(trainingAssessment(session))/\(enrolment.uuidString)" }
    public static func trainingHalfDayMark(_ session: UUID, _ halfDay: UUID) -> String { "\(trainingHalfDay(session, halfDay))/mark" }
    public static func trainingHalfDayCountersign(_ session: UUID, _ halfDay: UUID) -> String { "\(trainingHalfDay(session, halfDay))/countersign" }
    public static func trainingAttendanceSheet(_ session: UUID) -> String { "\(trainingAttendance(session)).pdf" }
    public static func trainingEvidence(_ session: UUID) -> String { "\(trainingSession(session))/evidence.zip" }
    public static func adminComplaintMove(_ id: UUID) -> String { "\(adminComplaint(id))/move" }
    public static func adminImprovementDone(_ id: UUID) -> String { "\(adminImprovements)/\(id.uuidString)/done" }
    public static let sign = "/sign"
    public static func sign(_ code: String) -> String { "\(sign)/\(code)" }
    public static func trainingAttendance(_ session: UUID) -> String { "\(trainingSession(session))/attendance" }
    public static func trainingHalfDay(_ session: UUID, _ halfDay: UUID) -> String { "\(trainingAttendance(session))/\(halfDay.uuidString)" }
    public static let discussions = "/discussions"
    public static func discussionSpace(_ slug: String) -> String { "\(discussions)/\(slug)" }
    public static func newDiscussionThread(_ slug: String) -> String { "\(discussionSpace(slug))/new" }
    public static func discussionMembership(_ slug: String) -> String { "\(discussionSpace(slug))/membership" }
    public static func discussionThread(_ id: UUID) -> String { "\(discussions)/threads/\(id.uuidString)" }
    public static func discussionReply(_ id: UUID) -> String { "\(discussionThread(id))/reply" }
    public static func discussionFollow(_ id: UUID) -> String { "\(discussionThread(id))/follow" }
    /// A post wherever it is: leads to its thread's page that holds it.
    public static func discussionPost(_ post: UUID) -> String { "\(discussions)/posts/\(post.uuidString)" }
    public static func discussionPostAction(_ post: UUID, _ action: String) -> String { "\(discussions)/posts/\(post.uuidString)/\(action)" }
    public static let discussionSearch = "/discussions/search"
    public static let messages = "/messages"
    public static let newConversation = "/messages/new"
    public static let messageSettings = "/messages/settings"
    public static func conversation(_ id: UUID) -> String { "\(messages)/\(id.uuidString)" }
    public static func writeTo(_ user: UUID) -> String { "\(newConversation)?to=\(user.uuidString)" }
    public static func blockMember(_ user: UUID) -> String { "\(member(user))/block" }
    public static let adminSpaces = "/admin/spaces"
    public static let moderation = "/moderation"
    public static let moderationLog = "/moderation/log"
    public static func moderationAction(_ post: UUID) -> String { "\(moderation)/posts/\(post.uuidString)" }
    public static func liftSuspension(_ suspension: UUID) -> String { "\(moderation)/suspensions/\(suspension.uuidString)/lift" }
    public static let theme = "/theme.css"
    public static let healthz = "/healthz"
    public static let readyz = "/readyz"
    public static let metrics = "/metrics"

    /// A path as Vapor route components (`"/a/b"` → `["a", "b"]`).
    public static func route(_ path: String) -> [PathComponent] {
        path.split(separator: "/").map { PathComponent(stringLiteral: String($0)) }
    }

    /// Accepts only a local path (`/…`, not `//host` nor a scheme), for `next=` and `back=` parameters.
    public static func localPath(_ candidate: String?) -> String? {
        guard let candidate, candidate.utf8.count <= 1000, candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"),
              !candidate.contains(where: { $0.isWhitespace || $0.isNewline }) else { return nil }
        return candidate
    }
}
