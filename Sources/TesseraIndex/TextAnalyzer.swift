/// Turns text into index terms. The same analyzer runs on documents and on query words.
///
/// 1. Tokens are maximal runs of Unicode letters, marks and digits (`Alphabetic`, `Mark`, `Nd`/`Nl`/`No`);
///    everything else separates tokens (so "e-mail" is "e" "mail" and "don't" is "don" "t").
/// 2. Each token is lowercased with Unicode full case mapping (`String.lowercased()`).
/// 3. Tokens longer than `tokenBytesMax` UTF-8 bytes are dropped (hashes, base64 blobs).
/// 4. Optional (`stopWords`): English stop words (`EnglishStopWords.words`) are dropped, but keep their position.
/// 5. Optional (`stemming`): a light English suffix stemmer (`EnglishStemmer`).
/// Both options are off by default, which matches tantivy's default tokenizer for comparison.
public struct TextAnalyzer: Sendable, Equatable {
    /// The analyzer's switches, set per index (`"stemming": true`, `"stopWords": true`).
    public struct Options: Sendable, Equatable {
        /// Drop English stop words.
        public var stopWords: Bool
        /// Apply the light English stemmer.
        public var stemming: Bool

        /// Creates options; both off by default.
        public init(stopWords: Bool = false, stemming: Bool = false) {
            self.stopWords = stopWords
            self.stemming = stemming
        }
    }

    /// Longest kept token, in UTF-8 bytes.
    public static let tokenBytesMax = 64

    /// The analyzer's switches.
    public var options: Options

    /// Creates an analyzer.
    public init(options: Options = .init()) {
        self.options = options
    }

    /// The terms of `text` with their positions (stop words leave gaps, so phrases stay exact).
    public func terms(_ text: String) -> [(term: String, position: Int)] {
        var result: [(term: String, position: Int)] = []
        var position = 0
        func emit(_ lowered: String) {
            defer { position += 1 }
            guard lowered.utf8.count <= Self.tokenBytesMax else { return }
            if options.stopWords && EnglishStopWords.words.contains(lowered) { return }
            result.append((options.stemming ? EnglishStemmer.stem(lowered) : lowered, position))
        }
        // One pass over the UTF-8 bytes: ASCII is classified and lowercased byte by byte; other scalars
        // are decoded, classified like `tokens(_:)`, and their token lowercased with `lowercased()`.
        var token: [UInt8] = []
        var tokenIsASCII = true
        func finish() {
            guard !token.isEmpty else { return }
            let text = String(decoding: token, as: UTF8.self)
            emit(tokenIsASCII ? text : text.lowercased())
            token.removeAll(keepingCapacity: true)
            tokenIsASCII = true
        }
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case 0x30...0x39, 0x61...0x7A: token.append(byte)
            case 0x41...0x5A: token.append(byte | 0x20)
            case 0..<0x80: finish()
            default:
                // A lead byte: Swift strings hold valid UTF-8, so its continuation bytes follow.
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                var bytes: (UInt8, UInt8, UInt8, UInt8) = (byte, 0, 0, 0)
                var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for index in 1..<length {
                    let next = utf8.next() ?? 0x80
                    value = value << 6 | UInt32(next & 0x3F)
                    switch index {
                    case 1: bytes.1 = next
                    case 2: bytes.2 = next
                    default: bytes.3 = next
                    }
                }
                if let scalar = Unicode.Scalar(value), Self.isTokenScalar(scalar) {
                    token.append(bytes.0)
                    token.append(bytes.1)
                    if length > 2 { token.append(bytes.2) }
                    if length > 3 { token.append(bytes.3) }
                    tokenIsASCII = false
                } else {
                    finish()
                }
            }
        }
        finish()
        return result
    }

    /// The raw tokens of `text`: maximal runs of letters, marks and digits.
    public static func tokens(_ text: String) -> [Substring] {
        var tokens: [Substring] = []
        let scalars = text.unicodeScalars
        var start: String.UnicodeScalarView.Index?
        var index = scalars.startIndex
        while index < scalars.endIndex {
            if isTokenScalar(scalars[index]) {
                if start == nil { start = index }
            } else if let first = start {
                tokens.append(Substring(scalars[first..<index]))
                start = nil
            }
            index = scalars.index(after: index)
        }
        if let first = start { tokens.append(Substring(scalars[first..<scalars.endIndex])) }
        return tokens
    }

    static func isTokenScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let value = scalar.value
            return (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A)
                || (value >= 0x61 && value <= 0x7A)
        }
        let properties = scalar.properties
        if properties.isAlphabetic { return true }
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }
}
