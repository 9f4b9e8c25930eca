import Foundation
import TesseraCore

/// The HNSW graph of Malkov and Yashunin (2016): nodes are dense ids, vectors live in one `[Float]`.
///
/// Layer 0 links are a flat `[Int32]` with `m0 + 1` slots per node (a count, then the links); upper
/// layers (few nodes) keep one small flat array per node. Removed nodes stay in the graph as
/// waypoints and are filtered from results (hnswlib's "mark deleted").
struct HNSWGraph: Sendable {
    let dimensions: Int
    let metric: VectorMetric
    let m: Int
    let m0: Int
    let efConstruction: Int
    private let levelFactor: Double
    private var rng: SplitMix64

    private(set) var vectors: [Float] = []
    private(set) var deleted: [Bool] = []
    private var levels: [Int32] = []
    private var layer0: [Int32] = []
    private var upper: [[Int32]] = []
    private var entry: Int32 = -1
    private var topLevel = -1

    init(dimensions: Int, metric: VectorMetric, m: Int, efConstruction: Int, seed: UInt64) {
        self.dimensions = dimensions
        self.metric = metric
        self.m = m
        self.m0 = 2 * m
        self.efConstruction = max(efConstruction, m)
        self.levelFactor = 1 / log(Double(max(m, 2)))
        self.rng = SplitMix64(seed: seed)
    }

    var nodeCount: Int { levels.count }

    /// Adds a (normalised, for cosine) vector as a new node and links it in; returns its id.
    mutating func add(_ vector: [Float]) -> Int32 {
        precondition(vector.count == dimensions, "vector dimension checked by the caller")
        let node = Int32(levels.count)
        let uniform = Double(rng.next() >> 11 | 1) / Double(1 << 53)
        let level = min(Int(-log(uniform) * levelFactor), 15)
        vectors += vector
        deleted.append(false)
        levels.append(Int32(level))
        layer0 += repeatElement(0, count: m0 + 1)
        upper.append(level > 0 ? Array(repeating: 0, count: level * (m + 1)) : [])
        guard entry >= 0 else {
            entry = node
            topLevel = level
            return node
        }
        var nearest = [Candidate(distance: distance(node, entry), node: entry)]
        var current = topLevel
        while current > level {
            nearest = [greedy(from: nearest[0], towards: node, level: current)]
            current -= 1
        }
        while current >= 0 {
            let found = searchLayer(from: nearest, towards: node, ef: efConstruction, level: current, liveOnly: false)
                .sorted { $0.distance < $1.distance }
            let chosen = selectNeighbors(found, max: m)
            setLinks(node, level: current, chosen.map(\.node))
            for neighbour in chosen { link(neighbour.node, to: node, distance: neighbour.distance, level: current) }
            nearest = found
            current -= 1
        }
        if level > topLevel {
            entry = node
            topLevel = level
        }
        return node
    }

    /// Marks a node as removed; it keeps routing searches.
    mutating func markDeleted(_ node: Int32) { deleted[Int(node)] = true }

    /// The `k` live nodes nearest to `query` found with a candidate list of `ef`, nearest first.
    func search(_ query: [Float], k: Int, ef: Int) -> [Candidate] {
        guard entry >= 0 else { return [] }
        var nearest = Candidate(distance: distance(query, entry), node: entry)
        var level = topLevel
        while level > 0 {
            nearest = query.withUnsafeBufferPointer { greedyStep(from: nearest, query: $0.baseAddress!, level: level) }
            level -= 1
        }
        let found = query.withUnsafeBufferPointer { pointer in
            searchLayer(from: [nearest], query: pointer.baseAddress!, ef: max(ef, k), level: 0, liveOnly: true)
        }
        return Array(found.sorted { $0.distance < $1.distance }.prefix(k))
    }

    /// Internal distance between a query and a node.
    func distance(_ query: [Float], _ node: Int32) -> Float {
        query.withUnsafeBufferPointer { q in
            vectors.withUnsafeBufferPointer { v in
                VectorMath.distance(metric, q.baseAddress!, v.baseAddress! + Int(node) * dimensions, dimensions)
            }
        }
    }

