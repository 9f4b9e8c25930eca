/// A parsed full-text query: clauses combined with OR, `+` required, `-` excluded.
///
/// Syntax: words separated by spaces are OR'ed; `+word` must match; `-word` must not; `"two words"`
/// is a phrase (terms at consecutive positions in one field); `tess*` matches every term starting
/// with `tess` (at most `prefixTermsMax` terms, the most frequent). Words go through the index's
/// analyzer; a word that analyzes to several terms ("e-mail") becomes a phrase.
public struct TextQuery: Sendable, Equatable {
    /// How a clause takes part in matching.
    public enum Occur: Sendable, Equatable {
        /// Optional: adds to the score; with no required clause, any optional clause selects a document.
        case should
        /// Required (`+`).
        case must
        /// Excluded (`-`).
        case mustNot
    }

    /// What a clause matches.
    public enum Kind: Sendable, Equatable {
        /// One analyzed term.
        case term(String)
        /// Analyzed terms with their relative positions, matched at consecutive positions in one field.
        case phrase([(term: String, offset: Int)])
        /// Every term beginning with this lowercased prefix.
        case prefix(String)

        /// Compares clause kinds.
        public static func == (lhs: Kind, rhs: Kind) -> Bool {
            switch (lhs, rhs) {
            case (.term(let a), .term(let b)): return a == b
            case (.prefix(let a), .prefix(let b)): return a == b
            case (.phrase(let a), .phrase(let b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.term == $1.term && $0.offset == $1.offset }
            default: return false
            }
        }
    }

    /// One clause of a query.
    public struct Clause: Sendable, Equatable {
        /// How the clause takes part.
        public var occur: Occur
        /// What it matches.
        public var kind: Kind

        /// Creates a clause.
        public init(occur: Occur, kind: Kind) {
            self.occur = occur
            self.kind = kind
        }
    }

    /// Default number of hits.
    public static let limitDefault = 10
    /// Largest accepted `limit`.
    public static let limitMax = 10_000
    /// Most clauses in one query.
    public static let clausesMax = 64
    /// Most terms one prefix expands to.
    public static let prefixTermsMax = 256

    /// The clauses, in query order.
    public var clauses: [Clause]
    /// Maximum number of hits.
    public var limit: Int

    /// Parses `text` with the index's analyzer.
    public init(_ text: String, analyzer: TextAnalyzer, limit: Int = limitDefault) throws(IndexError) {
        guard (1...Self.limitMax).contains(limit) else {
            throw IndexError(.invalidQuery, "'limit' must be between 1 and \(Self.limitMax)")
        }
        self.limit = limit
        clauses = []
        var scalars = Substring(text).unicodeScalars[...]
        while true {
            while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
            guard let first = scalars.first else { break }
            var occur = Occur.should
            if first == "+" || first == "-" {
                occur = first == "+" ? .must : .mustNot
                scalars.removeFirst()
            }
            var raw = ""
            var quoted = false
            if scalars.first == "\"" {
                quoted = true
                scalars.removeFirst()
                while let next = scalars.first, next != "\"" { raw.unicodeScalars.append(scalars.removeFirst()) }
                if !scalars.isEmpty { scalars.removeFirst() }
            } else {
                while let next = scalars.first, !next.properties.isWhitespace {
                    raw.unicodeScalars.append(scalars.removeFirst())
                }
            }
            if let kind = Self.clauseKind(raw, quoted: quoted, analyzer: analyzer) {
                clauses.append(Clause(occur: occur, kind: kind))
            }
        }
        guard clauses.count <= Self.clausesMax else {
            throw IndexError(.invalidQuery, "a text query takes at most \(Self.clausesMax) clauses")
        }
    }

    private static func clauseKind(_ raw: String, quoted: Bool, analyzer: TextAnalyzer) -> Kind? {
        if !quoted, raw.hasSuffix("*") {
            let stem = raw.dropLast()
            let tokens = TextAnalyzer.tokens(String(stem))
            if tokens.count == 1, stem.unicodeScalars.allSatisfy(TextAnalyzer.isTokenScalar) {
                return .prefix(String(tokens[0]).lowercased())
            }
        }
        let terms = analyzer.terms(raw)
        guard let first = terms.first else { return nil }
        if terms.count == 1 { return .term(first.term) }
        return .phrase(terms.map { ($0.term, $0.position - first.position) })
    }
}
