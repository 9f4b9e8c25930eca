/// A light English stemmer: plural and common inflection suffixes only, so stems stay readable.
///
/// Rules, first match wins, applied only to ASCII-letter words longer than 3 letters:
/// `ies`→`y` (not after "e"/"a"), `sses`→`ss`, `es` after x/z/ch/sh → drop `es`, `s` (not `ss`/`us`/`is`)
/// → drop; then `ing`/`ed` are dropped when a vowel remains before them and at least 3 letters stay,
/// undoubling a final double consonant (`running`→`run`), and `ly` is dropped when 4 letters stay.
enum EnglishStemmer {
    static func stem(_ word: String) -> String {
        var letters = Array(word.utf8)
        guard letters.count > 3, letters.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else { return word }
        func ends(_ suffix: String) -> Bool {
            let tail = Array(suffix.utf8)
            return letters.count > tail.count && letters.suffix(tail.count).elementsEqual(tail)
        }
        func isVowel(_ byte: UInt8) -> Bool { "aeiouy".utf8.contains(byte) }
        if ends("ies") && !ends("eies") && !ends("aies") {
            letters.removeLast(3)
            letters.append(0x79)
        } else if ends("sses") {
            letters.removeLast(2)
        } else if ends("xes") || ends("zes") || ends("ches") || ends("shes") {
            letters.removeLast(2)
        } else if ends("s") && !ends("ss") && !ends("us") && !ends("is") {
            letters.removeLast()
        }
        for suffix in ["ing", "ed"] where ends(suffix) {
            let stem = Array(letters.dropLast(suffix.utf8.count))
            guard stem.count >= 3, stem.contains(where: isVowel) else { break }
            letters = stem
            if let last = letters.last, letters.count >= 2, letters[letters.count - 2] == last, !isVowel(last),
                last != 0x6C, last != 0x73, last != 0x7A
            {
                letters.removeLast()
            }
            break
        }
        if ends("ly") && letters.count - 2 >= 4 { letters.removeLast(2) }
        return String(decoding: letters, as: UTF8.self)
    }
}
