import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal (silent in pipes),
/// redrawn at most ten times a second.
final class TerminalProgress {
    private let label: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let estimatesETA: Bool

    /// A bar labelled `label`. With `estimatesETA` false, the ETA shows only when `update`
    /// is given one (for work that starts part-way, like a resumed sweep).
    init(label: String, estimatesETA: Bool = true) {
        self.label = label
        self.estimatesETA = estimatesETA
        enabled = isatty(STDERR_FILENO) != 0
    }

    /// Shows `fraction` (0…1) done, with elapsed time and an estimate of the rest — computed
    /// from the fraction, or `secondsRemaining` when the caller knows better (a resumed sweep
    /// starts part-way, so elapsed/fraction would understate the rest).
    func update(_ fraction: Double, detail: String = "", secondsRemaining: Double? = nil) {
        guard enabled, Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = Date()
        let width = 30, filled = Int((max(0, min(1, fraction)) * Double(width)).rounded(.down))
        let elapsed = Date().timeIntervalSince(start)
        let remaining = secondsRemaining ?? (estimatesETA && fraction > 0.01 ? elapsed / fraction - elapsed : nil)
        let eta = remaining.map { String(format: ", ETA %.1f s", $0) } ?? ""
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "\r%@ [%@] %3.0f%%  %.1f s%@  %@", label, bar, 100 * fraction, elapsed, eta, detail)
        FileHandle.standardError.write(Data(line.utf8) + Data("\u{1B}[K".utf8))
    }

    /// Clears the line.
    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
