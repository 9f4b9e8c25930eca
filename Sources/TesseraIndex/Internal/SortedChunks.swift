/// A sorted multiset-free collection stored as a list of bounded sorted chunks: a two-level B-tree.
///
/// Insert and remove cost O(log n + chunkMax); a scan is a walk over contiguous arrays. Chunks are
/// split when they reach `2 * chunkHalf` elements and dropped when empty.
struct SortedChunks<Element: Comparable> {
    /// A place in the collection; `chunk == chunks.count` is the end.
    struct Position: Equatable {
        var chunk: Int
        var offset: Int
    }

    private static var chunkHalf: Int { 256 }

    private(set) var chunks: [[Element]] = []
    private(set) var count = 0

    /// The position after the last element.
    var endPosition: Position { Position(chunk: chunks.count, offset: 0) }

    /// The first position whose element is not `isBefore`; `isBefore` must be monotone (true, then false).
    func partitionPoint(_ isBefore: (Element) -> Bool) -> Position {
        var low = 0
        var high = chunks.count
        while low < high {
            let middle = (low + high) / 2
            if isBefore(chunks[middle][chunks[middle].count - 1]) { low = middle + 1 } else { high = middle }
        }
        guard low < chunks.count else { return endPosition }
        let chunk = chunks[low]
        var first = 0
        var last = chunk.count
        while first < last {
            let middle = (first + last) / 2
            if isBefore(chunk[middle]) { first = middle + 1 } else { last = middle }
        }
        return Position(chunk: low, offset: first)
    }

    /// The element at a position before the end.
    func element(at position: Position) -> Element { chunks[position.chunk][position.offset] }

    /// The position after `position`.
    func position(after position: Position) -> Position {
        if position.offset + 1 < chunks[position.chunk].count {
            return Position(chunk: position.chunk, offset: position.offset + 1)
        }
        return Position(chunk: position.chunk + 1, offset: 0)
    }

    /// Inserts `element`; false when an equal element is already present.
    @discardableResult
    mutating func insert(_ element: Element) -> Bool {
        let position = partitionPoint { $0 < element }
        if position.chunk == chunks.count {
            if chunks.isEmpty { chunks.append([element]) } else { chunks[chunks.count - 1].append(element) }
            count += 1
            splitIfFull(chunks.count - 1)
            return true
        }
        if chunks[position.chunk][position.offset] == element { return false }
        chunks[position.chunk].insert(element, at: position.offset)
        count += 1
        splitIfFull(position.chunk)
        return true
    }

    /// Removes an element equal to `element`; false when absent.
    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        let position = partitionPoint { $0 < element }
        guard position.chunk < chunks.count, chunks[position.chunk][position.offset] == element else { return false }
        chunks[position.chunk].remove(at: position.offset)
        count -= 1
        if chunks[position.chunk].isEmpty { chunks.remove(at: position.chunk) }
        return true
    }

    /// Calls `body` on each element from `position` on, in order, until it returns false.
    func forEach(from position: Position, _ body: (Element) -> Bool) {
        var chunkIndex = position.chunk
        var offset = position.offset
        while chunkIndex < chunks.count {
            let chunk = chunks[chunkIndex]
            while offset < chunk.count {
                if !body(chunk[offset]) { return }
                offset += 1
            }
            chunkIndex += 1
            offset = 0
        }
    }

    private mutating func splitIfFull(_ index: Int) {
        guard chunks[index].count >= 2 * Self.chunkHalf else { return }
        let tail = Array(chunks[index][Self.chunkHalf...])
        chunks[index].removeSubrange(Self.chunkHalf...)
        chunks.insert(tail, at: index + 1)
    }
}

extension SortedChunks: Sendable where Element: Sendable {}
