/// Pictures laid out in rows, each under a title, each row after an optional label, the whole
/// under an optional caption: trajectory strips, forward-process strips and side-by-side
/// comparisons are all one of these. Text is drawn with `BitmapFont`.
public struct FigureGrid: Sendable {
    /// One picture and the line above it (an absent picture leaves a grey cell).
    public struct Panel: Sendable {
        /// The picture, or nil for an empty cell.
        public var image: RGBImage?
        /// The line drawn above it.
        public var title: String

        /// A panel.
        public init(_ image: RGBImage?, title: String) {
            self.image = image
            self.title = title
        }
    }

    /// The rows of panels, top to bottom.
    public var rows: [[Panel]]
    /// One label per row drawn left of it (empty: no label column).
    public var rowLabels: [String]
    /// A line above everything, if any.
    public var caption: String?
    /// Font pixels per glyph pixel.
    public var textScale: Int
    /// The least width of a cell (frames of one animation share it, so they share a size).
    public var minimumCellWidth = 0

    /// A figure; see the properties.
    public init(rows: [[Panel]], rowLabels: [String] = [], caption: String? = nil, textScale: Int = 2) {
        self.rows = rows
        self.rowLabels = rowLabels
        self.caption = caption
        self.textScale = textScale
    }

    private static let gap = 6
    /// Space between columns, so adjacent titles stay apart.
    private static let columnGap = 14

    /// The width of a cell: the widest panel or title.
    public var cellWidth: Int {
        let panels = rows.flatMap { $0 }
        return max(panels.compactMap(\.image?.width).max() ?? 32,
                   panels.map { BitmapFont.textWidth($0.title, scale: textScale) }.max() ?? 0, minimumCellWidth)
    }

    /// The figure drawn: every cell as wide as the widest panel or title and as high as the
    /// highest panel, white background.
    public func image() -> RGBImage {
        let panels = rows.flatMap { $0 }.compactMap(\.image)
        let cellWidth = self.cellWidth
        let cellHeight = panels.map(\.height).max() ?? 32
        let line = BitmapFont.height * textScale + Self.gap
        let labelWidth = rowLabels.isEmpty ? 0 : (rowLabels.map { BitmapFont.textWidth($0, scale: textScale) }.max() ?? 0) + 2 * Self.gap
        let columns = rows.map(\.count).max() ?? 0
        let top = caption == nil ? Self.gap : line + Self.gap
        let width = max(labelWidth + columns * (cellWidth + Self.columnGap) + Self.gap,
                        BitmapFont.textWidth(caption ?? "", scale: textScale) + 2 * Self.gap)
        var out = RGBImage(width: width, height: top + rows.count * (line + cellHeight + Self.gap))
        if let caption { out.draw(text: caption, x: Self.gap, y: Self.gap, scale: textScale) }
        for (r, row) in rows.enumerated() {
            let y = top + r * (line + cellHeight + Self.gap)
            if r < rowLabels.count {
                out.draw(text: rowLabels[r], x: Self.gap, y: y + line + (cellHeight - BitmapFont.height * textScale) / 2,
                         scale: textScale)
            }
            for (c, panel) in row.enumerated() {
                let x = labelWidth + Self.gap + c * (cellWidth + Self.columnGap)
                out.draw(text: panel.title, x: x, y: y, scale: textScale, colour: (40, 40, 40))
                if let image = panel.image {
                    out.paste(image, x: x, y: y + line)
                } else {
                    out.fill(x: x, y: y + line, width: cellWidth, height: cellHeight, colour: (225, 225, 225))
                }
            }
        }
        return out
    }
}
