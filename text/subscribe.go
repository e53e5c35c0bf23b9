package text

// Subscribe is the public subscription pages (SPEC §16): the form at
// /subscribe, the "check your inbox" answer, confirmation, managing and
// unsubscribing. The answer to a sign-up is the same whether or not the
// address was known, so no string here may hint at it.
type Subscribe struct {
	Heading     string // of the form and the page title
	Intro       string // what subscribers get
	Email       string // label of the address field
	All         string // radio button: every component, also later ones
	Some        string // radio button: only the ticked components
	Consent     string // default consent_text, beside the required checkbox
	Submit      string // button
	Privacy     string // under the form: what is stored
	CheckInbox  string // heading of the answer to a sign-up
	CheckBody   string // %s address, %s confirm_ttl
	Confirmed   string // heading
	Following   string // %s components ("all components" or a list)
	AllNames    string // the components of a subscriber who follows all
	Manage      string // heading of the manage page, and the link to it
	ManageIntro string // %s address
	Save        string // button
	Saved       string // %s components
	Unsubscribe string // heading, button and link
	UnsubAsk    string // %s address
	Unsubbed    string // %s address
	Again       string // link back to the form
	Back        string // link to the status page
	// Errors: what was wrong and how to fix it.
	BadLink      string // heading of an unusable link
	BadLinkBody  string // %s confirm_ttl
	EmailInvalid string
	EmailTooLong string // %d maximum length
	NeedConsent  string
	NeedOne      string // "some" without a component
	BadComponent string // %q component id
	TooLarge     string // body over the limit
	BadForm      string // a body that is not a form (bad encoding)
	TooMany      string // rate limit; %d sign-ups per hour
	BadOrigin    string // a form sent from another site
	Unavailable  string // the store failed
}

// ConsoleSubscribers is the review console's subscribers page.
type ConsoleSubscribers struct {
	Nav, Heading string
	Count        string // %d confirmed, %d unconfirmed
	Search       string // label of the address search
	Find         string // button
	None         string // nothing found
	Email        string // column heads
	Components   string
	Since        string
	State        string
	All          string // follows every component
	Confirmed    string // %s date
	Unconfirmed  string
	Remove       string // button
	Removed      string // %d subscriber id
	Shown        string // %d shown, %d total
}
