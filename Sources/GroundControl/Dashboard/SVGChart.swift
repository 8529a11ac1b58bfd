/// A small picture drawn as inline SVG by the `chart` partial: bars and labels in a box of
/// `width` × `height` user units that the sheet scales to the page. Sizes are SVG attributes,
/// not styles, so the pages' policy (no inline style) holds; colours come from each bar's class.
struct SVGChart {
    struct Bar {
        let x: Int
        let y: Int
        let width: Int
        let height: Int
        /// The sheet's class for its colour.
        let kind: String
        /// What a pointer resting on it reads.
        let title: String
    }

    struct Label {
        let x: Int
        let y: Int
        let text: String
        /// `start`, `middle` or `end`.
        let anchor: String
    }

    /// Said to screen readers in place of the picture.
    let label: String
    let width: Int
    let height: Int
    let bars: [Bar]
    let labels: [Label]

    /// One part of a stacked bar.
    struct Segment {
        let count: Int
        let kind: String
        let title: String
    }

    /// Horizontal bars, one per row, each made of segments; all rows on one scale (the longest
    /// row fills the width), the row's name before it and its total after it.
    static func stacked(_ rows: [(name: String, segments: [Segment])], label: String) -> SVGChart {
        let (rowHeight, nameWidth, totalWidth, width) = (24, 150, 70, 720)
        let span = width - nameWidth - totalWidth
        let longest = max(1, rows.map { $0.segments.reduce(0) { $0 + $1.count } }.max() ?? 1)
        var bars: [Bar] = []
        var labels: [Label] = []
        for (index, row) in rows.enumerated() {
            let top = index * rowHeight
            labels.append(Label(x: nameWidth - 8, y: top + 16, text: String(row.name.prefix(22)), anchor: "end"))
            var x = nameWidth
            var total = 0
            for segment in row.segments where segment.count > 0 {
                // At least a sliver, so one satellite of a thousand still shows.
                let length = max(2, segment.count * span / longest)
                bars.append(
                    Bar(
                        x: x, y: top + 4, width: length, height: rowHeight - 8, kind: segment.kind, title: segment.title
                    ))
                x += length
                total += segment.count
            }
            labels.append(Label(x: x + 6, y: top + 16, text: String(total), anchor: "start"))
        }
        return SVGChart(
            label: label, width: width, height: max(rowHeight, rows.count * rowHeight), bars: bars, labels: labels)
    }

    /// Vertical bars of `values` side by side, the tallest filling the height, the first and
    /// last names under them and the largest value above.
    static func columns(
        _ values: [(name: String, value: Int64, title: String)], kind: String, label: String, largest: String
    ) -> SVGChart {
        let (width, plotHeight, labelHeight) = (720, 120, 36)
        let step = width / max(1, values.count)
        let top = max(1, values.map(\.value).max() ?? 1)
        var bars: [Bar] = []
        for (index, entry) in values.enumerated() where entry.value > 0 {
            let height = max(2, Int(Double(entry.value) / Double(top) * Double(plotHeight - 16)))
            bars.append(
                Bar(
                    x: index * step + 1, y: plotHeight - height, width: max(1, step - 2), height: height, kind: kind,
                    title: entry.title))
        }
        var labels = [Label(x: 0, y: 10, text: largest, anchor: "start")]
        if let first = values.first, let last = values.last {
            labels.append(Label(x: 0, y: plotHeight + 16, text: first.name, anchor: "start"))
            labels.append(Label(x: width, y: plotHeight + 16, text: last.name, anchor: "end"))
        }
        return SVGChart(label: label, width: width, height: plotHeight + labelHeight, bars: bars, labels: labels)
    }
}
