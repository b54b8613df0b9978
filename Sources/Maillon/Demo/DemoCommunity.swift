import Fluent
import Foundation
import SQLKit
import Vapor

/// A believable community for demos and benchmarks: chapters with ambassadors, members with
/// French names, varied professions, skills, causes and cities, and pending applications.
/// Deterministic: the same size gives the same community.
struct DemoCommunity {
    let database: any Database
    let now: Date
    let passwordHash: String

    struct Report: Sendable {
        var chapters = 0
        var members = 0
        var applications = 0
        var events = 0
        var missions = 0
        var trainings = 0
        var threads = 0
    }

    static let chapters: [(name: String, region: String, cities: [String])] = [
        ("Paris", "Île-de-France", ["Paris", "Montreuil", "Saint-Denis", "Vincennes", "Boulogne-Billancourt"]),
        ("Lyon", "Auvergne-Rhône-Alpes", ["Lyon", "Villeurbanne", "Vénissieux", "Caluire-et-Cuire"]),
        ("Marseille", "Provence-Alpes-Côte d'Azur", ["Marseille", "Aix-en-Provence", "Aubagne"]),
        ("Bordeaux", "Nouvelle-Aquitaine", ["Bordeaux", "Mérignac", "Pessac", "Bègles"]),
        ("Bretagne", "Bretagne", ["Rennes", "Brest", "Quimper", "Lorient", "Vannes"]),
        ("Auvergne-Rhône-Alpes", "Auvergne-Rhône-Alpes", ["Grenoble", "Clermont-Ferrand", "Annecy", "Saint-Étienne"]),
        ("Nantes", "Pays de la Loire", ["Nantes", "Saint-Nazaire", "Rezé"]),
        ("Lille", "Hauts-de-France", ["Lille", "Roubaix", "Tourcoing"]),
        ("Toulouse", "Occitanie", ["Toulouse", "Blagnac", "Colomiers"]),
    ]

