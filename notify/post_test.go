package notify

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestGraphemes(t *testing.T) {
	tests := []struct {
		name, s string
		want    int
	}{
		{"empty", "", 0},
		{"ascii", "Status", 6},
		{"precomposed umlauts", "Größe", 5},
		{"combining diaeresis", "Gro\u0308sse", 6},
		{"swedish", "Åtgärd pågår", 12},
		{"two combining marks", "e\u0301\u0323", 1},
		{"flag", "🇸🇪🇩🇪", 2},
		{"zwj sequence", "👩\u200d💻", 1},
		{"skin tone", "👍🏽", 1},
		{"variation selector", "❤️", 1},
		{"keycap", "1️⃣", 1},
		{"tag sequence (Scotland)", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", 1},
		{"crlf", "a\r\nb", 3},
		{"lone regional indicator", "🇸a", 2},
		{"zwj before a space", "a\u200d b", 3},
		{"zwj between letters", "a\u200db", 2},
		{"family", "👨\u200d👩\u200d👧", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := graphemes(tt.s); got != tt.want {
				t.Errorf("graphemes(%q) = %d, want %d", tt.s, got, tt.want)
			}
		})
	}
}

const testLink = "https://status.example.com/incidents/7"

func TestComposePost(t *testing.T) {
	bluesky := postLimit{chars: 60, bytes: 3000, linkChars: -1}
	tests := []struct {
		name, text, link string
		lim              postLimit
		want             string
	}{
		{"fits", "Störung\nWebsite", testLink, bluesky, "Störung\nWebsite\n\n" + testLink},
		{"no link", "Störung", "", postLimit{chars: 10}, "Störung"},
		{"cut at a word", "Wir untersuchen Störungen beim Anmelden", "https://x.se/i/7", postLimit{chars: 40, linkChars: -1},
			"Wir untersuchen…\n\nhttps://x.se/i/7"},
		{"cut before a space keeps the whole word", "Vi undersöker störningen nu", "https://x.se/i/7", postLimit{chars: 43, linkChars: -1},
			"Vi undersöker störningen…\n\nhttps://x.se/i/7"},
		{"separators dropped before the ellipsis", "Åtgärd pågår, vi återkommer", "https://x.se/i/7", postLimit{chars: 32, linkChars: -1},
			"Åtgärd pågår…\n\nhttps://x.se/i/7"},
		{"mastodon counts the link as 23", strings.Repeat("ö ", 20), "https://status.example.com/incidents/12345", postLimit{chars: 35, linkChars: 23},
			"ö ö ö ö ö…\n\nhttps://status.example.com/incidents/12345"},
		{"a word longer than the room is cut inside", "Donaudampfschifffahrtsgesellschaftskapitän", "https://x.se/i/7", postLimit{chars: 30, linkChars: -1},
			"Donaudampfs…\n\nhttps://x.se/i/7"},
		{"never inside a grapheme", "👩\u200d💻👩\u200d💻👩\u200d💻", "", postLimit{chars: 2}, "👩\u200d💻…"},
		{"bytes bound too", "ääää ääää", "", postLimit{chars: 100, bytes: 14}, "ääää…"},
		{"link longer than the limit is posted alone", "Störung", testLink, postLimit{chars: 10, linkChars: -1}, testLink},
		{"empty text", "  ", testLink, bluesky, testLink},
		{"invalid utf-8 dropped", "St\xffatus", "", postLimit{chars: 10}, "Status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, at := composePost(tt.text, tt.link, tt.lim)
			if got != tt.want {
				t.Errorf("composePost = %q, want %q", got, tt.want)
			}
			if tt.link == "" && at != -1 || tt.link != "" && got[at:] != tt.link {
				t.Errorf("link at %d in %q", at, got)
			}
		})
	}
}

// FuzzComposePost checks the rules of every post: the link is whole, at
// the offset returned (the Bluesky facet's byteStart), at the end; the
// post fits whenever the link alone does; the text is a start of the
// given text, cut with "…".
func FuzzComposePost(f *testing.F) {
	f.Add("Untersuchung\nWebsite nicht erreichbar\n\nWir prüfen die Störung 🔧 bei Anmeldungen.", testLink, 80, 3000, -1)
	f.Add("Åtgärd pågår för inloggningen på webbplatsen", "https://x.se/🇸🇪/7", 30, 60, 23)
	f.Add("a\u0308\u0308\u0308 👩\u200d💻 \r\n x", "h", 3, 9, -1)
	f.Add("", "", 0, 0, 0)
	f.Fuzz(func(t *testing.T, text, link string, chars, bytes, linkChars int) {
		if !utf8.ValidString(link) || strings.TrimSpace(link) != link || len(link) > 200 {
			return // a link is a URL from the configuration
		}
		lim := postLimit{chars: chars % 1000, bytes: bytes % 5000, linkChars: linkChars % 100}
		post, at := composePost(text, link, lim)
		if !utf8.ValidString(post) {
			t.Fatalf("post is not UTF-8: %q", post)
		}
		if link == "" {
			if at != -1 {
				t.Fatalf("link at %d without a link", at)
			}
			at = len(post)
		} else if at < 0 || at+len(link) != len(post) || post[at:] != link {
			t.Fatalf("link %q not at %d of %q", link, at, post)
		}
		body := strings.TrimSuffix(post[:at], "\n\n")
		clean := strings.TrimSpace(strings.ToValidUTF8(text, ""))
		if cutBody, cut := strings.CutSuffix(body, ellipsis); cut && body != clean {
			if !strings.HasPrefix(clean, cutBody) || strings.TrimRightFunc(cutBody, unicode.IsSpace) != cutBody {
				t.Fatalf("cut text %q is not a start of %q without trailing space", cutBody, clean)
			}
		} else if body != clean && body != "" {
			t.Fatalf("text %q became %q", clean, body)
		}
		linkCost := lim.linkChars
		if linkCost < 0 || link == "" {
			linkCost = graphemes(link)
		}
		if lim.chars > 0 && linkCost <= lim.chars {
			if n := graphemes(post[:at]) + linkCost; n > lim.chars {
				t.Fatalf("post counts %d > %d: %q", n, lim.chars, post)
			}
		}
		if lim.bytes > 0 && len(link) <= lim.bytes && len(post) > lim.bytes {
			t.Fatalf("post has %d bytes > %d: %q", len(post), lim.bytes, post)
		}
	})
}
