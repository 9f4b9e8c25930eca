import Foundation

extension TextIndex {
    /// Parses `text` (see `TextQuery`) and runs it.
    public func search(_ text: String, limit: Int = TextQuery.limitDefault) throws(IndexError) -> [TextHit] {
        try search(TextQuery(text, analyzer: analyzer, limit: limit))
    }

    /// Matching documents by BM25 score, highest first, ties by key; at most `query.limit`.
    public func search(_ query: TextQuery, keyFilter: ((String) -> Bool)? = nil) -> [TextHit] {
        var scores = ScoreBoard(
            documents: docs.count, expectedPostings: query.clauses.reduce(0) { $0 + expectedPostings($1.kind) })
        var requiredCount = 0
        for (number, clause) in query.clauses.enumerated() {
            if clause.occur == .must { requiredCount += 1 }
            evaluate(clause.kind) { doc, score in scores.add(doc, score, clause: Int32(number), occur: clause.occur) }
        }
        // Keep the best `limit` in a heap whose top is the worst kept (lowest score, then highest key).
        var best: [(score: Double, doc: Int32)] = []
        best.reserveCapacity(query.limit + 1)
        func worse(_ a: (score: Double, doc: Int32), _ b: (score: Double, doc: Int32)) -> Bool {
            if a.score != b.score { return a.score < b.score }
            return docs[Int(b.doc)]!.key.utf8.lexicographicallyPrecedes(docs[Int(a.doc)]!.key.utf8)
        }
        for doc in scores.touched where scores.accepts(doc, requiredCount: requiredCount) {
            if let keyFilter, !keyFilter(docs[Int(doc)]!.key) { continue }
            let candidate = (score: scores.score(doc), doc: doc)
            if best.count == query.limit {
                guard worse(best[0], candidate) else { continue }
                best[0] = candidate
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    guard left < best.count else { break }
                    var pick = left
                    if left + 1 < best.count && worse(best[left + 1], best[left]) { pick = left + 1 }
                    guard worse(best[pick], best[parent]) else { break }
                    best.swapAt(pick, parent)
                    parent = pick
                }
            } else {
                best.append(candidate)
                var child = best.count - 1
                while child > 0 && worse(best[child], best[(child - 1) / 2]) {
                    best.swapAt(child, (child - 1) / 2)
                    child = (child - 1) / 2
                }
            }
        }
        best.sort { worse($1, $0) }
        return best.map { TextHit(key: docs[Int($0.doc)]!.key, score: $0.score) }
    }

    /// About how many postings a clause will score (a prefix counts as "many").
    private func expectedPostings(_ kind: TextQuery.Kind) -> Int {
        switch kind {
        case .term(let term):
            guard let id = termIDs[term] else { return 0 }
            return postings.reduce(0) { $0 + $1[Int(id)].count }
        case .phrase(let parts):
            let ids = parts.compactMap { termIDs[$0.term] }
            return postings.reduce(0) { total, field in total + (ids.map { field[Int($0)].count }.min() ?? 0) }
        case .prefix:
            return docs.count
        }
    }

    /// The BM25 `idf` of a term in a field.
    public func idf(term: String, field: Int) -> Double {
        idf(frequency: termIDs[term].map { postings[field][Int($0)].count } ?? 0)
    }

    private func idf(frequency: Int) -> Double {
        let total = Double(count)
        return log(1 + (total - Double(frequency) + 0.5) / (Double(frequency) + 0.5))
    }

    /// BM25 of one term (or phrase) in one field, with the field's constants folded in.
    private struct FieldScorer {
        let idf: Double
        let k1: Double
        let base: Double
        let perTerm: Double

        init(idf: Double, k1: Double, b: Double, average: Double) {
            self.idf = idf
            self.k1 = k1
            base = k1 * (1 - b)
            perTerm = average > 0 ? k1 * b / average : 0
        }

        @inline(__always)
        func score(frequency: Int32, length: Int32) -> Double {
            let tf = Double(frequency)
            return idf * tf * (k1 + 1) / (tf + base + perTerm * Double(length))
        }
    }

    private func scorer(field: Int, idf: Double) -> FieldScorer {
        FieldScorer(idf: idf, k1: k1, b: b, average: Double(termTotals[field]) / Double(max(count, 1)))
    }

    /// Calls `add` with each matching document's score for one clause (a document may come once per field).
    private func evaluate(_ kind: TextQuery.Kind, _ add: (Int32, Double) -> Void) {
        switch kind {
        case .term(let term):
            guard let id = termIDs[term] else { return }
            addTerm(id, add)
        case .prefix(let prefix):
            for id in expand(prefix) { addTerm(id, add) }
        case .phrase(let parts):
            var ids: [Int32] = []
            for part in parts {
                guard let id = termIDs[part.term] else { return }
                ids.append(id)
            }
            let offsets = parts.map(\.offset)
            for field in fields.indices {
                let idf = ids.reduce(0) { $0 + self.idf(frequency: postings[field][Int($1)].count) }
                let fieldScorer = scorer(field: field, idf: idf)
                guard let rarest = ids.min(by: { postings[field][Int($0)].count < postings[field][Int($1)].count })
                else { continue }
                for doc in postings[field][Int(rarest)].keys {
                    guard let stored = docs[Int(doc)] else { continue }
                    let occurrences = Self.phraseCount(
                        ids, offsets: offsets, terms: stored.terms[field], positions: stored.positions[field])
                    if occurrences > 0 {
                        let length = Int32(stored.terms[field].count)
                        add(doc, fieldScorer.score(frequency: Int32(occurrences), length: length))
                    }
                }
            }
        }
    }

    private func addTerm(_ id: Int32, _ add: (Int32, Double) -> Void) {
        for field in fields.indices {
            let posting = postings[field][Int(id)]
            guard !posting.isEmpty else { continue }
            let fieldScorer = scorer(field: field, idf: idf(frequency: posting.count))
            let fieldLengths = lengths[field]
            for (doc, frequency) in posting {
                add(doc, fieldScorer.score(frequency: frequency, length: fieldLengths[Int(doc)]))
            }
        }
    }

    /// Live terms starting with `prefix`: the `prefixTermsMax` most frequent, ties by term.
    private func expand(_ prefix: String) -> [Int32] {
        var found: [(id: Int32, frequency: Int)] = []
        let start = sortedTerms.partitionPoint { $0 < TermName(prefix) }
        sortedTerms.forEach(from: start) { term in
            guard term.string.utf8.starts(with: prefix.utf8), let id = termIDs[term.string] else { return false }
            let frequency = postings.reduce(0) { $0 + $1[Int(id)].count }
            if frequency > 0 { found.append((id, frequency)) }
            return true
        }
        // Stable sort: equal frequencies stay in byte order of the terms.
        let ranked = found.enumerated().sorted { a, b in
            a.element.frequency != b.element.frequency
                ? a.element.frequency > b.element.frequency : a.offset < b.offset
        }
        return ranked.prefix(TextQuery.prefixTermsMax).map(\.element.id)
    }

    /// Occurrences of the phrase `ids` (at `offsets`) in one field of a document.
    static func phraseCount(_ ids: [Int32], offsets: [Int], terms: [Int32], positions: [Int32]) -> Int {
        var occurrences = 0
        for start in terms.indices where terms[start] == ids[0] {
            let base = Int(positions[start]) - offsets[0]
            var matched = true
            for part in 1..<ids.count {
                let wanted = Int32(clamping: base + offsets[part])
                // Positions grow along the field, so a binary search finds the wanted one.
                var low = start
                var high = positions.count
                while low < high {
                    let middle = (low + high) / 2
                    if positions[middle] < wanted { low = middle + 1 } else { high = middle }
                }
                if low == positions.count || positions[low] != wanted || terms[low] != ids[part] {
                    matched = false
                    break
                }
            }
            if matched { occurrences += 1 }
        }
        return occurrences
    }
}
