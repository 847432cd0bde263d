import Foundation

/// Comma-separated values: one sample per line, its values flattened. ScoreKit writes a header
/// line `x0,x1,…`; it reads with or without one.
public enum CSV {
    /// The text of `tensor` as CSV (rows flattened).
    public static func encode(_ tensor: Tensor) -> Data {
        let n = tensor.rowSize
        var text = (0..<n).map { "x\($0)" }.joined(separator: ",") + "\n"
        text.reserveCapacity(tensor.count * 12)
        for r in 0..<tensor.rows {
            text += tensor.row(r).map { "\($0)" }.joined(separator: ",")
            text += "\n"
        }
        return Data(text.utf8)
    }

    /// Parses CSV numbers into an `[rows, columns]` tensor; a first line that is not numeric is
    /// taken as a header.
    public static func decode(_ data: Data, path: String = "array") throws -> Tensor {
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileFormatError.malformed(path, reason: "not UTF-8 text")
        }
        var lines = text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        if let first = lines.first, first.split(separator: ",").contains(where: { Float($0.trimmingCharacters(in: .whitespaces)) == nil }) {
            lines.removeFirst()
        }
        guard !lines.isEmpty else { throw FileFormatError.malformed(path, reason: "no rows") }
        var values: [Float] = []
        var width = -1
        for (i, line) in lines.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if width < 0 { width = fields.count }
            guard fields.count == width else {
                throw FileFormatError.malformed(path, reason: "row \(i + 1) has \(fields.count) values; the first has \(width)")
            }
            for f in fields {
                guard let v = Float(f.trimmingCharacters(in: .whitespaces)) else {
                    throw FileFormatError.malformed(path, reason: "row \(i + 1): '\(f)' is not a number")
                }
                values.append(v)
            }
        }
        return Tensor(shape: [lines.count, width], scalars: values)
    }
}
