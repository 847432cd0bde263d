import Foundation
import ScoreKitCore

/// Lists of numbers in spec values: written inline as `a/b/c`, or read from a file with
/// `@PATH` — numbers separated by whitespace or commas, or a JSON array. Printed inline.
enum NumberList {
    /// The most entries a list may hold (a σ or timestep per step).
    static let maximumCount = 100_000

    /// The numbers `text` gives, or an `InvalidOptionValue` naming the problem.
    static func parse(_ text: String) throws -> [Double] {
        let body: String
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            guard !path.isEmpty else { throw InvalidOptionValue(expected: "a file path after @") }
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            guard let size = attributes?[.size] as? Int else { throw InvalidOptionValue(expected: "a readable file; cannot read '\(path)'") }
            guard size <= 16 << 20 else { throw InvalidOptionValue(expected: "a list file under 16 MiB; '\(path)' has \(size) bytes") }
            guard let data = FileManager.default.contents(atPath: path), let s = String(data: data, encoding: .utf8) else {
                throw InvalidOptionValue(expected: "a readable UTF-8 file; cannot read '\(path)'")
            }
            body = s
        } else {
            body = text
        }
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        let inner = trimmed.hasPrefix("[") && trimmed.hasSuffix("]") ? String(trimmed.dropFirst().dropLast()) : trimmed
        let parts = inner.split(whereSeparator: { $0 == "," || $0 == "/" || $0.isWhitespace })
        guard !parts.isEmpty else { throw InvalidOptionValue(expected: "at least one number (a/b/c, or @FILE)") }
        guard parts.count <= maximumCount else { throw InvalidOptionValue(expected: "at most \(maximumCount) numbers; got \(parts.count)") }
        return try parts.map { part in
            guard let v = Double(part) else { throw InvalidOptionValue(expected: "numbers; '\(part)' is not one") }
            return v
        }
    }

    /// The inline form: `a/b/c`.
    static func format(_ values: [Double]) -> String { values.map(canonicalNumber).joined(separator: "/") }
}

/// A list of σ's given by the user: strictly decreasing, positive and finite.
enum SigmaList {
    /// What is wrong with `sigmas`, or nil.
    static func problem(_ sigmas: [Double]) -> String? {
        guard !sigmas.isEmpty else { return "must hold at least one σ" }
        if let i = sigmas.firstIndex(where: { !$0.isFinite || $0 <= 0 }) {
            return "must be finite and > 0; entry \(i) is \(sigmas[i])"
        }
        if let i = sigmas.indices.dropFirst().first(where: { sigmas[$0] >= sigmas[$0 - 1] }) {
            return "must be strictly decreasing; entry \(i) (\(canonicalNumber(sigmas[i]))) is not below entry \(i - 1) (\(canonicalNumber(sigmas[i - 1])))"
        }
        return nil
    }

    /// The `sigmas` key: a list checked when parsed.
    static func option<S>(key: String, _ path: WritableKeyPath<S, [Double]> & Sendable, help: String,
                          when applies: @escaping @Sendable (S) -> Bool) -> SamplerOption<S> {
        SamplerOption(key: key, values: "σ's, descending (a/b/c or @FILE)", help: help,
                      text: { NumberList.format($0[keyPath: path]) }, applies: applies,
                      write: { s, text, _ in
                          let values = try NumberList.parse(text)
                          if let problem = problem(values) { throw InvalidOptionValue(expected: "σ's that \(problem)") }
                          s[keyPath: path] = values
                      })
    }
}
