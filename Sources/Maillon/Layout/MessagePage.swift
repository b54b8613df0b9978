/// A short page that tells the reader what happened and where to go next.
struct MessagePage: Encodable, Sendable {
    let heading: String
    let paragraphs: [String]
    var linkURL: String? = nil
    var linkLabel: String? = nil
}

/// A page made of one or more forms under a heading.
struct FormPage: Encodable, Sendable {
    let heading: String
    var intro: String? = nil
    let forms: [FormModel]
    var links: [Link] = []

    struct Link: Encodable, Sendable {
        let url: String
        let label: String
    }
}

/// A label and its value, as pages list facts ("Durée : 14 heures").
struct LabelledValue: Encodable, Sendable {
    let label: String
    let value: String
}
