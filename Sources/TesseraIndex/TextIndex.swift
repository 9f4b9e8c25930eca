import Foundation
import TesseraCore

/// A full-text index ranked by BM25, over one or more string fields, fed by change events.
///
/// Each field keeps its own statistics; a document's score is the sum over fields and clauses of
/// `idf(t, f) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d, f) / avglen(f)))` with
/// `idf(t, f) = ln(1 + (N - df(t, f) + 0.5) / (df(t, f) + 0.5))`, `N` the number of indexed
/// documents, `avglen(f)` the field's total terms divided by `N` (tantivy's and Lucene's choices, so
/// a term in both title and body counts twice). A phrase scores as one term whose `tf` is its number
/// of occurrences and whose `idf` is the sum of its terms'. A prefix scores as the OR of its terms.
/// A field holding a string, or an array of strings (elements 100 positions apart), is analyzed;
/// other values are ignored; a document with no term in any field is not indexed.
public struct TextIndex: Sendable {
    /// BM25 term-frequency saturation.
    public let k1: Double
    /// BM25 length normalisation.
    public let b: Double
    /// The indexed field paths.
    public let fields: [String]
    /// The analyzer of documents and queries.
    public let analyzer: TextAnalyzer

    var termIDs: [String: Int32] = [:]
    var termNames: [String] = []
    /// Every term ever seen, in byte order, for prefix queries.
    var sortedTerms = SortedChunks<TermName>()
    /// `postings[field][term]`: document → term frequency.
    var postings: [[[Int32: Int32]]]
    var docs: [TextDocument?] = []
    /// `lengths[field][doc]`: the number of terms of the document's field.
    var lengths: [[Int32]]
    var freeDocs: [Int32] = []
    var docOfKey: [ItemKey: Int32] = [:]
    var termTotals: [Int]

    /// Creates an empty index.
    public init(fields: [String], analyzer: TextAnalyzer = .init(), k1: Double = 1.2, b: Double = 0.75) {
        precondition(!fields.isEmpty, "a text index needs at least one field")
        self.fields = fields
        self.analyzer = analyzer
        self.k1 = k1
        self.b = b
        postings = Array(repeating: [], count: fields.count)
        termTotals = Array(repeating: 0, count: fields.count)
        lengths = Array(repeating: [], count: fields.count)
    }

    /// Number of indexed documents (`N`).
    public var count: Int { docOfKey.count }

    /// The analyzed terms per field that this index would hold for `document` (with positions).
    public func analyze(_ document: JSONValue) -> [[(term: String, position: Int)]] {
        fields.map { field in
            switch document.value(atPath: field) {
            case .string(let text)?:
                return analyzer.terms(text)
            case .array(let items)?:
                var terms: [(term: String, position: Int)] = []
                var base = 0
                for case .string(let text) in items {
                    let itemTerms = analyzer.terms(text)
                    terms += itemTerms.map { ($0.term, $0.position + base) }
                    base += (itemTerms.last?.position ?? 0) + 100
                }
                return terms
            default:
                return []
            }
        }
    }

    /// Indexes (or re-indexes) the item `key`.
    public mutating func upsert(key: String, document: JSONValue) {
        remove(key: key)
        let analyzed = analyze(document)
        guard analyzed.contains(where: { !$0.isEmpty }) else { return }
        let doc: Int32
        if let free = freeDocs.popLast() {
            doc = free
        } else {
            doc = Int32(docs.count)
            docs.append(nil)
            for field in fields.indices { lengths[field].append(0) }
        }
        var stored = TextDocument(key: key, terms: [], positions: [])
        for (field, terms) in analyzed.enumerated() {
            var ids: [Int32] = []
            ids.reserveCapacity(terms.count)
            var frequencies: [Int32: Int32] = [:]
            for (term, _) in terms {
                let id = termID(term)
                ids.append(id)
                frequencies[id, default: 0] += 1
            }
            for (id, frequency) in frequencies { postings[field][Int(id)][doc] = frequency }
            termTotals[field] += ids.count
            lengths[field][Int(doc)] = Int32(ids.count)
            stored.terms.append(ids)
            stored.positions.append(terms.map { Int32(clamping: $0.position) })
        }
        docs[Int(doc)] = stored
        docOfKey[ItemKey(key)] = doc
    }

    /// Removes the item `key`; absent keys are ignored.
    public mutating func remove(key: String) {
        guard let doc = docOfKey.removeValue(forKey: ItemKey(key)), let stored = docs[Int(doc)] else { return }
        for (field, ids) in stored.terms.enumerated() {
            for id in Set(ids) { postings[field][Int(id)][doc] = nil }
            termTotals[field] -= ids.count
            lengths[field][Int(doc)] = 0
        }
        docs[Int(doc)] = nil
        freeDocs.append(doc)
    }

    private mutating func termID(_ term: String) -> Int32 {
        if let id = termIDs[term] { return id }
        let id = Int32(termNames.count)
        termIDs[term] = id
        termNames.append(term)
        sortedTerms.insert(TermName(term))
        for field in fields.indices { postings[field].append([:]) }
        return id
    }
}

/// One hit of a text query.
public struct TextHit: Sendable, Equatable {
    /// The item's key.
    public var key: String
    /// The BM25 score.
    public var score: Double
}

/// A term ordered by its UTF-8 bytes.
struct TermName: Comparable, Sendable {
    var string: String

    init(_ string: String) { self.string = string }

    static func == (lhs: TermName, rhs: TermName) -> Bool { lhs.string.utf8.elementsEqual(rhs.string.utf8) }

    static func < (lhs: TermName, rhs: TermName) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }
}

/// What a text index remembers of one document: its terms and their positions, per field.
struct TextDocument: Sendable {
    var key: String
    var terms: [[Int32]]
    var positions: [[Int32]]
}
