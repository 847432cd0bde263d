import Foundation
import ScoreKit

/// Shared helpers: scratch folders and small plans on gmm2d.
enum CompareTestSupport {
    /// A fresh path under the temporary folder (not created).
    static func scratch(_ name: String = #function) -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("scorekit-compare-tests", isDirectory: true)
            .appendingPathComponent("\(name.filter { $0.isLetter })-\(UUID().uuidString)", isDirectory: true)
    }

    /// A small gmm2d plan: ddpm and ddim, budgets 5 and 10, 200 samples.
    static func smallPlan(_ output: URL, samplers: [String] = ["ddpm", "ddim"], budgets: [Int] = [5, 10],
                          count: Int = 200, reference: String? = nil) -> ComparisonPlan {
        ComparisonPlan(model: "gmm2d", samplers: samplers, budgets: budgets, count: count, seed: 3,
                       output: output, referenceSolver: reference)
    }

    static func text(_ url: URL) -> String? {
        FileManager.default.contents(atPath: url.path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `results.csv` with the `seconds` column blanked: what must match between two separate
    /// runs (wall-clock time is measured once per cell and differs between runs).
    static func csvWithoutSeconds(_ text: String) -> [[String]] {
        let lines = text.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        guard let column = header.firstIndex(of: "seconds") else { return [] }
        return lines.map { line in
            var fields = splitCSV(line)
            if fields.count > column { fields[column] = "" }
            return fields
        }
    }

    /// The fields of one CSV line (quoted fields may hold commas).
    static func splitCSV(_ line: String) -> [String] {
        var fields: [String] = [], field = "", quoted = false
        for c in line {
            if c == "\"" { quoted.toggle() } else if c == ",", !quoted { fields.append(field); field = "" } else { field.append(c) }
        }
        fields.append(field)
        return fields
    }
}
