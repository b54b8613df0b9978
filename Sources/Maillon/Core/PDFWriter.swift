import Foundation

/// A small PDF writer for the documents a training organisation hands out (attendance sheets,
/// certificates): A4 pages, text in Helvetica with the Windows-1252 encoding (so French accents), lines,
/// vector paths (drawn signatures) and a JPEG image. No Swift PDF package is on this machine's list;
/// this is the least that those documents need, checked by reading the text back (pypdf, in the
/// Python suite) and by a structure test.
struct PDFWriter {
    static let pageWidth = 595.0, pageHeight = 842.0, margin = 50.0

    private var pages: [[String]] = []
    private var images: [(data: Data, width: Int, height: Int, colorSpace: String)] = []
    /// Where the next line of text goes, from the top of the page.
    private(set) var cursor = margin

    init() { newPage() }

    mutating func newPage() {
        pages.append([])
        cursor = Self.margin
    }

    private mutating func draw(_ operation: String) { pages[pages.count - 1].append(operation) }

    /// One line of text at `x`, `top` points from the top of the page.
    mutating func text(_ string: String, x: Double, top: Double, size: Double = 11, bold: Bool = false) {
        draw("BT /\(bold ? "F2" : "F1") \(Self.number(size)) Tf \(Self.number(x)) \(Self.number(Self.pageHeight - top)) Td (\(Self.escape(string))) Tj ET")
    }

    /// Paragraph text from the cursor, wrapped to the page, on new pages as needed.
    mutating func paragraph(_ string: String, size: Double = 11, bold: Bool = false, indent: Double = 0, after: Double = 4) {
        let width = Self.pageWidth - 2 * Self.margin - indent
        for line in Self.wrap(string, width: width, size: size) {
            if cursor + size > Self.pageHeight - Self.margin { newPage() }
            cursor += size * 1.25
            text(line, x: Self.margin + indent, top: cursor, size: size, bold: bold)
        }
        cursor += after
    }

    /// Moves the cursor down, starting a page if `needed` points do not fit.
    mutating func space(_ points: Double, needed: Double = 0) {
        if cursor + points + needed > Self.pageHeight - Self.margin { newPage() } else { cursor += points }
    }

    mutating func line(from: (Double, Double), to: (Double, Double), width: Double = 0.5) {
        draw("\(Self.number(width)) w \(Self.number(from.0)) \(Self.number(Self.pageHeight - from.1)) m \(Self.number(to.0)) \(Self.number(Self.pageHeight - to.1)) l S")
    }

    /// A drawn signature (SVG path data of moves and lines, as the signature pad makes it) scaled into a box.
    mutating func signature(_ path: String, x: Double, top: Double, width: Double, height: Double) {
        var points: [(String, Double, Double)] = []
        let tokens = path.split(whereSeparator: { $0 == " " || $0 == "," })
        var index = 0
        var command = "M"
        while index < tokens.count {
            var token = tokens[index]
            if let first = token.first, first == "M" || first == "L" {
                command = String(first)
                token = token.dropFirst()
                if token.isEmpty { index += 1; continue }
            }
            guard index + 1 < tokens.count, let px = Double(token), let py = Double(tokens[index + 1]) else { break }
            points.append((command, px, py))
            index += 2
        }
        guard let maxX = points.map(\.1).max(), let maxY = points.map(\.2).max(), let minX = points.map(\.1).min(), let minY = points.map(\.2).min() else { return }
        let scale = min(width / max(1, maxX - minX), height / max(1, maxY - minY))
        let operations = points.map { point in
            "\(Self.number(x + (point.1 - minX) * scale)) \(Self.number(Self.pageHeight - top - (point.2 - minY) * scale)) \(point.0 == "M" ? "m" : "l")"
        }
        draw("1 w 1 J " + operations.joined(separator: " ") + " S")
    }

    /// A JPEG image (the organisation's signature); anything else is left out.
    mutating func jpeg(_ data: Data, x: Double, top: Double, width: Double) {
        guard let (pixelsWide, pixelsHigh, components) = Self.jpegSize(data) else { return }
        images.append((data, pixelsWide, pixelsHigh, components == 1 ? "/DeviceGray" : components == 4 ? "/DeviceCMYK" : "/DeviceRGB"))
        let height = width * Double(pixelsHigh) / Double(pixelsWide)
        draw("q \(Self.number(width)) 0 0 \(Self.number(height)) \(Self.number(x)) \(Self.number(Self.pageHeight - top - height)) cm /Im\(images.count) Do Q")
    }

