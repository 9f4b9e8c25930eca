import TesseraCore

/// Bounds on one field; a one-sided range stays within the bound's type (`gte: 18` matches numbers only).
public struct OrderedRange: Sendable, Equatable {
    /// Lower bound, if any.
    public var lower: IndexValue?
    /// Whether `lower` itself matches (`gte`) or not (`gt`).
    public var lowerInclusive: Bool
    /// Upper bound, if any.
    public var upper: IndexValue?
    /// Whether `upper` itself matches (`lte`) or not (`lt`).
    public var upperInclusive: Bool

    /// Creates a range.
    public init(
        lower: IndexValue? = nil, lowerInclusive: Bool = true, upper: IndexValue? = nil, upperInclusive: Bool = false
    ) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    /// Decodes `{"gte": 18, "lt": 30}` (any of gt, gte, lt, lte; at most one per side).
    public init(json: JSONValue) throws(IndexError) {
        self.init()
        guard case .object(let members) = json, !members.isEmpty else {
            throw OrderedQuery.bad("a range must be an object with gt, gte, lt or lte")
        }
        for (op, value) in members {
            guard let scalar = IndexValue(value) else { throw OrderedQuery.bad("range bound '\(op)' must be a scalar") }
            switch op {
            case "gt", "gte":
                guard lower == nil else { throw OrderedQuery.bad("a range takes only one of gt and gte") }
                lower = scalar
                lowerInclusive = op == "gte"
            case "lt", "lte":
                guard upper == nil else { throw OrderedQuery.bad("a range takes only one of lt and lte") }
                upper = scalar
                upperInclusive = op == "lte"
            default:
                throw OrderedQuery.bad("unknown range operator '\(op)' (gt, gte, lt, lte)")
            }
        }
    }

    /// The bounds actually applied: a missing side is closed at the edge of the other bound's type.
    public var effective: (lower: (IndexValue, Bool)?, upper: (IndexValue, Bool)?) {
        var low = lower.map { ($0, lowerInclusive) }
        var high = upper.map { ($0, upperInclusive) }
        if let lower, upper == nil {
            switch lower {
            case .null: high = (.bool(false), false)
            case .bool: high = (.number(-.infinity), false)
            case .number: high = (.string(""), false)
            case .string: high = nil
            }
        }
        if let upper, lower == nil {
            switch upper {
            case .null: low = nil
            case .bool: low = (.bool(false), true)
            case .number: low = (.number(-.infinity), true)
            case .string: low = (.string(""), true)
            }
        }
        return (low, high)
    }

    /// Whether `value` lies within the effective bounds.
    public func contains(_ value: IndexValue) -> Bool {
        let bounds = effective
        if let (low, inclusive) = bounds.lower, value < low || (!inclusive && value == low) { return false }
        if let (high, inclusive) = bounds.upper, high < value || (!inclusive && value == high) { return false }
        return true
    }
}
