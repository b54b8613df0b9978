import Foundation
import Logging
@testable import Maillon
import Testing

@Suite("Structured logs")
struct LoggingTests {
    @Test("A log line is one JSON object with sorted keys, every awkward character escaped, and a UTC second")
    func jsonLine() throws {
        let awkward = "Élise \"la\" \\ dit:\nbonjour\t\u{1}\u{7F} 🎉"
        let bytes = JSONLogHandler.line(level: .info, message: "request", label: "codes.vapor.application",
                                        fields: ["request-id": .string("abc"), "note": .string(awkward), "status": .stringConvertible(201),
                                                 "list": .array([.string("a"), .dictionary(["k": .string("v\"")])]), "msg": .string("ignored")],
                                        at: Date(timeIntervalSince1970: 1_795_834_800.9))
        #expect(bytes.last == UInt8(ascii: "\n") && bytes.dropLast().firstIndex(of: UInt8(ascii: "\n")) == nil, "one line")
        let text = try #require(String(bytes: bytes, encoding: .utf8))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["note"] as? String == awkward)
        #expect(object["msg"] as? String == "request", "the message is not overwritten by metadata")
        #expect(object["status"] as? String == "201" && object["level"] as? String == "info" && object["request-id"] as? String == "abc")
        #expect(((object["list"] as? [Any])?.last as? [String: String])?["k"] == "v\"")
        #expect(object["ts"] as? String == "2026-11-28T03:00:00Z")
        let keys = ["\"level\"", "\"list\"", "\"logger\"", "\"msg\"", "\"note\"", "\"request-id\"", "\"status\"", "\"ts\""].map { text.range(of: $0)?.lowerBound }
        #expect(keys.allSatisfy { $0 != nil } && keys.compactMap { $0 } == keys.compactMap { $0 }.sorted(), "keys sorted")
    }
}
