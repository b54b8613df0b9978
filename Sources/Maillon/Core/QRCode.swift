import Foundation

/// A QR code (ISO/IEC 18004) for a short link: byte mode, error correction level M, versions 1 to 10
/// (up to 213 bytes), the mask with the lowest penalty. No QR package is on this machine's list; this
/// is the least a link on a trainer's screen needs, checked by decoding it (zxing-cpp, in the Python suite).
struct QRCode {
    let size: Int
    /// Row-major, true for a dark module.
    let modules: [Bool]

    subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// Error correction at level M: codewords per block, and the blocks (count, data codewords each).
    private static let blocks: [(ec: Int, groups: [(count: Int, data: Int)])] = [
        (10, [(1, 16)]), (16, [(1, 28)]), (26, [(1, 44)]), (18, [(2, 32)]), (24, [(2, 43)]),
        (16, [(4, 27)]), (18, [(4, 31)]), (22, [(2, 38), (2, 39)]), (22, [(3, 36), (2, 37)]), (26, [(4, 43), (1, 44)]),
    ]
    private static let alignment: [[Int]] = [[], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50]]

    init?(_ text: String) {
        let bytes = [UInt8](text.utf8)
        guard let version = (1...10).first(where: { Self.capacity($0) >= bytes.count }) else { return nil }
        let codewords = Self.codewords(bytes, version: version)
        var matrix = Matrix(version: version)
        matrix.place(codewords)
        var best: (penalty: Int, matrix: Matrix)?
        for mask in 0..<8 {
            var candidate = matrix
            candidate.apply(mask: mask)
            candidate.writeFormat(mask: mask)
            let penalty = candidate.penalty()
            if best == nil || penalty < best!.penalty { best = (penalty, candidate) }
        }
        size = matrix.size
        modules = best!.matrix.dark
    }

    /// Data bytes a version holds in byte mode at level M.
    static func capacity(_ version: Int) -> Int {
        let data = blocks[version - 1].groups.reduce(0) { $0 + $1.count * $1.data }
        let countBits = version < 10 ? 8 : 16
        return (data * 8 - 4 - countBits) / 8
    }

    /// The final sequence: data and error correction codewords, interleaved block by block.
    static func codewords(_ bytes: [UInt8], version: Int) -> [UInt8] {
        let layout = blocks[version - 1]
        let dataCount = layout.groups.reduce(0) { $0 + $1.count * $1.data }
        var bits: [Bool] = []
        func append(_ value: Int, _ length: Int) { for shift in stride(from: length - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) } }
        append(0b0100, 4)
        append(bytes.count, version < 10 ? 8 : 16)
        for byte in bytes { append(Int(byte), 8) }
        append(0, min(4, dataCount * 8 - bits.count))
        while bits.count % 8 != 0 { bits.append(false) }
        var data = stride(from: 0, to: bits.count, by: 8).map { start in bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) } }
        var pad: UInt8 = 0xEC
        while data.count < dataCount { data.append(pad); pad = pad == 0xEC ? 0x11 : 0xEC }
        var dataBlocks: [[UInt8]] = []
        var offset = 0
        for group in layout.groups {
            for _ in 0..<group.count { dataBlocks.append(Array(data[offset..<offset + group.data])); offset += group.data }
        }
        let generator = GaloisField.generator(degree: layout.ec)
        let ecBlocks = dataBlocks.map { GaloisField.remainder($0, generator) }
        var result: [UInt8] = []
        for index in 0..<(dataBlocks.map(\.count).max() ?? 0) { for block in dataBlocks where index < block.count { result.append(block[index]) } }
        for index in 0..<layout.ec { for block in ecBlocks { result.append(block[index]) } }
        return result
    }

    /// The code as SVG: one path, a module a unit, four modules of quiet zone; `label` names it for screen readers.
    func svg(label: String) -> String {
        var path = ""
        for y in 0..<size { for x in 0..<size where self[x, y] { path += "M\(x + 4) \(y + 4)h1v1h-1z" } }
        let side = size + 8
        let escaped = label.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "\"", with: "&quot;")
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(side) \(side)\" role=\"img\" aria-label=\"\(escaped)\" shape-rendering=\"crispEdges\">"
            + "<rect width=\"\(side)\" height=\"\(side)\" fill=\"#fff\"/><path fill=\"#000\" d=\"\(path)\"/></svg>"
    }

    private struct Matrix {
        let version: Int
        let size: Int
        var dark: [Bool]
        /// Function patterns, which data and masks leave alone.
        var reserved: [Bool]

        init(version: Int) {
            self.version = version
            size = 17 + 4 * version
            dark = Array(repeating: false, count: size * size)
            reserved = Array(repeating: false, count: size * size)
            for (x, y) in [(0, 0), (size - 7, 0), (0, size - 7)] { finder(x, y) }
            for index in 8..<(size - 8) {
                set(index, 6, index % 2 == 0)
                set(6, index, index % 2 == 0)
            }
            let centres = QRCode.alignment[version - 1]
            for cx in centres {
                for cy in centres where !((cx == 6 && cy == 6) || (cx == 6 && cy == centres.last) || (cx == centres.last && cy == 6)) {
                    for dy in -2...2 { for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) } }
                }
            }
            // Format areas (written after masking) and the dark module.
            for index in 0..<9 { reserve(index, 8); reserve(8, index) }
            for index in 0..<8 { reserve(size - 1 - index, 8); reserve(8, size - 1 - index) }
            set(8, size - 8, true)
            if version >= 7 {
                let bits = Self.versionBits(version)
                for index in 0..<18 {
                    let on = (bits >> index) & 1 == 1
                    set(size - 11 + index % 3, index / 3, on)
                    set(index / 3, size - 11 + index % 3, on)
                }
            }
        }

        mutating func set(_ x: Int, _ y: Int, _ on: Bool) {
            dark[y * size + x] = on
            reserved[y * size + x] = true
        }

        mutating func reserve(_ x: Int, _ y: Int) { reserved[y * size + x] = true }

        mutating func finder(_ left: Int, _ top: Int) {
            for dy in -1...7 {
                for dx in -1...7 {
                    let x = left + dx, y = top + dy
                    guard x >= 0, y >= 0, x < size, y < size else { continue }
                    let inside = (0...6).contains(dx) && (0...6).contains(dy)
                    let ring = dx == 0 || dx == 6 || dy == 0 || dy == 6
                    let centre = (2...4).contains(dx) && (2...4).contains(dy)
                    set(x, y, inside && (ring || centre))
                }
            }
        }

        /// Data bits in two-module columns, right to left, alternately up and down, skipping the timing column.
        mutating func place(_ codewords: [UInt8]) {
            var bits: [Bool] = []
            for byte in codewords { for shift in (0..<8).reversed() { bits.append((byte >> shift) & 1 == 1) } }
            var index = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                let upward = (right + 1) & 2 == 0
                for step in 0..<size {
                    let y = upward ? size - 1 - step : step
                    for x in [right, right - 1] where !reserved[y * size + x] {
                        dark[y * size + x] = index < bits.count ? bits[index] : false
                        index += 1
                    }
                }
                right -= 2
            }
        }

        mutating func apply(mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !reserved[y * size + x] {
                    let flip: Bool
                    switch mask {
                    case 0: flip = (x + y) % 2 == 0
                    case 1: flip = y % 2 == 0
                    case 2: flip = x % 3 == 0
                    case 3: flip = (x + y) % 3 == 0
                    case 4: flip = (y / 2 + x / 3) % 2 == 0
                    case 5: flip = (x * y) % 2 + (x * y) % 3 == 0
                    case 6: flip = ((x * y) % 2 + (x * y) % 3) % 2 == 0
                    default: flip = ((x + y) % 2 + (x * y) % 3) % 2 == 0
                    }
                    if flip { dark[y * size + x].toggle() }
                }
            }
        }

        /// Level M (00) and the mask, with BCH(15,5) and the standard XOR pattern, in both copies.
        mutating func writeFormat(mask: Int) {
            let data = (0b00 << 3) | mask
            var remainder = data << 10
            for shift in stride(from: 14, through: 10, by: -1) where (remainder >> shift) & 1 == 1 { remainder ^= 0x537 << (shift - 10) }
            let bits = ((data << 10) | remainder) ^ 0x5412
            func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
            func put(_ x: Int, _ y: Int, _ on: Bool) { dark[y * size + x] = on }
            for index in 0..<6 { put(8, index, bit(index)) }
            put(8, 7, bit(6))
            put(8, 8, bit(7))
            put(7, 8, bit(8))
            for index in 9..<15 { put(14 - index, 8, bit(index)) }
            for index in 0..<8 { put(size - 1 - index, 8, bit(index)) }
            for index in 8..<15 { put(8, size - 15 + index, bit(index)) }
            put(8, size - 8, true)
        }

        static func versionBits(_ version: Int) -> Int {
            var remainder = version << 12
            for shift in stride(from: 17, through: 12, by: -1) where (remainder >> shift) & 1 == 1 { remainder ^= 0x1F25 << (shift - 12) }
            return (version << 12) | remainder
        }

        /// The four penalty rules: runs, 2×2 blocks, finder-like patterns, dark proportion.
        func penalty() -> Int {
            var score = 0
            func module(_ x: Int, _ y: Int) -> Bool { dark[y * size + x] }
            for line in 0..<size {
                for horizontal in [true, false] {
                    var run = 1
                    for index in 1..<size {
                        let same = horizontal ? module(index, line) == module(index - 1, line) : module(line, index) == module(line, index - 1)
                        if same { run += 1 } else { if run >= 5 { score += run - 2 }; run = 1 }
                    }
                    if run >= 5 { score += run - 2 }
                }
            }
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let colour = module(x, y)
                    if module(x + 1, y) == colour && module(x, y + 1) == colour && module(x + 1, y + 1) == colour { score += 3 }
                }
            }
            let patterns: [[Bool]] = [[true, false, true, true, true, false, true, false, false, false, false],
                                      [false, false, false, false, true, false, true, true, true, false, true]]
            for line in 0..<size {
                for start in 0...(size - 11) {
                    for pattern in patterns {
                        if (0..<11).allSatisfy({ module(start + $0, line) == pattern[$0] }) { score += 40 }
                        if (0..<11).allSatisfy({ module(line, start + $0) == pattern[$0] }) { score += 40 }
                    }
                }
            }
            let darkCount = dark.filter { $0 }.count
            score += abs(darkCount * 20 - dark.count * 10) / dark.count * 10
            return score
        }
    }
}

