import Fluent
import Vapor

/// The one pagination type: page numbers from `?page=`, links built on the current path.
struct Pagination: Encodable, Sendable {
    let page: Int
    let pageCount: Int
    let total: Int
    let previousURL: String?
    let nextURL: String?
    let label: String

    static let perPage = 25

    /// The requested page, clamped to 1…10_000 whatever the query says.
    static func requestedPage(_ req: Request) -> Int {
        let raw = (req.query[String.self, at: "page"]).flatMap(Int.init) ?? 1
        return min(max(raw, 1), 10_000)
    }

    /// A page past the last one does not exist: the reader gets the 404 page, not "page 999 of 8".
    init(page: Int, per: Int, total: Int, path: String, t: Translator) throws {
        let pageCount = max(1, Int((Double(total) / Double(per)).rounded(.up)))
        guard page <= pageCount else { throw PageError.notFound }
        self.page = page
        self.pageCount = pageCount
        self.total = total
        let joiner = path.contains("?") ? "&" : "?"
        self.previousURL = page > 1 ? "\(path)\(joiner)page=\(page - 1)" : nil
        self.nextURL = page < pageCount ? "\(path)\(joiner)page=\(page + 1)" : nil
        self.label = t("pagination.label", String(page), String(pageCount))
    }
}
