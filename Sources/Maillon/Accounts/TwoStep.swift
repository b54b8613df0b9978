import Crypto
import Foundation
import Vapor

/// Time-based one-time codes (RFC 6238, SHA-1, 6 digits, 30 s), as authenticator apps expect.
/// Vapor computes the codes; this type adds the secret's encoding and replay protection.
public enum TwoStep {
    public static let interval: TimeInterval = 30

    public static func newSecret() -> String {
        Base32.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0.prefix(20)) })
    }

    public static func code(secret: String, at time: Date) -> String? {
        guard let key = Base32.decode(secret) else { return nil }
        return TOTP(key: SymmetricKey(data: key), digest: .sha1, digits: .six, interval: Int(interval)).generate(time: time)
    }

    /// The time step of the accepted code, if `code` is valid now, one step before or after, and
    /// later than `lastStep` (a code is accepted once).
    public static func acceptedStep(secret: String, code: String, at time: Date, lastStep: Int?) -> Int? {
        let code = code.filter(\.isNumber)
        guard code.count == 6 else { return nil }
        let current = Int(time.timeIntervalSince1970 / interval)
        for step in (current - 1)...(current + 1) where step > (lastStep ?? Int.min) {
            if let expected = Self.code(secret: secret, at: Date(timeIntervalSince1970: Double(step) * interval)),
               Secret.matches(expected, code) {
                return step
            }
        }
        return nil
    }

    public static func provisioningURI(secret: String, account: String, issuer: String) -> String {
        let allowed = CharacterSet.alphanumerics
        let label = "\(issuer):\(account)".addingPercentEncoding(withAllowedCharacters: allowed) ?? account
        let issuerParameter = issuer.addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        return "otpauth://totp/\(label)?secret=\(secret)&issuer=\(issuerParameter)&algorithm=SHA1&digits=6&period=30"
    }
}

/// RFC 4648 base32 without padding, the encoding authenticator apps read. Small enough to keep here.
enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    static func encode(_ bytes: [UInt8]) -> String {
        var output = "", buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }

    static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = [], buffer = 0, bits = 0
        for character in text.uppercased() where character != "=" && character != " " {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                output.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return output
    }
}
