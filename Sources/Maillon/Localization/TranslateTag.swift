import Leaf
import LeafKit

/// `#t("key")` or `#t("key", arg…)` in templates. The language is the page context's `locale`,
/// so a page renders from its model alone. Output is escaped like any `#(…)`.
struct TranslateTag: LeafTag {
    let catalogue: Catalogue

    func render(_ ctx: LeafContext) throws -> LeafData {
        guard let key = ctx.parameters.first?.string else {
            throw LeafError(.unknownError("#t() needs a catalogue key"))
        }
        let locale = ctx.data["locale"]?.string.flatMap(AppLocale.init(rawValue:)) ?? .default
        let arguments = ctx.parameters.dropFirst().map { $0.string ?? "" }
        return .string(catalogue.translate(key, locale, Array(arguments)))
    }
}
