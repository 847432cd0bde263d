import Foundation
import ScoreKitCore

/// The 2-D sets of the common diffusion tutorials, drawn once by scikit-learn and shipped as
/// tables (`Models/Resources/NAME.csv`, made by `scripts/extract_toy2d.py`, provenance in the
/// file): 10,000 training points and 10,000 held-out reference points each.
///
/// Unlike `Toy2D` they are *not* standardised: they stay in the tutorials' coordinates, so a
/// tutorial's DDPM schedule (T = 100, sigmoid β from 1e-5 to 5e-3, whose last step is σ ≈ 0.53)
/// acts on them as it does there. Their σ_data is the training set's root mean square.
public enum Tutorial2D: String, CaseIterable, Sendable {
    /// `make_s_curve(noise=0.1)`, columns 0 and 2, divided by 10: an S in [−0.1, 0.1]×[−0.2, 0.2].
    case scurve
    /// `make_circles(noise=0.1, factor=0.5)`: two noisy rings of radius 1 and 0.5.
    case circles

    /// The shipped table (parsed once per process). Throws `MissingResourceError` when the
    /// resource bundle is missing, `Tutorial2DDataError` when the file is unreadable or damaged.
    public func load() throws -> Tutorial2DData {
        switch self {
        case .scurve: try Self.scurveTable.get()
        case .circles: try Self.circlesTable.get()
        }
    }

    private static let scurveTable = Result { try read(.scurve) }
    private static let circlesTable = Result { try read(.circles) }

    private static func read(_ kind: Tutorial2D) throws -> Tutorial2DData {
        let url = try ModelResources.current.url(forResource: kind.rawValue, withExtension: "csv")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw Tutorial2DDataError.missingResource(kind.rawValue)
        }
        return try Tutorial2DData(csv: data, name: kind.rawValue)
    }
}

/// One tutorial set: its training and held-out points.
public struct Tutorial2DData: Sendable {
    /// The training points, `[n, 2]`.
    public let training: Tensor
    /// The held-out reference points, `[m, 2]`, which quality is measured against.
    public let heldOut: Tensor

    /// Parses the CSV form: `#` comment lines, a header, then per line x, y and a 0/1
    /// held-out flag. `name` goes into error messages.
    public init(csv: Data, name: String) throws {
        guard let text = String(data: csv, encoding: .utf8) else { throw Tutorial2DDataError.malformed(name, "not UTF-8") }
        var train: [Float] = [], held: [Float] = []
        var header = true
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.hasPrefix("#") {
            if header { header = false; continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 3, let x = Double(fields[0]), let y = Double(fields[1]), x.isFinite, y.isFinite,
                  fields[2] == "0" || fields[2] == "1" else {
                throw Tutorial2DDataError.malformed(name, "line \(number + 1) is not two finite numbers and a 0/1 held-out flag")
            }
            if fields[2] == "1" { held += [Float(x), Float(y)] } else { train += [Float(x), Float(y)] }
        }
        guard !train.isEmpty, !held.isEmpty else { throw Tutorial2DDataError.malformed(name, "no training or no held-out points") }
        training = Tensor(shape: [train.count / 2, 2], scalars: train)
        heldOut = Tensor(shape: [held.count / 2, 2], scalars: held)
    }

    /// The training points' root mean square, rounded to two decimals: the model's σ_data.
    public var sigmaData: Double {
        let meanSquare = training.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(training.count)
        return (meanSquare.squareRoot() * 100).rounded() / 100
    }
}

/// A tutorial data table is missing or damaged.
public enum Tutorial2DDataError: Error, CustomStringConvertible {
    /// The resource file of the named set is missing or unreadable.
    case missingResource(String)
    /// The named set's file does not parse; the reason says where.
    case malformed(String, String)

    /// The message.
    public var description: String {
        switch self {
        case .missingResource(let name): "the \(name) data set (Resources/\(name).csv of ScoreKitModels) is missing or unreadable"
        case let .malformed(name, why): "\(name) data: \(why)"
        }
    }
}
