import Fluent
import Foundation

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
        for content in programmes {
            var input = TrainingInput(values: [:])
            input.content = content
            input.publish = true
            _ = try await TrainingCatalogue(database: database, now: now).create(input, by: author)
        }
        return programmes.count
    }
}
