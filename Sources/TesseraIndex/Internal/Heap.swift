/// A node of the HNSW graph with its distance to the query.
struct Candidate: Sendable {
    var distance: Float
    var node: Int32
}

/// Which end of a `CandidateHeap` is its top.
protocol HeapOrder {
    static func above(_ a: Candidate, _ b: Candidate) -> Bool
}

/// Nearest on top.
enum NearestFirst: HeapOrder {
    @inline(__always) static func above(_ a: Candidate, _ b: Candidate) -> Bool { a.distance < b.distance }
}

/// Farthest on top.
enum FarthestFirst: HeapOrder {
    @inline(__always) static func above(_ a: Candidate, _ b: Candidate) -> Bool { a.distance > b.distance }
}

/// A binary heap of candidates.
struct CandidateHeap<Order: HeapOrder> {
    private(set) var items: [Candidate] = []

    init(capacity: Int) { items.reserveCapacity(capacity) }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var top: Candidate? { items.first }

    mutating func push(_ candidate: Candidate) {
        items.append(candidate)
        items.withUnsafeMutableBufferPointer { heap in
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Order.above(candidate, heap[parent]) else { break }
                heap[child] = heap[parent]
                child = parent
            }
            heap[child] = candidate
        }
    }

    @discardableResult
    mutating func pop() -> Candidate? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items.withUnsafeMutableBufferPointer { heap in
            let count = heap.count
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var best = left
                if left + 1 < count && Order.above(heap[left + 1], heap[left]) { best = left + 1 }
                guard Order.above(heap[best], last) else { break }
                heap[parent] = heap[best]
                parent = best
            }
            heap[parent] = last
        }
        return first
    }
}