    static let firstNames = ["Léa", "Hugo", "Inès", "Lucas", "Chloé", "Nathan", "Manon", "Louis", "Camille", "Gabriel", "Sarah", "Jules",
                             "Emma", "Arthur", "Zoé", "Adam", "Louise", "Raphaël", "Alice", "Paul", "Jade", "Théo", "Lina", "Malo",
                             "Anaïs", "Yanis", "Clémence", "Mathis", "Juliette", "Noé", "Margaux", "Sacha", "Élodie", "Karim", "Fatou",
                             "Amadou", "Mei", "Nour", "Solène", "Maëlle", "Aurélien", "Rose", "Bastien", "Héloïse", "Idriss", "Océane"]
    static let lastNames = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
                            "Laurent", "Lefèvre", "Michel", "García", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
                            "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martínez", "Le Goff",
                            "Kerhervé", "Benali", "Diallo", "Nguyen", "Haddad", "Caron", "Chevalier", "Garnier", "Faure", "Rousseau"]
    static let headlines: [String: [String]] = [
        "tech": ["Développeuse web pour les associations", "Développeur full-stack engagé", "Data analyste pour l'ESS", "Experte accessibilité numérique", "Développeur mobile indépendant"],
        "communication": ["Chargée de communication responsable", "Rédacteur et storyteller", "Attachée de presse pour l'ESS", "Community manager à impact"],
        "marketing": ["Consultante marketing éthique", "Growth marketer pour start-ups à impact", "Spécialiste SEO et contenus"],
        "csr": ["Consultante RSE et bilan carbone", "Accompagnement à la démarche RSE", "Analyste cycle de vie"],
        "hr": ["Recruteuse pour structures de l'ESS", "Consultant RH et qualité de vie au travail", "Formatrice en management bienveillant"],
        "administration": ["Assistante administrative indépendante", "Office manager à temps partagé"],
        "design": ["Designer UX/UI", "Graphiste et illustratrice", "Directeur artistique freelance", "Designer de services publics"],
        "finance": ["Contrôleuse de gestion à temps partagé", "Expert en levée de fonds associative"],
        "legal": ["Juriste ESS et RGPD", "Conseil juridique pour associations"],
        "other": ["Facilitatrice graphique", "Coach en transition professionnelle", "Traductrice FR-EN"],
    ]
    static let skillsByProfession: [String: [String]] = [
        "tech": ["Développement web", "Développement mobile", "DevOps", "Data", "No-code", "WordPress", "Accessibilité numérique", "Swift", "Python"],
        "communication": ["Rédaction", "Relations presse", "Community management", "Stratégie de communication", "Vidéo"],
        "marketing": ["SEO", "Marketing digital", "Growth", "CRM", "Rédaction"],
        "csr": ["Bilan carbone", "Stratégie RSE", "Analyse du cycle de vie", "Facilitation"],
        "hr": ["Recrutement", "Formation", "Coaching", "Facilitation"],
        "administration": ["Assistanat", "Gestion de projet", "Comptabilité"],
        "design": ["UX design", "UI design", "Identité visuelle", "Illustration", "Motion design", "Figma"],
        "finance": ["Contrôle de gestion", "Comptabilité", "Levée de fonds"],
        "legal": ["Juridique ESS", "RGPD"],
        "other": ["Facilitation", "Coaching", "Traduction", "Photographie"],
    ]
    static let bios = [
        "Freelance depuis quelques années, j'accompagne des associations et des entreprises de l'ESS.",
        "Après dix ans en agence, je me suis mise à mon compte pour travailler sur des projets qui ont du sens.",
        "J'aime les projets collectifs et je cherche des binômes pour répondre à des missions plus ambitieuses.",
        "Basé en région, je travaille surtout à distance et je viens aux déjeuners de l'antenne dès que je peux.",
    ]

    /// A small deterministic generator (SplitMix64): same seed, same community.
    /// A generated member's handle: their name and their number, unique however many share the name.
    static func handle(_ name: String, number: Int) -> String { "\(Slug.make(name).prefix(40))-\(String(number, radix: 36))" }

    /// The demo's deterministic numbers: the same community on every machine.
    typealias Generator = SplitMix

    func seed(members count: Int, applications: Int = 8) async throws -> Report {
        var report = Report()
        var random = Generator(state: 2026)
        let charter = Charter()
        charter.version = 1
        charter.body = """
        Nous sommes des freelances qui veulent que leur travail serve des causes sociales et environnementales.

        Nous nous entraidons : personne ne reste isolé·e. Nous partageons nos contacts, nos doutes et nos réussites.

        Nous pratiquons des prix justes, nous respectons nos engagements et nous traitons chacun·e avec bienveillance.
        """
        charter.publishedAt = now
        try await charter.create(on: database)

        var chapterIDs: [(UUID, [String])] = []
        for definition in Self.chapters {
            let chapter = Chapter()
            chapter.name = definition.name
            chapter.slug = Slug.make(definition.name)
            chapter.region = definition.region
            chapter.description = "L'antenne \(definition.name) réunit les freelances à impact du territoire : déjeuners, petits-déjeuners, journées coworking, afterworks et le repas mensuel."
            chapter.contactEmail = "\(chapter.slug)@maillon.example"
            chapter.status = .active
            try await chapter.create(on: database)
            chapterIDs.append((try chapter.requireID(), definition.cities))
            report.chapters += 1
        }

        let admin = User(email: "admin@maillon.example", passwordHash: passwordHash, name: "Alix Admin", role: .admin, locale: .fr)
        admin.emailVerifiedAt = now
        try await admin.create(on: database)
        try await accept(admin, charter)

        // Members, in batches of multi-row inserts so tens of thousands stay quick.
        let batch = 500
        var index = 0
        let chapterList = chapterIDs
        var attendees = Array(repeating: [UUID](), count: chapterIDs.count)
        while index < count {
            let range = index..<min(count, index + batch)
            var rows = MemberRows()
            for number in range {
                makeMember(number, &random, chapters: chapterList, charter: try charter.requireID(), into: &rows)
            }
            for (offset, user) in zip(range, rows.users) where attendees[offset % chapterList.count].count < 60 {
                attendees[offset % chapterList.count].append(user.id ?? UUID())
            }
            let batchRows = rows
            try await database.transaction { db in try await batchRows.insert(on: db) }
            index = range.upperBound
        }
        report.members = count

        // Two ambassadors per chapter: its first two members (membre@ runs Paris, membre1@ Lyon, …).
        for (offset, (chapterID, _)) in chapterIDs.enumerated() {
            let emails = [offset, offset + chapterIDs.count].filter { $0 < count }.map { $0 == 0 ? "membre@maillon.example" : "membre\($0)@maillon.example" }
            for user in try await User.query(on: database).filter(\.$email ~~ emails).all() {
                let ambassadorship = Ambassadorship()
                ambassadorship.$chapter.id = chapterID
                ambassadorship.$user.id = try user.requireID()
                try await ambassadorship.create(on: database)
            }
        }

        report.events = try await seedEvents(chapters: chapterIDs.map(\.0), attendees: attendees)
        report.missions = try await seedMissions(chapters: chapterIDs.map(\.0))
        report.trainings = try await seedTrainings(author: admin)
        report.threads = try await seedDiscussions(members: count)
        // Its own generator: the applicants below stay the same people as before community health.
        var health = SplitMix(seed: 0x4EA17)
        try await seedCommunityHealth(chapters: chapterIDs.map(\.0), random: &health)

        for number in 0..<applications {
            let first = random.pick(Self.firstNames), last = random.pick(Self.lastNames)
            let user = User(email: "candidat\(number + 1)@maillon.example", passwordHash: passwordHash, name: "\(first) \(last)", role: .applicant, locale: .fr)
            user.emailVerifiedAt = now
            try await user.create(on: database)
            let (chapterID, cities) = random.pick(chapterIDs)
            let profession = random.pick(Profession.all)
            let candidate = MembershipApplication()
            candidate.$user.id = try user.requireID()
            candidate.$chapter.id = chapterID
            candidate.headline = random.pick(Self.headlines[profession] ?? ["Freelance"])
            candidate.city = random.pick(cities)
            candidate.profession = profession
            candidate.motivation = "Je suis freelance depuis peu et je me sens isolé·e. J'aimerais rencontrer d'autres indépendant·es engagé·es et répondre à des missions à plusieurs."
            candidate.$charter.id = try charter.requireID()
            candidate.status = number % 3 == 0 ? .inReview : .submitted
            candidate.createdAt = now.addingTimeInterval(-Double(number) * 86400)
            candidate.updatedAt = candidate.createdAt
            try await candidate.create(on: database)
            try await accept(user, charter)
            try await Admission(application: nil, database: database, now: candidate.createdAt).recordOnly(candidate, to: .submitted, actor: user)
            report.applications += 1
        }
        // The radar's first look (the hourly job looks again with the server's thresholds).
        _ = try await RadarWatch(db: database, now: now, thresholds: RadarThresholds()).lookAtEveryChapter()
        return report
    }

    /// Each chapter's past meetups (with who came) and coming ones (the monthly meal nearly full,
    /// a breakfast with a waitlist), and a national online workshop.
    private func seedEvents(chapters: [UUID], attendees: [[UUID]]) async throws -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = DateFormatting.timeZone
        let today = calendar.startOfDay(for: now)
        func at(_ days: Int, _ hour: Int, _ minute: Int = 0) -> Date {
            calendar.date(byAdding: DateComponents(day: days, hour: hour, minute: minute), to: today) ?? now
        }
        // (kind, title, day offset, start hour, length in hours, capacity, registrants)
        let plan: [(Event.Kind, String, Int, Int, Int, Int, Int)] = [
            (.monthlyMeal, "Repas mensuel", -28, 20, 3, 40, 38),
            (.lunch, "Déjeuner freelance", -14, 12, 2, 12, 11),
            (.afterwork, "Afterwork de rentrée", -7, 19, 3, 30, 24),
            (.breakfast, "Petit-déjeuner des indépendant·es", 3, 8, 2, 12, 15),
            (.coworking, "Journée coworking", 6, 9, 8, 20, 9),
            (.monthlyMeal, "Repas mensuel", 13, 20, 3, 40, 38),
            (.workshop, "Atelier : fixer son TJM", 20, 14, 3, 16, 5),
        ]
        var count = 0
        for (index, chapterID) in chapters.enumerated() {
            let name = Self.chapters[index].name
            for (kind, title, day, hour, length, capacity, wanted) in plan {
                let people = Array(attendees[index].prefix(wanted))
                try await makeEvent(chapter: chapterID, kind: kind, title: "\(title) — \(name)", start: at(day, hour, kind == .lunch ? 30 : 0),
                                    hours: length, capacity: capacity, venue: "Café des Tiers-Lieux", address: "Centre-ville, \(name)",
                                    people: people)
                count += 1
            }
        }
        try await makeEvent(chapter: nil, kind: .online, title: "Atelier en ligne : trouver ses premières missions à impact", start: at(9, 18),
                            hours: 2, capacity: 100, venue: "", address: "", people: Array(attendees.flatMap { $0.prefix(4) }.prefix(30)),
                            online: "https://visio.maillon.example/atelier", visibility: .public)
        return count + 1
    }

    func makeEvent(chapter: UUID?, kind: Event.Kind, title: String, start: Date, hours: Int, capacity: Int, venue: String, address: String,
                           people: [UUID], online: String? = nil, visibility: Event.Visibility = .members) async throws {
        let event = Event(createdBy: nil, capacity: capacity, now: now)
        event.$chapter.id = chapter
        event.kind = kind
        event.title = title
        event.description = "Une rencontre pour sortir de l'isolement, partager ses missions et ses doutes.\nOuvert à tous les membres, nouveaux venus bienvenus."
        event.startsAt = start
        event.endsAt = start.addingTimeInterval(Double(hours) * 3600)
        event.registrationDeadline = start
        event.venueName = venue
        event.venueAddress = address
        event.mapURL = venue.isEmpty ? nil : "https://www.openstreetmap.org/"
        event.onlineURL = online
        event.costNote = kind == .online ? "" : "Chacun·e paie sa consommation"
        event.visibility = kind == .monthlyMeal ? .public : visibility
        let past = start < now
        let confirmed = min(capacity, people.count)
        event.confirmedCount = confirmed
        event.waitlistSequence = past ? 0 : max(0, people.count - capacity)
        try await event.create(on: database)
        let eventID = try event.requireID()
        let registrations = people.enumerated().map { offset, userID -> Registration in
            let registration = Registration()
            registration.$event.id = eventID
            registration.$user.id = userID
            registration.status = offset < confirmed ? .confirmed : .waitlisted
            registration.waitlistNumber = offset < confirmed ? nil : offset - confirmed + 1
            registration.note = offset % 7 == 3 ? "Végétarien·ne" : ""
            registration.attendance = past && offset < confirmed ? (offset % 6 == 5 ? .noShow : .attended) : nil
            registration.remindedAt = past ? start : nil
            registration.createdAt = now
            registration.updatedAt = now
            return registration
        }
        if past {
            // Past events kept only the seats.
            try await registrations.filter { $0.status == .confirmed }.create(on: database)
        } else {
            try await registrations.create(on: database)
        }
    }

    /// Organisations (each with a contact, `structure1@maillon.example`…) and missions in every state
    /// this version knows: a draft, one waiting for review, open ones the members fit, and closed ones.
    private func seedMissions(chapters: [UUID]) async throws -> Int {
        let organisations: [(String, Organisation.Kind, String, String, String)] = [
            ("Les Jardins Partagés", .association, "Lyon", "Des jardins partagés et des ateliers d'alimentation durable dans les quartiers.", "sdg11,local_food"),
            ("Coopérative Solaire du Rhône", .essCompany, "Lyon", "Une coopérative citoyenne qui installe des panneaux solaires sur les toits publics.", "sdg7,climate"),
            ("Ville de Montreuil", .publicBody, "Montreuil", "Le service de la vie associative de la ville.", "sdg11,inclusion"),
            ("Atelier Réemploi", .company, "Marseille", "Une entreprise qui répare et revend du matériel informatique.", "circular_economy,sdg12"),
        ]
        // (organisation, title, required skills, nice skills, status, chapter index or nil, work mode, budget, days)
        let plan: [(Int, String, String, String, Mission.Status, Int?, Mission.WorkMode, Mission.Budget, Int)] = [
            (0, "Identité visuelle et site web des jardins", "Identité visuelle, Développement web", "Illustration", .published, 1, .hybrid, .dayRate, 15),
            (1, "Campagne de financement participatif", "Levée de fonds, Community management", "Vidéo", .published, 1, .remote, .fixed, 10),
            (2, "Bilan carbone des équipements municipaux", "Bilan carbone", "Stratégie RSE", .published, 0, .onsite, .dayRate, 12),
            (3, "Site accessible pour la boutique", "Accessibilité numérique, Développement web", "UX design", .submitted, 3, .remote, .dayRate, 8),
            (0, "Formation des bénévoles à l'accueil", "Formation, Facilitation", "", .draft, 1, .onsite, .proBono, 3),
            (2, "Refonte du guide des associations", "Rédaction", "Identité visuelle", .completed, 0, .hybrid, .fixed, 6),
            (1, "Stratégie RSE 2025", "Stratégie RSE", "", .expired, nil, .remote, .dayRate, 5),
        ]
        var created: [UUID] = []
        for (index, definition) in organisations.enumerated() {
            let organisation = Organisation()
            organisation.slug = Slug.make(definition.0)
            organisation.name = definition.0
            organisation.kind = definition.1
            organisation.city = definition.2
            organisation.description = definition.3
            organisation.causes = definition.4
            organisation.createdAt = now.addingTimeInterval(-120 * 86400)
            try await organisation.create(on: database)
            let contact = User(email: "structure\(index + 1)@maillon.example", passwordHash: passwordHash, name: "Contact \(definition.0)",
                               role: .organisationContact, locale: .fr)
            contact.emailVerifiedAt = now
            try await contact.create(on: database)
            let link = OrganisationContact()
            link.$organisation.id = try organisation.requireID()
            link.$user.id = try contact.requireID()
            link.createdAt = organisation.createdAt
            try await link.create(on: database)
            created.append(try organisation.requireID())
        }
        let day: TimeInterval = 86400
        for (offset, item) in plan.enumerated() {
            let finished = [Mission.Status.completed, .expired].contains(item.4)
            let mission = Mission()
            mission.$organisation.id = created[item.0]
            mission.title = item.1
            mission.context = "Nous cherchons des freelances engagé·es pour nous accompagner sur ce projet important pour notre structure."
            mission.deliverables = "Un premier rendu à mi-parcours, puis la version finale et une passation à l'équipe."
            mission.$chapter.id = item.5.map { chapters[$0 % chapters.count] }
            mission.city = item.6 == .remote ? "" : Self.chapters[(item.5 ?? 0) % Self.chapters.count].name
            mission.workMode = item.6
            mission.startsOn = Recurrence.calendar.startOfDay(for: now.addingTimeInterval((finished ? -90 : 30 + Double(offset) * 3) * day))
            mission.durationDays = item.8
            mission.daysPerWeek = 2
            mission.budget = item.7
            mission.rateMin = item.7 == .dayRate ? 350 : nil
            mission.rateMax = item.7 == .dayRate ? 550 : nil
            mission.total = item.7 == .fixed ? 4500 : nil
            mission.applicationDeadline = mission.startsOn.addingTimeInterval(-7 * day)
            mission.audience = .all
            mission.causes = organisations[item.0].4
            mission.status = item.4
            mission.publishedAt = [.published, .completed, .expired].contains(item.4) ? now.addingTimeInterval(-Double(offset + 2) * day) : nil
            mission.createdAt = now.addingTimeInterval(-Double(offset + 5) * day)
            mission.updatedAt = mission.createdAt
            try await mission.create(on: database)
            let missionID = try mission.requireID()
            try await MissionSkill.create(for: missionID, required: Taxonomy.normaliseSkills(item.2), niceToHave: Taxonomy.normaliseSkills(item.3), on: database)
            // The history as it would have happened.
            let path: [Mission.Status] = switch item.4 {
            case .draft: [.draft]
            case .submitted: [.draft, .submitted]
            case .published: [.draft, .submitted, .published]
            case .expired: [.draft, .submitted, .published, .expired]
            default: [.draft, .submitted, .published, .awarded, .delivered, .completed]
            }
            for (step, status) in path.enumerated() {
                let event = MissionEvent()
                event.$mission.id = missionID
                event.fromStatus = step == 0 ? nil : path[step - 1]
                event.toStatus = status
                event.createdAt = mission.createdAt.addingTimeInterval(Double(step) * 3600)
                try await event.create(on: database)
            }
        }
        return plan.count
    }

    private func accept(_ user: User, _ charter: Charter) async throws {
        try await CharterController.recordAcceptance(user, charter, on: database, now: now)
    }

    /// One batch of generated members, inserted a table at a time.
    private struct MemberRows: @unchecked Sendable {  // models are built here, then only read
        var users: [User] = []
        var profiles: [Profile] = []
        var skills: [ProfileSkill] = []
        var causes: [ProfileCause] = []
        var acceptances: [CharterAcceptance] = []
        var documents: [(userID: UUID, body: String)] = []

        func insert(on db: any Database) async throws {
            try await users.create(on: db)
            try await profiles.create(on: db)
            try await skills.create(on: db)
            try await causes.create(on: db)
            try await acceptances.create(on: db)
            let sql = db as! any SQLDatabase
            try await DirectoryIndexes.forDatabase(sql).insertNew(documents, on: sql)
        }
    }

    private func makeMember(_ number: Int, _ random: inout Generator, chapters: [(UUID, [String])], charter: UUID, into rows: inout MemberRows) {
        let first = random.pick(Self.firstNames), last = random.pick(Self.lastNames)
        let email = number == 0 ? "membre@maillon.example" : "membre\(number)@maillon.example"
        let userID = UUID()
        let user = User(id: userID, email: email, passwordHash: passwordHash, name: "\(first) \(last)", role: .member, locale: random.chance(85) ? .fr : .en)
        user.emailVerifiedAt = now
        // Tens of thousands of generated people share a few thousand names: a handle from the member's
        // number cannot collide, where a random suffix would (the handles' index is unique).
        user.handle = Self.handle(user.name, number: number)
        rows.users.append(user)
        let (chapterID, cities) = chapters[number % chapters.count]
        let profession = random.pick(Profession.all)
        let profile = Profile()
        profile.$user.id = userID
        profile.$homeChapter.id = chapterID
        profile.headline = random.pick(Self.headlines[profession] ?? ["Freelance"])
        profile.bio = random.pick(Self.bios)
        profile.city = random.pick(cities)
        profile.profession = profession
        profile.visibility = random.chance(5) ? .hidden : (random.chance(20) ? .public : .members)
        profile.availability = random.pick(["now", "now", "from", "not"])
        profile.availableFrom = profile.availability == "from" ? now.addingTimeInterval(Double(random.next() % 60 + 7) * 86400) : nil
        profile.daysPerWeek = Int(random.next() % 5) + 1
        profile.workMode = random.pick(["remote", "onsite", "both"])
        profile.languages = random.chance(40) ? "fr,en" : "fr"
        profile.yearsExperience = Int(random.next() % 25) + 1
        let rate = 300 + Int(random.next() % 10) * 50
        profile.dayRateMin = rate
        profile.dayRateMax = rate + 150
        profile.joinedAt = now.addingTimeInterval(-Double(random.next() % 900) * 86400)
        profile.updatedAt = profile.joinedAt
        profile.lastActiveAt = now.addingTimeInterval(-Double(random.next() % 120) * 86400)
        profile.chapterSince = profile.joinedAt
        // Community health's choices come from a generator of their own, so the rest of the demo stays as it was.
        var choices = SplitMix(seed: UInt64(number) &+ 0xC0FFEE)
        profile.radarOptOut = choices.chance(3)
        profile.pairingOptIn = choices.chance(40)
        profile.buddyVolunteer = choices.chance(15)
        rows.profiles.append(profile)
        let pool = Self.skillsByProfession[profession] ?? []
        let skills = Taxonomy.normaliseSkills((0..<3).map { _ in random.pick(pool) }.joined(separator: ","))
        for skill in skills {
            let row = ProfileSkill()
            row.$user.id = userID
            row.slug = skill.slug
            row.label = skill.label
            rows.skills.append(row)
        }
        for cause in Set((0..<2).map { _ in random.pick(Taxonomy.causes) }).sorted() {
            let row = ProfileCause()
            row.$user.id = userID
            row.cause = cause
            rows.causes.append(row)
        }
        let acceptance = CharterAcceptance()
        acceptance.$user.id = userID
        acceptance.$charter.id = charter
        acceptance.acceptedAt = now
        rows.acceptances.append(acceptance)
        let body = ([user.name, profile.headline, profile.bio, profile.city] + skills.map(\.label)).joined(separator: " ")
        rows.documents.append((userID, Taxonomy.fold(body)))
    }
}

