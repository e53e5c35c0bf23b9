package notify

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/outpost-status/outpost/incident"
)

// Social posts (Mastodon, Bluesky) are short: a status line, the title,
// the latest public update, then the link to the incident page. The
// renderer writes the text without the link (Renderer.post, with the
// words of package text); the channel appends the link and cuts the text
// to its instance's limit (composePost), since only the channel knows
// that limit. The link is never cut: it is the one part a reader needs.

// isSocial reports whether a channel type posts to a social network: its
// messages carry the post text instead of the full message text.
func isSocial(channelType string) bool {
	return channelType == TypeMastodon || channelType == TypeBluesky
}

// post returns the text of a social post about n, without its link: for
// an incident the status of its latest public update, its title and that
// update's body; for maintenance its subject, body and time.
func (r *Renderer) post(n incident.Notice) string {
	if n.Event == incident.EventMaintenanceScheduled {
		m := n.Maintenance
		if m == nil {
			return ""
		}
		return paragraphs(fmt.Sprintf(r.nt.MaintSubject, m.Title), m.Body, r.nt.When+": "+r.window(m.Start, m.End))
	}
	inc := n.Incident
	u, ok := lastPublished(inc)
	if !ok {
		u.Status, u.Body = inc.Status, inc.Body
	}
	return paragraphs(r.tx.IncidentStatus.Text(u.Status)+"\n"+inc.Name, u.Body)
}

// postLimit is what a network allows in one post.
type postLimit struct {
	chars int // user-perceived characters (graphemes); 0: no limit
	bytes int // UTF-8 bytes; 0: no limit
	// linkChars is what the link counts towards chars (Mastodon counts
	// every URL as characters_reserved_per_url); < 0: its own length.
	linkChars int
}

// ellipsis ends a cut text.
const ellipsis = "…"

// composePost returns text and link as one post within lim, and the byte
// offset of the link in it (-1 without a link). The link is appended
// whole after a blank line; if text does not fit, it is cut at the last
// word boundary that leaves room for "…" (inside a word longer than the
// room only at a grapheme boundary). A link longer than the limit is
// posted alone: the receiver then refuses it, with a clear error, rather
// than outpost posting a broken link.
func composePost(text, link string, lim postLimit) (string, int) {
	text = strings.TrimSpace(strings.ToValidUTF8(text, ""))
	sep := ""
	if text != "" && link != "" {
		sep = "\n\n"
	}
	linkChars := lim.linkChars
	if linkChars < 0 || link == "" {
		linkChars = graphemes(link)
	}
	roomChars, roomBytes := math.MaxInt, math.MaxInt
	if lim.chars > 0 {
		roomChars = lim.chars - linkChars - graphemes(sep)
	}
	if lim.bytes > 0 {
		roomBytes = lim.bytes - len(link) - len(sep)
	}
	if !fits(text, roomChars, roomBytes) {
		text = cut(text, roomChars-1, roomBytes-len(ellipsis))
		if text != "" {
			text += ellipsis
		} else {
			sep = ""
		}
	}
	if link == "" {
		return text, -1
	}
	return text + sep + link, len(text) + len(sep)
}

// fits reports whether s has at most chars graphemes and bytes bytes.
func fits(s string, chars, bytes int) bool {
	return s == "" || len(s) <= bytes && graphemes(s) <= chars
}

// cut returns the longest start of s, ended at a word boundary, with at
// most chars graphemes and bytes bytes, without trailing spaces or
// separators; "" when nothing fits. A first word longer than the room
// is cut at a grapheme boundary.
func cut(s string, chars, bytes int) string {
	if chars <= 0 || bytes <= 0 {
		return ""
	}
	end, n := 0, 0 // end of the last grapheme that fits
	for end < len(s) && n < chars {
		next := end + graphemeLen(s[end:])
		if next > bytes {
			break
		}
		end, n = next, n+1
	}
	if end == len(s) {
		return s
	}
	head := s[:end]
	// A word boundary: the space before the grapheme that did not fit,
	// or the last space inside head.
	if next, _ := utf8.DecodeRuneInString(s[end:]); !unicode.IsSpace(next) {
		if i := strings.LastIndexFunc(head, unicode.IsSpace); i > 0 {
			head = head[:i]
		}
	}
	return strings.TrimRightFunc(head, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—", r)
	})
}

// graphemes counts the user-perceived characters of s, as Bluesky counts
// post length (Mastodon counts the same way, except URLs): see
// graphemeLen.
func graphemes(s string) int {
	n := 0
	for i := 0; i < len(s); i += graphemeLen(s[i:]) {
		n++
	}
	return n
}

// graphemeLen returns the length in bytes of the first user-perceived
// character of s (0 for ""). It approximates Unicode's extended grapheme
// clusters (UAX #29) closely enough for the Latin, Greek and Cyrillic
// text and emoji of status updates, without a table of its own:
//
//   - a base character takes every following combining mark (a + U+0308
//     is one ä), variation selector, emoji skin-tone modifier, tag
//     character (subdivision flags) and zero-width joiner;
//   - a symbol (emoji) after a zero-width joiner joins the cluster (emoji
//     ZWJ sequences such as 👩‍💻; a letter after one does not, as in
//     Unicode);
//   - two regional indicators are one flag (🇸🇪);
//   - CR LF is one.
//
// It does not join Hangul jamo or Indic conjuncts; for such text it
// counts more characters than the network does, so a post is cut earlier
// than needed, never too late.
func graphemeLen(s string) int {
	if s == "" {
		return 0
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == '\r' && strings.HasPrefix(s[size:], "\n") {
		return size + 1
	}
	if isRegional(r) {
		if r2, n := utf8.DecodeRuneInString(s[size:]); isRegional(r2) {
			size += n
		}
	}
	prev := r
	for size < len(s) {
		next, n := utf8.DecodeRuneInString(s[size:])
		if !extends(next) && !(prev == zwj && unicode.Is(unicode.So, next)) {
			break
		}
		size += n
		prev = next
	}
	return size
}

const zwj = '\u200d'

// extends reports whether r belongs to the character before it.
func extends(r rune) bool {
	switch {
	case unicode.Is(unicode.M, r), r == zwj:
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF: // emoji modifiers (skin tones)
		return true
	case r >= 0xE0020 && r <= 0xE007F: // tags
		return true
	}
	return false
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }
