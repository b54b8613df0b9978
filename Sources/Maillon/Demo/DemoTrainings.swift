import Fluent
import Foundation
import Vapor

extension DemoCommunity {
    /// The training organisation's catalogue: four published programmes, one of them the monthly masterclass.
    func seedTrainings(author: User) async throws -> Int {
        let accessibility = """
            Formation accessible aux personnes en situation de handicap : locaux de plain-pied, supports adaptables (gros caractères, lecteur d'écran), rythme aménageable.
            Parlez-en au référent handicap avant l'inscription : nous cherchons ensemble l'adaptation qui vous convient.
            """
        let contacts = "Équipe formation : formation@maillon.example — 01 84 80 00 00"
        let programmes: [TrainingContent] = [
            TrainingContent(title: "Fixer son prix juste de freelance à impact",
                            objectives: "Calculer son taux journalier à partir de ses charges et de ses objectifs de revenu\nConstruire un devis lisible pour une association ou une PME\nNégocier sans brader : répondre à trois objections courantes",
                            prerequisites: "Exercer en freelance depuis au moins six mois.", audience: "Freelances membres de la communauté, toutes professions.",
                            hours: 14, halfDays: 4, modality: .inPerson, priceInter: 450, priceIntra: 2800,
                            accessDelay: "Inscription jusqu'à 7 jours avant la session, dans la limite des places.",
                            methods: "Apports courts, études de cas réels apportés par les stagiaires, jeux de rôle de négociation.\nSupports remis : tableur de calcul du prix, modèles de devis.",
                            evaluation: "Positionnement à l'entrée (questionnaire), exercices corrigés pendant la formation, devis final évalué par le formateur.",
                            programme: "Jour 1 matin : ses charges réelles et son revenu cible\nJour 1 après-midi : du taux journalier au prix d'une mission\nJour 2 matin : le devis qui rassure\nJour 2 après-midi : négocier, et savoir dire non",
                            accessibility: accessibility, contacts: contacts),
            TrainingContent(title: "Accessibilité numérique : les bases du RGAA",
                            objectives: "Repérer les dix erreurs d'accessibilité les plus fréquentes sur un site\nTester une page au clavier et avec un lecteur d'écran\nRédiger une déclaration d'accessibilité",
                            prerequisites: "Savoir publier une page web (CMS ou code).", audience: "Développeurs, designers et chefs de projet web.",
                            hours: 7, halfDays: 2, modality: .remote, priceInter: 300,
                            accessDelay: "Inscription jusqu'à 3 jours avant la session.",
                            methods: "Démonstrations en direct, audit guidé d'un site d'association, quiz.",
                            evaluation: "Quiz d'entrée et de sortie ; audit rendu en fin de journée.",
                            programme: "Matin : pourquoi et pour qui, les critères essentiels du RGAA\nAprès-midi : audit pratique et déclaration d'accessibilité",
                            accessibility: accessibility, contacts: contacts),
            TrainingContent(title: "RSE : accompagner une PME dans sa démarche",
                            objectives: "Présenter les attentes de la CSRD et de l'ISO 26000 à un dirigeant de PME\nConduire un diagnostic RSE en une journée\nConstruire une feuille de route priorisée",
                            prerequisites: "Une première expérience de conseil ou de gestion de projet.", audience: "Consultants et freelances qui accompagnent des entreprises.",
                            hours: 21, halfDays: 6, modality: .mixed, priceInter: 900, priceIntra: 5400,
                            accessDelay: "Inscription jusqu'à 14 jours avant la session.",
                            methods: "Classe virtuelle pour les apports, journée en présentiel pour le cas pratique, fiches outils.",
                            evaluation: "Positionnement à l'entrée, cas pratique évalué, feuille de route présentée au groupe.",
                            programme: "Jour 1 (à distance) : le cadre réglementaire et les référentiels\nJour 2 (en présentiel) : diagnostic d'une PME du territoire\nJour 3 (à distance) : feuille de route et indicateurs",
                            accessibility: accessibility, contacts: contacts),
            TrainingContent(title: "Masterclass mensuelle : les outils du freelance",
                            objectives: "Choisir un outil de facturation conforme à la facturation électronique\nAutomatiser ses relances sans perdre le lien avec ses clients",
                            prerequisites: "Aucun.", audience: "Tous les membres.",
                            hours: 3, halfDays: 1, modality: .remote, priceInter: 0,
                            accessDelay: "Inscription jusqu'à la veille.",
                            methods: "Démonstration commentée puis questions-réponses.",
                            evaluation: "Quiz de fin de séance.",
                            programme: "Un thème par mois, présenté par un membre expert\nQuestions-réponses et partage d'outils",
                            accessibility: accessibility, contacts: contacts),
        ]
        var trainings: [Training] = []
        for content in programmes {
            var input = TrainingInput(values: [:])
            input.content = content
            input.publish = true
            trainings.append(try await TrainingCatalogue(database: database, now: now).create(input, by: author))
        }
        try await TrainingRules.publishRules("""
            Article 1 — Objet. Le présent règlement s'applique à toute personne inscrite à une formation de Maillon, pendant toute sa durée, en présentiel comme à distance.
            Article 2 — Assiduité. Le stagiaire signe la feuille d'émargement à chaque demi-journée ; toute absence est signalée au plus tôt à l'équipe formation.
            Article 3 — Comportement. Chacun respecte les autres participants, les formateurs et les lieux d'accueil ; les propos discriminatoires ne sont pas tolérés.
            Article 4 — Sécurité. Les consignes de sécurité du lieu d'accueil s'appliquent ; en cas d'accident, prévenir immédiatement le formateur.
            Article 5 — Sanctions. Un manquement peut conduire, après que le stagiaire a été entendu, à un avertissement ou à une exclusion.
            Article 6 — Réclamations. Toute réclamation peut être adressée par le formulaire du site ou à formation@maillon.example ; elle reçoit une réponse écrite.
            """, by: author, on: database, now: now)
        try await seedSession(of: trainings[0], by: author)
        try await seedPastSession(of: trainings[1], by: author)
        return programmes.count
    }