    /// The whole file: catalog, pages, fonts, images, and the cross-reference table.
    func render() -> Data {
        var objects: [Data] = []
        func add(_ text: String) -> Int { objects.append(Data(text.utf8)); return objects.count }
        let catalog = add("")
        let pagesObject = add("")
        let regular = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        let bold = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
        var imageObjects: [Int] = []
        for image in images {
            var object = Data("<< /Type /XObject /Subtype /Image /Width \(image.width) /Height \(image.height) /ColorSpace \(image.colorSpace) /BitsPerComponent 8 /Filter /DCTDecode /Length \(image.data.count) >>\nstream\n".utf8)
            object.append(image.data)
            object.append(Data("\nendstream".utf8))
            objects.append(object)
            imageObjects.append(objects.count)
        }
        let xObjects = imageObjects.enumerated().map { "/Im\($0.offset + 1) \($0.element) 0 R" }.joined(separator: " ")
        let resources = "<< /Font << /F1 \(regular) 0 R /F2 \(bold) 0 R >>\(xObjects.isEmpty ? "" : " /XObject << \(xObjects) >>") >>"
        var pageObjects: [Int] = []
        for operations in pages {
            let content = operations.joined(separator: "\n")
            let stream = add("<< /Length \(content.utf8.count) >>\nstream\n\(content)\nendstream")
            pageObjects.append(add("<< /Type /Page /Parent \(pagesObject) 0 R /MediaBox [0 0 \(Int(Self.pageWidth)) \(Int(Self.pageHeight))] /Resources \(resources) /Contents \(stream) 0 R >>"))
        }
        objects[catalog - 1] = Data("<< /Type /Catalog /Pages \(pagesObject) 0 R >>".utf8)
        objects[pagesObject - 1] = Data("<< /Type /Pages /Kids [\(pageObjects.map { "\($0) 0 R" }.joined(separator: " "))] /Count \(pageObjects.count) >>".utf8)
        var file = Data("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(file.count)
            file.append(Data("\(index + 1) 0 obj\n".utf8))
            file.append(object)
            file.append(Data("\nendobj\n".utf8))
        }
        let xref = file.count
        var table = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { table += String(format: "%010d 00000 n \n", offset) }
        table += "trailer\n<< /Size \(objects.count + 1) /Root \(catalog) 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        file.append(Data(table.utf8))
        return file
    }

    // MARK: Helpers

    static func number(_ value: Double) -> String { String(format: "%.2f", value) }

    /// A PDF string: Windows-1252 bytes, the delimiters escaped, anything outside written as octal.
    static func escape(_ text: String) -> String {
        var result = ""
        for byte in winAnsi(text) {
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"): result += "\\" + String(UnicodeScalar(byte))
            case 32..<127: result.append(Character(UnicodeScalar(byte)))
            default: result += "\\" + String(byte, radix: 8).leftPadded(to: 3)
            }
        }
        return result
    }

    /// Text as Windows-1252 bytes (what /WinAnsiEncoding reads); what it cannot say becomes "?".
    static func winAnsi(_ text: String) -> [UInt8] {
        let extras: [Unicode.Scalar: UInt8] = ["€": 0x80, "‚": 0x82, "„": 0x84, "…": 0x85, "‘": 0x91, "’": 0x92, "“": 0x93, "”": 0x94, "•": 0x95,
                                               "–": 0x96, "—": 0x97, "œ": 0x9C, "Œ": 0x8C, "Ÿ": 0x9F, "\u{202F}": 0xA0]
        return text.precomposedStringWithCanonicalMapping.unicodeScalars.map { scalar in
            if let byte = extras[scalar] { return byte }
            if scalar.value < 0x80 || (0xA0...0xFF).contains(scalar.value) { return UInt8(scalar.value) }
            if scalar == "·" { return 0xB7 }
            return UInt8(ascii: "?")
        }
    }

    /// Lines of at most `width` points, at an average Helvetica width (a little generous).
    static func wrap(_ text: String, width: Double, size: Double) -> [String] {
        let perLine = max(10, Int(width / (size * 0.52)))
        var lines: [String] = []
        for paragraph in text.components(separatedBy: "\n") {
            var current = ""
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                if current.isEmpty { current = String(word) } else if current.count + 1 + word.count <= perLine { current += " " + word } else {
                    lines.append(current)
                    current = String(word)
                }
                while current.count > perLine {
                    lines.append(String(current.prefix(perLine)))
                    current = String(current.dropFirst(perLine))
                }
            }
            lines.append(current)
        }
        return lines
    }

    /// Width, height and colour components of a baseline or progressive JPEG.
    static func jpegSize(_ data: Data) -> (Int, Int, Int)? {
        let bytes = [UInt8](data)
        guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var index = 2
        while index + 9 < bytes.count {
            guard bytes[index] == 0xFF else { return nil }
            let marker = bytes[index + 1]
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            if (0xC0...0xC3).contains(marker) {
                let height = Int(bytes[index + 5]) << 8 | Int(bytes[index + 6])
                let width = Int(bytes[index + 7]) << 8 | Int(bytes[index + 8])
                return width > 0 && height > 0 ? (width, height, Int(bytes[index + 9])) : nil
            }
            index += 2 + length
        }
        return nil
    }
}

private extension String {
    func leftPadded(to length: Int) -> String { String(repeating: Character("0"), count: max(0, length - count)) + self }
}
