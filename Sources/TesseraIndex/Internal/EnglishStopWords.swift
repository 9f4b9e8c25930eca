/// The English stop words dropped when `TextAnalyzer.Options.stopWords` is on (Lucene's classic list).
enum EnglishStopWords {
    static let words: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
        "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
        "will", "with",
    ]
}