/// Arithmetic in GF(256) with the QR polynomial x⁸ + x⁴ + x³ + x² + 1, for Reed–Solomon codes.
enum GaloisField {
    static let (exp, log): ([UInt8], [Int]) = {
        var exp = [UInt8](repeating: 0, count: 512)
        var log = [Int](repeating: 0, count: 256)
        var value = 1
        for index in 0..<255 {
            exp[index] = UInt8(value)
            log[value] = index
            value <<= 1
            if value & 0x100 != 0 { value ^= 0x11D }
        }
        for index in 255..<512 { exp[index] = exp[index - 255] }
        return (exp, log)
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        a == 0 || b == 0 ? 0 : exp[log[Int(a)] + log[Int(b)]]
    }

    /// The generator polynomial of `degree` (leading coefficient first).
    static func generator(degree: Int) -> [UInt8] {
        var polynomial: [UInt8] = [1]
        for index in 0..<degree {
            var next = [UInt8](repeating: 0, count: polynomial.count + 1)
            for (position, coefficient) in polynomial.enumerated() {
                next[position] ^= coefficient
                next[position + 1] ^= multiply(coefficient, exp[index])
            }
            polynomial = next
        }
        return polynomial
    }

    /// The error correction codewords: the data times xⁿ, modulo the generator.
    static func remainder(_ data: [UInt8], _ generator: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: generator.count - 1)
        for byte in data {
            let factor = byte ^ result[0]
            result.removeFirst()
            result.append(0)
            for index in 0..<result.count { result[index] ^= multiply(generator[index + 1], factor) }
        }
        return result
    }
}