/// `maillon seed --demo` (about 200 members) or `maillon seed --members N` (a large community for benchmarks).
struct SeedCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "demo", help: "The demo community: chapters, ambassadors, about 200 members, pending applications")
        var demo: Bool
        @Option(name: "members", help: "How many members to generate (deterministic)")
        var members: Int?
        @Option(name: "posts", help: "How many more discussion posts to generate, for the benchmarks (a 300-post thread, then threads of twenty)")
        var posts: Int?
    }

    var help: String { "Fill an empty database with the demo community" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard signature.demo || signature.members != nil else {
            context.console.print("Say --demo, or --members N.")
            return
        }
        let count = signature.members ?? 200
        guard count > 0, count <= 200_000 else { throw SeedError.badCount }
        try await DatabaseSetup.prepare(app)
        try await app.autoMigrate()
        // Run again (as in `seed --demo && serve`), it leaves a database with accounts alone.
        guard try await User.query(on: app.db).count() == 0 else {
            context.console.print("The database already has accounts: nothing seeded.")
            return
        }
        let password = Secret.generate().prefix(16)
        let hash = try await app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next()).hash(String(password))
        let community = DemoCommunity(database: app.db, now: app.maillon.time.now(), passwordHash: hash)
        let report = try await community.seed(members: count)
        let posts = try await community.seedPosts(min(max(signature.posts ?? 0, 0), 5_000_000))
        // Fresh statistics, so the query planner knows the new tables' sizes from the first request.
        let sql = app.db as! any SQLDatabase
        for table in [User.schema, Profile.schema, ProfileSkill.schema, ProfileCause.schema, DiscussionThread.schema, Post.schema] {
            try await sql.raw("ANALYZE \(ident: table)").run()
        }
        context.console.print("""
        Demo community ready: \(report.chapters) chapters, \(report.members) members, \(report.events) events, \(report.applications) pending applications, \(report.missions) missions, \(report.trainings) trainings, \(report.threads) discussion threads\(posts > 0 ? ", \(posts) generated posts" : "").
        Every demo account's password: \(password)
          admin:       admin@maillon.example
          ambassador:  membre@maillon.example (Paris), membre1@maillon.example (Lyon), membre2@… (Marseille)…
          member:      membre42@maillon.example
          applicant:   candidat1@maillon.example
          organisation: structure1@maillon.example (Les Jardins Partagés)
        """)
    }

    enum SeedError: Error, CustomStringConvertible {
        case badCount
        var description: String { "--members takes a number from 1 to 200000." }
    }
}
