import Fluent
import Foundation
import Vapor

extension DemoCommunity {
    /// Theme spaces, lively threads in French in the chapters' and theme spaces, help requests (one
    /// resolved, one still waiting for an answer after three days), and a few conversations.
    func seedDiscussions(members count: Int) async throws -> Int {
        func user(_ number: Int) async throws -> User? {
            guard number < count else { return nil }
            return try await User.query(on: database).filter(\.$email == (number == 0 ? "membre@maillon.example" : "membre\(number)@maillon.example")).first()
        }
        var themes: [String: Space] = [:]
        for (name, description) in [
            ("Tarifs et négociation", "Fixer son prix, relire un devis, répondre aux objections : on s'entraide."),
            ("Outils du freelance", "Facturation, gestion du temps, outils libres : retours d'expérience."),
            ("Juridique et statut", "Micro-entreprise, portage, contrats, assurances : posez vos questions."),
            ("RSE et impact", "Mesurer son impact, accompagner les organisations dans leur démarche."),
        ] {
            let space = Space()
            space.slug = try await Space.freeSlug(name, on: database)
            space.name = name
            space.description = description
            space.createdAt = now.addingTimeInterval(-60 * 86400)
            try await space.create(on: database)
            themes[name] = space
        }
        guard let lyon = try await Space.query(on: database).filter(\.$slug == "lyon").first(),
              let paris = try await Space.query(on: database).filter(\.$slug == "paris").first() else { return 0 }
        var threads = 0
        var joined = Set<String>()
        /// A thread: its author and text, then the replies (member number, text, hours after the start).
        func thread(_ space: Space, _ title: String, by author: Int, daysAgo: Double, _ body: String, help: Bool = false, tags: [String] = [],
                    replies: [(Int, String, Double)] = [], answer: Int? = nil, reactions: Int = 0) async throws {
            guard let writer = try await user(author) else { return }
            let start = now.addingTimeInterval(-daysAgo * 86400)
            let row = DiscussionThread()
            row.$space.id = try space.requireID()
            row.$author.id = writer.id
            row.title = title
            row.isHelpRequest = help
            row.replyCount = 0
            row.lastPostAt = start
            row.createdAt = start
            // An old unanswered help request was already brought to those who can help.
            if help, replies.isEmpty { row.escalatedAt = start.addingTimeInterval(49 * 3600) }
            try await row.create(on: database)
            for tag in tags.flatMap({ Taxonomy.normaliseSkills($0) }) {
                let record = ThreadTag()
                record.$thread.id = try row.requireID()
                record.slug = tag.slug
                record.label = tag.label
                try await record.create(on: database)
            }
            var posts: [Post] = []
            for (number, text, hours) in [(author, body, 0.0)] + replies {
                guard let poster = try await user(number) else { continue }
                let post = Post()
                post.$thread.id = try row.requireID()
                post.$author.id = poster.id
                post.body = text
                post.createdAt = start.addingTimeInterval(hours * 3600)
                try await post.create(on: database)
                try await PostSearch.index(post, on: database)
                posts.append(post)
                // Whoever writes in a theme space has joined it.
                if space.isTheme, joined.insert("\(try space.requireID())/\(try poster.requireID())").inserted {
                    let membership = SpaceMember()
                    membership.$space.id = try space.requireID()
                    membership.$user.id = try poster.requireID()
                    membership.joined = true
                    membership.muted = false
                    try await membership.create(on: database)
                }
            }
            row.replyCount = max(0, posts.count - 1)
            row.lastPostAt = posts.last?.createdAt ?? start
            if let answer, answer < posts.count { row.answerPostID = posts[answer].id }
            try await row.update(on: database)
            for number in 0..<min(reactions, count) where posts.count > 1 {
                guard let reader = try await user(number + 2) else { continue }
                let reaction = PostReaction()
                reaction.$post.id = try posts[1].requireID()
                reaction.$user.id = try reader.requireID()
                reaction.kind = [.thanks, .helpful, .agree][number % 3]
                reaction.createdAt = row.lastPostAt
                try await reaction.create(on: database)
            }
            threads += 1
        }
        if let pricing = themes["Tarifs et négociation"] {
            try await thread(pricing, "Relire mon devis pour une association", by: 1, daysAgo: 6,
                             "Bonjour à tous, je prépare un devis pour une association d'insertion (refonte de leur site, 8 jours). **Est-ce que 450 € par jour** vous paraît raisonnable pour ce type de structure ?",
                             help: true, tags: ["Devis"], replies: [
                                (3, "Pour une association, je propose souvent un forfait plutôt qu'un taux journalier : ça rassure le bureau. Et pense à l'acompte de 30 %.", 3),
                                (12, "450 € me semble juste si tu détailles bien les livrables. Tu peux aussi proposer une option *accessibilité* à part.", 20),
                                (1, "Merci, je pars sur un forfait avec acompte !", 26),
                             ], answer: 1, reactions: 4)
            try await thread(pricing, "Clause de révision de prix dans un contrat long", by: 19, daysAgo: 3,
                             "Quelqu'un a-t-il déjà négocié une clause de révision annuelle avec une collectivité ? Je ne sais pas comment la formuler.",
                             help: true, tags: ["Droit des contrats", "Devis"])
        }
        if let tools = themes["Outils du freelance"] {
            try await thread(tools, "Quel outil de facturation libre ?", by: 2, daysAgo: 12,
                             "Je cherche un outil de facturation libre et hébergé en France. Vos retours ?", replies: [
                                (5, "J'utilise Dolibarr depuis deux ans : un peu austère mais complet.", 2),
                                (7, "Pour démarrer, un tableur bien fait suffit. J'ai un modèle si tu veux.", 5),
                             ], reactions: 3)
        }
        if let legal = themes["Juridique et statut"] {
            try await thread(legal, "Portage salarial ou micro-entreprise ?", by: 4, daysAgo: 9,
                             "Je quitte le salariat le mois prochain. Vous avez commencé comment ?", help: true, tags: ["Gestion de projet"], replies: [
                                (6, "Micro-entreprise pour tester, puis passage en société quand le chiffre d'affaires le justifie.", 4),
                             ], answer: 1, reactions: 2)
        }
        try await thread(lyon, "Coworking jeudi à la Croix-Rousse", by: 10, daysAgo: 2,
                         "On se retrouve jeudi à partir de 9 h au tiers-lieu de la Croix-Rousse. Qui vient ?", replies: [
                            (19, "Je serai là l'après-midi !", 1),
                            (28, "Présent le matin, je ramène des croissants.", 3),
                         ], reactions: 2)
        try await thread(paris, "Afterwork du mois : vos idées de lieu", by: 9, daysAgo: 4,
                         "Pour le prochain afterwork, on change de quartier ? Proposez vos adresses.", replies: [
                            (18, "Le café associatif près de Belleville serait parfait.", 6),
                         ])
        // A few conversations.
        for (first, second, text, reply) in [(1, 3, "Merci pour tes conseils sur le devis ! Un café à l'occasion ?", "Avec plaisir, je passe à Lyon le mois prochain."),
                                             (19, 10, "Bonjour, je suis nouvelle à Lyon : tu organises d'autres coworkings ?", "Oui, tous les jeudis ! Je te mets dans la boucle.")] {
            guard let a = try await user(first), let b = try await user(second) else { continue }
            let conversation = Conversation()
            conversation.$createdBy.id = a.id
            conversation.createdAt = now.addingTimeInterval(-86400)
            conversation.lastMessageAt = now.addingTimeInterval(-3600)
            try await conversation.create(on: database)
            for person in [a, b] {
                let member = ConversationMember()
                member.$conversation.id = try conversation.requireID()
                member.$user.id = try person.requireID()
                member.lastReadAt = person.id == a.id ? conversation.createdAt : conversation.lastMessageAt
                try await member.create(on: database)
            }
            for (author, body, at) in [(a, text, conversation.createdAt), (b, reply, conversation.lastMessageAt)] {
                let message = DirectMessage()
                message.$conversation.id = try conversation.requireID()
                message.$author.id = try author.requireID()
                message.body = body
                message.createdAt = at
                try await message.create(on: database)
            }
        }
        return threads
    }
}