    private func distance(_ a: Int32, _ b: Int32) -> Float {
        vectors.withUnsafeBufferPointer { v in
            VectorMath.distance(
                metric, v.baseAddress! + Int(a) * dimensions, v.baseAddress! + Int(b) * dimensions, dimensions)
        }
    }

    private func links(_ node: Int32, level: Int) -> ArraySlice<Int32> {
        if level == 0 {
            let base = Int(node) * (m0 + 1)
            return layer0[(base + 1)..<(base + 1 + Int(layer0[base]))]
        }
        let list = upper[Int(node)]
        let base = (level - 1) * (m + 1)
        return list[(base + 1)..<(base + 1 + Int(list[base]))]
    }

    private mutating func setLinks(_ node: Int32, level: Int, _ nodes: [Int32]) {
        if level == 0 {
            let base = Int(node) * (m0 + 1)
            layer0[base] = Int32(nodes.count)
            for (index, other) in nodes.enumerated() { layer0[base + 1 + index] = other }
        } else {
            let base = (level - 1) * (m + 1)
            upper[Int(node)][base] = Int32(nodes.count)
            for (index, other) in nodes.enumerated() { upper[Int(node)][base + 1 + index] = other }
        }
    }

    /// Adds the back link `from → to`, pruning `from`'s list with the heuristic when it is full.
    private mutating func link(_ from: Int32, to: Int32, distance: Float, level: Int) {
        var current = Array(links(from, level: level))
        let capacity = level == 0 ? m0 : m
        if current.count < capacity {
            current.append(to)
            setLinks(from, level: level, current)
            return
        }
        var candidates = current.map { Candidate(distance: self.distance(from, $0), node: $0) }
        candidates.append(Candidate(distance: distance, node: to))
        candidates.sort { $0.distance < $1.distance }
        setLinks(from, level: level, selectNeighbors(candidates, max: capacity).map(\.node))
    }

    /// The neighbour-selection heuristic (algorithm 4): keep a candidate only if it is nearer to the
    /// new node than to every neighbour kept so far, which keeps links spread across clusters.
    private func selectNeighbors(_ sorted: [Candidate], max count: Int) -> [Candidate] {
        guard sorted.count > count else { return sorted }
        var chosen: [Candidate] = []
        chosen.reserveCapacity(count)
        vectors.withUnsafeBufferPointer { v in
            let base = v.baseAddress!
            for candidate in sorted {
                if chosen.count >= count { break }
                let pointer = base + Int(candidate.node) * dimensions
                let diverse = chosen.allSatisfy { kept in
                    VectorMath.distance(metric, pointer, base + Int(kept.node) * dimensions, dimensions)
                        >= candidate.distance
                }
                if diverse { chosen.append(candidate) }
            }
        }
        return chosen
    }

    private func greedy(from start: Candidate, towards node: Int32, level: Int) -> Candidate {
        vectors.withUnsafeBufferPointer { v in
            greedyStep(from: start, query: v.baseAddress! + Int(node) * dimensions, level: level)
        }
    }

    private func greedyStep(from start: Candidate, query: UnsafePointer<Float>, level: Int) -> Candidate {
        var best = start
        var improved = true
        vectors.withUnsafeBufferPointer { v in
            while improved {
                improved = false
                for other in links(best.node, level: level) {
                    let d = VectorMath.distance(metric, query, v.baseAddress! + Int(other) * dimensions, dimensions)
                    if d < best.distance {
                        best = Candidate(distance: d, node: other)
                        improved = true
                    }
                }
            }
        }
        return best
    }

    private func searchLayer(from entries: [Candidate], towards node: Int32, ef: Int, level: Int, liveOnly: Bool)
        -> [Candidate]
    {
        let copy = Array(vectors[(Int(node) * dimensions)..<(Int(node) + 1) * dimensions])
        return copy.withUnsafeBufferPointer { q in
            searchLayer(from: entries, query: q.baseAddress!, ef: ef, level: level, liveOnly: liveOnly)
        }
    }

