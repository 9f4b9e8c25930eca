/// How a vector index compares vectors, and what its hits' `score` means.
public enum VectorMetric: String, Sendable, Equatable, CaseIterable {
    /// Cosine similarity; vectors are normalised on insert; `score` = cosine similarity (higher is nearer).
    case cosine
    /// Euclidean distance; `score` = the distance (lower is nearer).
    case l2
    /// Inner product; `score` = the dot product (higher is nearer).
    case dot
}
