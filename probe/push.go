package probe

import "fmt"

// PushTarget is the only form of a push check's target.
const PushTarget = "push:"

// parsePush parses push:, the target of a push check (a dead man's
// switch): the monitored job sends its results to outpost, so there is
// no address to probe and nothing may follow the colon. No prober exists
// for KindPush; the monitor never schedules such a check.
func parsePush(rest string) (Target, error) {
	if rest != "" {
		return Target{}, fmt.Errorf("push target takes nothing after push: (got %q); write target: push: and set token_file or token_env", redactString(rest))
	}
	return Target{Kind: KindPush, Redacted: PushTarget}, nil
}
