import Foundation

/// Z-order (Morton) codes of points: 32 bits of latitude interleaved with 32 bits of longitude.
///
/// A cell of level L (0...32) is a prefix of 2L bits: 180/2^L degrees of latitude by 360/2^L of
/// longitude; all points in it have consecutive codes, so a box is a few code ranges.
enum MortonCode {
    static func quantize(_ value: Double, offset: Double, span: Double) -> UInt32 {
        let scaled = ((value + offset) / span * 4_294_967_296).rounded(.down)
        if scaled <= 0 { return 0 }
        if scaled >= 4_294_967_295 { return UInt32.max }
        return UInt32(scaled)
    }

    static func latBits(_ lat: Double) -> UInt32 { quantize(lat, offset: 90, span: 180) }

    static func lonBits(_ lon: Double) -> UInt32 { quantize(lon, offset: 180, span: 360) }

    /// Spreads the 32 bits of `value` to the even bit positions of a 64-bit word.
    static func spread(_ value: UInt32) -> UInt64 {
        var x = UInt64(value)
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F
        x = (x | (x << 2)) & 0x3333_3333_3333_3333
        x = (x | (x << 1)) & 0x5555_5555_5555_5555
        return x
    }

    static func code(lat: Double, lon: Double) -> UInt64 {
        (spread(latBits(lat)) << 1) | spread(lonBits(lon))
    }

    /// Inclusive code ranges covering the union of `parts`, at most about `cellsMax` cells, merged and sorted.
    static func cover(_ parts: [(lat: ClosedRange<Double>, lon: ClosedRange<Double>)], cellsMax: Int = 32)
        -> [ClosedRange<UInt64>]
    {
        let bits = parts.map { part in
            (
                lat: latBits(part.lat.lowerBound)...latBits(part.lat.upperBound),
                lon: lonBits(part.lon.lowerBound)...lonBits(part.lon.upperBound)
            )
        }
        func cells(at level: Int) -> Int {
            bits.reduce(0) { total, part in
                let shift = UInt32(32 - level)
                let latCount = Int(part.lat.upperBound >> shift) - Int(part.lat.lowerBound >> shift) + 1
                let lonCount = Int(part.lon.upperBound >> shift) - Int(part.lon.lowerBound >> shift) + 1
                return total + latCount * lonCount
            }
        }
        var level = 0
        while level < 32 && cells(at: level + 1) <= cellsMax { level += 1 }
        var ranges: [ClosedRange<UInt64>] = []
        let shift = UInt32(32 - level)
        for part in bits {
            for latCell in (part.lat.lowerBound >> shift)...(part.lat.upperBound >> shift) {
                for lonCell in (part.lon.lowerBound >> shift)...(part.lon.upperBound >> shift) {
                    let prefix = (spread(latCell) << 1) | spread(lonCell)
                    let low = level == 0 ? 0 : prefix << UInt64(64 - 2 * level)
                    let high = level == 0 ? UInt64.max : low | (UInt64.max >> UInt64(2 * level))
                    ranges.append(low...high)
                }
            }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt64>] = []
        for range in ranges {
            if let last = merged.last, last.upperBound == UInt64.max || range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }
}
