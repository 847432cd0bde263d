import Foundation

/// JSON from files, with a reason when it cannot be read. Foundation's parser refuses text
/// nested past 512 levels and numbers beyond `Double`'s range with a generic error (and
/// silently keeps one value of a key given twice), so `JSONReader` vets the text first and
/// names the problem and where it is.
public enum JSONCheck {
    /// The deepest nesting of arrays and objects accepted (Foundation's parser's own limit).
    public static let maxDepth = 512

    /// Why `data` is not acceptable JSON (nesting past `maxDepth`, a number out of range, a
    /// duplicate key, a syntax error), with the byte offset; nil when it is fine.
    public static func problem(_ data: Data) -> String? {
        do {
            _ = try JSONReader.parse(data)
            return nil
        } catch let problem as JSONProblem {
            return problem.reason
        } catch {
            return "\(error)"
        }
    }

    /// The value of `data` as `JSONSerialization` gives it, after `problem(_:)` found nothing
    /// wrong; otherwise a `JSONProblem` that says why not.
    public static func parse(_ data: Data) throws -> Any {
        if let reason = problem(data) { throw JSONProblem(reason: reason) }
        do {
            return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw JSONProblem(reason: parserReason(error))
        }
    }

    /// One line from a Foundation parsing or decoding error.
    public static func parserReason(_ error: any Error) -> String {
        var text = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        if case let DecodingError.dataCorrupted(context) = error {
            text = context.underlyingError.map { parserReason($0) } ?? context.debugDescription
        }
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "malformed JSON"
    }
}

/// Why a JSON text could not be read.
public struct JSONProblem: Error, Equatable, CustomStringConvertible {
    /// The reason, one line.
    public let reason: String
    /// The reason.
    public var description: String { reason }
}
