import Foundation
@testable import Maillon
import Testing

@Suite("Members' text")
struct PostTextTests {
    /// Every tag in `html` is one of the subset's, and every attribute one it allows.
    private func onlySafeMarkup(_ html: String) -> Bool {
        let allowed: Set<String> = ["p", "strong", "em", "a", "ul", "ol", "li", "code", "pre", "br"]
        let tags = html.matches(of: /<\/?([a-zA-Z0-9]+)([^>]*)>/)
        for tag in tags {
            guard allowed.contains(String(tag.output.1).lowercased()) else { return false }
            let attributes = String(tag.output.2).matches(of: /([a-zA-Z-]+)=/).map { String($0.output.1).lowercased() }
            guard Set(attributes).isSubset(of: ["href", "rel", "class", "start"]) else { return false }
        }
        return true
    }

    @Test("The subset renders: paragraphs, bold, italic, lists, code, http(s) links with rel=\"nofollow ugc\"")
    func subset() {
        let html = PostText.html("Bonjour **tout** le _monde_\n\n- un\n- deux\n\n1. premier\n\n`<b>` et [le site](https://maillon.example/a?b=1&c=2)")
        #expect(html.contains("<strong>tout</strong>") && html.contains("<em>monde</em>"))
        #expect(html.contains("<ul><li>un</li><li>deux</li></ul>") && html.contains("<ol><li>premier</li></ol>"))
        #expect(html.contains("<code>&lt;b&gt;</code>"), "code shows what was typed, once escaped: \(html)")
        #expect(html.contains("<a href=\"https://maillon.example/a?b=1&amp;c=2\" rel=\"nofollow ugc\">le site</a>"), "\(html)")
        let block = PostText.html("```\nif a < b && c > d { print(\"<script>\") }\n```")
        #expect(block.contains("if a &lt; b &amp;&amp; c &gt; d { print(&quot;&lt;script&gt;&quot;) }"), "\(block)")
        #expect(PostText.html("R&D, 3 < 4 & l'été").contains("R&amp;D, 3 &lt; 4 &amp; l&#39;été"))
        #expect(PostText.html("---\ntitle: x\n---\nSuite").contains("title: x"), "a leading rule is not swallowed as metadata")
        #expect(PostText.html("# Titre").contains("<p><strong>Titre</strong></p>"))
    }

    @Test("Known @handles link to their profile, outside code and links; addresses and unknown handles stay text")
    func mentions() {
        #expect(Mentions.handles(in: "Merci @lea-lyon-3f2a et @marc-0001, écris à lea@example.org ou @lea-lyon-3f2a") == ["lea-lyon-3f2a", "marc-0001"])
        #expect(Mentions.handles(in: "@debut-0001 (@paren-0002) «@guil-0003» @tiret-0004- @-non @ab x@colle-0005 @MAJ-0006 @accent-é") == ["debut-0001", "paren-0002", "guil-0003", "tiret-0004", "accent"])
        #expect(Mentions.handles(in: "@" + String(repeating: "a", count: 70)) == [String(repeating: "a", count: 62)])
        let html = PostText.html("Merci @lea-lyon-3f2a ! `@lea-lyon-3f2a` et @inconnu-1234, lea@example.org",
                                 mentions: ["lea-lyon-3f2a": "/members/1"])
        #expect(html.contains("Merci <a href=\"/members/1\" class=\"mention\">@lea-lyon-3f2a</a> !"), "\(html)")
        #expect(html.contains("<code>@lea-lyon-3f2a</code>") && html.contains("@inconnu-1234") && html.contains("lea@example.org"))
        #expect(!PostText.html("[@lea-lyon-3f2a](https://exemple.org)", mentions: ["lea-lyon-3f2a": "/members/1"]).contains("/members/1"))
    }

    @Test("Raw HTML and the usual XSS payloads come out as text, never as markup", arguments: [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">clic</a>",
        "[clic](javascript:alert(1))",
        "[clic](JaVaScRiPt:alert(1))",
        "[clic]( javascript:alert(1))",
        "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[clic](vbscript:msgbox(1))",
        "[clic](https://ok.example\" onmouseover=\"alert(1))",
        "[clic][r]\n\n[r]: javascript:alert(1)",
        "![x](https://tracker.example/pixel.png)",
        "![x\" onerror=\"alert(1)](x)",
        "<https://maillon.example>",
        "`</code><script>alert(1)</script>`",
        "```\"><script>alert(1)</script>\nx\n```",
        "<iframe src=\"https://evil.example\"></iframe>",
        "**<style>body{display:none}</style>**",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<div onclick=alert(1)>x</div>\n\ntext",
        "| a | b |\n|---|---|\n| <script> | x |",
        "> <script>alert(1)</script>",
    ])
    func xss(payload: String) {
        let html = PostText.html(payload)
        #expect(onlySafeMarkup(html), "\(payload) → \(html)")
        #expect(!html.lowercased().contains("href=\"javascript") && !html.lowercased().contains("href=\"data") && !html.lowercased().contains("href=\"vbscript"))
        #expect(!html.contains("<img") && !html.contains("<script") && !html.contains("<iframe"))
        for anchor in html.matches(of: /<a [^>]*>/) { #expect(anchor.output.contains("rel=\"nofollow ugc\""), "\(html)") }
    }
}
