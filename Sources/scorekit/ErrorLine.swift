import Foundation

/// The one line the tool prints for an error: the whole message, with any control character a
/// user's value carried (a trailing newline in a spec, a tab in a path) shown escaped, so
/// nothing after it is lost and the message stays on one line.
enum ErrorLine {
    /// The line for `message`. The tool's own messages (`ownMessage`) are one line by design,
    /// so any line break in them came from a value and is escaped. The argument parser's
    /// messages may add usage lines after the first: there only the command-line `arguments`
    /// echoed verbatim are escaped, and the message is cut after its first line.
    static func text(_ message: String, ownMessage: Bool, arguments: [String]) -> String {
        if ownMessage { return escaped(message) }
        var text = message
        for argument in arguments where argument != escaped(argument) {
            text = text.replacingOccurrences(of: argument, with: escaped(argument))
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? text
    }

    /// `text` with line breaks, tabs and other control characters written as escapes
    /// (`\n`, `\r`, `\t`, `\u{1B}`).
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
