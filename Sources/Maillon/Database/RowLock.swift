import Fluent
import Foundation
import SQLKit

extension Database {
    /// Locks one row of `schema` for the rest of the transaction with a no-op update of `column`: a row
    /// lock on PostgreSQL, the write lock on SQLite (taken first, so the transaction never has to
    /// upgrade a read to a write). The one way seat changes and proposal steps serialise.
    func lockRow(of schema: String, id: UUID, touching column: String) async throws {
        try await (self as! any SQLDatabase).raw("UPDATE \(ident: schema) SET \(ident: column) = \(ident: column) WHERE id = \(bind: id)").run()
    }

    /// Locks the model's row as `lockRow` does and reads it in the same statement (`RETURNING`): one
    /// round trip fewer while the lock is held. Nil when there is no such row.
    func lockAndRead<M: Model>(_ model: M.Type, id: UUID, touching column: String) async throws -> M? where M.IDValue == UUID {
        try await (self as! any SQLDatabase).raw("UPDATE \(ident: M.schema) SET \(ident: column) = \(ident: column) WHERE id = \(bind: id) RETURNING *")
            .first()?.decode(fluentModel: M.self)
    }
}
