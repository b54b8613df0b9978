import Foundation

/// Checks an uploaded photo's whole container structure and rebuilds it without metadata: JPEG
/// segments, PNG chunks and WebP RIFF chunks are walked one by one, and only what draws the picture
/// (and its colour profile) is kept. EXIF with GPS positions, comments, text chunks and anything
/// after the image's end are dropped, so a JPEG header followed by HTML is refused and a phone's
/// photo does not publish where it was taken. No image library is needed: nothing is decoded.
enum ImageSanitizer {
    /// The image's kind and its cleaned bytes, or nil when the bytes are not a well-formed image.
    static func clean(_ bytes: [UInt8]) -> (kind: ImageKind, bytes: [UInt8])? {
        switch ImageKind.sniff(bytes) {
        case .jpeg: return jpeg(bytes).map { (.jpeg, $0) }
        case .png: return png(bytes).map { (.png, $0) }
        case .webp: return webp(bytes).map { (.webp, $0) }
        case nil: return nil
        }
    }

    // MARK: JPEG (ITU T.81): markers and length-prefixed segments; entropy-coded data after each SOS.

    static func jpeg(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var output: [UInt8] = [0xFF, 0xD8]
        var index = 2
        var sawFrame = false, sawScan = false
        while index < bytes.count {
            guard bytes[index] == 0xFF else { return nil }
            while index < bytes.count, bytes[index] == 0xFF { index += 1 }
            guard index < bytes.count else { return nil }
            let marker = bytes[index]
            index += 1
            switch marker {
            case 0xD9:
                // End of image: what follows is not part of the picture and is dropped.
                guard sawFrame, sawScan else { return nil }
                return output + [0xFF, 0xD9]
            case 0xD0...0xD7, 0x01:
                output += [0xFF, marker]
                continue
            case 0x00, 0xD8:
                return nil
            default:
                break
            }
            guard index + 2 <= bytes.count else { return nil }
            let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
            guard length >= 2, index + length <= bytes.count else { return nil }
            let segment = Array(bytes[index..<(index + length)])
            index += length
            let isColourProfile = marker == 0xE2 && segment.dropFirst(2).starts(with: Array("ICC_PROFILE\0".utf8))
            let isAdobeColour = marker == 0xEE && segment.dropFirst(2).starts(with: Array("Adobe".utf8))
            if (0xE0...0xEF).contains(marker) && !isColourProfile && !isAdobeColour { continue }
            if marker == 0xFE { continue }
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) { sawFrame = true }
            output += [0xFF, marker] + segment
            if marker == 0xDA {
                guard sawFrame else { return nil }
                sawScan = true
                // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart.
                let start = index
                while index + 1 < bytes.count {
                    if bytes[index] == 0xFF, bytes[index + 1] != 0x00, !(0xD0...0xD7).contains(bytes[index + 1]) { break }
                    index += 1
                }
                guard index + 1 < bytes.count else { return nil }
                output += bytes[start..<index]
            }
        }
        return nil
    }

    // MARK: PNG (ISO 15948): signature, then length, type, data and CRC for each chunk.

    /// Ancillary chunks that change how the picture looks (transparency, colour); every other
    /// ancillary chunk (text, EXIF, time, physical size, animation) is dropped.
    static let pngKept: Set<String> = ["tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "cICP"]
    static let pngCritical: Set<String> = ["IHDR", "PLTE", "IDAT", "IEND"]

    static func png(_ bytes: [UInt8]) -> [UInt8]? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.starts(with: signature) else { return nil }
        var output = signature
        var index = 8
        var first = true, sawData = false
        while index + 12 <= bytes.count {
            let length = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            guard length <= 0x7FFF_FFFF, index + 12 + length <= bytes.count else { return nil }
            let typeBytes = Array(bytes[(index + 4)..<(index + 8)])
            guard typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else { return nil }
            let type = String(decoding: typeBytes, as: UTF8.self)
            let chunk = Array(bytes[index..<(index + 12 + length)])
            let storedCRC = UInt32(chunk[8 + length]) << 24 | UInt32(chunk[9 + length]) << 16 | UInt32(chunk[10 + length]) << 8 | UInt32(chunk[11 + length])
            guard CRC32.checksum(chunk[4..<(8 + length)]) == storedCRC else { return nil }
            index += 12 + length
            if first {
                guard type == "IHDR", length == 13 else { return nil }
                first = false
            }
            let isCritical = typeBytes[0] & 0x20 == 0
            if isCritical && !pngCritical.contains(type) { return nil }
            if type == "IDAT" { sawData = true }
            if isCritical || pngKept.contains(type) { output += chunk }
            if type == "IEND" { return sawData ? output : nil }
        }
        return nil
    }

    // MARK: WebP (RFC 9649): a RIFF container of chunks, each padded to an even size.

    static let webpKept: Set<String> = ["VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP"]

    static func webp(_ bytes: [UInt8]) -> [UInt8]? {
        func le32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        guard bytes.count >= 20 else { return nil }
        let riffSize = le32(4)
        guard riffSize >= 4, riffSize + 8 <= bytes.count, riffSize % 2 == 0 else { return nil }
        let end = riffSize + 8
        var chunks: [UInt8] = []
        var index = 12
        var sawImage = false
        while index < end {
            guard index + 8 <= end else { return nil }
            let type = String(decoding: bytes[index..<(index + 4)], as: UTF8.self)
            let size = le32(index + 4)
            let padded = size + size % 2
            guard size >= 0, index + 8 + padded <= end else { return nil }
            var chunk = Array(bytes[index..<(index + 8 + padded)])
            index += 8 + padded
            switch type {
            case "VP8 ":
                // A key frame: 3 bytes of frame tag, then the start code 9D 01 2A.
                guard size >= 10, chunk[8] & 0x01 == 0, chunk[11] == 0x9D, chunk[12] == 0x01, chunk[13] == 0x2A else { return nil }
                sawImage = true
            case "VP8L":
                guard size >= 5, chunk[8] == 0x2F else { return nil }
                sawImage = true
            case "ANMF":
                sawImage = true
            case "VP8X":
                guard size >= 10 else { return nil }
                // The flags say EXIF (0x08) and XMP (0x04) follow: they no longer do.
                chunk[8] &= ~UInt8(0x0C)
            default:
                break
            }
            if webpKept.contains(type) { chunks += chunk }
        }
        guard sawImage else { return nil }
        let total = chunks.count + 4
        return Array("RIFF".utf8) + [UInt8(total & 0xFF), UInt8(total >> 8 & 0xFF), UInt8(total >> 16 & 0xFF), UInt8(total >> 24 & 0xFF)]
            + Array("WEBP".utf8) + chunks
    }
}

/// CRC-32 (ISO 3309, as PNG uses it).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { value in
        var crc = UInt32(value)
        for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        return crc
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
