/// Distance kernels over contiguous `Float` storage, eight lanes at a time.
enum VectorMath {
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, _ offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(pointer + offset).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var sum0 = SIMD8<Float>()
        var sum1 = SIMD8<Float>()
        var index = 0
        while index + 16 <= count {
            sum0 += load(a, index) * load(b, index)
            sum1 += load(a, index + 8) * load(b, index + 8)
            index += 16
        }
        if index + 8 <= count {
            sum0 += load(a, index) * load(b, index)
            index += 8
        }
        var sum = (sum0 + sum1).sum()
        while index < count {
            sum += a[index] * b[index]
            index += 1
        }
        return sum
    }

    @inline(__always)
    static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var sum0 = SIMD8<Float>()
        var sum1 = SIMD8<Float>()
        var index = 0
        while index + 16 <= count {
            let d0 = load(a, index) - load(b, index)
            let d1 = load(a, index + 8) - load(b, index + 8)
            sum0 += d0 * d0
            sum1 += d1 * d1
            index += 16
        }
        if index + 8 <= count {
            let d0 = load(a, index) - load(b, index)
            sum0 += d0 * d0
            index += 8
        }
        var sum = (sum0 + sum1).sum()
        while index < count {
            let d = a[index] - b[index]
            sum += d * d
            index += 1
        }
        return sum
    }

    /// The metric's internal distance: smaller is nearer (cosine: 1 - dot of unit vectors; l2: squared; dot: -dot).
    @inline(__always)
    static func distance(_ metric: VectorMetric, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int)
        -> Float
    {
        switch metric {
        case .cosine: return 1 - dot(a, b, count)
        case .l2: return squaredL2(a, b, count)
        case .dot: return -dot(a, b, count)
        }
    }
}
