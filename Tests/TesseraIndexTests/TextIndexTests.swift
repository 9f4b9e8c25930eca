import Foundation
import TesseraCore
import TesseraIndex
import XCTest

final class TextIndexTests: XCTestCase {
    func testAnalyzer() {
        let plain = TextAnalyzer()
        XCTAssertEqual(
            plain.terms("Hello, WORLD! e-mail 42x Straße Ünïcode 東京 don't").map(\.term),
            ["hello", "world", "e", "mail", "42x", "straße", "ünïcode", "東京", "don", "t"])
        XCTAssertEqual(plain.terms("a  b").map(\.position), [0, 1])
        let english = TextAnalyzer(options: .init(stopWords: true, stemming: true))
        let terms = english.terms("The foxes are running quickly to the houses and studies")
        XCTAssertEqual(terms.map(\.term), ["fox", "run", "quick", "house", "study"])
        XCTAssertEqual(terms.map(\.position), [1, 3, 4, 7, 9])
        XCTAssertEqual(plain.terms(String(repeating: "x", count: 65)).count, 0)
    }

    /// The byte-level tokenizer of `terms` must agree with the scalar one (`tokens`, then `lowercased()`).
    func testByteTokenizerMatchesScalarTokenizer() {
        var random = TestRandom(seed: 5)
        let alphabet = Array("aZ09 -_.,'\"\t\nQxyÉéßΣς\u{301}日本—€😀١٢ДжİŉǅⅫ\u{0915}\u{093F}".unicodeScalars)
        let analyzer = TextAnalyzer()
        for _ in 0..<500 {
            var text = ""
            for _ in 0..<random.int(0...40) {
                text.unicodeScalars.append(alphabet[random.int(0...(alphabet.count - 1))])
            }
            let slow = TextAnalyzer.tokens(text).map { $0.lowercased() }.filter {
                $0.utf8.count <= TextAnalyzer.tokenBytesMax
            }
            XCTAssertEqual(analyzer.terms(text).map(\.term), slow, text)
            // A separator then a non-ASCII letter starts a new token.
            XCTAssertEqual(analyzer.terms(text + " é").map(\.term), slow + ["é"], text)
        }
    }

