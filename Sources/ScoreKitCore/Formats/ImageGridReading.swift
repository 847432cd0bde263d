import Foundation

/// Images read back from a PNG: a single image of the sample's size, or a grid as
/// `SamplePlot.grid` draws it (cells of `zoom`× the image with one-pixel gaps of background
/// grey 128, 10 per row, row by row). Trailing cells of the last grid row that are all
/// background grey are blank and dropped.
extension GrayImage {
    /// The images of `height × width` pixels this PNG holds, each as its grey levels row by
    /// row; nil when it is neither one such image nor a grid of them.
    public func cells(height h: Int, width w: Int) -> [[UInt8]]? {
        if width == w, height == h { return [pixels] }
        for zoom in 1...64 {
            let cellW = w * zoom + 1, cellH = h * zoom + 1
            guard cellW < width, cellH < height else { break }
            guard (width - 1) % cellW == 0, (height - 1) % cellH == 0 else { continue }
            let columns = (width - 1) / cellW, rows = (height - 1) / cellH
            guard isGrid(cellW: cellW, cellH: cellH) else { continue }
            var cells = (0..<(rows * columns)).map { k in
                let top = (k / columns) * cellH + 1, left = (k % columns) * cellW + 1
                return (0..<(h * w)).map { p in self[left + (p % w) * zoom, top + (p / w) * zoom] }
            }
            while cells.count > (rows - 1) * columns, cells.count > 1, cells.last!.allSatisfy({ $0 == 128 }) { cells.removeLast() }
            return cells
        }
        return nil
    }

    /// Whether every gap line of a grid with these cells is background grey.
    private func isGrid(cellW: Int, cellH: Int) -> Bool {
        for x in stride(from: 0, to: width, by: cellW) where (0..<height).contains(where: { self[x, $0] != 128 }) { return false }
        for y in stride(from: 0, to: height, by: cellH) where (0..<width).contains(where: { self[$0, y] != 128 }) { return false }
        return true
    }

    /// The images as samples of `shape` (`[1, H, W]` or `[H, W]`), grey levels mapped to
    /// `range` as `SamplePlot.grid` maps values to them (0 → lower end, 255 → upper end).
    /// Throws `FileFormatError.malformed` naming `path` when the layout does not fit.
    public func samples(shape: [Int], range: ClosedRange<Float> = -1...1, path: String) throws -> Tensor {
        let cells = try imageCells(shape: shape, path: path)
        let scale = (range.upperBound - range.lowerBound) / 255
        return Tensor(shape: [cells.count] + shape, scalars: cells.flatMap { $0.map { range.lowerBound + Float($0) * scale } })
    }

    /// The images as a 0/1 mask of `shape`: black (0) is 0, white (255) is 1; any other grey
    /// level is refused.
    public func mask(shape: [Int], path: String) throws -> Tensor {
        let cells = try imageCells(shape: shape, path: path)
        let size = shape.reduce(1, *)
        for (k, cell) in cells.enumerated() {
            if let bad = cell.firstIndex(where: { $0 != 0 && $0 != 255 }) {
                throw FileFormatError.malformed(path, reason: "mask values must be 0 or 1 (black or white pixels); image \(k) has grey level \(cell[bad]) at pixel \(bad) of \(size)")
            }
        }
        return Tensor(shape: [cells.count] + shape, scalars: cells.flatMap { $0.map { $0 == 255 ? 1 : 0 } })
    }

    private func imageCells(shape: [Int], path: String) throws -> [[UInt8]] {
        guard shape.count >= 2, shape.dropLast(2).allSatisfy({ $0 == 1 }) else {
            throw FileFormatError.malformed(path, reason: "a .png holds grey images; the model's samples have shape \(shape)")
        }
        let h = shape[shape.count - 2], w = shape[shape.count - 1]
        guard let cells = cells(height: h, width: w) else {
            throw FileFormatError.malformed(path, reason: "a \(width)×\(height) image is neither one \(w)×\(h) image nor a grid of them as scorekit writes")
        }
        return cells
    }
}
