/// Per-document accumulators of one text query: scores, required clauses matched, exclusions.
///
/// Dense (one slot per document id, no hashing) when the query's postings are a fair share of the
/// documents; sparse (a hash map from document to slot) when they are few, so that a rare term in
/// a large index does not pay for allocating and clearing arrays of the index's size.
struct ScoreBoard {
    private let sparse: Bool
    private var slots: [Int32: Int32] = [:]
    private var scores: [Double]
    /// The last clause that touched each slot (so a clause matching in two fields counts once).
    private var lastClause: [Int32]
    private var requiredMatched: [UInt8]
    private var excluded: [Bool]
    /// Documents with a score, in the order first scored.
    private(set) var touched: [Int32] = []

    init(documents: Int, expectedPostings: Int) {
        sparse = expectedPostings < documents / 8
        let size = sparse ? 0 : documents
        scores = Array(repeating: 0, count: size)
        lastClause = Array(repeating: -1, count: size)
        requiredMatched = Array(repeating: 0, count: size)
        excluded = Array(repeating: false, count: size)
    }

    @inline(__always)
    private mutating func slot(_ doc: Int32) -> Int {
        guard sparse else { return Int(doc) }
        if let slot = slots[doc] { return Int(slot) }
        let slot = scores.count
        slots[doc] = Int32(slot)
        scores.append(0)
        lastClause.append(-1)
        requiredMatched.append(0)
        excluded.append(false)
        return slot
    }

    @inline(__always)
    private func existingSlot(_ doc: Int32) -> Int { sparse ? Int(slots[doc]!) : Int(doc) }

    @inline(__always)
    mutating func add(_ doc: Int32, _ score: Double, clause: Int32, occur: TextQuery.Occur) {
        let slot = slot(doc)
        if occur == .mustNot {
            excluded[slot] = true
            return
        }
        if lastClause[slot] < 0 { touched.append(doc) }
        scores[slot] += score
        if lastClause[slot] != clause {
            lastClause[slot] = clause
            if occur == .must { requiredMatched[slot] &+= 1 }
        }
    }

    func score(_ doc: Int32) -> Double { scores[existingSlot(doc)] }

    func accepts(_ doc: Int32, requiredCount: Int) -> Bool {
        let slot = existingSlot(doc)
        return !excluded[slot] && Int(requiredMatched[slot]) >= requiredCount
    }
}