    /// A remote day six weeks ago: five trainees signed both half-days (one was absent in the
    /// afternoon), the trainer countersigned each; certificates can be downloaded.
    private func seedPastSession(of training: Training, by admin: User) async throws {
        let day = Recurrence.calendar.startOfDay(for: now.addingTimeInterval(-42 * 86400))
        let enrolledOn = day.addingTimeInterval(-14 * 86400)
        var input = SessionInput(values: ["day1": String(FormReader.localDateTimeValue(now.addingTimeInterval(86400)).prefix(10)), "morning_start": "09:00",
                                          "morning_end": "12:30", "afternoon_start": "13:30", "afternoon_end": "17:00", "online_url": "https://visio.example.org/rgaa",
                                          "capacity": "8", "price": "300", "trainers": "membre3@maillon.example"], modality: .remote, now: now)
        guard input.errors.isEmpty, let morning = SessionInput.at(day, 9 * 60), let noon = SessionInput.at(day, 12 * 60 + 30),
              let afternoon = SessionInput.at(day, 13 * 60 + 30), let evening = SessionInput.at(day, 17 * 60) else {
            throw Abort(.internalServerError, reason: "the demo's past session does not validate")
        }
        input.halfDays = [(morning, noon), (afternoon, evening)]
        let people = try await User.query(on: database).filter(\.$email ~~ (["membre3@maillon.example"] + (10...14).map { "membre\($0)@maillon.example" })).sort(\.$email).all()
        guard let trainer = people.first(where: { $0.email == "membre3@maillon.example" }) else { return }
        let session = try await SessionScheduling(database: database, now: enrolledOn).schedule(training, input, trainers: [trainer], by: admin)
        let halfDays = try await TrainingHalfDay.query(on: database).filter(\.$session.$id == session.requireID()).sort(\.$startsAt).all()
        for (index, member) in people.filter({ $0.id != trainer.id }).enumerated() {
            let answers = EnrolmentInput(values: ["expectations": "Rendre accessibles les sites de mes clients associatifs", "level": "practising",
                                                  "trainee_status": "other", "funding": index % 2 == 0 ? "opco" : "person", "ack_programme": "yes", "ack_rules": "yes"])
            let registration = try await Enrolling.record(session, userID: member.requireID(), answers, on: database, now: enrolledOn)
            guard let enrolment = try await Enrolment.query(on: database).filter(\.$registration.$id == registration.requireID()).first() else { continue }
            for (part, halfDay) in halfDays.enumerated() {
                let signedAt = halfDay.startsAt.addingTimeInterval(Double(5 + index) * 60)
                if part == 1 && index == 4 {
                    try await Attending(database: database, now: halfDay.endsAt).mark(halfDay, enrolment: enrolment, absent: true, connected: nil, by: trainer)
                } else {
                    _ = try await Attending(database: database, now: signedAt).sign(halfDay, enrolment, drawing: index % 2 == 0 ? "M10 40 L30 10 L50 40 L70 15 L90 38" : "",
                                                                                    typed: member.name, ip: "192.0.2.\(10 + index)", device: "Mozilla/5.0 (Android 14) Mobile")
                }
            }
        }
        for halfDay in halfDays {
            try await Attending(database: database, now: halfDay.endsAt.addingTimeInterval(300)).countersign(halfDay.requireID(), by: trainer,
                                                                                                            drawing: "M5 30 L25 5 L45 30 L65 8", typed: trainer.name)
        }
        // Everyone answered the hot survey, the trainer theirs.
        let answeredAt = evening.addingTimeInterval(86400)
        let comments = ["Très concret, merci !", "J'aurais aimé plus de temps sur les lecteurs d'écran.", "", "Le quiz de sortie m'a aidé à fixer les notions.", ""]
        for (index, member) in people.enumerated() {
            let request = SurveyRequest()
            request.$session.id = try session.requireID()
            request.kind = member.id == trainer.id ? .trainer : .hot
            request.$user.id = member.id
            request.sentAt = evening
            request.answeredAt = answeredAt
            try await request.create(on: database)
            let response = SurveyResponse()
            response.$session.id = try session.requireID()
            response.kind = request.kind
            response.satisfaction = [5, 4, 5, 4, 5, 4][index % 6]
            response.objectivesMet = request.kind == .trainer ? nil : [4, 5, 4, 5, 3][index % 5]
            response.recommends = request.kind == .hot ? true : nil
            response.comment = comments[index % comments.count]
            response.createdAt = answeredAt
            try await response.create(on: database)
        }
    }

