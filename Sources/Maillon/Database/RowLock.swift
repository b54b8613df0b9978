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
}
