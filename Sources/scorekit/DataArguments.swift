import Foundation
import ScoreKit

/// Data files given to `sample --init-data` and `inpaint --data/--mask`: arrays (.npy,
/// .safetensors, .csv: one sample per row) or PNG images (one image of the model's size, or a
/// grid as scorekit writes them), checked against the model's sample shape.
enum DataArgument {
    /// The extensions a data file may have.
    static let readable = ArrayFile.readable + ["png"]

    /// The rows of `path` as `[N] + shape`; a PNG's grey levels map to −1…1 as scorekit's
    /// grids map values to them. Refused, naming `flag` and the file, when unreadable, empty,
    /// of the wrong row size, or (unless `finiteWhere` says a value may be anything) not finite.
    static func read(_ path: String, flag: String, shape: [Int]) throws -> Tensor {
        let url = URL(fileURLWithPath: path)
        let dimension = shape.reduce(1, *)
        let x: Tensor
        do {
            if url.pathExtension.lowercased() == "png" {
                x = try GrayImage(contentsOf: url).samples(shape: shape, path: path)
            } else {
                guard ArrayFile.readable.contains(url.pathExtension.lowercased()) else {
                    throw FileFormatError.unsupportedExtension(path, valid: readable)
                }
                x = try ArrayFile.read(url)
            }
        } catch { throw CLIError("\(flag): \(error)") }
        guard x.count > 0, x.rows > 0 else { throw CLIError("\(flag) \(path) has no rows; expected rows of \(dimension) values") }
        guard x.rowSize == dimension else {
            throw CLIError("\(flag) \(path) has shape \(x.shape); expected rows of \(dimension) values (N × \(shape.map(String.init).joined(separator: "×"))), the model's sample shape")
        }
        return x.reshaped([x.rows] + shape)
    }

    /// A 0/1 mask for `rows` data rows of `shape`: one row for all or one per row; a PNG's black
    /// pixels are 0 and white ones 1.
    static func readMask(_ path: String, shape: [Int], rows: Int) throws -> Tensor {
        let url = URL(fileURLWithPath: path)
        let mask: Tensor
        if url.pathExtension.lowercased() == "png" {
            do { mask = try GrayImage(contentsOf: url).mask(shape: shape, path: path) } catch { throw CLIError("--mask: \(error)") }
        } else {
            mask = try read(path, flag: "--mask", shape: shape)
        }
        guard mask.rows == 1 || mask.rows == rows else {
            throw CLIError("--mask \(path) has \(mask.rows) rows; expected 1 (one mask for every row) or \(rows) (one per row of --data)")
        }
        if let bad = mask.scalars.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw CLIError("--mask \(path): row \(bad / mask.rowSize) (counting from 0) holds \(mask.scalars[bad]); a mask holds only 0 (generate) and 1 (known)")
        }
        return mask
    }

    /// Throws naming `flag` when a value of `x` is not finite where `mask` (if any) marks it known.
    static func checkFinite(_ x: Tensor, mask: Tensor?, flag: String, path: String) throws {
        let size = x.rowSize
        for i in x.scalars.indices where !x.scalars[i].isFinite {
            if let mask, mask.scalars[mask.rows == 1 ? i % size : i] == 0 { continue }
            throw CLIError("\(flag) \(path): row \(i / size) (counting from 0) holds \(x.scalars[i])\(mask == nil ? "" : " at a known position"); data must be finite")
        }
    }
}