    /// A coming two-day session of the pricing training, with a trainer and a few trainees.
    private func seedSession(of training: Training, by admin: User) async throws {
        let start = Recurrence.calendar.startOfDay(for: now.addingTimeInterval(21 * 86400))
        func day(_ offset: Int) -> String { String(FormReader.localDateTimeValue(start.addingTimeInterval(Double(offset) * 86400 + 7200)).prefix(10)) }
        let input = SessionInput(values: ["day1": day(0), "day2": day(1), "morning_start": "09:00", "morning_end": "12:30", "afternoon_start": "13:30",
                                          "afternoon_end": "17:00", "venue_name": "La Ruche Bastille", "venue_address": "24 rue de l'Est, 75020 Paris",
                                          "capacity": "10", "price": "450", "trainers": "membre3@maillon.example"],
                                 modality: .inPerson, now: now)
        let members = try await User.query(on: database).filter(\.$email ~~ (3...9).map { "membre\($0)@maillon.example" }).sort(\.$email).all()
        guard input.errors.isEmpty, let trainer = members.first else { throw Abort(.internalServerError, reason: "the demo session does not validate") }
        let session = try await SessionScheduling(database: database, now: now).schedule(training, input, trainers: [trainer], by: admin)
        for (index, member) in members.dropFirst().enumerated() {
            let answers = EnrolmentInput(values: [
                "expectations": ["Oser annoncer mon vrai prix", "Construire une grille tarifaire", "Répondre à un appel d'offres d'une collectivité"][index % 3],
                "level": Enrolment.Level.allCases[index % 3].rawValue, "trainee_status": "other", "funding": index % 2 == 0 ? "opco" : "person",
                "ack_programme": "yes", "ack_rules": "yes", "adaptation": index == 0 ? "Supports en gros caractères, merci." : "",
            ])
            _ = try await Enrolling.record(session, userID: member.requireID(), answers, on: database, now: now)
        }
    }
}