    /// Keeps the touch loads of `searchLayer` from being optimised away.
    @inline(never)
    static func keep(_ value: Int32, _ float: Float) {
        if value == 0x7FFF_FFFF && float == 1.5 { precondition(Int(value) > 0) }
    }

    /// Algorithm 2: best-first search of one layer keeping the `ef` nearest seen.
    ///
    /// The unvisited neighbours of a candidate are gathered first and their distances computed in one
    /// run of independent loops, so the CPU overlaps the cache misses of several vectors.
    private func searchLayer(
        from entries: [Candidate], query: UnsafePointer<Float>, ef: Int, level: Int, liveOnly: Bool
    ) -> [Candidate] {
        var visited = [UInt64](repeating: 0, count: (nodeCount + 63) / 64)
        var fresh = [Int32](repeating: 0, count: m0)
        var distances = [Float](repeating: 0, count: m0)
        var candidates = CandidateHeap<NearestFirst>(capacity: ef * 2)
        var results = CandidateHeap<FarthestFirst>(capacity: ef + 1)
        let stride = m0 + 1
        let dimensions = dimensions
        let metric = metric
        visited.withUnsafeMutableBufferPointer { seen in
            fresh.withUnsafeMutableBufferPointer { fresh in
                distances.withUnsafeMutableBufferPointer { distances in
                    vectors.withUnsafeBufferPointer { v in
                        layer0.withUnsafeBufferPointer { l0 in
                            deleted.withUnsafeBufferPointer { gone in
                                let base = v.baseAddress!
                                for start in entries {
                                    seen[Int(start.node) >> 6] |= 1 << UInt64(start.node & 63)
                                    candidates.push(start)
                                    if !liveOnly || !gone[Int(start.node)] { results.push(start) }
                                }
                                var worst = results.top?.distance ?? .infinity
                                var touched: Int32 = 0
                                var touchedFloat: Float = 0
                                defer { HNSWGraph.keep(touched, touchedFloat) }
                                while let nearest = candidates.pop() {
                                    if results.count >= ef && nearest.distance > worst { break }
                                    var freshCount = 0
                                    func consider(_ other: Int32) {
                                        let word = Int(other) >> 6
                                        let bit: UInt64 = 1 << UInt64(other & 63)
                                        if seen[word] & bit != 0 { return }
                                        seen[word] |= bit
                                        fresh[freshCount] = other
                                        freshCount += 1
                                    }
                                    if level == 0 {
                                        let at = Int(nearest.node) * stride
                                        for slot in 0..<Int(l0[at]) { consider(l0[at + 1 + slot]) }
                                    } else {
                                        for other in links(nearest.node, level: level) { consider(other) }
                                    }
                                    // Touch every cache line of the fresh vectors (and their link rows) first:
                                    // independent loads overlap their misses, like hnswlib's prefetches.
                                    for slot in 0..<freshCount {
                                        let node = Int(fresh[slot])
                                        var link = node * stride
                                        let linksEnd = link + stride
                                        while link < linksEnd {
                                            touched &+= l0[link]
                                            link += 16
                                        }
                                        var line = node * dimensions
                                        let end = line + dimensions
                                        while line < end {
                                            touchedFloat += base[line]
                                            line += 16
                                        }
                                    }
                                    for slot in 0..<freshCount {
                                        distances[slot] = VectorMath.distance(
                                            metric, query, base + Int(fresh[slot]) * dimensions, dimensions)
                                    }
                                    for slot in 0..<freshCount {
                                        let d = distances[slot]
                                        guard results.count < ef || d < worst else { continue }
                                        let other = fresh[slot]
                                        candidates.push(Candidate(distance: d, node: other))
                                        if !liveOnly || !gone[Int(other)] {
                                            results.push(Candidate(distance: d, node: other))
                                            if results.count > ef { results.pop() }
                                            worst = results.top!.distance
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return results.items
    }
}
