package store

import "time"

// Placeholder declarations of the interval API (issue 5) so the monitor
// can be built against it; replaced by the real implementation.

// State of a subject over an interval.
type State uint8

// Interval states.
const (
	StateUnknown State = iota
	StateUp
	StateDegraded
	StatePartial
	StateDown
	StateMaintenance
)

// SubjectKind says whether a subject is a check or a component.
type SubjectKind uint8

// Subject kinds.
const (
	SubjectCheck SubjectKind = iota + 1
	SubjectComponent
)

// Subject is a check or a component.
type Subject struct {
	Kind SubjectKind
	ID   string
}

// CheckSubject names a check by key.
func CheckSubject(key string) Subject { return Subject{Kind: SubjectCheck, ID: key} }

// ComponentSubject names a component by id.
func ComponentSubject(id string) Subject { return Subject{Kind: SubjectComponent, ID: id} }

// Transition says Subject entered State at At.
type Transition struct {
	Subject Subject
	State   State
	At      time.Time
}

// Interval is a span in one state; End is zero while open.
type Interval struct {
	State      State
	Start, End time.Time
}
