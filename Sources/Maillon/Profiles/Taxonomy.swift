import Foundation

/// Skills and causes. Curated skills carry a stable slug; free skills are normalised so that
/// "Figma", "figma " and "FIGMA" are one skill, and "Développement Web" matches the curated one.
public enum Taxonomy {
    public static let curatedSkills: [(slug: String, label: String)] = [
        ("developpement-web", "Développement web"), ("developpement-mobile", "Développement mobile"), ("devops", "DevOps"),
        ("data", "Data"), ("no-code", "No-code"), ("wordpress", "WordPress"), ("accessibilite-numerique", "Accessibilité numérique"),
        ("ux-design", "UX design"), ("ui-design", "UI design"), ("identite-visuelle", "Identité visuelle"), ("illustration", "Illustration"),
        ("motion-design", "Motion design"), ("photographie", "Photographie"), ("video", "Vidéo"), ("redaction", "Rédaction"),
        ("relations-presse", "Relations presse"), ("community-management", "Community management"), ("strategie-de-communication", "Stratégie de communication"),
        ("seo", "SEO"), ("marketing-digital", "Marketing digital"), ("growth", "Growth"), ("crm", "CRM"), ("levee-de-fonds", "Levée de fonds"),
        ("bilan-carbone", "Bilan carbone"), ("strategie-rse", "Stratégie RSE"), ("analyse-du-cycle-de-vie", "Analyse du cycle de vie"),
        ("recrutement", "Recrutement"), ("formation", "Formation"), ("facilitation", "Facilitation"), ("coaching", "Coaching"),
        ("gestion-de-projet", "Gestion de projet"), ("comptabilite", "Comptabilité"), ("controle-de-gestion", "Contrôle de gestion"),
        ("juridique-ess", "Juridique ESS"), ("rgpd", "RGPD"), ("assistanat", "Assistanat"), ("traduction", "Traduction"),
    ]

    /// The curated skills' English names (slugged) → their slug; the names themselves are in the catalogue (`skill.<slug>`).
    static let englishSlugs: [String: String] = [
        "web-development": "developpement-web", "mobile-development": "developpement-mobile", "digital-accessibility": "accessibilite-numerique",
        "visual-identity": "identite-visuelle", "photography": "photographie", "copywriting": "redaction", "press-relations": "relations-presse",
        "communication-strategy": "strategie-de-communication", "digital-marketing": "marketing-digital", "fundraising": "levee-de-fonds",
        "carbon-accounting": "bilan-carbone", "csr-strategy": "strategie-rse", "life-cycle-assessment": "analyse-du-cycle-de-vie",
        "recruitment": "recrutement", "training": "formation", "project-management": "gestion-de-projet", "accounting": "comptabilite",
        "management-control": "controle-de-gestion", "social-economy-law": "juridique-ess", "gdpr": "rgpd",
        "administrative-assistance": "assistanat", "translation": "traduction",
    ]

    static func isCurated(_ slug: String) -> Bool { curatedSkills.contains { $0.slug == slug } }

    public static let sdgCount = 17
    public static let communityCauses = ["ess", "inclusion", "climate", "biodiversity", "circular_economy", "education", "health", "culture", "local_food", "housing"]
    /// Cause codes: `sdg1`…`sdg17`, then the community causes. Labels are in the catalogue (`cause.<code>`).
    public static let causes: [String] = (1...sdgCount).map { "sdg\($0)" } + communityCauses

    public static let languages = ["fr", "en", "es", "de", "it", "ar", "pt"]

    /// The comparison key of a skill: no case, no accents, words joined by dashes.
    public static func skillSlug(_ label: String) -> String { Slug.make(label) }

    /// Cleans a comma-separated list of skills into unique (slug, label) pairs, curated labels winning.
    public static func normaliseSkills(_ raw: String, limit: Int = 30) -> [(slug: String, label: String)] {
        var seen = Set<String>()
        var skills: [(String, String)] = []
        for piece in raw.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "|" || $0 == "\n" }) {
            let label = piece.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            // A curated skill typed in English ("Web development") is the curated one.
            let typed = skillSlug(label)
            let slug = englishSlugs[typed] ?? typed
            guard !slug.isEmpty, label.scalarLength <= 60, seen.insert(slug).inserted else { continue }
            let curated = curatedSkills.first { $0.slug == slug }?.label
            skills.append((slug, curated ?? label))
            if skills.count == limit { break }
        }
        return skills
    }

    /// Text folded for search: lowercase, no accents, so "développeuse" and "DEVELOPPEUSE" meet.
    public static func fold(_ text: String) -> String {
        text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: Locale(identifier: "fr_FR")).lowercased()
    }
}
