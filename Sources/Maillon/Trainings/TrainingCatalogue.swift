import Fluent
import Foundation

/// Saving trainings: the content, a version each time it changes (who and when), publication.
struct TrainingCatalogue {
    /// A transaction.
    let database: any Database
    let now: Date

    func create(_ input: TrainingInput, by author: User) async throws -> Training {
        let training = Training()
        training.slug = try await freeSlug(input.content.title)
        training.status = input.publish ? .published : .draft
        training.version = 1
        training.content = input.content
        training.createdAt = now
        training.updatedAt = now
        try await training.create(on: database)
        try await keepVersion(of: training, by: author)
        return training
    }

    /// Saves the content (a new version only if it changed) and publishes or withdraws the training.
    /// The training's row is locked first, so two admins saving at once make two numbered versions.
    func update(_ id: UUID, with input: TrainingInput, by author: User) async throws {
        try await database.lockRow(of: Training.schema, id: id, touching: "version")
        guard let training = try await Training.find(id, on: database) else { throw PageError.notFound }
        if training.content != input.content {
            training.content = input.content
            training.version += 1
            training.updatedAt = now
            try await keepVersion(of: training, by: author)
        }
        training.status = input.publish ? .published : .draft
        try await training.update(on: database)
    }

    private func keepVersion(of training: Training, by author: User) async throws {
        let version = TrainingVersion()
        version.$training.id = try training.requireID()
        version.number = training.version
        version.content = String(decoding: try JSONEncoder().encode(training.content), as: UTF8.self)
        version.$author.id = author.id
        version.createdAt = now
        try await version.create(on: database)
    }

    /// The title as a slug, with a number when taken (slugs never change once given).
    private func freeSlug(_ title: String) async throws -> String {
        let base = Slug.make(title).isEmpty ? "formation" : String(Slug.make(title).prefix(80))
        // "rules", "sessions" and "mine" are pages of their own under /trainings.
        let taken = Set(try await Training.query(on: database).filter(\.$slug >= base).all(\.$slug)).union(["rules", "sessions", "mine"])
        var slug = base
        var suffix = 2
        while taken.contains(slug) {
            slug = "\(base)-\(suffix)"
            suffix += 1
        }
        return slug
    }
}
