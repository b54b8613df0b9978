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

extension DemoCommunity {
    /// The long thread the benchmark reads (300 posts, in Lyon's space), at a fixed address.
    static let longThreadID = UUID(uuidString: "00000000-0000-4000-8000-000000000300")!
    static let longThreadLength = 300

    /// `seed --posts N`: N more posts for the benchmarks — a 300-post thread in Lyon's space, then
    /// threads of twenty posts spread over every space — written in multi-row batches and indexed.
    func seedPosts(_ total: Int) async throws -> Int {
        var random = Generator(state: 1_000_003)
        let authors = try await Profile.query(on: database).limit(3000).all().map { ($0.$user.id, $0.$homeChapter.id) }
        let spaces = try await Space.query(on: database).all()
        guard !authors.isEmpty, let lyon = spaces.first(where: { $0.slug == "lyon" }) else { return 0 }
        let lyonAuthors = authors.filter { $0.1 == lyon.$chapter.id }.map(\.0)
        let subjects = ["Devis", "Facturation", "Prospection", "Tarifs", "Contrat", "Portage", "Assurance", "Accessibilité", "Coworking", "Bilan carbone",
                        "Appel d'offres", "Négociation", "Comptabilité", "Formation", "Recrutement", "Mécénat de compétences"]
        let fragments = ["Je me demandais comment vous faisiez pour", "Bonne question, de mon côté j'ai choisi de", "Attention aux délais de paiement quand on",
                         "Avec les associations, il vaut mieux", "J'ai eu le même souci l'an dernier en voulant", "Le plus simple reste de",
                         "Un modèle de devis clair aide beaucoup à", "Pensez à l'acompte avant de", "Les collectivités demandent souvent de",
                         "En micro-entreprise, on peut", "Le bilan carbone d'une mission permet de", "Pour l'accessibilité, commencez par"]
        let endings = ["fixer un prix juste.", "présenter une offre lisible.", "relancer sans froisser.", "répondre à plusieurs.", "tenir ses marges.",
                       "négocier sereinement.", "garder du temps pour soi.", "choisir ses clients.", "travailler en équipe.", "mesurer son impact."]
        func body() -> String { "\(random.pick(fragments)) \(random.pick(endings)) \(random.pick(fragments).lowercased()) \(random.pick(endings))" }

        var written = 0
        var threadNumber = 0
        while written < total {
            let long = written == 0
            let size = min(long ? Self.longThreadLength : 20, total - written)
            let space = long ? lyon : spaces[threadNumber % spaces.count]
            let chapterAuthors = space.$chapter.id.map { chapter in authors.filter { $0.1 == chapter }.map(\.0) } ?? []
            let pool = long ? lyonAuthors : (chapterAuthors.isEmpty ? authors.map(\.0) : chapterAuthors)
            guard !pool.isEmpty else { break }
            let start = now.addingTimeInterval(-Double(threadNumber % 365) * 86400 - 3600)
            let thread = DiscussionThread()
            thread.id = long ? Self.longThreadID : UUID()
            thread.$space.id = try space.requireID()
            thread.$author.id = pool[threadNumber % pool.count]
            thread.title = long ? "Le grand fil de l'entraide lyonnaise" : "\(random.pick(subjects)) : vos retours (\(threadNumber))"
            thread.isHelpRequest = threadNumber % 4 == 0
            thread.replyCount = size - 1
            thread.lastPostAt = start.addingTimeInterval(Double(size) * 600)
            thread.createdAt = start
            var posts: [Post] = []
            var documents: [(postID: UUID, spaceID: UUID, createdAt: Date, text: String)] = []
            for index in 0..<size {
                let post = Post()
                post.id = UUID()
                post.$thread.id = try thread.requireID()
                post.$author.id = pool[(threadNumber + index * 7) % pool.count]
                post.body = body()
                post.createdAt = start.addingTimeInterval(Double(index + 1) * 600)
                posts.append(post)
                documents.append((post.id ?? UUID(), try space.requireID(), post.createdAt, index == 0 ? thread.title + " " + post.body : post.body))
            }
            if thread.isHelpRequest, threadNumber % 8 == 0, posts.count > 1 { thread.answerPostID = posts[1].id }
            let rows = posts, indexed = documents, record = thread
            try await database.transaction { db in
                try await record.create(on: db)
                for chunk in stride(from: 0, to: rows.count, by: 500) {
                    try await Array(rows[chunk..<min(rows.count, chunk + 500)]).create(on: db)
                    try await PostSearch.insertNew(Array(indexed[chunk..<min(indexed.count, chunk + 500)]), on: db)
                }
            }
            written += size
            threadNumber += 1
        }
        return written
    }
}