    func testQuerySyntax() throws {
        let query = try TextQuery(#"quick +Brown -lazy "the fox" tess* e-mail"#, analyzer: TextAnalyzer())
        XCTAssertEqual(
            query.clauses,
            [
                .init(occur: .should, kind: .term("quick")), .init(occur: .must, kind: .term("brown")),
                .init(occur: .mustNot, kind: .term("lazy")),
                .init(occur: .should, kind: .phrase([("the", 0), ("fox", 1)])),
                .init(occur: .should, kind: .prefix("tess")),
                .init(occur: .should, kind: .phrase([("e", 0), ("mail", 1)])),
            ])
        XCTAssertThrowsError(try TextQuery("x", analyzer: TextAnalyzer(), limit: 0))
        XCTAssertThrowsError(try TextQuery(String(repeating: "a ", count: 65), analyzer: TextAnalyzer()))
    }

    func testSearchSemantics() throws {
        var index = TextIndex(fields: ["title", "body"])
        let docs: [(String, String, String)] = [
            ("1", "The quick brown fox", "jumps over the lazy dog"),
            ("2", "Brown bears", "are not foxes but tessellate quickly"),
            ("3", "Tessera", "a quick store; the brown fox is quick"),
            ("4", "Nothing", "to see here"),
        ]
        for (key, title, body) in docs {
            index.upsert(key: key, document: .object(["title": .string(title), "body": .string(body)]))
        }
        XCTAssertEqual(Set(try index.search("quick dog").map(\.key)), ["1", "3"])
        XCTAssertEqual(Set(try index.search("+brown +fox").map(\.key)), ["1", "3"])
        XCTAssertEqual(Set(try index.search("brown -fox").map(\.key)), ["2"])
        XCTAssertEqual(Set(try index.search(#""brown fox""#).map(\.key)), ["1", "3"])
        XCTAssertEqual(Set(try index.search(#""fox brown""#).map(\.key)), [])
        XCTAssertEqual(Set(try index.search("tess*").map(\.key)), ["2", "3"])
        XCTAssertEqual(try index.search("+tess* +bears").map(\.key), ["2"])
        XCTAssertEqual(try index.search("zebra").map(\.key), [])
        index.upsert(key: "3", document: .object(["title": .string("renamed")]))
        index.remove(key: "1")
        XCTAssertEqual(try index.search("brown").map(\.key), ["2"])
        XCTAssertEqual(index.count, 3)
        index.upsert(key: "4", document: .object(["title": .number(4)]))
        XCTAssertEqual(index.count, 2)
    }

    func testArraysOfStringsAndStemming() throws {
        var index = TextIndex(fields: ["tags"], analyzer: TextAnalyzer(options: .init(stopWords: true, stemming: true)))
        index.upsert(key: "a", document: .object(["tags": .array([.string("red cars"), .number(3), .string("fast")])]))
        XCTAssertEqual(try index.search("car").map(\.key), ["a"])
        XCTAssertEqual(try index.search(#""red cars""#).map(\.key), ["a"])
        // Array elements are 100 positions apart: a phrase does not run from one element into the next.
        XCTAssertEqual(try index.search(#""cars fast""#).map(\.key), [])
        XCTAssertEqual(try index.search("the").map(\.key), [])
    }

    // MARK: - BM25 against a direct implementation of the formula

    private struct Reference {
        let fields: [[String: [String]]]  // per field: key -> tokens
        let keys: [String]

        func score(_ clauses: [(required: Bool, terms: [String], prefix: Bool)]) -> [String: Double] {
            let total = Double(keys.count)
            var scores: [String: Double] = [:]
            var matchedRequired: [String: Int] = [:]
            for clause in clauses {
                var clauseMatched: Set<String> = []
                let expansions: [[String]]
                if clause.prefix {
                    var vocabulary: Set<String> = []
                    for field in fields { for tokens in field.values { vocabulary.formUnion(tokens) } }
                    expansions = vocabulary.filter { $0.hasPrefix(clause.terms[0]) }.map { [$0] }
                } else {
                    expansions = [clause.terms]
                }
                for phrase in expansions {
                    for field in fields {
                        let average = Double(field.values.reduce(0) { $0 + $1.count }) / total
                        func occurrences(_ tokens: [String]) -> Int {
                            guard tokens.count >= phrase.count else { return 0 }
                            return (0...(tokens.count - phrase.count)).filter {
                                Array(tokens[$0..<($0 + phrase.count)]) == phrase
                            }.count
                        }
                        var idf = 0.0
                        for term in phrase {
                            let df = Double(field.values.filter { $0.contains(term) }.count)
                            idf += log(1 + (total - df + 0.5) / (df + 0.5))
                        }
                        for (key, tokens) in field {
                            let tf = Double(occurrences(tokens))
                            guard tf > 0 else { continue }
                            let length = Double(tokens.count)
                            scores[key, default: 0] += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))
                            clauseMatched.insert(key)
                        }
                    }
                }
                if clause.required { for key in clauseMatched { matchedRequired[key, default: 0] += 1 } }
            }
            let required = clauses.filter(\.required).count
            return scores.filter { matchedRequired[$0.key, default: 0] == required }
        }
    }

    func testScoresEqualTheFormula() throws {
        let vocabulary = (0..<60).map { "w\($0)" } + ["alpha", "alps", "alpine", "beta"]
        for seed: UInt64 in 1...2 {
            var random = TestRandom(seed: seed)
            let rare = (0..<10).map { "rare\($0)" }
            func word() -> String {
                // A few rare words (a handful of documents each) make queries take the sparse score board.
                if random.int(0...199) == 0 { return rare[random.int(0...9)] }
                // Zipf-like: small indexes are much more frequent.
                let index = Int(pow(random.unit(), 2.5) * Double(vocabulary.count))
                return vocabulary[min(index, vocabulary.count - 1)]
            }
            var index = TextIndex(fields: ["title", "body"])
            var stored: [String: [[String]]] = [:]
            for step in 0..<1_200 {
                let key = "d\(random.int(0...400))"
                if step % 6 == 5 {
                    index.remove(key: key)
                    stored[key] = nil
                    continue
                }
                let title = random.int(0...4) == 0 ? [] : (0..<random.int(1...5)).map { _ in word() }
                let body = random.int(0...6) == 0 ? [] : (0..<random.int(1...60)).map { _ in word() }
                var members: [String: JSONValue] = [:]
                if !title.isEmpty { members["title"] = .string(title.joined(separator: " ")) }
                if !body.isEmpty { members["body"] = .string(body.joined(separator: "  ")) }
                index.upsert(key: key, document: .object(members))
                if title.isEmpty && body.isEmpty { stored[key] = nil } else { stored[key] = [title, body] }
            }
            let reference = Reference(
                fields: [
                    stored.mapValues { $0[0] }.filter { !$0.value.isEmpty },
                    stored.mapValues { $0[1] }.filter { !$0.value.isEmpty },
                ],
                keys: Array(stored.keys))
            XCTAssertEqual(index.count, stored.count)
            for _ in 0..<80 {
                var clauses: [(required: Bool, terms: [String], prefix: Bool)] = []
                var text: [String] = []
                for _ in 0..<random.int(1...4) {
                    let required = random.int(0...3) == 0
                    switch random.int(0...5) {
                    case 0:
                        let phrase = [word(), word()]
                        clauses.append((required, phrase, false))
                        text.append((required ? "+" : "") + "\"\(phrase.joined(separator: " "))\"")
                    case 1:
                        let prefix = ["al", "alp", "w1", "w5", "b"][random.int(0...4)]
                        clauses.append((required, [prefix], true))
                        text.append((required ? "+" : "") + prefix + "*")
                    default:
                        let term = random.int(0...4) == 0 ? rare[random.int(0...9)] : word()
                        clauses.append((required, [term], false))
                        text.append((required ? "+" : "") + term)
                    }
                }
                let expected = reference.score(clauses)
                let hits = try index.search(text.joined(separator: " "), limit: TextQuery.limitMax)
                XCTAssertEqual(Set(hits.map(\.key)), Set(expected.keys), "seed \(seed) query \(text)")
                for hit in hits {
                    XCTAssertEqual(hit.score, expected[hit.key] ?? .nan, accuracy: 1e-9, "\(text) \(hit.key)")
                }
                XCTAssertEqual(hits.map(\.score), hits.map(\.score).sorted(by: >), "highest first")
                let top = try index.search(text.joined(separator: " "), limit: 3)
                XCTAssertEqual(top, Array(hits.prefix(3)))
            }
        }
    }
}
